"""Helpers for patient tests: a patient with a coverage, request bodies."""
from __future__ import annotations

import uuid
from datetime import date

from agency.keys.runtime import cipher_for
from agency.patients import service
from agency.patients.schemas import CoverageData, PatientData


def make_patient(db, scope, *, last_name: str | None = None, mrn: str | None = None, member_id: str | None = None,
                 payer_id=None, dob: date = date(1980, 5, 17)):
    """A patient (and one coverage) in ``scope``; returns (patient_id, last_name, mrn, member_id)."""
    tag = uuid.uuid4().hex[:8]
    last_name = last_name or f"Zyx{tag}"
    mrn = mrn or f"MRN{tag}"
    member_id = member_id or f"MEM{tag}"
    with db.sessions.tenant_unit(scope) as s:
        pid = service.create_patient(s, cipher_for(db), scope.tenant_id,
                                     PatientData(first_name="Quinn", last_name=last_name, date_of_birth=dob, mrn=mrn),
                                     [CoverageData(rank=1, member_id=member_id, payer_id=payer_id)])
    return pid, last_name, mrn, member_id


def patient_body(payer_code: str, **kw) -> dict:
    tag = uuid.uuid4().hex[:8]
    body = {"first_name": "Ada", "last_name": f"Lovelace{tag}", "date_of_birth": "1985-12-10", "mrn": f"M{tag}",
            "sex": "F", "address": {"line1": "12 Elm St", "city": "Springfield", "state": "IL", "zip": "62701"},
            "phone": "2175550123", "email": f"ada{tag}@example.test",
            "coverages": [{"rank": 1, "payer_code": payer_code, "member_id": f"W{tag}", "group_number": "G-100",
                           "relationship_code": "18"}]}
    body.update(kw)
    return body
