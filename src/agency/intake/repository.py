"""Every query on intake batches and row errors (tenant-filtered; RLS is the backstop)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.intake.models import IntakeBatch, IntakeError


class IntakeRepository:
    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def add(self, batch: IntakeBatch) -> None:
        if batch.tenant_id != self.tenant_id:
            raise ValueError("batch belongs to another practice")
        self.session.add(batch)

    def get(self, batch_id: uuid.UUID) -> IntakeBatch | None:
        return self.session.scalar(sa.select(IntakeBatch).where(
            IntakeBatch.tenant_id == self.tenant_id, IntakeBatch.id == batch_id)
            .execution_options(populate_existing=True))

    def lock(self, batch_id: uuid.UUID) -> IntakeBatch | None:
        """The batch row FOR UPDATE: one chunk at a time per batch, whoever runs it."""
        return self.session.scalar(sa.select(IntakeBatch).where(
            IntakeBatch.tenant_id == self.tenant_id, IntakeBatch.id == batch_id)
            .with_for_update().execution_options(populate_existing=True))

    def by_sha256(self, digest: str) -> IntakeBatch | None:
        return self.session.scalar(sa.select(IntakeBatch).where(
            IntakeBatch.tenant_id == self.tenant_id, IntakeBatch.sha256 == digest))

    def errors(self, batch_id: uuid.UUID) -> list[IntakeError]:
        return list(self.session.scalars(sa.select(IntakeError).where(
            IntakeError.tenant_id == self.tenant_id, IntakeError.batch_id == batch_id)
            .order_by(IntakeError.row_number, IntakeError.seq)))

    def page(self, after: uuid.UUID | None, limit: int) -> list[IntakeBatch]:
        stmt = sa.select(IntakeBatch).where(IntakeBatch.tenant_id == self.tenant_id)
        if after is not None:
            stmt = stmt.where(IntakeBatch.id < after)
        return list(self.session.scalars(stmt.order_by(IntakeBatch.id.desc()).limit(limit + 1)))
