"""Request and response shapes of the claim routes (write shapes forbid unknown fields)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import msgspec


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class BuildIn(Strict):
    encounter_id: uuid.UUID


class CorrectionIn(Strict):
    frequency: str  # "7" corrected/replacement, "8" void
    payer_claim_number: str | None = None


class Reason(msgspec.Struct, kw_only=True):
    rule_id: str
    severity: str
    message: str
    field: str | None = None
    line_number: int | None = None


class LineOut(msgspec.Struct, kw_only=True):
    line_number: int
    line_control_number: str
    procedure_code: str
    modifiers: list[str]
    units: Decimal
    charge: Decimal
    diagnosis_pointers: list[int]
    date_of_service: date
    ndc: str | None


class ClaimOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    practice_id: uuid.UUID
    encounter_id: uuid.UUID
    patient_id: uuid.UUID
    payer_id: uuid.UUID
    sequence: int
    kind: str
    pcn: str
    revision: int
    frequency: str
    original_claim_id: uuid.UUID | None
    payer_claim_number: str | None
    state: str
    total_charge: Decimal
    date_of_service_from: date
    date_of_service_to: date
    hold_reasons: list[Reason]
    warnings: list[Reason]
    last_reason: str | None
    submission_attempt: int
    created_at: datetime
    updated_at: datetime
    lines: list[LineOut] | None = None

    @classmethod
    def of(cls, c, lines=None) -> "ClaimOut":  # noqa: ANN001
        def reasons(xs):  # noqa: ANN001, ANN202
            return [Reason(rule_id=r.get("rule_id", ""), severity=r.get("severity", "error"),
                           message=r.get("message", ""), field=r.get("field"), line_number=r.get("line_number"))
                    for r in (xs or [])]
        return cls(id=c.id, practice_id=c.tenant_id, encounter_id=c.encounter_id, patient_id=c.patient_id,
                   payer_id=c.payer_id, sequence=c.sequence, kind=c.kind, pcn=c.pcn, revision=c.revision,
                   frequency=c.frequency, original_claim_id=c.original_claim_id,
                   payer_claim_number=c.payer_claim_number, state=c.state, total_charge=c.total_charge,
                   date_of_service_from=c.date_of_service_from, date_of_service_to=c.date_of_service_to,
                   hold_reasons=reasons(c.hold_reasons), warnings=reasons(c.warnings), last_reason=c.last_reason,
                   submission_attempt=c.submission_attempt, created_at=c.created_at, updated_at=c.updated_at,
                   lines=None if lines is None else [
                       LineOut(line_number=ln.line_number, line_control_number=ln.line_control_number,
                               procedure_code=ln.procedure_code, modifiers=list(ln.modifiers), units=ln.units,
                               charge=ln.charge, diagnosis_pointers=list(ln.diagnosis_pointers),
                               date_of_service=ln.date_of_service, ndc=ln.ndc) for ln in lines])


class ClaimPage(msgspec.Struct, kw_only=True):
    items: list[ClaimOut]
    next_cursor: str | None


class EventOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    from_state: str | None
    to_state: str
    at: datetime
    actor: str
    reason_code: str | None
    reason_text: str | None
    interchange_id: uuid.UUID | None
    inbound_file_id: uuid.UUID | None

    @classmethod
    def of(cls, e) -> "EventOut":  # noqa: ANN001
        return cls(id=e.id, from_state=e.from_state, to_state=e.to_state, at=e.at, actor=e.actor,
                   reason_code=e.reason_code, reason_text=e.reason_text, interchange_id=e.interchange_id,
                   inbound_file_id=e.inbound_file_id)
