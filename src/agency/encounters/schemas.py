"""Request and response shapes of the encounter and intake routes.

Request structs forbid unknown fields (no mass assignment of ``status``,
``tenant_id``, ``source``...). Responses allow-list fields; lists carry no note
and no file names.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import msgspec

from agency.codesets.service import icd10_display
from agency.encounters import service
from agency.encounters.models import Encounter, EncounterAttachment, EncounterLine


class PatientRefIn(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID | None = None
    mrn: str | None = msgspec.field(default=None)
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    sex: str | None = None
    payer_code: str | None = None
    member_id: str | None = None


class ProviderRefIn(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID | None = None
    npi: str | None = None


class LocationRefIn(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID | None = None
    code: str | None = None


class LineIn(msgspec.Struct, forbid_unknown_fields=True):
    procedure_code: str
    modifiers: list[str] = []
    units: Decimal | None = None
    charge: Decimal | None = None
    diagnosis_pointers: list[int] | None = None
    ndc: str | None = None
    ndc_unit: str | None = None
    ndc_quantity: Decimal | None = None
    date_of_service: date | None = None


class EncounterIn(msgspec.Struct, forbid_unknown_fields=True):
    patient: PatientRefIn
    rendering_provider: ProviderRefIn
    date_of_service_from: date
    diagnoses: list[str]
    lines: list[LineIn]
    date_of_service_to: date | None = None
    service_location: LocationRefIn | None = None
    place_of_service: str | None = None
    note: str | None = None
    external_id: str | None = None
    final_codes: bool = False

    def encounter_input(self) -> service.EncounterInput:
        loc = self.service_location
        return service.EncounterInput(
            date_of_service_from=self.date_of_service_from, date_of_service_to=self.date_of_service_to,
            diagnoses=list(self.diagnoses),
            lines=[service.LineInput(procedure_code=ln.procedure_code, units=ln.units, modifiers=list(ln.modifiers),
                                     charge=ln.charge, diagnosis_pointers=ln.diagnosis_pointers, ndc=ln.ndc,
                                     ndc_unit=ln.ndc_unit, ndc_quantity=ln.ndc_quantity,
                                     date_of_service=ln.date_of_service) for ln in self.lines],
            rendering_provider_id=self.rendering_provider.id, rendering_provider_npi=self.rendering_provider.npi,
            service_location_id=loc.id if loc else None, service_location_code=loc.code if loc else None,
            place_of_service=self.place_of_service, note=self.note, external_id=self.external_id,
            final_codes=self.final_codes)

    def patient_input(self) -> service.PatientInput:
        p = self.patient
        return service.PatientInput(id=p.id, mrn=p.mrn, first_name=p.first_name, last_name=p.last_name,
                                    date_of_birth=p.date_of_birth, sex=p.sex, payer_code=p.payer_code,
                                    member_id=p.member_id)


class AttachmentIn(msgspec.Struct, forbid_unknown_fields=True):
    filename: str
    content_type: str
    content_base64: str


class CsvUploadIn(msgspec.Struct, forbid_unknown_fields=True):
    """JSON form of a CSV upload (raw ``text/csv`` and multipart are accepted too)."""

    content: str
    filename: str | None = None
    final_codes: bool = False


class LineOut(msgspec.Struct):
    line_number: int
    procedure_code: str
    modifiers: list[str]
    units: str
    charge: str | None
    diagnosis_pointers: list[int]
    ndc: str | None
    ndc_unit: str | None
    ndc_quantity: str | None
    date_of_service: date

    @classmethod
    def of(cls, ln: EncounterLine) -> "LineOut":
        return cls(ln.line_number, ln.procedure_code, list(ln.modifiers), str(ln.units),
                   None if ln.charge is None else str(ln.charge), list(ln.diagnosis_pointers), ln.ndc, ln.ndc_unit,
                   None if ln.ndc_quantity is None else str(ln.ndc_quantity), ln.date_of_service)


class AttachmentOut(msgspec.Struct):
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime | None


class EncounterSummaryOut(msgspec.Struct):
    id: uuid.UUID
    patient_id: uuid.UUID
    rendering_provider_id: uuid.UUID
    service_location_id: uuid.UUID | None
    place_of_service: str
    date_of_service_from: date
    date_of_service_to: date
    status: str
    source: str
    external_id: str | None
    duplicate_flag: bool
    duplicate_of: uuid.UUID | None
    intake_batch_id: uuid.UUID | None
    created_at: datetime | None

    @classmethod
    def of(cls, e: Encounter) -> "EncounterSummaryOut":
        return cls(e.id, e.patient_id, e.rendering_provider_id, e.service_location_id, e.place_of_service,
                   e.date_of_service_from, e.date_of_service_to, e.status, e.source, e.external_id,
                   bool(e.duplicate_flag), e.duplicate_of, e.intake_batch_id, e.created_at)


class EncounterOut(EncounterSummaryOut):
    diagnoses: list[str] = []
    lines: list[LineOut] = []
    note: str | None = None
    attachments: list[AttachmentOut] = []

    @classmethod
    def view(cls, v: service.EncounterView, attachment_names: dict[uuid.UUID, str]) -> "EncounterOut":
        base = EncounterSummaryOut.of(v.encounter)
        return cls(**{f: getattr(base, f) for f in base.__struct_fields__},
                   diagnoses=[icd10_display(d.code) for d in v.diagnoses], lines=[LineOut.of(ln) for ln in v.lines],
                   note=v.note, attachments=[attachment_out(a, attachment_names[a.id]) for a in v.attachments])


def attachment_out(a: EncounterAttachment, name: str) -> AttachmentOut:
    return AttachmentOut(a.id, name, a.content_type, a.size_bytes, a.sha256, a.created_at)


class EncounterPageOut(msgspec.Struct):
    items: list[EncounterSummaryOut]
    next_cursor: str | None


class BatchOut(msgspec.Struct):
    id: uuid.UUID
    status: str
    rows_total: int
    rows_done: int
    rows_imported: int
    rows_failed: int
    encounters_created: int
    duplicates_flagged: int
    progress: float
    sha256: str
    size_bytes: int
    final_codes: bool
    failure: str | None
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    errors_url: str
