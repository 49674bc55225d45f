"""A payer of the agency's directory: agency-level (policy on ``app.current_agency``), no PHI."""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, created_at_column, new_id


class Payer(Base):
    __tablename__ = "payer"
    __table_args__ = (sa.UniqueConstraint("agency_id", "payer_code"),)

    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    payer_code: Mapped[str] = mapped_column(sa.Text, nullable=False)  # X12 payer id (2010BB NM109)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    claim_type: Mapped[str] = mapped_column(sa.Text, nullable=False)  # professional | institutional
    clearinghouse_route: Mapped[str | None] = mapped_column(sa.Text)
    timely_filing_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="365")
    corrected_claim_needs_payer_claim_number: Mapped[bool] = mapped_column(sa.Boolean, nullable=False,
                                                                           server_default=sa.true())
    filing_indicator: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="CI")  # SBR09
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.true())
    created_at: Mapped[datetime] = created_at_column()
