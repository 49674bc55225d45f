from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from agency.db.base import Base, TenantMixin, created_at_column
from tenants.crypto.sealing import Sealed
from tenants.crypto.sqltypes import SealedBytes


class CodingChange(TenantMixin, Base):
    __tablename__ = "coding_change"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "encounter_id"], ["encounter.tenant_id", "encounter.id"],
                                ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "encounter_id", "seq"),
    )

    encounter_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    seq: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    actor: Mapped[str] = mapped_column(sa.Text, nullable=False)
    actor_role: Mapped[str] = mapped_column(sa.Text, nullable=False)
    changed_at: Mapped[datetime] = created_at_column()
    before: Mapped[dict] = mapped_column(JSONB, nullable=False)
    after: Mapped[dict] = mapped_column(JSONB, nullable=False)
    reason: Mapped[Sealed] = mapped_column(SealedBytes, nullable=False)


class CodingQuery(TenantMixin, Base):
    __tablename__ = "coding_query"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "encounter_id"], ["encounter.tenant_id", "encounter.id"],
                                ondelete="CASCADE"),
    )

    encounter_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, default="open")
    opened_by: Mapped[str] = mapped_column(sa.Text, nullable=False)
    opened_at: Mapped[datetime] = created_at_column()
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class CodingQueryMessage(TenantMixin, Base):
    __tablename__ = "coding_query_message"
    __table_args__ = (
        sa.ForeignKeyConstraint(["tenant_id", "query_id"], ["coding_query.tenant_id", "coding_query.id"],
                                ondelete="CASCADE"),
    )

    query_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    author: Mapped[str] = mapped_column(sa.Text, nullable=False)
    author_role: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body: Mapped[Sealed] = mapped_column(SealedBytes, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
