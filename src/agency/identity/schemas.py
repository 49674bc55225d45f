"""Request and response shapes. Write schemas forbid unknown fields (no mass
assignment of agency_id, tenant_id, ...); responses list their fields explicitly."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from agency.identity.models import ApiToken, Membership, User


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class UserCreate(Strict):
    email: str
    display_name: str
    role: str
    practice_id: uuid.UUID | None = None
    password: str | None = None


class UserUpdate(Strict):
    role: str | None = None
    display_name: str | None = None
    is_active: bool | None = None
    practice_id: uuid.UUID | None = None
    password: str | None = None
    unlock: bool = False


class UserOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    display_name: str
    role: str
    practice_id: uuid.UUID | None
    is_active: bool
    totp_enabled: bool
    locked: bool

    @classmethod
    def of(cls, u: User, now: datetime) -> "UserOut":
        return cls(u.id, u.email, u.display_name, u.role, u.practice_id, u.is_active, u.totp_enabled,
                   bool(u.locked_until and u.locked_until > now))


class AssignmentCreate(Strict):
    practice_id: uuid.UUID


class AssignmentOut(msgspec.Struct):
    user_id: uuid.UUID
    practice_id: uuid.UUID

    @classmethod
    def of(cls, m: Membership) -> "AssignmentOut":
        return cls(m.user_id, m.practice_id)


class TokenCreate(Strict):
    name: str
    practice_id: uuid.UUID
    permissions: list[str]
    expires_in_days: int = 90


class TokenOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    practice_id: uuid.UUID
    permissions: list[str]
    created_at: datetime | None
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, t: ApiToken) -> "TokenOut":
        return cls(t.id, t.name, t.practice_id, list(t.permissions), t.created_at, t.expires_at,
                   t.revoked_at, t.last_used_at)


class TokenCreated(msgspec.Struct):
    token: str  # shown once; only its hash is stored
    api_token: TokenOut


class TotpCode(Strict):
    code: str


class TotpSetup(msgspec.Struct):
    secret: str
    otpauth_uri: str


class MeOut(msgspec.Struct):
    kind: str
    id: uuid.UUID
    agency_id: uuid.UUID
    role: str
    permissions: list[str]
    practice_ids: list[uuid.UUID] | None  # None = every practice of the agency
    csrf_token: str | None


class RoleOut(msgspec.Struct):
    role: str
    permissions: list[str]
    scope: str


class PracticeOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    status: str


class PageOut(msgspec.Struct):
    items: list
    next_cursor: str | None
