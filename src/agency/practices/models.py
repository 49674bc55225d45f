from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, TenantMixin, created_at_column, new_id


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
