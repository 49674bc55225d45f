"""Encounter tables (tenant tables: composite keys, RLS; see migration 0007).

What is sealed and why:

* ``note`` (clinical text) and attachments (content and file name): PHI, sealed.
* Dates of service are stored **plain**. A date of service tied to an
  individual is PHI under HIPAA, but here the row carries no identity of its
  own: the patient is a random id whose identifying fields are all sealed in
  ``patient``. Keeping DOS plain is what lets duplicate detection, work queues,
  timely-filing deadlines and date filters run as indexed SQL. The residual risk
  (someone with database access learns "some patient of this practice had a
  visit on that date") is accepted and covered by RLS, disk encryption and the
  audit trail.
* ``external_id`` (the EHR's encounter id) is an opaque identifier, treated as
  non-PHI so that it can be unique per practice; it is never logged.
* ``dedup_key``: SHA-256 over patient id, dates and procedure codes, only used
  to find likely duplicates; it reveals nothing beyond the plain columns.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, TenantMixin, created_at_column
from tenants.crypto.sealing import Sealed
from tenants.crypto.sqltypes import SealedBytes

STATUSES = ("to_code", "coded", "billed", "void")
SOURCES = ("api", "csv", "portal")


class Encounter(TenantMixin, Base):
    __tablename__ = "encounter"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "patient_id"], ["patient.tenant_id", "patient.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "rendering_provider_id"],
                                ["rendering_provider.tenant_id", "rendering_provider.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "service_location_id"],
                                ["service_location.tenant_id", "service_location.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "duplicate_of"], ["encounter.tenant_id", "encounter.id"]),
        sa.ForeignKeyConstraint(["tenant_id", "intake_batch_id"], ["intake_batch.tenant_id", "intake_batch.id"]),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    rendering_provider_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    service_location_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    date_of_service_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    date_of_service_to: Mapped[date] = mapped_column(sa.Date, nullable=False)
    place_of_service: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, default="to_code")
    source: Mapped[str] = mapped_column(sa.Text, nullable=False)
    external_id: Mapped[str | None] = mapped_column(sa.Text)
    dedup_key: Mapped[str] = mapped_column(sa.Text, nullable=False)
    duplicate_flag: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    duplicate_of: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    intake_batch_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    note: Mapped[Sealed | None] = mapped_column(SealedBytes)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    row_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": row_version}


class EncounterDiagnosis(TenantMixin, Base):
    __tablename__ = "encounter_diagnosis"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "encounter_id"], ["encounter.tenant_id", "encounter.id"],
                                ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "encounter_id", "position"),
    )

    encounter_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    position: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    code: Mapped[str] = mapped_column(sa.Text, nullable=False)  # ICD-10-CM without the dot


class EncounterLine(TenantMixin, Base):
    __tablename__ = "encounter_line"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "encounter_id"], ["encounter.tenant_id", "encounter.id"],
                                ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "encounter_id", "line_number"),
    )

    encounter_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    line_number: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    procedure_code: Mapped[str] = mapped_column(sa.Text, nullable=False)
    modifiers: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False, default=list)
    units: Mapped[Decimal] = mapped_column(sa.Numeric(9, 3), nullable=False)
    charge: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    diagnosis_pointers: Mapped[list[int]] = mapped_column(ARRAY(sa.SmallInteger), nullable=False)
    ndc: Mapped[str | None] = mapped_column(sa.String(11))
    ndc_unit: Mapped[str | None] = mapped_column(sa.String(2))
    ndc_quantity: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3))
    date_of_service: Mapped[date] = mapped_column(sa.Date, nullable=False)


class EncounterAttachment(TenantMixin, Base):
    __tablename__ = "encounter_attachment"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "encounter_id"], ["encounter.tenant_id", "encounter.id"],
                                ondelete="CASCADE"),
    )

    encounter_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    filename: Mapped[Sealed] = mapped_column(SealedBytes, nullable=False)
    content_type: Mapped[str] = mapped_column(sa.Text, nullable=False)
    size_bytes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    content: Mapped[Sealed] = mapped_column(SealedBytes, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
