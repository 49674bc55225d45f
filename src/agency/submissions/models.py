"""Submission tables (migration 0010).

Agency level and PHI-free: ``envelope_counter``, ``interchange``, ``inbound_file``
(its content is sealed under the agency's own key). Tenant level:
``submission_claim`` (which claim went in which file, per attempt) and
``ack_outcome`` (what an acknowledgement said about a claim or file).
``edi_file`` (migration 0002) is used through the Core table :data:`EDI_FILE`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, TenantMixin, created_at_column, new_id
from agency.claims import models as _claims  # noqa: F401  (FK targets)

# edi_file has no ORM model of its own (migration 0002); a lightweight Core table
# keeps it out of the shared metadata.
EDI_FILE = sa.table(
    "edi_file",
    sa.column("tenant_id", sa.Uuid), sa.column("id", sa.Uuid), sa.column("kind", sa.Text),
    sa.column("direction", sa.Text), sa.column("sha256", sa.LargeBinary), sa.column("size_bytes", sa.BigInteger),
    sa.column("content", sa.LargeBinary), sa.column("created_at", sa.DateTime(timezone=True)),
)


class EnvelopeCounter(Base):
    __tablename__ = "envelope_counter"

    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), primary_key=True)
    sender_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    receiver_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    next_isa13: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=1)
    next_gs06: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=1)
    next_st02: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=1)


class Interchange(Base):
    __tablename__ = "interchange"
    __table_args__ = (sa.UniqueConstraint("sender_id", "receiver_id", "isa13"),)

    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("practice.id"), nullable=False)
    connection_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("clearinghouse_connection.id"),
                                                     nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(4), nullable=False)
    sender_id: Mapped[str] = mapped_column(sa.Text, nullable=False)
    receiver_id: Mapped[str] = mapped_column(sa.Text, nullable=False)
    isa13: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    gs06: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    st02_first: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    st02_last: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    batch_id: Mapped[str] = mapped_column(sa.Text, nullable=False)
    edi_file_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    claim_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, default="built")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    remote_name: Mapped[str | None] = mapped_column(sa.Text)
    ack_status: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = created_at_column()
    transmitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class SubmissionClaim(TenantMixin, Base):
    __tablename__ = "submission_claim"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "claim_id", "attempt"),)

    interchange_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("interchange.id"), nullable=False)
    edi_file_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    claim_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    attempt: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    st02: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class InboundFile(Base):
    __tablename__ = "inbound_file"
    __table_args__ = (sa.UniqueConstraint("agency_id", "sha256"),)

    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("agency.id"), nullable=False)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    connection_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("clearinghouse_connection.id"),
                                                     nullable=False)
    remote_name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    kind: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, default="received")
    park_reason: Mapped[str | None] = mapped_column(sa.Text)
    practice_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(sa.Uuid), nullable=False, default=list)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    received_at: Mapped[datetime] = created_at_column()
    routed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class AckOutcome(TenantMixin, Base):
    __tablename__ = "ack_outcome"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "inbound_file_id", "item"),)

    inbound_file_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("inbound_file.id"), nullable=False)
    item: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    level: Mapped[str] = mapped_column(sa.Text, nullable=False)
    claim_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    interchange_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    result: Mapped[str] = mapped_column(sa.Text, nullable=False)
    codes: Mapped[str | None] = mapped_column(sa.Text)
    payer_claim_number: Mapped[str | None] = mapped_column(sa.Text)
    applied: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = created_at_column()
