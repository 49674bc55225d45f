"""Declarative base shared by every domain module's models."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from uuid_utils.compat import uuid7

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    """UUIDv7: time-ordered (index-friendly) and known before INSERT (needed for AAD)."""
    return uuid7()


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class TenantMixin:
    """Composite primary key ``(tenant_id, id)``; tenant first so the schema can be
    distributed by tenant later and every index is tenant-local."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("practice.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_id)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)
