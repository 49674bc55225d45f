"""Every query on the payer directory. Filtered by agency explicitly; the agency
policy (RLS) is the backstop."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.payers.models import Payer


class PayerRepository:
    def __init__(self, session: Session, agency_id: uuid.UUID) -> None:
        self.session = session
        self.agency_id = agency_id

    def add(self, payer: Payer) -> None:
        if payer.agency_id != self.agency_id:
            raise ValueError("payer belongs to another agency")
        self.session.add(payer)

    def get(self, payer_id: uuid.UUID) -> Payer | None:
        return self.session.scalar(sa.select(Payer).where(Payer.agency_id == self.agency_id, Payer.id == payer_id))

    def by_code(self, payer_code: str) -> Payer | None:
        return self.session.scalar(sa.select(Payer).where(Payer.agency_id == self.agency_id,
                                                          Payer.payer_code == payer_code))

    def many(self, payer_ids: set[uuid.UUID]) -> dict[uuid.UUID, Payer]:
        if not payer_ids:
            return {}
        rows = self.session.scalars(sa.select(Payer).where(Payer.agency_id == self.agency_id,
                                                           Payer.id.in_(payer_ids)))
        return {p.id: p for p in rows}

    def page(self, after: tuple[str, uuid.UUID] | None, limit: int, *, active_only: bool = False,
             search: str | None = None) -> list[Payer]:
        """Ordered by (name, id); ``limit + 1`` rows so the caller knows whether there is more."""
        stmt = sa.select(Payer).where(Payer.agency_id == self.agency_id)
        if active_only:
            stmt = stmt.where(Payer.active.is_(True))
        if search:
            like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(sa.or_(Payer.name.ilike(like, escape="\\"), Payer.payer_code.ilike(like, escape="\\")))
        if after is not None:
            stmt = stmt.where(sa.tuple_(Payer.name, Payer.id) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
        return list(self.session.scalars(stmt.order_by(Payer.name, Payer.id).limit(limit + 1)))
