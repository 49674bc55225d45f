"""Stored responses for ``Idempotency-Key`` (see ``agency.api.idempotency``).

Practice routes store theirs in the tenant table (a response may hold PHI, so it
stays under the practice's policy); agency routes in the agency-level table.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, TenantMixin, created_at_column, new_id


class _Fields:
    principal: Mapped[str] = mapped_column(sa.Text, nullable=False)
    key: Mapped[str] = mapped_column(sa.Text, nullable=False)
    fingerprint: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    content_type: Mapped[str | None] = mapped_column(sa.Text)
    body: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = created_at_column()


class IdempotencyRecord(TenantMixin, _Fields, Base):
    __tablename__ = "idempotency_record"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "principal", "key"),)


class AgencyIdempotencyRecord(_Fields, Base):
    __tablename__ = "agency_idempotency_record"
    __table_args__ = (sa.UniqueConstraint("agency_id", "principal", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
