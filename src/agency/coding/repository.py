"""Every query of the coding workflow (tenant-filtered; RLS is the backstop)."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.coding.models import CodingChange, CodingQuery, CodingQueryMessage
from agency.encounters.models import Encounter, EncounterDiagnosis, EncounterLine


class CodingRepository:
    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def add(self, obj: object) -> None:
        if getattr(obj, "tenant_id", None) != self.tenant_id:
            raise ValueError("object belongs to another practice")
        self.session.add(obj)

    def encounter_for_update(self, encounter_id: uuid.UUID) -> Encounter | None:
        """Locked: two coders saving at once are serialised, not interleaved."""
        return self.session.scalar(sa.select(Encounter).where(
            Encounter.tenant_id == self.tenant_id, Encounter.id == encounter_id).with_for_update())

    def queue(self, statuses: tuple[str, ...], after: tuple[date, uuid.UUID] | None,
              limit: int) -> list[tuple[Encounter, int]]:
        """Encounters in ``statuses``, oldest date of service first (then id), after the
        ``(date, id)`` key of the previous page, with their open-query count."""
        open_queries = (sa.select(sa.func.count()).select_from(CodingQuery)
                        .where(CodingQuery.tenant_id == Encounter.tenant_id,
                               CodingQuery.encounter_id == Encounter.id, CodingQuery.status != "closed")
                        .correlate(Encounter).scalar_subquery())
        stmt = (sa.select(Encounter, open_queries).where(Encounter.tenant_id == self.tenant_id,
                                                         Encounter.status.in_(statuses))
                .order_by(Encounter.date_of_service_from, Encounter.id).limit(limit + 1))
        if after is not None:
            stmt = stmt.where(sa.tuple_(Encounter.date_of_service_from, Encounter.id) > sa.tuple_(*after))
        return [(row[0], row[1]) for row in self.session.execute(stmt)]

    def diagnoses(self, encounter_id: uuid.UUID) -> list[EncounterDiagnosis]:
        return list(self.session.scalars(sa.select(EncounterDiagnosis).where(
            EncounterDiagnosis.tenant_id == self.tenant_id, EncounterDiagnosis.encounter_id == encounter_id)
            .order_by(EncounterDiagnosis.position)))

    def lines(self, encounter_id: uuid.UUID) -> list[EncounterLine]:
        return list(self.session.scalars(sa.select(EncounterLine).where(
            EncounterLine.tenant_id == self.tenant_id, EncounterLine.encounter_id == encounter_id)
            .order_by(EncounterLine.line_number)))

    def delete_diagnoses(self, encounter_id: uuid.UUID) -> None:
        self.session.execute(sa.delete(EncounterDiagnosis).where(
            EncounterDiagnosis.tenant_id == self.tenant_id, EncounterDiagnosis.encounter_id == encounter_id))

    def changes(self, encounter_id: uuid.UUID) -> list[CodingChange]:
        return list(self.session.scalars(sa.select(CodingChange).where(
            CodingChange.tenant_id == self.tenant_id, CodingChange.encounter_id == encounter_id)
            .order_by(CodingChange.seq)))

    def last_change_seq(self, encounter_id: uuid.UUID) -> int:
        return self.session.scalar(sa.select(sa.func.coalesce(sa.func.max(CodingChange.seq), 0)).where(
            CodingChange.tenant_id == self.tenant_id, CodingChange.encounter_id == encounter_id))

    def query(self, query_id: uuid.UUID) -> CodingQuery | None:
        return self.session.scalar(sa.select(CodingQuery).where(
            CodingQuery.tenant_id == self.tenant_id, CodingQuery.id == query_id))

    def queries(self, status: str | None, encounter_id: uuid.UUID | None) -> list[CodingQuery]:
        stmt = sa.select(CodingQuery).where(CodingQuery.tenant_id == self.tenant_id)
        if status:
            stmt = stmt.where(CodingQuery.status == status)
        if encounter_id:
            stmt = stmt.where(CodingQuery.encounter_id == encounter_id)
        return list(self.session.scalars(stmt.order_by(CodingQuery.opened_at, CodingQuery.id)))

    def messages(self, query_id: uuid.UUID) -> list[CodingQueryMessage]:
        return list(self.session.scalars(sa.select(CodingQueryMessage).where(
            CodingQueryMessage.tenant_id == self.tenant_id, CodingQueryMessage.query_id == query_id)
            .order_by(CodingQueryMessage.created_at, CodingQueryMessage.id)))
