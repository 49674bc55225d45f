"""Coding rules. Services never commit: the request's or job's unit of work does.

* Changing codes keeps the history: each change records the codes before and
  after, who (actor and role) and why (sealed: a coder's reason may quote the
  chart). The first change's ``before`` is what the practice sent.
* Codes are checked against the code set in force on each line's date of service:
  billable ICD-10-CM only, CPT format / HCPCS release, known modifiers.
* Marking an encounter coded re-validates everything, prices lines that have no
  charge from the practice's fee schedule and refuses when a line has no price.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy.orm import Session

from agency.api.problems import Conflict, NotFound, Unprocessable
from agency.codesets.service import normalize_icd10
from agency.coding.models import CodingChange, CodingQuery, CodingQueryMessage
from agency.coding.repository import CodingRepository
from agency.db.base import new_id
from agency.encounters.models import Encounter, EncounterDiagnosis, EncounterLine
from agency.encounters.service import CodeValidator
from agency.identity.policy import Principal, Role
from agency.practices.setup import fee_for
from tenants.crypto.keyring import PhiCipher

CODABLE = ("to_code",)
# Who answers queries: the practice's people and its machines (an EHR's token).
PRACTICE_SIDE = frozenset({Role.PRACTICE_ADMIN, Role.PRACTICE_USER, Role.API_TOKEN})
MAX_TEXT = 4000


@dataclass(frozen=True)
class LineCodes:
    line_number: int
    procedure_code: str
    modifiers: list[str] = field(default_factory=list)
    units: Decimal | None = None
    diagnosis_pointers: list[int] = field(default_factory=lambda: [1])


@dataclass(frozen=True)
class CodeSet:
    diagnoses: list[str]
    lines: list[LineCodes]


def _problems(errors: list[dict]) -> Unprocessable:
    return Unprocessable("Some codes are not valid; see errors.", extra={"errors": errors})


def _err(key: str, message: str) -> dict:
    return {"key": key, "source": "body", "message": message}


def snapshot(repo: CodingRepository, encounter_id: uuid.UUID) -> dict:
    """The encounter's codes as a PHI-free dict (codes, modifiers, units, pointers)."""
    return {
        "diagnoses": [d.code for d in repo.diagnoses(encounter_id)],
        "lines": [{"line_number": ln.line_number, "procedure_code": ln.procedure_code,
                   "modifiers": list(ln.modifiers), "units": str(ln.units),
                   "diagnosis_pointers": list(ln.diagnosis_pointers)} for ln in repo.lines(encounter_id)],
    }


def _check(codes: CodeSet, lines: dict[int, EncounterLine], enc: Encounter, validator: CodeValidator) -> list[dict]:
    errors: list[dict] = []
    if not 1 <= len(codes.diagnoses) <= 12:
        errors.append(_err("diagnoses", "an encounter needs 1 to 12 diagnoses"))
    if len(set(codes.diagnoses)) != len(codes.diagnoses):
        errors.append(_err("diagnoses", "the same diagnosis is listed twice"))
    for i, code in enumerate(codes.diagnoses):
        check = validator.validate_diagnosis(code, enc.date_of_service_from)
        if not check.ok:
            errors.append(_err(f"diagnoses[{i}]", check.reason or "not a valid diagnosis code"))
    seen: set[int] = set()
    for i, lc in enumerate(codes.lines):
        path = f"lines[{i}]"
        line = lines.get(lc.line_number)
        if line is None:
            errors.append(_err(f"{path}.line_number", f"the encounter has no line {lc.line_number}"))
            continue
        if lc.line_number in seen:
            errors.append(_err(f"{path}.line_number", f"line {lc.line_number} is listed twice"))
        seen.add(lc.line_number)
        check = validator.validate_procedure(lc.procedure_code, line.date_of_service)
        if not check.ok:
            errors.append(_err(f"{path}.procedure_code", check.reason or "not a valid procedure code"))
        if len(lc.modifiers) > 4:
            errors.append(_err(f"{path}.modifiers", "at most four modifiers per line"))
        for j, mod in enumerate(lc.modifiers):
            mcheck = validator.validate_modifier(mod, line.date_of_service)
            if not mcheck.ok:
                errors.append(_err(f"{path}.modifiers[{j}]", mcheck.reason or "not a known modifier"))
        if not 1 <= len(lc.diagnosis_pointers) <= 4:
            errors.append(_err(f"{path}.diagnosis_pointers", "a line points at 1 to 4 diagnoses"))
        for j, p in enumerate(lc.diagnosis_pointers):
            if not 1 <= p <= len(codes.diagnoses):
                errors.append(_err(f"{path}.diagnosis_pointers[{j}]",
                                   f"points at diagnosis {p}, but the encounter has {len(codes.diagnoses)}"))
        if lc.units is not None and lc.units <= 0:
            errors.append(_err(f"{path}.units", "units must be greater than zero"))
    return errors


def change_codes(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, principal: Principal,
                 encounter_id: uuid.UUID, codes: CodeSet, reason: str, validator: CodeValidator) -> CodingChange:
    """Replace the encounter's diagnoses and the codes of the named lines; record the change."""
    if not reason.strip() or len(reason) > MAX_TEXT:
        raise Unprocessable("A reason (1-4000 characters) is required for every code change.",
                            extra={"errors": [_err("reason", "required, at most 4000 characters")]})
    repo = CodingRepository(session, tenant_id)
    enc = repo.encounter_for_update(encounter_id)
    if enc is None:
        raise NotFound()
    if enc.status not in CODABLE:
        raise Conflict(f"The encounter is {enc.status}; only encounters to code can be changed.")
    codes = CodeSet([normalize_icd10(d) for d in codes.diagnoses],
                    [LineCodes(lc.line_number, lc.procedure_code.strip().upper(),
                               [m.strip().upper() for m in lc.modifiers], lc.units, list(lc.diagnosis_pointers))
                     for lc in codes.lines])
    lines = {ln.line_number: ln for ln in repo.lines(encounter_id)}
    errors = _check(codes, lines, enc, validator)
    if errors:
        raise _problems(errors)
    before = snapshot(repo, encounter_id)
    repo.delete_diagnoses(encounter_id)
    session.flush()
    for pos, code in enumerate(codes.diagnoses, start=1):
        repo.add(EncounterDiagnosis(tenant_id=tenant_id, id=new_id(), encounter_id=encounter_id,
                                    position=pos, code=code))
    for lc in codes.lines:
        line = lines[lc.line_number]
        line.procedure_code, line.modifiers = lc.procedure_code, lc.modifiers
        line.diagnosis_pointers = lc.diagnosis_pointers
        if lc.units is not None:
            line.units = lc.units
    enc.updated_at = datetime.now(timezone.utc)
    session.flush()
    change_id = new_id()
    change = CodingChange(tenant_id=tenant_id, id=change_id, encounter_id=encounter_id,
                          seq=repo.last_change_seq(encounter_id) + 1, actor=principal.actor,
                          actor_role=principal.role.value, before=before, after=snapshot(repo, encounter_id),
                          reason=cipher.seal_text(tenant_id, "coding_change", "reason", change_id, reason.strip()))
    repo.add(change)
    session.flush()
    return change


@dataclass(frozen=True)
class CodedResult:
    encounter_id: uuid.UUID
    priced_lines: list[int]


def mark_coded(session: Session, tenant_id: uuid.UUID, encounter_id: uuid.UUID,
               validator: CodeValidator) -> CodedResult:
    """to_code -> coded: every code valid on its date of service, every line priced
    (missing charges come from the fee schedule), no open query."""
    repo = CodingRepository(session, tenant_id)
    enc = repo.encounter_for_update(encounter_id)
    if enc is None:
        raise NotFound()
    if enc.status != "to_code":
        raise Conflict(f"The encounter is {enc.status}, not waiting to be coded.")
    if any(q.status != "closed" for q in repo.queries(None, encounter_id)):
        raise Conflict("The encounter has an open query to the practice; close it before marking it coded.")
    lines = repo.lines(encounter_id)
    current = CodeSet([d.code for d in repo.diagnoses(encounter_id)],
                      [LineCodes(ln.line_number, ln.procedure_code, list(ln.modifiers), ln.units,
                                 list(ln.diagnosis_pointers)) for ln in lines])
    errors = _check(current, {ln.line_number: ln for ln in lines}, enc, validator)
    priced: list[int] = []
    for i, ln in enumerate(lines):
        if ln.charge is not None:
            continue
        fee = fee_for(session, tenant_id, ln.procedure_code, ln.modifiers, ln.date_of_service)
        if fee is None:
            errors.append(_err(f"lines[{i}].charge", f"line {ln.line_number} has no charge and the fee schedule "
                                                    f"has no price for {ln.procedure_code} on its date of service"))
            continue
        ln.charge = (fee * ln.units).quantize(Decimal("0.01"))
        priced.append(ln.line_number)
    if errors:
        raise _problems(errors)
    enc.status = "coded"
    enc.updated_at = datetime.now(timezone.utc)
    session.flush()
    return CodedResult(encounter_id, priced)


# --- queries to the practice ---------------------------------------------------------

def _text(value: str, what: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_TEXT:
        raise Unprocessable(f"The {what} must be 1-4000 characters.",
                            extra={"errors": [_err(what, "required, at most 4000 characters")]})
    return value


def raise_query(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, principal: Principal,
                encounter_id: uuid.UUID, question: str) -> CodingQuery:
    repo = CodingRepository(session, tenant_id)
    enc = repo.encounter_for_update(encounter_id)
    if enc is None:
        raise NotFound()
    if enc.status != "to_code":
        raise Conflict(f"The encounter is {enc.status}; queries are for encounters waiting to be coded.")
    query = CodingQuery(tenant_id=tenant_id, id=new_id(), encounter_id=encounter_id, status="open",
                        opened_by=principal.actor)
    repo.add(query)
    session.flush()
    add_message(session, cipher, tenant_id, principal, query, _text(question, "question"))
    return query


def add_message(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, principal: Principal,
                query: CodingQuery, body: str) -> CodingQueryMessage:
    """A message in the thread. A practice user's message answers the query; a
    coder's message re-opens it."""
    if query.status == "closed":
        raise Conflict("The query is closed.")
    mid = new_id()
    msg = CodingQueryMessage(tenant_id=tenant_id, id=mid, query_id=query.id, author=principal.actor,
                             author_role=principal.role.value,
                             body=cipher.seal_text(tenant_id, "coding_query_message", "body", mid,
                                                   _text(body, "message")))
    CodingRepository(session, tenant_id).add(msg)
    query.status = "answered" if principal.role in PRACTICE_SIDE else "open"
    session.flush()
    return msg


def close_query(session: Session, tenant_id: uuid.UUID, query_id: uuid.UUID) -> CodingQuery:
    query = CodingRepository(session, tenant_id).query(query_id)
    if query is None:
        raise NotFound()
    if query.status != "closed":
        query.status, query.closed_at = "closed", datetime.now(timezone.utc)
        session.flush()
    return query


def open_message(cipher: PhiCipher, msg: CodingQueryMessage) -> str:
    return cipher.open_text(msg.tenant_id, "coding_query_message", "body", msg.id, msg.body)


def open_reason(cipher: PhiCipher, change: CodingChange) -> str:
    return cipher.open_text(change.tenant_id, "coding_change", "reason", change.id, change.reason)
