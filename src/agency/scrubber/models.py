"""Scrubber tables (migration 0009): per-payer rule configuration (agency level),
NCCI PTP / MUE reference data (shared, read-only for the runtime role), stored
scrub results (tenant)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, TenantMixin, new_id


class ScrubberRuleConfig(Base):
    """One rule's setting for an agency: all payers (``payer_id`` NULL) or one
    payer of the agency directory (plain uuid, no FK: see the migration)."""

    __tablename__ = "scrubber_rule_config"
    __table_args__ = (
        sa.Index("uq_scrubber_rule_config_payer", "agency_id", "payer_id", "rule_id", unique=True,
                 postgresql_where=sa.text("payer_id IS NOT NULL")),
        sa.Index("uq_scrubber_rule_config_all_payers", "agency_id", "rule_id", unique=True,
                 postgresql_where=sa.text("payer_id IS NULL")),
    )

    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    payer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    rule_id: Mapped[str] = mapped_column(sa.Text, nullable=False)
    enabled: Mapped[bool | None] = mapped_column(sa.Boolean)
    severity: Mapped[str | None] = mapped_column(sa.Text)
    params: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now(),
                                                 nullable=False)


class NcciPtpEdit(Base):
    """One NCCI procedure-to-procedure edit (CMS quarterly file)."""

    __tablename__ = "ncci_ptp_edit"

    kind: Mapped[str] = mapped_column(sa.Text, primary_key=True)  # practitioner | hospital
    column1: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    column2: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    effective_date: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    deletion_date: Mapped[date | None] = mapped_column(sa.Date)
    modifier_indicator: Mapped[str] = mapped_column(sa.Text, nullable=False)
    source: Mapped[str] = mapped_column(sa.Text, nullable=False)


class MueLimitRow(Base):
    """One medically unlikely edit, in force from ``effective_from`` (the
    quarter of the file) to ``effective_to`` (closed when a newer quarter is loaded)."""

    __tablename__ = "mue_limit"

    kind: Mapped[str] = mapped_column(sa.Text, primary_key=True)  # practitioner | hospital | dme
    code: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    effective_from: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    effective_to: Mapped[date | None] = mapped_column(sa.Date)
    mue_value: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    mai: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    source: Mapped[str] = mapped_column(sa.Text, nullable=False)


class ScrubResult(TenantMixin, Base):
    """One finding of the latest scrub of a claim (``claim_id``: no FK until the
    claim table exists). ``acknowledged_*``: a biller accepted the warning."""

    __tablename__ = "scrub_result"
    __table_args__ = (sa.Index("ix_scrub_result_tenant_id_claim_id", "tenant_id", "claim_id"),)

    claim_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    run_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    rule_id: Mapped[str] = mapped_column(sa.Text, nullable=False)
    rule_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    severity: Mapped[str] = mapped_column(sa.Text, nullable=False)
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    field: Mapped[str | None] = mapped_column(sa.Text)
    line_number: Mapped[int | None] = mapped_column(sa.Integer)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    acknowledged_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
