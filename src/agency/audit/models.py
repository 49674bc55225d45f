"""Audit rows. ``audit_event`` is a tenant table (one hash chain per practice);
``audit_chain_head`` holds each chain's last seq and hash (so removing the newest
records is detected too) and serialises appends (``SELECT ... FOR UPDATE``).
``agency_audit_event`` records PHI-free staff administration (users, tokens).

The runtime role may only SELECT and INSERT audit rows (see migration 0003).
Rows carry ids and types only, never PHI values.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, TenantMixin, new_id

TS = sa.DateTime(timezone=True)


class AuditEvent(TenantMixin, Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "seq"),
        sa.Index("ix_audit_event_tenant_id_occurred_at_id", "tenant_id", "occurred_at", "id"),
    )

    seq: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(TS, nullable=False)
    actor_type: Mapped[str] = mapped_column(sa.Text, nullable=False)  # user | token | system
    actor_id: Mapped[str] = mapped_column(sa.Text, nullable=False)
    role: Mapped[str] = mapped_column(sa.Text, nullable=False)
    action: Mapped[str] = mapped_column(sa.Text, nullable=False)  # read | create | update | export | print ...
    resource_type: Mapped[str] = mapped_column(sa.Text, nullable=False)
    resource_id: Mapped[str | None] = mapped_column(sa.Text)
    source_ip: Mapped[str | None] = mapped_column(sa.Text)
    request_id: Mapped[str | None] = mapped_column(sa.Text)
    prev_hash: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)


class AuditChainHead(Base):
    __tablename__ = "audit_chain_head"

    tenant_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("practice.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)


class AgencyAuditEvent(Base):
    __tablename__ = "agency_audit_event"
    __table_args__ = (sa.Index("ix_agency_audit_event_agency_id_occurred_at", "agency_id", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(TS, nullable=False)
    actor_type: Mapped[str] = mapped_column(sa.Text, nullable=False)
    actor_id: Mapped[str] = mapped_column(sa.Text, nullable=False)
    role: Mapped[str] = mapped_column(sa.Text, nullable=False)
    action: Mapped[str] = mapped_column(sa.Text, nullable=False)
    resource_type: Mapped[str] = mapped_column(sa.Text, nullable=False)
    resource_id: Mapped[str | None] = mapped_column(sa.Text)
    source_ip: Mapped[str | None] = mapped_column(sa.Text)
    request_id: Mapped[str | None] = mapped_column(sa.Text)
