"""The agency payer directory over the API: who may write, validation, agency isolation."""
from __future__ import annotations

import sqlalchemy as sa

from agency.audit.models import AgencyAuditEvent
from setup_support import make_payer
from tenants.scope import AgencyScope

PROBLEM = "application/problem+json"


def test_admin_creates_lists_and_updates_payers(api, db, tenancy, callers):
    admin = callers["agency_admin"]
    r = api.post("/api/v1/payers", headers=admin, json={
        "payer_code": "87726", "name": "UnitedHealthcare", "claim_type": "professional",
        "clearinghouse_route": "stedi", "timely_filing_days": 90, "filing_indicator": "CI",
        "corrected_claim_needs_payer_claim_number": True})
    assert r.status_code == 201, r.text
    payer = r.json()
    assert payer["payer_code"] == "87726" and payer["timely_filing_days"] == 90 and payer["active"] is True
    assert set(payer) == {"id", "payer_code", "name", "claim_type", "clearinghouse_route", "timely_filing_days",
                          "corrected_claim_needs_payer_claim_number", "filing_indicator", "active"}

    got = api.get(f"/api/v1/payers/{payer['id']}", headers=callers["coder"])
    assert got.status_code == 200 and got.json() == payer

    r = api.patch(f"/api/v1/payers/{payer['id']}", headers=admin,
                  json={"timely_filing_days": 180, "clearinghouse_route": None, "active": False})
    assert r.status_code == 200, r.text
    assert r.json()["timely_filing_days"] == 180 and r.json()["clearinghouse_route"] is None
    assert r.json()["active"] is False and r.json()["name"] == "UnitedHealthcare"

    listed = api.get("/api/v1/payers", headers=callers["practice_user"]).json()["items"]
    assert [p["id"] for p in listed] == [payer["id"]]
    assert api.get("/api/v1/payers?active=true", headers=admin).json()["items"] == []

    with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
        events = s.scalars(sa.select(AgencyAuditEvent).where(AgencyAuditEvent.resource_type == "payer")).all()
    assert sorted(e.action for e in events) == ["create", "update"]


def test_payer_pages_and_search(api, db, tenancy, callers):
    for i in range(5):
        make_payer(db, tenancy.agency_a, code=f"PG{i}", name=f"Pager {i}")
    make_payer(db, tenancy.agency_a, code="MCR01", name="Medicare Part B")
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/payers", headers=callers["agency_admin"], params=params).json()
        seen += [p["payer_code"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["MCR01", "PG0", "PG1", "PG2", "PG3", "PG4"]
    found = api.get("/api/v1/payers", headers=callers["agency_admin"], params={"q": "medicare"}).json()["items"]
    assert [p["payer_code"] for p in found] == ["MCR01"]


def test_only_setup_writers_change_the_directory(api, db, tenancy, callers):
    payer = make_payer(db, tenancy.agency_a)
    body = {"payer_code": "X1234", "name": "X"}
    for role in ("agency_manager", "coder", "biller", "practice_admin", "practice_user", "api_token"):
        assert api.post("/api/v1/payers", headers=callers[role], json=body).status_code == 403, role
        assert api.patch(f"/api/v1/payers/{payer.id}", headers=callers[role],
                         json={"name": "Y"}).status_code == 403, role


def test_bad_payer_input_is_named_and_nothing_is_saved(api, db, tenancy, callers):
    admin = callers["agency_admin"]
    r = api.post("/api/v1/payers", headers=admin, json={
        "payer_code": "bad code!", "name": " ", "claim_type": "dental", "timely_filing_days": 0,
        "filing_indicator": "XX"})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    keys = {e["key"] for e in r.json()["errors"]}
    assert keys == {"payer_code", "name", "claim_type", "timely_filing_days", "filing_indicator"}
    assert api.get("/api/v1/payers", headers=admin).json()["items"] == []
    # mass assignment: agency_id / id are not accepted
    r = api.post("/api/v1/payers", headers=admin, json={"payer_code": "AB1", "name": "A",
                                                        "agency_id": str(tenancy.agency_b)})
    assert r.status_code == 400 and r.headers["content-type"].startswith(PROBLEM)
    assert api.get("/api/v1/payers", headers=admin).json()["items"] == []


def test_duplicate_payer_code_is_a_conflict(api, db, tenancy, callers):
    make_payer(db, tenancy.agency_a, code="60054")
    make_payer(db, tenancy.agency_b, code="60055")
    r = api.post("/api/v1/payers", headers=callers["agency_admin"], json={"payer_code": "60054", "name": "Aetna"})
    assert r.status_code == 409
    # the same code in another agency is that agency's business
    r = api.post("/api/v1/payers", headers=callers["agency_admin"], json={"payer_code": "60055", "name": "Aetna"})
    assert r.status_code == 201


def test_another_agencys_payer_does_not_exist_here(api, db, tenancy, callers):
    foreign = make_payer(db, tenancy.agency_b, name="Secret Payer")
    r = api.get(f"/api/v1/payers/{foreign.id}", headers=callers["agency_admin"])
    assert r.status_code == 404 and "Secret" not in r.text
    r = api.patch(f"/api/v1/payers/{foreign.id}", headers=callers["agency_admin"], json={"name": "Mine now"})
    assert r.status_code == 404
    assert "Secret" not in api.get("/api/v1/payers", headers=callers["agency_admin"]).text
