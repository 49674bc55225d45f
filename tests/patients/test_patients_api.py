"""Patients over the API: registration with coverages, reads, search by each blind
index, PATCH with optimistic locking, coverage replacement, validation with
nothing half-saved, audit events, permissions."""
from __future__ import annotations

import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.append(str(Path(__file__).parent.parent / "setup"))

from agency.audit.models import AuditEvent  # noqa: E402
from agency.patients.models import Patient, PatientCoverage  # noqa: E402
from patients_support import make_patient, patient_body  # noqa: E402
from setup_support import make_payer  # noqa: E402

PROBLEM = "application/problem+json"


def url(tenancy, practice="a1"):
    return f"/api/v1/practices/{getattr(tenancy, practice).tenant_id}/patients"


def count(db, scope, model=Patient):
    with db.sessions.tenant_unit(scope) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def audit_actions(db, scope, request_id):
    with db.sessions.tenant_unit(scope) as s:
        return [(e.action, e.resource_type, e.resource_id) for e in s.scalars(
            sa.select(AuditEvent).where(AuditEvent.request_id == request_id).order_by(AuditEvent.seq))]


def errors(r):
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), (r.status_code, r.text)
    return {e["key"] for e in r.json()["errors"]}


def test_register_read_round_trip_with_subscriber(api, db, tenancy, callers):
    primary = make_payer(db, tenancy.agency_a, code="87726", name="UHC")
    secondary = make_payer(db, tenancy.agency_a, code="00431", name="BCBS IL")
    body = patient_body("87726")
    body["coverages"].append({"rank": 2, "payer_id": str(secondary.id), "member_id": "XYZ998877",
                              "relationship_code": "19", "effective_from": "2026-01-01",
                              "subscriber": {"first_name": "Charles", "last_name": "Babbage",
                                             "date_of_birth": "1960-02-03", "sex": "M",
                                             "address": {"line1": "1 Oak", "city": "Chicago", "state": "IL",
                                                         "zip": "606011234"}}})
    r = api.post(url(tenancy), headers=callers["practice_user"], json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert set(created) == {"id", "row_version", "first_name", "middle_name", "last_name", "date_of_birth", "mrn",
                            "sex", "address", "phone", "email", "coverages"}
    assert created["last_name"] == body["last_name"] and created["date_of_birth"] == "1985-12-10"
    assert created["address"]["zip"] == "62701" and created["row_version"] == 1
    c1, c2 = created["coverages"]
    assert (c1["rank"], c1["payer_id"], c1["payer_code"], c1["payer_name"]) == (1, str(primary.id), "87726", "UHC")
    assert c1["subscriber"] is None and c1["member_id"] == body["coverages"][0]["member_id"]
    assert c2["payer_code"] == "00431" and c2["relationship_code"] == "19"
    assert c2["subscriber"]["last_name"] == "Babbage" and c2["subscriber"]["address"]["zip"] == "606011234"
    assert c2["effective_from"] == "2026-01-01"

    got = api.get(f"{url(tenancy)}/{created['id']}", headers=callers["coder"])
    assert got.status_code == 200 and got.json() == created and got.headers["etag"] == '"1"'
    assert audit_actions(db, tenancy.a1, r.headers["x-request-id"])[:1] == [("create", "patient", created["id"])]
    assert len(audit_actions(db, tenancy.a1, r.headers["x-request-id"])) == 3  # patient + 2 coverages
    assert audit_actions(db, tenancy.a1, got.headers["x-request-id"]) == [("read", "patient", created["id"])]
    # PHI is sealed at rest
    with db.sessions.tenant_unit(tenancy.a1) as s:
        raw = s.execute(sa.text("SELECT last_name::text, mrn::text FROM patient WHERE id = :i"),
                        {"i": created["id"]}).one()
    assert body["last_name"].encode().hex() not in raw[0] and body["mrn"].encode().hex() not in raw[1]


def test_create_is_idempotent(api, db, tenancy, callers):
    make_payer(db, tenancy.agency_a, code="IDEM1")
    headers = {**callers["biller"], "Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    body = patient_body("IDEM1")
    first = api.post(url(tenancy), headers=headers, json=body)
    again = api.post(url(tenancy), headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()
    assert count(db, tenancy.a1) == 1
    other = api.post(url(tenancy), headers=headers, json={**body, "first_name": "Other"})
    assert other.status_code == 422 and count(db, tenancy.a1) == 1


def test_bad_patient_input_is_named_and_nothing_is_saved(api, db, tenancy, callers):
    make_payer(db, tenancy.agency_a, code="GOOD1")
    future = (date.today() + timedelta(days=1)).isoformat()
    body = patient_body("GOOD1", date_of_birth=future, sex="X", phone="555-0100",
                        address={"line1": "1 A St", "city": "X", "state": "il", "zip": "1234"})
    r = api.post(url(tenancy), headers=callers["agency_admin"], json=body)
    assert errors(r) == {"date_of_birth", "sex", "phone", "address.state", "address.zip"}
    assert "date_of_birth: must not be in the future" in r.json()["detail"]
    assert body["last_name"] not in r.text and body["mrn"] not in r.text  # no PHI echoed
    assert count(db, tenancy.a1) == 0


def test_one_bad_coverage_creates_nothing(api, db, tenancy, callers):
    make_payer(db, tenancy.agency_a, code="GOOD2")
    foreign = make_payer(db, tenancy.agency_b, code="SECRETB", name="Agency B Secret Payer")
    inactive = make_payer(db, tenancy.agency_a, code="OLD1", active=False)
    good = patient_body("GOOD2")["coverages"][0]
    cases = {
        "unknown payer id": ([{**good, "payer_code": None, "payer_id": str(uuid.uuid4())}], {"coverages[0].payer_id"}),
        "unknown payer code": ([{**good, "payer_code": "NOPE9"}], {"coverages[0].payer_code"}),
        "another agency's payer": ([{**good, "payer_code": None, "payer_id": str(foreign.id)}],
                                   {"coverages[0].payer_id"}),
        "another agency's payer code": ([{**good, "payer_code": "SECRETB"}], {"coverages[0].payer_code"}),
        "inactive payer": ([{**good, "payer_code": None, "payer_id": str(inactive.id)}], {"coverages[0].payer_id"}),
        "no payer": ([{**good, "payer_code": None}], {"coverages[0].payer_id"}),
        "duplicate rank": ([good, {**good, "member_id": "OTHER1"}], {"coverages[1].rank"}),
        "rank 4": ([{**good, "rank": 4}], {"coverages[0].rank"}),
        "four coverages": ([good, {**good, "rank": 2}, {**good, "rank": 3}], {"coverages", "coverages[3].rank"}),
        "subscriber missing": ([{**good, "relationship_code": "01"}], {"coverages[0].subscriber"}),
        "subscriber for self": ([{**good, "subscriber": {"first_name": "A", "last_name": "B",
                                                         "date_of_birth": "1970-01-01"}}], {"coverages[0].subscriber"}),
        "subscriber born tomorrow": ([{**good, "relationship_code": "01", "subscriber": {
            "first_name": "A", "last_name": "B", "date_of_birth": (date.today() + timedelta(days=1)).isoformat()}}],
            {"coverages[0].subscriber.date_of_birth"}),
        "bad relationship": ([{**good, "relationship_code": "99"}], {"coverages[0].relationship_code"}),
        "dates reversed": ([{**good, "effective_from": "2026-02-01", "effective_to": "2026-01-01"}],
                           {"coverages[0].effective_to"}),
    }
    unknown_detail = None
    fine = {**good, "rank": 3, "member_id": "FINE3"}
    for name, (coverages, keys) in cases.items():
        # a good tertiary coverage is listed too; the bad one makes the whole registration fail
        r = api.post(url(tenancy), headers=callers["agency_admin"],
                     json=patient_body("GOOD2", coverages=[*coverages, fine]))
        assert errors(r) == keys, name
        assert "Secret" not in r.text and "SECRETB" not in r.text, name
        if name == "unknown payer id":
            unknown_detail = r.json()["errors"][0]["message"]
        if name == "another agency's payer":
            assert r.json()["errors"][0]["message"] == unknown_detail  # indistinguishable from unknown
    assert count(db, tenancy.a1) == 0 and count(db, tenancy.a1, PatientCoverage) == 0


def test_mass_assignment_is_refused(api, db, tenancy, callers):
    make_payer(db, tenancy.agency_a, code="MA1")
    for extra in ({"tenant_id": str(tenancy.b1.tenant_id)}, {"agency_id": str(tenancy.agency_b)},
                  {"id": str(uuid.uuid4())}, {"bidx_mrn": 1}):
        r = api.post(url(tenancy), headers=callers["agency_admin"], json=patient_body("MA1", **extra))
        assert r.status_code == 400 and r.headers["content-type"].startswith(PROBLEM), extra
    pid, *_ = make_patient(db, tenancy.a1)
    r = api.patch(f"{url(tenancy)}/{pid}", headers=callers["agency_admin"],
                  json={"row_version": 1, "tenant_id": str(tenancy.b1.tenant_id)})
    assert r.status_code == 400
    assert count(db, tenancy.a1) == 1


def test_search_by_each_index(api, db, tenancy, callers):
    pid, last_name, mrn, member = make_patient(db, tenancy.a1, dob=date(1970, 1, 2))
    make_patient(db, tenancy.a2, last_name=last_name, mrn=mrn, member_id=member, dob=date(1970, 1, 2))
    s = f"{url(tenancy)}/search"
    user = callers["practice_user"]
    for query in ({"last_name": last_name.upper(), "date_of_birth": "1970-01-02"}, {"mrn": mrn.lower()},
                  {"member_id": member}):
        r = api.post(s, headers=user, json=query)
        assert r.status_code == 200, (query, r.text)
        assert [p["id"] for p in r.json()["items"]] == [str(pid)], query  # only this practice's patient
        assert set(r.json()["items"][0]) == {"id", "first_name", "last_name", "date_of_birth", "mrn", "sex"}
        assert audit_actions(db, tenancy.a1, r.headers["x-request-id"]) == [("search", "patient", str(pid))]
    assert api.post(s, headers=user, json={"last_name": last_name, "date_of_birth": "1970-01-03"}).json() == {
        "items": []}
    miss = api.post(s, headers=user, json={"mrn": "nobody"})
    assert miss.json() == {"items": []}
    assert audit_actions(db, tenancy.a1, miss.headers["x-request-id"]) == [("search", "patient", None)]
    assert errors(api.post(s, headers=user, json={"mrn": mrn, "member_id": member})) == {"body"}
    assert errors(api.post(s, headers=user, json={"last_name": last_name})) == {"date_of_birth"}
    assert errors(api.post(s, headers=user, json={})) == {"body"}


def test_patch_reseals_only_changed_fields_and_locks_optimistically(api, db, tenancy, callers):
    pid, last_name, mrn, member = make_patient(db, tenancy.a1)
    with db.sessions.tenant_unit(tenancy.a1) as s:
        before = s.get(Patient, (tenancy.a1.tenant_id, pid))
        before_blobs = {c: bytes(getattr(before, c).blob) for c in ("first_name", "last_name", "mrn", "date_of_birth")}
    p = f"{url(tenancy)}/{pid}"
    admin = callers["agency_admin"]
    assert api.patch(p, headers=admin, json={"first_name": "X"}).status_code == 428
    r = api.patch(p, headers={**admin, "If-Match": '"1"'}, json={"last_name": "Newname", "first_name": "Quinn"})
    assert r.status_code == 200, r.text
    assert r.json()["last_name"] == "Newname" and r.json()["row_version"] == 2 and r.headers["etag"] == '"2"'
    assert audit_actions(db, tenancy.a1, r.headers["x-request-id"]) == [("update", "patient", str(pid))]
    with db.sessions.tenant_unit(tenancy.a1) as s:
        after = s.get(Patient, (tenancy.a1.tenant_id, pid))
        after_blobs = {c: bytes(getattr(after, c).blob) for c in before_blobs}
    assert after_blobs["last_name"] != before_blobs["last_name"]
    # first_name was sent unchanged: not re-sealed
    assert {c: after_blobs[c] == before_blobs[c] for c in ("first_name", "mrn", "date_of_birth")} == {
        "first_name": True, "mrn": True, "date_of_birth": True}
    s_url = f"{url(tenancy)}/search"
    assert api.post(s_url, headers=admin, json={"last_name": "Newname", "date_of_birth": "1980-05-17"}
                    ).json()["items"][0]["id"] == str(pid)
    assert api.post(s_url, headers=admin, json={"last_name": last_name, "date_of_birth": "1980-05-17"}
                    ).json()["items"] == []

    stale = api.patch(p, headers=admin, json={"row_version": 1, "mrn": "NEWMRN"})
    assert stale.status_code == 409 and stale.headers["content-type"].startswith(PROBLEM)
    r = api.patch(p, headers=admin, json={"row_version": 2, "mrn": None, "date_of_birth": "2999-01-01"})
    assert errors(r) == {"date_of_birth"}
    r = api.patch(p, headers=admin, json={"row_version": 2, "mrn": "NEWMRN", "middle_name": None})
    assert r.status_code == 200 and r.json()["mrn"] == "NEWMRN" and r.json()["row_version"] == 3
    assert api.post(s_url, headers=admin, json={"mrn": mrn}).json()["items"] == []
    assert api.post(s_url, headers=admin, json={"mrn": "newmrn"}).json()["items"][0]["id"] == str(pid)
    assert api.patch(p, headers={**admin, "If-Match": "garbage"}, json={"sex": "F"}).status_code == 400


def test_coverages_get_and_replace(api, db, tenancy, callers):
    p1 = make_payer(db, tenancy.agency_a, code="COV1")
    p2 = make_payer(db, tenancy.agency_a, code="COV2")
    pid, last_name, mrn, member = make_patient(db, tenancy.a1, payer_id=p1.id)
    c = f"{url(tenancy)}/{pid}/coverages"
    admin = callers["agency_admin"]
    got = api.get(c, headers=callers["coder"]).json()
    assert got["row_version"] == 1 and [x["member_id"] for x in got["coverages"]] == [member]
    first_id = got["coverages"][0]["id"]

    r = api.put(c, headers={**admin, "If-Match": '"1"'}, json={"coverages": [
        {"rank": 1, "payer_id": str(p1.id), "member_id": member, "group_number": "G2"},
        {"rank": 2, "payer_code": "COV2", "member_id": "SEC123", "relationship_code": "01",
         "subscriber": {"first_name": "Sam", "last_name": "Spouse", "date_of_birth": "1979-03-04"}}]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["row_version"] == 2 and r.headers["etag"] == '"2"'
    assert [x["rank"] for x in out["coverages"]] == [1, 2] and out["coverages"][0]["id"] == first_id
    assert out["coverages"][0]["group_number"] == "G2" and out["coverages"][1]["payer_id"] == str(p2.id)
    acts = audit_actions(db, tenancy.a1, r.headers["x-request-id"])
    assert acts[0] == ("update", "patient", str(pid)) and {a for a, *_ in acts[1:]} == {"create", "update"}
    assert api.post(f"{url(tenancy)}/search", headers=admin, json={"member_id": "sec123"}
                    ).json()["items"][0]["id"] == str(pid)

    assert api.put(c, headers={**admin, "If-Match": '"1"'}, json={"coverages": []}).status_code == 409
    bad = api.put(c, headers=admin, json={"coverages": [{"rank": 2, "payer_code": "COV2", "member_id": "X"},
                                                          {"rank": 2, "payer_code": "NOPE", "member_id": "Y"}]})
    assert errors(bad) == {"coverages[1].rank", "coverages[1].payer_code"}
    assert len(api.get(c, headers=admin).json()["coverages"]) == 2  # unchanged
    r = api.put(c, headers=admin, json={"coverages": [{"rank": 1, "payer_code": "COV2", "member_id": "ONLY1"}],
                                        "row_version": 2})
    assert r.status_code == 200 and [x["member_id"] for x in r.json()["coverages"]] == ["ONLY1"]
    assert count(db, tenancy.a1, PatientCoverage) == 1
    assert api.get(f"{url(tenancy)}/{pid}", headers=admin).json()["row_version"] == 3


def test_permissions_and_unknown_patients(api, db, tenancy, callers):
    make_payer(db, tenancy.agency_a, code="PERM1")
    pid, *_ = make_patient(db, tenancy.a1)
    # the manager reads PHI but does not write it
    assert api.get(f"{url(tenancy)}/{pid}", headers=callers["agency_manager"]).status_code == 200
    assert api.post(url(tenancy), headers=callers["agency_manager"], json=patient_body("PERM1")).status_code == 403
    assert api.patch(f"{url(tenancy)}/{pid}", headers=callers["agency_manager"],
                     json={"row_version": 1, "first_name": "M"}).status_code == 403
    for path in (f"{url(tenancy)}/{uuid.uuid4()}", f"{url(tenancy)}/{uuid.uuid4()}/coverages"):
        r = api.get(path, headers=callers["agency_admin"])
        assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)
    # another practice's patient through this practice's URL
    other, *_ = make_patient(db, tenancy.a2)
    assert api.get(f"{url(tenancy)}/{other}", headers=callers["agency_admin"]).status_code == 404
