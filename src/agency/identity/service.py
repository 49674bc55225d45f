"""Identity use cases. Services never commit: the caller's unit of work does.

Each function takes a sync ``Session`` bound to the agency (``AgencySession``);
async handlers call them through ``await session.run_sync(fn, ...)``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from agency.api.problems import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from agency.identity import credentials as cred
from agency.identity.models import ApiToken, Membership, User, WebSession
from agency.identity.policy import (ASSIGNED_ROLES, PRACTICE_ROLES, TOKEN_GRANTABLE, USER_ROLES, Perm,
                                    Principal, Role, has, make_token_principal, make_user_principal)
from agency.identity.repository import IdentityRepository

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_IDLE = timedelta(minutes=15)       # HIPAA automatic logoff
SESSION_ABSOLUTE = timedelta(hours=12)
TOKEN_MAX_DAYS = 366
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise BadRequest("email is not a valid e-mail address")
    return email


def _repo(session: Session, agency_id: uuid.UUID) -> IdentityRepository:
    return IdentityRepository(session, agency_id)


# --- login ----------------------------------------------------------------------

@dataclass(frozen=True)
class LoginOutcome:
    ok: bool
    user_id: uuid.UUID | None = None
    mfa_required: bool = False
    locked: bool = False


def check_password(session: Session, agency_id: uuid.UUID | None, user_id: uuid.UUID | None,
                   password: str, now: datetime | None = None) -> LoginOutcome:
    """Verify a password and keep the lockout counters. Unknown users cost the
    same argon2 work. A locked account is refused even with the right password."""
    now = now or utcnow()
    user = _repo(session, agency_id).user(user_id, for_update=True) if agency_id and user_id else None
    if user is None or not user.is_active:
        cred.verify_password(None, password)
        return LoginOutcome(False)
    if user.locked_until is not None and user.locked_until > now:
        cred.verify_password(None, password)
        return LoginOutcome(False, locked=True)
    if not cred.verify_password(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        return LoginOutcome(False, locked=user.locked_until is not None and user.locked_until > now)
    user.failed_logins = 0
    user.locked_until = None
    return LoginOutcome(True, user.id, mfa_required=user.totp_enabled)


def start_web_session(session: Session, agency_id: uuid.UUID, user_id: uuid.UUID, *, mfa_pending: bool,
                      now: datetime | None = None) -> tuple[str, WebSession]:
    """A new server-side session; returns the cookie value (never stored)."""
    now = now or utcnow()
    cookie, sid = cred.new_session_cookie()
    row = WebSession(id=sid, agency_id=agency_id, user_id=user_id, csrf_token=cred.new_csrf_token(),
                     mfa_pending=mfa_pending, created_at=now, last_seen_at=now, expires_at=now + SESSION_ABSOLUTE)
    _repo(session, agency_id).add(row)
    return cookie, row


def live_session(session: Session, agency_id: uuid.UUID, session_id: str,
                 now: datetime | None = None) -> WebSession | None:
    now = now or utcnow()
    row = _repo(session, agency_id).web_session(session_id)
    if row is None or row.revoked_at is not None or row.expires_at <= now \
            or row.last_seen_at + SESSION_IDLE <= now:
        return None
    return row


def session_principal(session: Session, agency_id: uuid.UUID, session_id: str,
                      now: datetime | None = None) -> Principal | None:
    """The principal of a fully logged-in session (idle and absolute limits apply;
    each use extends the idle limit)."""
    now = now or utcnow()
    row = live_session(session, agency_id, session_id, now)
    if row is None or row.mfa_pending:
        return None
    principal = user_principal(session, agency_id, row.user_id, session_id=row.id, csrf_token=row.csrf_token)
    if principal is None:
        return None
    if now - row.last_seen_at > timedelta(seconds=30):
        row.last_seen_at = now
    return principal


def user_principal(session: Session, agency_id: uuid.UUID, user_id: uuid.UUID, *,
                   session_id: str | None = None, csrf_token: str | None = None) -> Principal | None:
    repo = _repo(session, agency_id)
    user = repo.user(user_id)
    if user is None or not user.is_active:
        return None
    assigned = repo.assigned_practices(user.id) if Role(user.role) in ASSIGNED_ROLES else frozenset()
    return make_user_principal(user_id=user.id, agency_id=agency_id, role=user.role,
                               own_practice=user.practice_id, assigned=assigned,
                               session_id=session_id, csrf_token=csrf_token)


class TotpSecrets:
    """Seals and opens staff TOTP secrets with the agency's own key (AAD binds the
    agency, table, column and user id, so a secret copied to another user fails)."""

    def __init__(self, cipher) -> None:  # noqa: ANN001 - a tenants.crypto PhiCipher over agency keys
        self.cipher = cipher

    def seal(self, user: User, secret: str):  # noqa: ANN201
        return self.cipher.seal_text(user.agency_id, "app_user", "totp_secret", user.id, secret)

    def open(self, user: User) -> str | None:
        if user.totp_secret is not None:
            return self.cipher.open_text(user.agency_id, "app_user", "totp_secret", user.id, user.totp_secret)
        if user.totp_secret_legacy:  # stored before secrets were sealed (migration 0014)
            secret = user.totp_secret_legacy
            user.totp_secret, user.totp_secret_legacy = self.seal(user, secret), None
            return secret
        return None


def complete_mfa(session: Session, agency_id: uuid.UUID, session_id: str, code: str, secrets: TotpSecrets,
                 now: datetime | None = None) -> bool:
    now = now or utcnow()
    row = live_session(session, agency_id, session_id, now)
    if row is None or not row.mfa_pending:
        return False
    user = _repo(session, agency_id).user(row.user_id, for_update=True)
    secret = secrets.open(user) if user is not None and user.totp_enabled else None
    if secret is None:
        return False
    if user.locked_until is not None and user.locked_until > now:
        return False
    step = cred.verify_totp(secret, code, user.totp_last_step, now.timestamp())
    if step is None:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
            row.revoked_at = now
        return False
    user.totp_last_step, user.failed_logins = step, 0
    # A fresh session id after the second factor (no fixation of the half-logged-in id).
    row.revoked_at = now
    return True


def revoke_session(session: Session, agency_id: uuid.UUID, session_id: str, now: datetime | None = None) -> None:
    row = _repo(session, agency_id).web_session(session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now or utcnow()


def begin_totp(session: Session, principal: Principal, secrets: TotpSecrets) -> tuple[str, str]:
    user = _own_user(session, principal)
    if user.totp_enabled:
        raise Conflict("TOTP is already enabled for this user.")
    secret = cred.new_totp_secret()
    user.totp_secret, user.totp_secret_legacy = secrets.seal(user, secret), None
    return secret, cred.totp_uri(secret, user.email)


def confirm_totp(session: Session, principal: Principal, code: str, secrets: TotpSecrets,
                 now: datetime | None = None) -> None:
    now = now or utcnow()
    user = _own_user(session, principal)
    secret = None if user.totp_enabled else secrets.open(user)
    if secret is None:
        raise Conflict("Start TOTP setup first.")
    step = cred.verify_totp(secret, code, None, now.timestamp())
    if step is None:
        raise Unprocessable("The code does not match.")
    user.totp_enabled, user.totp_last_step = True, step


def _own_user(session: Session, principal: Principal) -> User:
    if principal.kind != "user":
        raise Forbidden("Only users have a second factor.")
    user = _repo(session, principal.agency_id).user(principal.id, for_update=True)
    if user is None:
        raise NotFound()
    return user


# --- API tokens -------------------------------------------------------------------

def token_principal(session: Session, agency_id: uuid.UUID, token_id: uuid.UUID, secret: str,
                    now: datetime | None = None) -> Principal | None:
    now = now or utcnow()
    token = _repo(session, agency_id).token(token_id)
    if token is None or not cred.same_secret(token.secret_hash, cred.token_secret_hash(secret)):
        return None
    if token.revoked_at is not None or token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return make_token_principal(token_id=token.id, agency_id=agency_id, practice_id=token.practice_id,
                                permissions=list(token.permissions))


def issue_token(session: Session, principal: Principal, *, name: str, practice_id: uuid.UUID,
                permissions: list[str], expires_in_days: int, now: datetime | None = None) -> tuple[str, ApiToken]:
    now = now or utcnow()
    _require(principal, Perm.TOKENS_MANAGE)
    repo = _repo(session, principal.agency_id)
    if repo.practice(practice_id) is None:
        raise NotFound("The practice does not exist.")
    valid = {p.value for p in TOKEN_GRANTABLE}
    wanted = set(permissions)
    if not wanted or not wanted <= valid:
        raise Unprocessable("permissions must be a non-empty subset of: " + ", ".join(sorted(valid)))
    if not 1 <= expires_in_days <= TOKEN_MAX_DAYS:
        raise Unprocessable(f"expires_in_days must be between 1 and {TOKEN_MAX_DAYS}")
    if not name.strip() or len(name) > 200:
        raise Unprocessable("name must be 1-200 characters")
    token_id = uuid.uuid4()
    plaintext, secret_hash = cred.new_api_token(token_id)
    row = ApiToken(id=token_id, agency_id=principal.agency_id, practice_id=practice_id, name=name.strip(),
                   secret_hash=secret_hash, permissions=sorted(wanted), created_by=principal.id,
                   created_at=now, expires_at=now + timedelta(days=expires_in_days))
    repo.add(row)
    return plaintext, row


def revoke_token(session: Session, principal: Principal, token_id: uuid.UUID,
                 now: datetime | None = None) -> ApiToken:
    _require(principal, Perm.TOKENS_MANAGE)
    token = _repo(session, principal.agency_id).token(token_id)
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
    return token


def get_token(session: Session, principal: Principal, token_id: uuid.UUID) -> ApiToken:
    _require(principal, Perm.TOKENS_MANAGE)
    token = _repo(session, principal.agency_id).token(token_id)
    if token is None:
        raise NotFound()
    return token


def list_tokens(session: Session, principal: Principal, after: uuid.UUID | None, limit: int) -> list[ApiToken]:
    _require(principal, Perm.TOKENS_MANAGE)
    return _repo(session, principal.agency_id).tokens_page(after, limit)


# --- users and assignments -------------------------------------------------------

def _require(principal: Principal, perm: Perm) -> None:
    if not has(principal, perm):
        raise Forbidden()


def create_user(session: Session, agency_id: uuid.UUID, *, email: str, display_name: str, role: str,
                practice_id: uuid.UUID | None = None, password: str | None = None,
                actor: Principal | None = None) -> User:
    """``actor`` None = operator bootstrap (CLI)."""
    if actor is not None:
        _require(actor, Perm.USERS_MANAGE)
    try:
        r = Role(role)
    except ValueError:
        raise Unprocessable("role must be one of: " + ", ".join(x.value for x in USER_ROLES)) from None
    if r is Role.API_TOKEN:
        raise Unprocessable("role must be one of: " + ", ".join(x.value for x in USER_ROLES))
    repo = _repo(session, agency_id)
    email = normalise_email(email)
    if not display_name.strip() or len(display_name) > 200:
        raise Unprocessable("display_name must be 1-200 characters")
    if r in PRACTICE_ROLES:
        if practice_id is None:
            raise Unprocessable("practice roles need practice_id")
        if repo.practice(practice_id) is None:
            raise NotFound("The practice does not exist.")
    elif practice_id is not None:
        raise Unprocessable("only practice roles are bound to a practice; assign staff instead")
    pw_hash = None
    if password is not None:
        problem = cred.password_problem(password)
        if problem:
            raise Unprocessable(problem)
        pw_hash = cred.hash_password(password)
    user = User(agency_id=agency_id, email=email, display_name=display_name.strip(), role=r.value,
                practice_id=practice_id, password_hash=pw_hash)
    repo.add(user)
    try:
        with session.begin_nested():
            repo.flush()
    except sa_exc.IntegrityError:
        # E-mails are unique across the platform (documented in docs/api.md).
        raise Conflict("This e-mail address is already in use.") from None
    return user


def get_user(session: Session, principal: Principal, user_id: uuid.UUID) -> User:
    _require(principal, Perm.USERS_MANAGE)
    user = _repo(session, principal.agency_id).user(user_id)
    if user is None:
        raise NotFound()
    return user


def list_users(session: Session, principal: Principal, after: uuid.UUID | None, limit: int) -> list[User]:
    _require(principal, Perm.USERS_MANAGE)
    return _repo(session, principal.agency_id).users_page(after, limit)


def update_user(session: Session, principal: Principal, user_id: uuid.UUID, *, role: str | None = None,
                display_name: str | None = None, is_active: bool | None = None,
                practice_id: uuid.UUID | None = None, password: str | None = None,
                unlock: bool = False) -> User:
    _require(principal, Perm.USERS_MANAGE)
    repo = _repo(session, principal.agency_id)
    user = repo.user(user_id, for_update=True)
    if user is None:
        raise NotFound()
    if practice_id is not None and repo.practice(practice_id) is None:
        raise NotFound("The practice does not exist.")
    new_role = user.role
    if role is not None:
        try:
            new_role = Role(role).value
        except ValueError:
            raise Unprocessable("unknown role") from None
        if new_role == Role.API_TOKEN.value:
            raise Unprocessable("unknown role")
    new_practice = practice_id if practice_id is not None else user.practice_id
    if Role(new_role) in PRACTICE_ROLES:
        if new_practice is None:
            raise Unprocessable("practice roles need practice_id")
    else:
        new_practice = None
    if user.id == principal.id and (new_role != user.role or is_active is False):
        raise Unprocessable("You cannot change your own role or deactivate yourself.")
    if Role(new_role) not in ASSIGNED_ROLES:
        for m in repo.memberships(user.id):
            repo.delete(m)
    user.role, user.practice_id = new_role, new_practice
    if display_name is not None:
        if not display_name.strip() or len(display_name) > 200:
            raise Unprocessable("display_name must be 1-200 characters")
        user.display_name = display_name.strip()
    if is_active is not None:
        user.is_active = is_active
        if not is_active:
            repo.revoke_sessions_of(user.id, utcnow())
    if password is not None:
        problem = cred.password_problem(password)
        if problem:
            raise Unprocessable(problem)
        user.password_hash = cred.hash_password(password)
        repo.revoke_sessions_of(user.id, utcnow())
    if unlock:
        user.locked_until, user.failed_logins = None, 0
    return user


def assign(session: Session, principal: Principal, user_id: uuid.UUID, practice_id: uuid.UUID) -> Membership:
    _require(principal, Perm.USERS_MANAGE)
    repo = _repo(session, principal.agency_id)
    user = repo.user(user_id)
    if user is None:
        raise NotFound()
    if repo.practice(practice_id) is None:
        raise NotFound("The practice does not exist.")
    if Role(user.role) not in ASSIGNED_ROLES:
        raise Unprocessable("only coders and billers are assigned to practices")
    existing = repo.membership(user_id, practice_id)
    if existing is not None:
        return existing
    m = Membership(agency_id=principal.agency_id, user_id=user_id, practice_id=practice_id)
    repo.add(m)
    repo.flush()
    return m


def unassign(session: Session, principal: Principal, user_id: uuid.UUID, practice_id: uuid.UUID) -> None:
    _require(principal, Perm.USERS_MANAGE)
    repo = _repo(session, principal.agency_id)
    if repo.user(user_id) is None:
        raise NotFound()
    m = repo.membership(user_id, practice_id)
    if m is None:
        raise NotFound()
    repo.delete(m)


def assignments(session: Session, principal: Principal, user_id: uuid.UUID) -> list[Membership]:
    _require(principal, Perm.USERS_MANAGE)
    repo = _repo(session, principal.agency_id)
    if repo.user(user_id) is None:
        raise NotFound()
    return repo.memberships(user_id)


def practice_in_agency(session: Session, agency_id: uuid.UUID, practice_id: uuid.UUID):  # noqa: ANN201
    return _repo(session, agency_id).practice(practice_id)


def visible_practices(session: Session, principal: Principal, after: str | None, limit: int):  # noqa: ANN201
    only = None if principal.all_practices else principal.practice_ids
    return _repo(session, principal.agency_id).practices(only, after, limit)


def agency_practice_ids(session: Session, agency_id: uuid.UUID) -> list[uuid.UUID]:
    return _repo(session, agency_id).practice_ids()


