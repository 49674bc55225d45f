"""Cross-tenant cases for the patient routes (see conftest)."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

sys.path.append(str(Path(__file__).parent))  # helpers, when loaded from another test folder
sys.path.append(str(Path(__file__).parent.parent / "setup"))

from conftest import RouteCaseData, route_case  # noqa: E402
from patients_support import make_patient, patient_body  # noqa: E402
from setup_support import make_payer  # noqa: E402

P = "/api/v1/practices/{practice_id:uuid}/patients"


@route_case(P)
def _patients(db, scope, method):
    payer = make_payer(db, scope.agency_id)
    return RouteCaseData(path={"practice_id": scope.tenant_id}, json=patient_body(payer.payer_code),
                         markers=[payer.payer_code])


@route_case(P + "/search")
def _search(db, scope, method):
    pid, last_name, mrn, member = make_patient(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id}, json={"mrn": mrn}, markers=[pid, last_name, member])


@route_case(P + "/{patient_id:uuid}")
def _patient(db, scope, method):
    pid, last_name, mrn, member = make_patient(db, scope)
    body = {"first_name": "Renamed", "row_version": 1} if method == "PATCH" else None
    return RouteCaseData(path={"practice_id": scope.tenant_id, "patient_id": pid}, json=body,
                         markers=[last_name, mrn, member])


@route_case(P + "/{patient_id:uuid}/coverages")
def _coverages(db, scope, method):
    payer = make_payer(db, scope.agency_id)
    pid, last_name, mrn, member = make_patient(db, scope, payer_id=payer.id)
    body = None
    if method == "PUT":
        body = {"coverages": [{"rank": 1, "payer_id": str(payer.id), "member_id": f"N{uuid.uuid4().hex[:8]}"}]}
    return RouteCaseData(path={"practice_id": scope.tenant_id, "patient_id": pid}, json=body,
                         markers=[last_name, mrn, member])
