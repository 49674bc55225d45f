"""Denial work queue tables (migration 0012). Sealed: ``denial_item.notes`` (a JSON
list of notes that may quote the chart), ``appeal.letter`` (the PDF) and
``write_off.note``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, TenantMixin, created_at_column
from agency.remittance import models as _remittance  # noqa: F401  (FK targets)
from tenants.crypto.sealing import Sealed
from tenants.crypto.sqltypes import SealedBytes

MONEY = sa.Numeric(12, 2)


class DenialItem(TenantMixin, Base):
    __tablename__ = "denial_item"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "claim_id"], ["claim.tenant_id", "claim.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "claim_line_id"], ["claim_line.tenant_id", "claim_line.id"]),
    )

    claim_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    claim_line_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    era_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    era_claim_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    payer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, sa.ForeignKey("payer.id"))
    kind: Mapped[str] = mapped_column(sa.Text, nullable=False, default="denied")
    category: Mapped[str] = mapped_column(sa.Text, nullable=False)
    category_flagged: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    carc: Mapped[str | None] = mapped_column(sa.Text)
    group_code: Mapped[str | None] = mapped_column(sa.String(2))
    rarcs: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False, default=list)
    amount_at_stake: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    appeal_deadline: Mapped[date | None] = mapped_column(sa.Date)
    timely_filing_deadline: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, default="new")
    notes: Mapped[Sealed | None] = mapped_column(SealedBytes)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    row_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)


class Appeal(TenantMixin, Base):
    __tablename__ = "appeal"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "denial_item_id", "level"),
        sa.ForeignKeyConstraint(["tenant_id", "denial_item_id"], ["denial_item.tenant_id", "denial_item.id"]),
    )

    denial_item_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    level: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    letter: Mapped[Sealed] = mapped_column(SealedBytes, nullable=False)
    letter_size: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_by: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class WriteOff(TenantMixin, Base):
    __tablename__ = "write_off"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "claim_id"], ["claim.tenant_id", "claim.id"]),
    )

    claim_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    claim_line_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    denial_item_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    reason_code: Mapped[str] = mapped_column(sa.Text, nullable=False)
    note: Mapped[Sealed | None] = mapped_column(SealedBytes)
    created_by: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
