"""Creating, opening and finding patients. Never commits (the caller's unit of work does).

Lookups by last name + date of birth, MRN or member ID compute the blind index,
fetch the candidates, decrypt them and keep only exact matches: blind indexes
are deliberately short (they collide), so the re-check is what makes a match.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import date

from sqlalchemy.orm import Session

from agency.db.base import new_id
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
                        subscriber=json.loads(subscriber) if subscriber else None)


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
