from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, TenantMixin, created_at_column
from agency.practices import models as _practices  # noqa: F401  (payer, practice FK targets)
from tenants.crypto.sealing import Sealed
from tenants.crypto.sqltypes import SealedBytes


class Patient(TenantMixin, Base):
    """Every identifying field is sealed; loading never decrypts (values are
    opaque ``Sealed`` objects until a service opens them)."""

    __tablename__ = "patient"

    mrn: Mapped[Sealed | None] = mapped_column(SealedBytes)
    first_name: Mapped[Sealed] = mapped_column(SealedBytes, nullable=False)
    middle_name: Mapped[Sealed | None] = mapped_column(SealedBytes)
    last_name: Mapped[Sealed] = mapped_column(SealedBytes, nullable=False)
    date_of_birth: Mapped[Sealed] = mapped_column(SealedBytes, nullable=False)
    sex: Mapped[Sealed | None] = mapped_column(SealedBytes)
    address: Mapped[Sealed | None] = mapped_column(SealedBytes)
    phone: Mapped[Sealed | None] = mapped_column(SealedBytes)
    email: Mapped[Sealed | None] = mapped_column(SealedBytes)
    bidx_name_dob: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    bidx_mrn: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    row_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": row_version}


class PatientCoverage(TenantMixin, Base):
    __tablename__ = "patient_coverage"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "patient_id"], ["patient.tenant_id", "patient.id"],
                                ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "patient_id", "rank"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    rank: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    payer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, sa.ForeignKey("payer.id"))
    member_id: Mapped[Sealed] = mapped_column(SealedBytes, nullable=False)
    group_number: Mapped[Sealed | None] = mapped_column(SealedBytes)
    relationship_code: Mapped[str] = mapped_column(sa.String(2), nullable=False, default="18")
    subscriber: Mapped[Sealed | None] = mapped_column(SealedBytes)
    effective_from: Mapped[date | None] = mapped_column(sa.Date)
    effective_to: Mapped[date | None] = mapped_column(sa.Date)
    bidx_member_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
