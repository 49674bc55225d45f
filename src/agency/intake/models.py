"""CSV intake tables (tenant tables; migration 0007).

``intake_batch``: one uploaded file. ``UNIQUE (tenant_id, sha256)``: the same
file uploaded again finds this batch and creates nothing. The file itself and
its name are sealed (names like ``smith_john_visits.csv`` are PHI). Progress
counters are committed together with each chunk of imported encounters, so a
job that crashes resumes after the last committed chunk.

``intake_error``: one refused row: row number, column and a plain-language
reason. The reason is sealed: reasons quote the offending value (a code, or a
name typed into the wrong column).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, TenantMixin, created_at_column
from tenants.crypto.sealing import Sealed
from tenants.crypto.sqltypes import SealedBytes

BATCH_STATUSES = ("queued", "running", "completed", "failed")


class IntakeBatch(TenantMixin, Base):
    __tablename__ = "intake_batch"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "sha256"),)

    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)  # the job binds the full scope
    filename: Mapped[Sealed | None] = mapped_column(SealedBytes)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    content: Mapped[Sealed] = mapped_column(SealedBytes, nullable=False)
    final_codes: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, default="queued")
    rows_total: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    rows_done: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    rows_imported: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    rows_failed: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    groups_total: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    groups_done: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    encounters_created: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    duplicates_flagged: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    failure: Mapped[str | None] = mapped_column(sa.Text)  # file-level, PHI-free
    created_by: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class IntakeError(TenantMixin, Base):
    __tablename__ = "intake_error"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "batch_id"], ["intake_batch.tenant_id", "intake_batch.id"],
                                ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "batch_id", "row_number", "seq"),
    )

    batch_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    row_number: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # as a spreadsheet shows it: header = 1
    seq: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)   # several problems per row
    column_name: Mapped[str | None] = mapped_column(sa.Text)
    reason: Mapped[Sealed] = mapped_column(SealedBytes, nullable=False)
