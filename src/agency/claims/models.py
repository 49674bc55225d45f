"""Claim tables (migration 0010). Tenant tables except ``claim_number`` (agency level, PHI-free).

Nothing here is sealed: a claim row holds ids, codes, amounts and dates of
service (plain for the same reasons as ``encounter``: see
``agency.encounters.models``). Names, dates of birth and member ids stay sealed
in ``patient``/``patient_coverage`` and are opened only while an 837 is written.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, TenantMixin, created_at_column


class ClaimNumber(Base):
    """CLM01 -> practice, for the PHI-free inbound router (277CA TRN02, 835 CLP01)."""

    __tablename__ = "claim_number"

    pcn: Mapped[str] = mapped_column(sa.String(17), primary_key=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
    practice_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("practice.id"), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class Claim(TenantMixin, Base):
    __tablename__ = "claim"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "encounter_id"], ["encounter.tenant_id", "encounter.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "original_claim_id"], ["claim.tenant_id", "claim.id"]),
    )

    encounter_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    patient_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    coverage_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    payer_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("payer.id"), nullable=False)
    billing_provider_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    rendering_provider_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    service_location_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    sequence: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(4), nullable=False)
    pcn: Mapped[str] = mapped_column(sa.String(17), nullable=False)
    revision: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False, default=0)
    original_claim_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    state: Mapped[str] = mapped_column(sa.Text, nullable=False)
    frequency: Mapped[str] = mapped_column(sa.String(1), nullable=False, default="1")
    payer_claim_number: Mapped[str | None] = mapped_column(sa.Text)
    place_of_service: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    diagnoses: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False)
    date_of_service_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    date_of_service_to: Mapped[date] = mapped_column(sa.Date, nullable=False)
    total_charge: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), nullable=False)
    hold_reasons: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)
    warnings: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)
    warnings_acknowledged_by: Mapped[str | None] = mapped_column(sa.Text)
    submission_attempt: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    row_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)


class ClaimLine(TenantMixin, Base):
    __tablename__ = "claim_line"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "claim_id"], ["claim.tenant_id", "claim.id"], ondelete="CASCADE"),
    )

    claim_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    line_number: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    line_control_number: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    procedure_code: Mapped[str] = mapped_column(sa.Text, nullable=False)
    revenue_code: Mapped[str | None] = mapped_column(sa.String(4))
    modifiers: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False, default=list)
    units: Mapped[Decimal] = mapped_column(sa.Numeric(9, 3), nullable=False)
    charge: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), nullable=False)
    diagnosis_pointers: Mapped[list[int]] = mapped_column(ARRAY(sa.SmallInteger), nullable=False, default=list)
    date_of_service: Mapped[date] = mapped_column(sa.Date, nullable=False)
    ndc: Mapped[str | None] = mapped_column(sa.String(11))
    ndc_unit: Mapped[str | None] = mapped_column(sa.String(2))
    ndc_quantity: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3))


class ClaimEvent(TenantMixin, Base):
    """Append-only history (an UPDATE trigger refuses changes). Reasons are PHI-free."""

    __tablename__ = "claim_event"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "claim_id"], ["claim.tenant_id", "claim.id"], ondelete="CASCADE"),
    )

    claim_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    from_state: Mapped[str | None] = mapped_column(sa.Text)
    to_state: Mapped[str] = mapped_column(sa.Text, nullable=False)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.clock_timestamp(),
                                         nullable=False)
    actor: Mapped[str] = mapped_column(sa.Text, nullable=False)
    reason_code: Mapped[str | None] = mapped_column(sa.Text)
    reason_text: Mapped[str | None] = mapped_column(sa.Text)
    interchange_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    inbound_file_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
