"""Every query on encounters (tenant-filtered explicitly; RLS is the backstop)."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.encounters.models import Encounter, EncounterAttachment, EncounterDiagnosis, EncounterLine
from agency.payers.models import Payer
from agency.practices.models import RenderingProvider, ServiceLocation


class EncounterRepository:
    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def add(self, obj: object) -> None:
        if getattr(obj, "tenant_id", None) != self.tenant_id:
            raise ValueError("object belongs to another practice")
        self.session.add(obj)

    def get(self, encounter_id: uuid.UUID) -> Encounter | None:
        return self.session.scalar(sa.select(Encounter).where(Encounter.tenant_id == self.tenant_id,
                                                              Encounter.id == encounter_id))

    def diagnoses(self, encounter_id: uuid.UUID) -> list[EncounterDiagnosis]:
        return list(self.session.scalars(sa.select(EncounterDiagnosis).where(
            EncounterDiagnosis.tenant_id == self.tenant_id, EncounterDiagnosis.encounter_id == encounter_id)
            .order_by(EncounterDiagnosis.position)))

    def lines(self, encounter_id: uuid.UUID) -> list[EncounterLine]:
        return list(self.session.scalars(sa.select(EncounterLine).where(
            EncounterLine.tenant_id == self.tenant_id, EncounterLine.encounter_id == encounter_id)
            .order_by(EncounterLine.line_number)))

    def attachments(self, encounter_id: uuid.UUID) -> list[EncounterAttachment]:
        return list(self.session.scalars(sa.select(EncounterAttachment).where(
            EncounterAttachment.tenant_id == self.tenant_id, EncounterAttachment.encounter_id == encounter_id)
            .order_by(EncounterAttachment.id)))

    def attachment(self, encounter_id: uuid.UUID, attachment_id: uuid.UUID) -> EncounterAttachment | None:
        return self.session.scalar(sa.select(EncounterAttachment).where(
            EncounterAttachment.tenant_id == self.tenant_id, EncounterAttachment.encounter_id == encounter_id,
            EncounterAttachment.id == attachment_id))

    def page(self, *, after: uuid.UUID | None, limit: int, status: str | None = None,
             dos_from: date | None = None, dos_to: date | None = None,
             batch_id: uuid.UUID | None = None) -> list[Encounter]:
        """Newest first by id (UUIDv7 = creation order); ``limit + 1`` rows."""
        stmt = sa.select(Encounter).where(Encounter.tenant_id == self.tenant_id)
        if status:
            stmt = stmt.where(Encounter.status == status)
        if dos_from:
            stmt = stmt.where(Encounter.date_of_service_from >= dos_from)
        if dos_to:
            stmt = stmt.where(Encounter.date_of_service_from <= dos_to)
        if batch_id:
            stmt = stmt.where(Encounter.intake_batch_id == batch_id)
        if after is not None:
            stmt = stmt.where(Encounter.id < after)
        return list(self.session.scalars(stmt.order_by(Encounter.id.desc()).limit(limit + 1)))

    def first_by_dedup_keys(self, keys: set[str]) -> dict[str, uuid.UUID]:
        if not keys:
            return {}
        # the oldest per key: UUIDv7 text sorts in creation order
        rows = self.session.execute(sa.select(Encounter.dedup_key, sa.func.min(sa.cast(Encounter.id, sa.Text))).where(
            Encounter.tenant_id == self.tenant_id, Encounter.dedup_key.in_(keys), Encounter.status != "void")
            .group_by(Encounter.dedup_key))
        return {k: uuid.UUID(i) for k, i in rows}

    def by_external_ids(self, ids: set[str]) -> dict[str, tuple[uuid.UUID, uuid.UUID | None]]:
        """external id -> (encounter id, intake batch id)."""
        if not ids:
            return {}
        rows = self.session.execute(sa.select(Encounter.external_id, Encounter.id, Encounter.intake_batch_id).where(
            Encounter.tenant_id == self.tenant_id, Encounter.external_id.in_(ids)))
        return {e: (i, b) for e, i, b in rows}

    def count_for_batch(self, batch_id: uuid.UUID) -> int:
        return self.session.scalar(sa.select(sa.func.count()).select_from(Encounter).where(
            Encounter.tenant_id == self.tenant_id, Encounter.intake_batch_id == batch_id)) or 0

    # --- practice setup and payers (read-only lookups for intake) ------------
    def providers(self) -> list[RenderingProvider]:
        return list(self.session.scalars(sa.select(RenderingProvider).where(
            RenderingProvider.tenant_id == self.tenant_id)))

    def locations(self) -> list[ServiceLocation]:
        return list(self.session.scalars(sa.select(ServiceLocation).where(
            ServiceLocation.tenant_id == self.tenant_id)))

    def payers(self, agency_id: uuid.UUID) -> list[Payer]:
        return list(self.session.scalars(sa.select(Payer).where(Payer.agency_id == agency_id)))
