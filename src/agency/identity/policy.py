"""THE access policy: who may do what, in one module.

* Roles. Staff: ``agency_admin``, ``agency_manager`` (every practice of their
  agency), ``coder``, ``biller`` (only the practices they are assigned to).
  Practice roles: ``practice_admin``, ``practice_user`` (exactly one practice).
  Machines: API tokens, bound to one practice and an explicit permission list.
* Visibility. A practice the principal may not see is answered **404** (it does
  not exist as far as the caller knows); a visible practice or an agency route
  whose action the role lacks is answered **403**.
* The request's practice is also bound to the database session (RLS), so a
  policy bug here still cannot read another practice's rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import Enum


class Role(str, Enum):
    AGENCY_ADMIN = "agency_admin"
    AGENCY_MANAGER = "agency_manager"
    CODER = "coder"
    BILLER = "biller"
    PRACTICE_ADMIN = "practice_admin"
    PRACTICE_USER = "practice_user"
    API_TOKEN = "api_token"  # never stored on a user: the role of machine principals


STAFF_ROLES = frozenset({Role.AGENCY_ADMIN, Role.AGENCY_MANAGER, Role.CODER, Role.BILLER})
ALL_PRACTICE_ROLES = frozenset({Role.AGENCY_ADMIN, Role.AGENCY_MANAGER})  # see every practice of the agency
ASSIGNED_ROLES = frozenset({Role.CODER, Role.BILLER})  # see assigned practices only
PRACTICE_ROLES = frozenset({Role.PRACTICE_ADMIN, Role.PRACTICE_USER})  # bound to one practice
USER_ROLES = tuple(r for r in Role if r is not Role.API_TOKEN)


class Perm(str, Enum):
    PRACTICE_READ = "practice:read"   # see the practice and its setup (locations, providers)
    PHI_READ = "phi:read"             # open PHI (patients, encounters, claims, remits)
    PHI_WRITE = "phi:write"           # create and change PHI
    PHI_EXPORT = "phi:export"         # bulk export / download files with PHI
    PHI_PRINT = "phi:print"           # print (statements, claim forms)
    CODING_WRITE = "coding:write"     # assign ICD-10/CPT/HCPCS codes
    BILLING_WRITE = "billing:write"   # claims, submissions, payment posting, denials
    USERS_MANAGE = "users:manage"     # users, roles, assignments (agency admin)
    TOKENS_MANAGE = "tokens:manage"   # API tokens (agency admin)
    AUDIT_READ = "audit:read"         # query and export the audit trail (agency admin)
    SETUP_WRITE = "setup:write"       # practice setup and the agency payer directory (agency admin)
    CLEARINGHOUSE_MANAGE = "clearinghouse:manage"  # clearinghouse connections and credentials (agency admin)


ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.AGENCY_ADMIN: frozenset(Perm),
    Role.AGENCY_MANAGER: frozenset({Perm.PRACTICE_READ, Perm.PHI_READ, Perm.PHI_EXPORT}),
    Role.CODER: frozenset({Perm.PRACTICE_READ, Perm.PHI_READ, Perm.PHI_WRITE, Perm.CODING_WRITE}),
    Role.BILLER: frozenset({Perm.PRACTICE_READ, Perm.PHI_READ, Perm.PHI_WRITE, Perm.BILLING_WRITE,
                            Perm.PHI_EXPORT, Perm.PHI_PRINT}),
    Role.PRACTICE_ADMIN: frozenset({Perm.PRACTICE_READ, Perm.PHI_READ, Perm.PHI_WRITE, Perm.PHI_EXPORT,
                                    Perm.PHI_PRINT}),
    Role.PRACTICE_USER: frozenset({Perm.PRACTICE_READ, Perm.PHI_READ, Perm.PHI_WRITE}),
    Role.API_TOKEN: frozenset(),  # a token has exactly the permissions it was issued with
}

# What an API token may be issued with: practice data only, never administration.
TOKEN_GRANTABLE: frozenset[Perm] = frozenset({Perm.PRACTICE_READ, Perm.PHI_READ, Perm.PHI_WRITE,
                                              Perm.PHI_EXPORT, Perm.CODING_WRITE, Perm.BILLING_WRITE})


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (web session) or an API token."""

    kind: str                     # "user" | "token"
    id: uuid.UUID
    agency_id: uuid.UUID
    role: Role
    permissions: frozenset[Perm]
    # Practices visible besides "all of the agency" (assignments, own practice, token practice).
    practice_ids: frozenset[uuid.UUID] = frozenset()
    all_practices: bool = False
    session_id: str | None = field(default=None, repr=False)   # hashed web-session id
    csrf_token: str | None = field(default=None, repr=False)

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"


def permissions_for(role: Role) -> frozenset[Perm]:
    return ROLE_PERMISSIONS[role]


def make_user_principal(*, user_id: uuid.UUID, agency_id: uuid.UUID, role: str,
                        own_practice: uuid.UUID | None, assigned: frozenset[uuid.UUID],
                        session_id: str | None = None, csrf_token: str | None = None) -> Principal:
    r = Role(role)
    if r in ALL_PRACTICE_ROLES:
        visible, everything = frozenset(), True
    elif r in ASSIGNED_ROLES:
        visible, everything = assigned, False
    else:
        visible, everything = frozenset({own_practice}) if own_practice else frozenset(), False
    return Principal("user", user_id, agency_id, r, permissions_for(r), visible, everything,
                     session_id, csrf_token)


def make_token_principal(*, token_id: uuid.UUID, agency_id: uuid.UUID, practice_id: uuid.UUID,
                         permissions: list[str]) -> Principal:
    perms = frozenset(Perm(p) for p in permissions if p in {x.value for x in TOKEN_GRANTABLE})
    return Principal("token", token_id, agency_id, Role.API_TOKEN, perms, frozenset({practice_id}), False)


# --- decisions ----------------------------------------------------------------

def may_see_practice(principal: Principal, practice_agency_id: uuid.UUID | None,
                     practice_id: uuid.UUID) -> bool:
    """``practice_agency_id`` is what the database says the practice belongs to
    (None: it does not exist in the caller's agency)."""
    if practice_agency_id is None or practice_agency_id != principal.agency_id:
        return False
    return principal.all_practices or practice_id in principal.practice_ids


def may_see_practice_id(principal: Principal, practice_id: uuid.UUID) -> bool | None:
    """Decision without the database: False = certainly not, None = ask the database
    whether it exists in the agency (all-practice roles)."""
    if principal.all_practices:
        return None
    return practice_id in principal.practice_ids


def has(principal: Principal, perm: Perm) -> bool:
    return perm in principal.permissions


def visible_practice_filter(principal: Principal) -> frozenset[uuid.UUID] | None:
    """None = every practice of the agency; otherwise exactly these ids."""
    return None if principal.all_practices else principal.practice_ids


def assignable(role: Role) -> bool:
    """Only coders and billers take practice assignments."""
    return role in ASSIGNED_ROLES


def may_grant_token_permissions(principal: Principal, requested: set[str]) -> bool:
    valid = {p.value for p in TOKEN_GRANTABLE}
    return bool(requested) and requested <= valid and has(principal, Perm.TOKENS_MANAGE)
