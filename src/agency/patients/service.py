"""Creating, opening and finding patients. Never commits (the caller's unit of work does).

Lookups by last name + date of birth, MRN or member ID compute the blind index,
fetch the candidates, decrypt them and keep only exact matches: blind indexes
are deliberately short (they collide), so the re-check is what makes a match.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from agency.api.problems import Conflict, NotFound
from agency.db.base import new_id
from agency.payers.service import UnknownPayer, resolve_payer
from agency.practices import validation as v
from agency.practices.validation import Problems
from agency.patients.models import Patient, PatientCoverage
from agency.patients.repository import PatientRepository
from agency.patients.schemas import Address, CoverageData, PatientData, PatientView
from tenants.crypto.blind_index import BlindIndexSpec, normalize_member_id, normalize_mrn, normalize_name_dob
from tenants.crypto.keyring import PhiCipher

NAME_DOB = BlindIndexSpec("patient", "last_name", "name_dob", normalize_name_dob)
MRN = BlindIndexSpec("patient", "mrn", "mrn", normalize_mrn)
MEMBER_ID = BlindIndexSpec("patient_coverage", "member_id", "member_id", normalize_member_id)

_P = "patient"
_C = "patient_coverage"


def create_patient(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, data: PatientData,
                   coverages: list[CoverageData] = ()) -> uuid.UUID:  # type: ignore[assignment]
    pid = new_id()
    t = tenant_id
    patient = Patient(
        tenant_id=t, id=pid,
        mrn=cipher.seal_text(t, _P, "mrn", pid, data.mrn),
        first_name=cipher.seal_text(t, _P, "first_name", pid, data.first_name),
        middle_name=cipher.seal_text(t, _P, "middle_name", pid, data.middle_name),
        last_name=cipher.seal_text(t, _P, "last_name", pid, data.last_name),
        date_of_birth=cipher.seal_date(t, _P, "date_of_birth", pid, data.date_of_birth),
        sex=cipher.seal_text(t, _P, "sex", pid, data.sex),
        address=cipher.seal_text(t, _P, "address", pid,
                                 json.dumps(asdict(data.address)) if data.address else None),
        phone=cipher.seal_text(t, _P, "phone", pid, data.phone),
        email=cipher.seal_text(t, _P, "email", pid, data.email),
        bidx_name_dob=cipher.blind_index(t, NAME_DOB, data.last_name, data.date_of_birth),
        bidx_mrn=cipher.blind_index(t, MRN, data.mrn) if data.mrn else None,
    )
    repo = PatientRepository(session, t)
    repo.add(patient)
    session.flush()  # the coverage's composite FK needs the patient row first
    for cov in coverages:
        add_coverage(session, cipher, t, pid, cov)
    return pid


def add_coverage(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, patient_id: uuid.UUID,
                 cov: CoverageData) -> uuid.UUID:
    cid, t = new_id(), tenant_id
    PatientRepository(session, t).add(PatientCoverage(
        tenant_id=t, id=cid, patient_id=patient_id, rank=cov.rank, payer_id=cov.payer_id,
        member_id=cipher.seal_text(t, _C, "member_id", cid, cov.member_id),
        group_number=cipher.seal_text(t, _C, "group_number", cid, cov.group_number),
        relationship_code=cov.relationship_code,
        subscriber=cipher.seal_text(t, _C, "subscriber", cid,
                                    json.dumps(cov.subscriber, default=str) if cov.subscriber else None),
        bidx_member_id=cipher.blind_index(t, MEMBER_ID, cov.member_id),
        effective_from=cov.effective_from, effective_to=cov.effective_to,
    ))
    return cid


def open_patient(cipher: PhiCipher, p: Patient) -> PatientData:
    t, pid = p.tenant_id, p.id
    address = cipher.open_text(t, _P, "address", pid, p.address)
    return PatientData(
        first_name=cipher.open_text(t, _P, "first_name", pid, p.first_name),
        middle_name=cipher.open_text(t, _P, "middle_name", pid, p.middle_name),
        last_name=cipher.open_text(t, _P, "last_name", pid, p.last_name),
        date_of_birth=cipher.open_date(t, _P, "date_of_birth", pid, p.date_of_birth),
        mrn=cipher.open_text(t, _P, "mrn", pid, p.mrn),
        sex=cipher.open_text(t, _P, "sex", pid, p.sex),
        address=Address(**json.loads(address)) if address else None,
        phone=cipher.open_text(t, _P, "phone", pid, p.phone),
        email=cipher.open_text(t, _P, "email", pid, p.email),
    )


def open_coverage(cipher: PhiCipher, c: PatientCoverage) -> CoverageData:
    t, cid = c.tenant_id, c.id
    subscriber = cipher.open_text(t, _C, "subscriber", cid, c.subscriber)
    return CoverageData(rank=c.rank, payer_id=c.payer_id,
                        member_id=cipher.open_text(t, _C, "member_id", cid, c.member_id),
                        group_number=cipher.open_text(t, _C, "group_number", cid, c.group_number),
                        relationship_code=c.relationship_code,
                        subscriber=json.loads(subscriber) if subscriber else None,
                        effective_from=c.effective_from, effective_to=c.effective_to)


def find_by_name_dob(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, last_name: str,
                     dob: date) -> list[PatientView]:
    bidx = cipher.blind_index(tenant_id, NAME_DOB, last_name, dob)
    found = []
    for p in PatientRepository(session, tenant_id).by_name_dob_index(bidx):
        data = open_patient(cipher, p)
        if NAME_DOB.matches((last_name, dob), (data.last_name, data.date_of_birth)):
            found.append(PatientView(p.id, data))
    return found


def find_by_mrn(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, mrn: str) -> list[PatientView]:
    bidx = cipher.blind_index(tenant_id, MRN, mrn)
    found = []
    for p in PatientRepository(session, tenant_id).by_mrn_index(bidx):
        data = open_patient(cipher, p)
        if data.mrn is not None and MRN.matches(mrn, data.mrn):
            found.append(PatientView(p.id, data))
    return found


def find_by_member_id(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID,
                      member_id: str) -> list[PatientView]:
    repo = PatientRepository(session, tenant_id)
    bidx = cipher.blind_index(tenant_id, MEMBER_ID, member_id)
    found: dict[uuid.UUID, PatientView] = {}
    for c in repo.coverages_by_member_index(bidx):
        cov = open_coverage(cipher, c)
        if MEMBER_ID.matches(member_id, cov.member_id) and c.patient_id not in found:
            p = repo.get(c.patient_id)
            if p is not None:
                found[p.id] = PatientView(p.id, open_patient(cipher, p), [cov])
    return list(found.values())


# --- registration, changes and coverages for the API -------------------------------------
#
# Everything below validates a whole request before writing anything and answers
# every problem at once (422 naming each field, never the value); the caller's unit
# of work rolls back on any error, so a patient with one bad coverage creates nothing.

SEXES = frozenset({"M", "F", "U"})
MAX_SEARCH_RESULTS = 50


def _check_address(p: Problems, key: str, a: Address | None) -> None:
    if a is None:
        return
    p.check(f"{key}.line1", v.text_problem(a.line1, 55))
    if a.line2 is not None:
        p.check(f"{key}.line2", v.text_problem(a.line2, 55))
    p.check(f"{key}.city", v.text_problem(a.city, 30))
    p.check(f"{key}.state", v.state_problem(a.state))
    p.check(f"{key}.zip", v.zip_problem(a.zip))


def check_patient_fields(p: Problems, fields: dict[str, Any], prefix: str = "") -> None:
    """Checks the patient fields present in ``fields`` (plain values, ``address`` an :class:`Address`)."""
    limits = {"first_name": 35, "last_name": 60, "middle_name": 25, "mrn": 30}
    for key, limit in limits.items():
        if key in fields:
            p.check(prefix + key, v.text_problem(fields[key], limit, required=key in ("first_name", "last_name")))
    if "date_of_birth" in fields:
        p.check(prefix + "date_of_birth", v.past_date_problem(fields["date_of_birth"]))
    if fields.get("sex") is not None and fields["sex"] not in SEXES:
        p.add(prefix + "sex", "must be M, F or U")
    if "phone" in fields:
        p.check(prefix + "phone", v.phone_problem(fields["phone"]))
    if "email" in fields:
        p.check(prefix + "email", v.email_problem(fields["email"]))
    if "address" in fields:
        _check_address(p, prefix + "address", fields["address"])


def _address_of(a: Any) -> Address | None:
    if a is None:
        return None
    return Address(line1=a.line1, line2=a.line2, city=a.city, state=a.state, zip=a.zip)


def patient_data_of(data: Any) -> PatientData:
    """A :class:`PatientData` from an API ``PatientIn``."""
    return PatientData(first_name=data.first_name, last_name=data.last_name, date_of_birth=data.date_of_birth,
                       mrn=data.mrn, middle_name=data.middle_name, sex=data.sex, address=_address_of(data.address),
                       phone=data.phone, email=data.email)


def resolve_coverages(session: Session, agency_id: uuid.UUID, coverages: list[Any], p: Problems,
                      prefix: str = "coverages") -> list[CoverageData]:
    """Validate API ``CoverageIn`` items and resolve their payers within the agency.
    Problems go to ``p``; a payer of another agency is reported like an unknown one."""
    out: list[CoverageData] = []
    if len(coverages) > 3:
        p.add(prefix, "at most 3 coverages (primary, secondary, tertiary)")
    seen_ranks: set[int] = set()
    for i, c in enumerate(coverages):
        key = f"{prefix}[{i}]."
        if c.rank not in (1, 2, 3):
            p.add(key + "rank", "must be 1 (primary), 2 (secondary) or 3 (tertiary)")
        elif c.rank in seen_ranks:
            p.add(key + "rank", "each rank may appear only once")
        seen_ranks.add(c.rank)
        p.check(key + "member_id", v.text_problem(c.member_id, 80))
        if c.group_number is not None:
            p.check(key + "group_number", v.text_problem(c.group_number, 50))
        if c.relationship_code not in v.RELATIONSHIP_CODES:
            p.add(key + "relationship_code", "must be an X12 individual relationship code (18 = self, 01, 19, 20, 21, "
                                             "39, 40, 53, G8)")
        subscriber = None
        if c.relationship_code not in v.RELATIONSHIP_CODES:
            pass  # reported above; whether a subscriber is needed depends on a valid code
        elif c.relationship_code == "18":
            if c.subscriber is not None:
                p.add(key + "subscriber", "only when the patient is not the subscriber (relationship_code != 18)")
        elif c.subscriber is None:
            p.add(key + "subscriber", "is required when the patient is not the subscriber (relationship_code != 18)")
        else:
            s = c.subscriber
            sub_key = key + "subscriber."
            p.check(sub_key + "first_name", v.text_problem(s.first_name, 35))
            p.check(sub_key + "last_name", v.text_problem(s.last_name, 60))
            if s.middle_name is not None:
                p.check(sub_key + "middle_name", v.text_problem(s.middle_name, 25))
            p.check(sub_key + "date_of_birth", v.past_date_problem(s.date_of_birth))
            if s.sex is not None and s.sex not in SEXES:
                p.add(sub_key + "sex", "must be M, F or U")
            _check_address(p, sub_key + "address", _address_of(s.address))
            subscriber = {"first_name": s.first_name, "last_name": s.last_name, "middle_name": s.middle_name,
                          "date_of_birth": s.date_of_birth.isoformat() if s.date_of_birth else None, "sex": s.sex,
                          "address": asdict(_address_of(s.address)) if s.address else None}
        p.check(key + "effective_to", v.date_range_problem(c.effective_from, c.effective_to))
        payer_id = None
        try:
            payer_id = resolve_payer(session, agency_id, payer_id=c.payer_id, payer_code=c.payer_code).id
        except UnknownPayer as e:
            p.add(key + ("payer_id" if c.payer_id is not None or c.payer_code is None else "payer_code"), str(e))
        out.append(CoverageData(rank=c.rank, member_id=c.member_id, payer_id=payer_id, group_number=c.group_number,
                                relationship_code=c.relationship_code, subscriber=subscriber,
                                effective_from=c.effective_from, effective_to=c.effective_to))
    return out


def register_patient(session: Session, cipher: PhiCipher, agency_id: uuid.UUID, tenant_id: uuid.UUID,
                     data: Any) -> uuid.UUID:
    """Create a patient and coverages from an API ``PatientIn``, all or nothing."""
    p = Problems()
    patient = patient_data_of(data)
    check_patient_fields(p, asdict(patient) | {"address": patient.address})
    coverages = resolve_coverages(session, agency_id, data.coverages, p)
    p.raise_if_any()
    return create_patient(session, cipher, tenant_id, patient, coverages)


def get_patient(session: Session, tenant_id: uuid.UUID, patient_id: uuid.UUID) -> Patient:
    patient = PatientRepository(session, tenant_id).get(patient_id)
    if patient is None:
        raise NotFound("The patient does not exist.")
    return patient


def open_coverages(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID,
                   patient_id: uuid.UUID) -> list[tuple[PatientCoverage, CoverageData]]:
    return [(c, open_coverage(cipher, c)) for c in PatientRepository(session, tenant_id).coverages(patient_id)]


def _check_version(patient: Patient, expected: int | None) -> None:
    if expected is not None and expected != patient.row_version:
        raise Conflict("The patient was changed by someone else since you read it; read it again and retry.",
                       extra={"row_version": patient.row_version})


def _flush_versioned(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("The patient was changed by someone else since you read it; read it again and retry.") from None


def update_patient(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, patient_id: uuid.UUID,
                   changes: dict[str, Any], expected_version: int) -> tuple[Patient, list[str]]:
    """Apply ``changes`` (field -> plain value, ``address`` an :class:`Address` or None) when the
    patient is still at ``expected_version``. Only fields whose value actually changes are
    re-sealed (and their blind indexes recomputed). Returns the patient and the changed fields."""
    patient = get_patient(session, tenant_id, patient_id)
    _check_version(patient, expected_version)
    p = Problems()
    check_patient_fields(p, changes)
    p.raise_if_any()
    current = open_patient(cipher, patient)
    t, pid = tenant_id, patient.id
    changed: list[str] = []
    for key, value in changes.items():
        if getattr(current, key) == value:
            continue
        changed.append(key)
        if key == "date_of_birth":
            patient.date_of_birth = cipher.seal_date(t, _P, key, pid, value)
        elif key == "address":
            patient.address = cipher.seal_text(t, _P, key, pid, json.dumps(asdict(value)) if value else None)
        else:
            setattr(patient, key, cipher.seal_text(t, _P, key, pid, value))
    if not changed:
        return patient, changed
    new = PatientData(**{**asdict(current), "address": current.address,
                         **{k: changes[k] for k in changed}})
    if {"last_name", "date_of_birth"} & set(changed):
        patient.bidx_name_dob = cipher.blind_index(t, NAME_DOB, new.last_name, new.date_of_birth)
    if "mrn" in changed:
        patient.bidx_mrn = cipher.blind_index(t, MRN, new.mrn) if new.mrn else None
    patient.updated_at = datetime.now(UTC)
    _flush_versioned(session)
    return patient, changed


def replace_coverages(session: Session, cipher: PhiCipher, agency_id: uuid.UUID, tenant_id: uuid.UUID,
                      patient_id: uuid.UUID, coverages: list[Any],
                      expected_version: int | None = None) -> tuple[Patient, dict[str, list[uuid.UUID]]]:
    """Make the patient's coverages exactly ``coverages`` (API ``CoverageIn`` items), keyed by
    rank: a rank already present is updated in place (its id stays; only changed fields are
    re-sealed), a new rank is added, a rank not listed is removed. Bumps the patient's row_version.
    Returns the patient and the coverage ids by outcome (created / updated / deleted)."""
    patient = get_patient(session, tenant_id, patient_id)
    _check_version(patient, expected_version)
    p = Problems()
    wanted = resolve_coverages(session, agency_id, coverages, p)
    p.raise_if_any()
    repo = PatientRepository(session, tenant_id)
    existing = {c.rank: c for c in repo.coverages(patient_id)}
    outcome: dict[str, list[uuid.UUID]] = {"created": [], "updated": [], "deleted": []}
    keep = {c.rank for c in wanted}
    for rank, row in existing.items():
        if rank not in keep:
            session.delete(row)
            outcome["deleted"].append(row.id)
    session.flush()
    t = tenant_id
    for cov in wanted:
        row = existing.get(cov.rank)
        if row is None:
            outcome["created"].append(add_coverage(session, cipher, t, patient_id, cov))
            continue
        old = open_coverage(cipher, row)
        if old == cov:
            continue
        cid = row.id
        if old.member_id != cov.member_id:
            row.member_id = cipher.seal_text(t, _C, "member_id", cid, cov.member_id)
            row.bidx_member_id = cipher.blind_index(t, MEMBER_ID, cov.member_id)
        if old.group_number != cov.group_number:
            row.group_number = cipher.seal_text(t, _C, "group_number", cid, cov.group_number)
        if old.subscriber != cov.subscriber:
            row.subscriber = cipher.seal_text(t, _C, "subscriber", cid,
                                              json.dumps(cov.subscriber, default=str) if cov.subscriber else None)
        row.payer_id, row.relationship_code = cov.payer_id, cov.relationship_code
        row.effective_from, row.effective_to = cov.effective_from, cov.effective_to
        outcome["updated"].append(cid)
    if any(outcome.values()):
        patient.updated_at = datetime.now(UTC)  # bumps row_version: coverages are part of the record
    _flush_versioned(session)
    return patient, outcome


def search(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, *, last_name: str | None = None,
           date_of_birth: date | None = None, mrn: str | None = None,
           member_id: str | None = None) -> list[PatientView]:
    """Exactly one of name + date of birth, MRN, member id (422 otherwise)."""
    modes = [last_name is not None or date_of_birth is not None, mrn is not None, member_id is not None]
    p = Problems()
    if sum(modes) != 1:
        p.add("body", "send exactly one of: last_name + date_of_birth, mrn, member_id")
    elif modes[0]:
        p.check("last_name", v.text_problem(last_name, 60))
        if date_of_birth is None:
            p.add("date_of_birth", "is required with last_name")
    elif modes[1]:
        p.check("mrn", v.text_problem(mrn, 30))
    else:
        p.check("member_id", v.text_problem(member_id, 80))
    p.raise_if_any()
    if modes[0]:
        found = find_by_name_dob(session, cipher, tenant_id, last_name, date_of_birth)  # type: ignore[arg-type]
    elif modes[1]:
        found = find_by_mrn(session, cipher, tenant_id, mrn)  # type: ignore[arg-type]
    else:
        found = find_by_member_id(session, cipher, tenant_id, member_id)  # type: ignore[arg-type]
    return found[:MAX_SEARCH_RESULTS]
