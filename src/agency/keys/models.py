"""Agency-level key table (migration 0008): the agency's own data key."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, created_at_column, new_id


class AgencyKey(Base):
    """Wrapped data key of the agency itself (see ``agency.keys.agency_keys``)."""

    __tablename__ = "agency_key"
    __table_args__ = (sa.UniqueConstraint("agency_id", "purpose", "version"),)

    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(sa.Text, nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    wrapped: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    kek_ref: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    status_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
