"""Every query of the clearinghouse area (agency-bound sessions: RLS keeps agencies apart)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.clearinghouse.models import ClearinghouseConnection


class ConnectionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, conn: ClearinghouseConnection) -> None:
        self.session.add(conn)

    def get(self, agency_id: uuid.UUID, connection_id: uuid.UUID) -> ClearinghouseConnection | None:
        return self.session.scalars(sa.select(ClearinghouseConnection).where(
            ClearinghouseConnection.agency_id == agency_id, ClearinghouseConnection.id == connection_id)).first()

    def page(self, agency_id: uuid.UUID, after: uuid.UUID | None, limit: int) -> list[ClearinghouseConnection]:
        q = sa.select(ClearinghouseConnection).where(ClearinghouseConnection.agency_id == agency_id)
        if after is not None:
            q = q.where(ClearinghouseConnection.id > after)
        return list(self.session.scalars(q.order_by(ClearinghouseConnection.id).limit(limit + 1)))

    def delete(self, conn: ClearinghouseConnection) -> None:
        self.session.delete(conn)
