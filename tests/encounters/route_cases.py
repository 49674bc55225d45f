"""Cross-tenant cases for the encounter and intake routes (see tests/conftest.py)."""

from __future__ import annotations

import base64
import uuid
from datetime import date

from agency.encounters import service
from agency.intake import service as intake
from agency.intake.csvfile import NAMES
from agency.keys.runtime import cipher_for
from conftest import RouteCaseData, route_case
from support import load_code_sets, make_practice_setup

P = "/api/v1/practices/{practice_id:uuid}"


def _encounter(db, scope):
    load_code_sets(db.urls.owner)
    setup = make_practice_setup(db, scope)
    marker = f"Zed{uuid.uuid4().hex[:8]}"
    cipher = cipher_for(db)
    with db.sessions.tenant_unit(scope) as s:
        eid = service.create_encounter(
            s, cipher, scope.tenant_id, scope.agency_id,
            service.EncounterInput(date_of_service_from=date(2026, 3, 2), date_of_service_to=None,
                                   diagnoses=["E11.9"], lines=[service.LineInput("99213")],
                                   rendering_provider_npi=setup.npi, service_location_code=setup.location_code,
                                   note="secret note " + marker, external_id="EXT-" + marker),
            service.PatientInput(first_name="Route", last_name=marker, date_of_birth=date(1970, 1, 1)),
            today=date(2026, 11, 29))
    return eid, marker, setup


def _body(setup, marker):
    return {"patient": {"first_name": "Route", "last_name": marker, "date_of_birth": "1970-01-01"},
            "rendering_provider": {"npi": setup.npi}, "service_location": {"code": setup.location_code},
            "date_of_service_from": "2026-03-02",
            "diagnoses": ["E11.9"], "lines": [{"procedure_code": "99213"}]}


@route_case(P + "/encounters")
def _encounters(db, scope, method):
    eid, marker, setup = _encounter(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id},
                         json=_body(setup, marker + "x") if method == "POST" else None, markers=[marker, eid])


@route_case(P + "/encounters/{encounter_id:uuid}")
def _encounter_detail(db, scope, method):
    eid, marker, _ = _encounter(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "encounter_id": eid}, markers=[marker])


@route_case(P + "/encounters/{encounter_id:uuid}/attachments")
def _attachments(db, scope, method):
    eid, marker, _ = _encounter(db, scope)
    body = {"filename": f"{marker}.txt", "content_type": "text/plain",
            "content_base64": base64.b64encode(b"lab result " + marker.encode()).decode()}
    return RouteCaseData(path={"practice_id": scope.tenant_id, "encounter_id": eid},
                         json=body if method == "POST" else None, markers=[marker])


@route_case(P + "/encounters/{encounter_id:uuid}/attachments/{attachment_id:uuid}")
def _attachment(db, scope, method):
    eid, marker, _ = _encounter(db, scope)
    with db.sessions.tenant_unit(scope) as s:
        att = service.add_attachment(s, cipher_for(db), scope.tenant_id, eid, f"{marker}.txt", "text/plain",
                                     b"result " + marker.encode())
    return RouteCaseData(path={"practice_id": scope.tenant_id, "encounter_id": eid, "attachment_id": att.id},
                         markers=[marker])


@route_case(P + "/intake/template.csv")
def _template(db, scope, method):
    return RouteCaseData(path={"practice_id": scope.tenant_id})


def _csv(setup, marker) -> str:
    values = {n: "" for n in NAMES}
    values.update(encounter_ref="R-" + marker, patient_last_name=marker, patient_first_name="Route",
                  patient_date_of_birth="1970-01-01", rendering_npi=setup.npi, location_code=setup.location_code,
                  date_of_service="2026-03-02", procedure_code="99213", diagnosis_1="E11.9")
    return ",".join(NAMES) + "\n" + ",".join(values[n] for n in NAMES) + "\n"


@route_case(P + "/intake/csv")
def _upload(db, scope, method):
    load_code_sets(db.urls.owner)
    setup = make_practice_setup(db, scope)
    marker = f"Csv{uuid.uuid4().hex[:8]}"
    return RouteCaseData(path={"practice_id": scope.tenant_id},
                         json={"content": _csv(setup, marker), "filename": f"{marker}.csv"}, markers=[marker])


def _batch(db, scope):
    load_code_sets(db.urls.owner)
    setup = make_practice_setup(db, scope)
    marker = f"Bat{uuid.uuid4().hex[:8]}"
    data = _csv(setup, marker).replace("E11.9", "E11").encode()  # one bad row -> an error report
    with db.sessions.tenant_unit(scope) as s:
        batch, _ = intake.create_batch(s, cipher_for(db), scope, data, filename=f"{marker}.csv",
                                       created_by="user:test")
    intake.run_import(db.sessions, cipher_for(db), scope.tenant_id, batch.id)
    return batch.id, marker


@route_case(P + "/intake/batches/{batch_id:uuid}")
def _batch_detail(db, scope, method):
    bid, marker = _batch(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "batch_id": bid}, markers=[marker])


@route_case(P + "/intake/batches/{batch_id:uuid}/errors.csv")
def _batch_errors(db, scope, method):
    bid, marker = _batch(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "batch_id": bid}, markers=[marker])
