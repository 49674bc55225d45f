"""Users, practice assignments, web sessions and API tokens.

All of these are agency-level tables (policy on ``app.current_agency``): they are
read before any practice is bound, and they hold no PHI. ``app_user.email`` is
unique across the whole platform (one login name, one agency), which the login
lookup relies on.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, created_at_column, new_id
from tenants.crypto.sealing import Sealed
from tenants.crypto.sqltypes import SealedBytes

TS = sa.DateTime(timezone=True)


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("agency_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
    email: Mapped[str] = mapped_column(sa.Text, nullable=False)
    display_name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    role: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # Practice roles are bound to exactly one practice; staff roles have none.
    practice_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, sa.ForeignKey("practice.id"))
    password_hash: Mapped[str | None] = mapped_column(sa.Text)
    totp_secret: Mapped[Sealed | None] = mapped_column(SealedBytes)  # sealed under the agency key
    totp_secret_legacy: Mapped[str | None] = mapped_column(sa.Text)  # plaintext from before 0014; sealed on use
    totp_enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false(),
                                               default=False)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)  # replay protection
    failed_logins: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0", default=0)
    locked_until: Mapped[datetime | None] = mapped_column(TS)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.true(),
                                            default=True)
    created_at: Mapped[datetime] = created_at_column()


class Membership(Base):
    """A staff user's assignment to one client practice (coders, billers)."""

    __tablename__ = "membership"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "practice_id"),
        sa.ForeignKeyConstraint(["agency_id", "user_id"], ["app_user.agency_id", "app_user.id"],
                                ondelete="CASCADE"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    practice_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("practice.id"), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class WebSession(Base):
    """A server-side browser session. ``id`` is the SHA-256 of the cookie value:
    a database reader cannot replay a session."""

    __tablename__ = "web_session"
    __table_args__ = (
        sa.ForeignKeyConstraint(["agency_id", "user_id"], ["app_user.agency_id", "app_user.id"],
                                ondelete="CASCADE"),
    )

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    csrf_token: Mapped[str] = mapped_column(sa.Text, nullable=False)
    mfa_pending: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(TS, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(TS, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(TS, nullable=False)  # absolute limit
    revoked_at: Mapped[datetime | None] = mapped_column(TS)


class ApiToken(Base):
    """A machine credential, scoped to one practice and a set of permissions.
    The secret is stored as SHA-256 only; the token is shown once."""

    __tablename__ = "api_token"
    __table_args__ = (
        sa.ForeignKeyConstraint(["agency_id", "created_by"], ["app_user.agency_id", "app_user.id"]),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
    practice_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("practice.id"), nullable=False)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    secret_hash: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    permissions: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False)
    created_by: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(TS, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(TS)
    last_used_at: Mapped[datetime | None] = mapped_column(TS)
