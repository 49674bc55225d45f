"""All queries on the audit tables. Tenant-bound sessions for the per-practice
chain; agency-bound for agency administration events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from agency.audit.chain import GENESIS
from agency.audit.models import AgencyAuditEvent, AuditChainHead, AuditEvent


class AuditRepository:
    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def lock_head(self) -> AuditChainHead:
        """The chain head, locked until the transaction ends: appends to one
        practice's chain are serialised."""
        self.session.execute(insert(AuditChainHead).values(tenant_id=self.tenant_id, seq=0, hash=GENESIS)
                             .on_conflict_do_nothing(index_elements=["tenant_id"]))
        return self.session.scalars(sa.select(AuditChainHead).where(AuditChainHead.tenant_id == self.tenant_id)
                                    .with_for_update().execution_options(populate_existing=True)).one()

    def head(self) -> AuditChainHead | None:
        return self.session.scalar(sa.select(AuditChainHead).where(AuditChainHead.tenant_id == self.tenant_id))

    def add(self, event: AuditEvent) -> None:
        self.session.add(event)

    def chain(self, batch: int = 1000) -> Iterator[AuditEvent]:
        stmt = (sa.select(AuditEvent).where(AuditEvent.tenant_id == self.tenant_id).order_by(AuditEvent.seq)
                .execution_options(yield_per=batch))
        yield from self.session.scalars(stmt)

    def query(self, *, user_id: str | None, resource_type: str | None, resource_id: str | None,
              since: datetime | None, until: datetime | None, before: tuple[datetime, uuid.UUID] | None,
              limit: int) -> list[AuditEvent]:
        stmt = sa.select(AuditEvent).where(AuditEvent.tenant_id == self.tenant_id)
        if user_id is not None:
            stmt = stmt.where(AuditEvent.actor_id == user_id)
        if resource_type is not None:
            stmt = stmt.where(AuditEvent.resource_type == resource_type)
        if resource_id is not None:
            stmt = stmt.where(AuditEvent.resource_id == resource_id)
        if since is not None:
            stmt = stmt.where(AuditEvent.occurred_at >= since)
        if until is not None:
            stmt = stmt.where(AuditEvent.occurred_at < until)
        if before is not None:
            stmt = stmt.where(sa.tuple_(AuditEvent.occurred_at, AuditEvent.id) < sa.tuple_(*before))
        stmt = stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)
        return list(self.session.scalars(stmt))


def add_agency_event(session: Session, event: AgencyAuditEvent) -> None:
    session.add(event)
