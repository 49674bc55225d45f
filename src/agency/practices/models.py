from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, TenantMixin, created_at_column, new_id
from agency.payers import models as _payers  # noqa: F401  (payer_enrollment.payer_id -> payer.id)


class Agency(Base):
    """A billing agency: the customer of the platform. Visible only to itself
    (policy on ``app.current_agency``)."""

    __tablename__ = "agency"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    slug: Mapped[str] = mapped_column(sa.Text, nullable=False, unique=True)
    created_at: Mapped[datetime] = created_at_column()


class Practice(Base):
    """A client practice. Its id is the tenant id of all of its PHI."""

    __tablename__ = "practice"
    __table_args__ = (sa.UniqueConstraint("agency_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="active")
    created_at: Mapped[datetime] = created_at_column()


class ServiceLocation(TenantMixin, Base):
    """Where a practice sees patients (2310C service facility on claims)."""

    __tablename__ = "service_location"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(sa.Text, nullable=False)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    place_of_service: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    address_line1: Mapped[str | None] = mapped_column(sa.Text)
    address_line2: Mapped[str | None] = mapped_column(sa.Text)
    city: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[str | None] = mapped_column(sa.String(2))
    zip: Mapped[str | None] = mapped_column(sa.String(9))
    npi: Mapped[str | None] = mapped_column(sa.String(10))  # facility NPI (2310C NM109), optional


class RenderingProvider(TenantMixin, Base):
    """A clinician who renders services for the practice."""

    __tablename__ = "rendering_provider"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "npi"),
        sa.ForeignKeyConstraint(["tenant_id", "default_location_id"],
                                ["service_location.tenant_id", "service_location.id"]),
    )

    npi: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    first_name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    last_name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    taxonomy: Mapped[str | None] = mapped_column(sa.String(10))
    default_location_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)


class BillingProvider(TenantMixin, Base):
    """Who bills (2010AA): name, NPI (Type 2 for groups), TIN (EIN), taxonomy, address.
    A practice may have several; at most one is the default."""

    __tablename__ = "billing_provider"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "npi"),)

    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    npi: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    tin: Mapped[str] = mapped_column(sa.String(9), nullable=False)  # EIN: not patient PHI, stored plain
    taxonomy: Mapped[str | None] = mapped_column(sa.String(10))
    address_line1: Mapped[str] = mapped_column(sa.Text, nullable=False)
    address_line2: Mapped[str | None] = mapped_column(sa.Text)
    city: Mapped[str] = mapped_column(sa.Text, nullable=False)
    state: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    zip: Mapped[str] = mapped_column(sa.String(9), nullable=False)
    phone: Mapped[str | None] = mapped_column(sa.Text)
    is_default: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false(), default=False)
    created_at: Mapped[datetime] = created_at_column()


class PayerEnrollment(TenantMixin, Base):
    """A billing provider's enrollment with an agency payer (claims, and ERA when ``era_enrolled``)."""

    __tablename__ = "payer_enrollment"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "payer_id", "billing_provider_id"),
        sa.ForeignKeyConstraint(["tenant_id", "billing_provider_id"],
                                ["billing_provider.tenant_id", "billing_provider.id"]),
    )

    payer_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("payer.id"), nullable=False)
    billing_provider_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="pending", default="pending")
    effective_from: Mapped[date | None] = mapped_column(sa.Date)
    effective_to: Mapped[date | None] = mapped_column(sa.Date)
    era_enrolled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false(),
                                               default=False)
    created_at: Mapped[datetime] = created_at_column()


class FeeScheduleEntry(TenantMixin, Base):
    """The practice's charge for a procedure code (+ one modifier or ''), from a date."""

    __tablename__ = "fee_schedule_entry"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "procedure_code", "modifier", "effective_from"),)

    procedure_code: Mapped[str] = mapped_column(sa.Text, nullable=False)
    modifier: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="", default="")
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), nullable=False)
    effective_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    effective_to: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = created_at_column()
