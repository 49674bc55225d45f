"""Code-set releases and their entries (shared reference data, no tenant_id)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, new_id

SYSTEMS = ("icd10cm", "hcpcs", "cpt", "pos", "modifier")


class CodeSetRelease(Base):
    """One loaded release of one code system, covering the dates of service
    ``effective_from`` .. ``effective_to`` (inclusive; NULL = until superseded).

    ``(system, version)`` is unique: loading the same release again replaces its
    entries in place (and is a no-op when the file's SHA-256 is unchanged)."""

    __tablename__ = "code_set_release"
    __table_args__ = (
        sa.UniqueConstraint("system", "version"),
        sa.CheckConstraint("system IN ('icd10cm', 'hcpcs', 'cpt', 'pos', 'modifier')", name="system"),
        sa.CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="dates"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)
    system: Mapped[str] = mapped_column(sa.Text, nullable=False)
    version: Mapped[str] = mapped_column(sa.Text, nullable=False)
    effective_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    effective_to: Mapped[date | None] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.Text, nullable=False)
    sha256: Mapped[str | None] = mapped_column(sa.Text)
    licence: Mapped[str] = mapped_column(sa.Text, nullable=False)
    bundled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())
    notes: Mapped[str | None] = mapped_column(sa.Text)
    row_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    billable_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    loaded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now(),
                                                nullable=False)


class CodeSetEntry(Base):
    """One code of one release. ``valid_from``/``valid_to`` narrow the release's
    window for codes added or terminated inside it (HCPCS add/termination dates,
    POS codes introduced later)."""

    __tablename__ = "code_set_entry"
    __table_args__ = (
        sa.Index("ix_code_set_entry_system_code", "system", "code"),
    )

    release_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("code_set_release.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    system: Mapped[str] = mapped_column(sa.Text, nullable=False)
    billable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    short_desc: Mapped[str | None] = mapped_column(sa.Text)
    long_desc: Mapped[str | None] = mapped_column(sa.Text)
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)
    attrs: Mapped[dict | None] = mapped_column(JSONB)
