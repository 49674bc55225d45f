"""Remittance tables (migration 0012). Tenant tables; nothing here is sealed: ids,
codes, amounts and the payer's trace numbers are not PHI (the 835 itself, with the
patients' names, is stored sealed in ``edi_file``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from agency.claims import models as _claims  # noqa: F401  (FK targets)
from agency.db.base import Base, TenantMixin, created_at_column

MONEY = sa.Numeric(12, 2)


class Era(TenantMixin, Base):
    __tablename__ = "era"
    __table_args__ = (
        # (tenant_id, edi_file_id) -> edi_file is in the migration; edi_file has no ORM model.
        sa.UniqueConstraint("tenant_id", "payer_code", "trn02"),
    )

    edi_file_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    inbound_file_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    transaction_index: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    st02: Mapped[str | None] = mapped_column(sa.Text)
    payer_code: Mapped[str] = mapped_column(sa.Text, nullable=False)
    payer_name: Mapped[str | None] = mapped_column(sa.Text)
    payer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, sa.ForeignKey("payer.id"))
    trn02: Mapped[str] = mapped_column(sa.Text, nullable=False)
    payment_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    credit_debit: Mapped[str | None] = mapped_column(sa.String(1))
    payment_method: Mapped[str | None] = mapped_column(sa.Text)
    payment_date: Mapped[date | None] = mapped_column(sa.Date)
    production_date: Mapped[date | None] = mapped_column(sa.Date)
    claim_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, default="posting")
    park_reason: Mapped[str | None] = mapped_column(sa.Text)
    problems: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    posted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class EraClaim(TenantMixin, Base):
    __tablename__ = "era_claim"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "era_id", "clp_index"),
        sa.ForeignKeyConstraint(["tenant_id", "era_id"], ["era.tenant_id", "era.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "claim_id"], ["claim.tenant_id", "claim.id"]),
    )

    era_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    claim_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    clp_index: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    pcn: Mapped[str] = mapped_column(sa.Text, nullable=False)
    payer_claim_number: Mapped[str | None] = mapped_column(sa.Text)
    status_code: Mapped[str] = mapped_column(sa.Text, nullable=False)
    charge: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    paid: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    patient_responsibility: Mapped[Decimal | None] = mapped_column(MONEY)
    outcome: Mapped[str] = mapped_column(sa.Text, nullable=False)
    category: Mapped[str | None] = mapped_column(sa.Text)
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    reversed_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    created_at: Mapped[datetime] = created_at_column()


class LedgerEntry(TenantMixin, Base):
    """Immutable (a trigger refuses UPDATE and DELETE). Positive amounts reduce what
    the payer owes on the line: payments, adjustments and patient responsibility;
    a reversal is the negation of the entry it reverses."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "claim_id"], ["claim.tenant_id", "claim.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "claim_line_id"], ["claim_line.tenant_id", "claim_line.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "era_id"], ["era.tenant_id", "era.id"]),
    )

    claim_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    claim_line_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    era_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    era_claim_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    kind: Mapped[str] = mapped_column(sa.Text, nullable=False)
    group_code: Mapped[str | None] = mapped_column(sa.String(2))
    carc: Mapped[str | None] = mapped_column(sa.Text)
    rarcs: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False, default=list)
    category: Mapped[str | None] = mapped_column(sa.Text)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    reverses_entry_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    reverses_kind: Mapped[str | None] = mapped_column(sa.Text)
    transfer_to: Mapped[str | None] = mapped_column(sa.Text)
    target_claim_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    actor: Mapped[str] = mapped_column(sa.Text, nullable=False, default="system")
    created_at: Mapped[datetime] = created_at_column()


class ProviderLedgerEntry(TenantMixin, Base):
    __tablename__ = "provider_ledger_entry"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "era_id", "position"),
        sa.ForeignKeyConstraint(["tenant_id", "era_id"], ["era.tenant_id", "era.id"]),
    )

    era_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    provider_id: Mapped[str | None] = mapped_column(sa.Text)
    fiscal_period_end: Mapped[date | None] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    reference: Mapped[str | None] = mapped_column(sa.Text)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class PostingException(TenantMixin, Base):
    __tablename__ = "posting_exception"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "era_id"], ["era.tenant_id", "era.id"]),
    )

    era_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    clp_index: Mapped[int | None] = mapped_column(sa.Integer)
    line_index: Mapped[int | None] = mapped_column(sa.Integer)
    pcn: Mapped[str | None] = mapped_column(sa.Text)
    payer_claim_number: Mapped[str | None] = mapped_column(sa.Text)
    claim_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    reason_code: Mapped[str] = mapped_column(sa.Text, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, default="open")
    resolved_claim_line_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    resolved_by: Mapped[str | None] = mapped_column(sa.Text)
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
