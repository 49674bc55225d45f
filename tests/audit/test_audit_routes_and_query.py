"""Every PHI route writes an audit event (checked per route from the route table);
agency admins query the trail by practice, user, resource and time, and export CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from agency.audit.models import AuditEvent
from conftest import api_routes, fill_path, load_route_cases


def events(db, scope, request_id=None):
    with db.sessions.tenant_unit(scope) as s:
        stmt = sa.select(AuditEvent).order_by(AuditEvent.seq)
        if request_id:
            stmt = stmt.where(AuditEvent.request_id == request_id)
        return list(s.scalars(stmt))


def test_every_practice_route_declares_its_audit_action(api_app):
    undeclared = [f"{m} {p}" for p, m, h in api_routes(api_app)
                  if "{practice_id" in p and "audit" not in (h.opt or {})]
    assert undeclared == [], "declare opt={'audit': '<action>' | None} on practice routes"


def test_every_phi_route_writes_an_audit_record(api, api_app, db, tenancy, callers, code_sets):
    # code_sets: routes that validate codes (coding, intake) need the code tables loaded.
    cases = load_route_cases()
    audited = [(p, m, h) for p, m, h in api_routes(api_app) if (h.opt or {}).get("audit")]
    assert audited, "no PHI routes found"
    for role in ("agency_admin", "api_token", "practice_user"):
        for path, method, handler in audited:
            data = cases[path](db, tenancy.a1, method)
            resp = api.request(method, fill_path(path, data.path), headers=callers[role], params=data.query,
                               json=data.json)
            if role != "agency_admin" and resp.status_code == 403:
                # Coder/biller work or printing: a practice user or token may lack the
                # permission (the BOLA walk covers refusals); an admin may do everything.
                continue
            assert 200 <= resp.status_code < 300, (role, path, resp.text)
            rid = resp.headers["x-request-id"]
            found = events(db, tenancy.a1, rid)
            assert found, f"{method} {path} as {role} wrote no audit event"
            ev = found[0]
            assert ev.action == handler.opt["audit"]
            assert ev.role == role and ev.agency_id == tenancy.agency_a and ev.tenant_id == tenancy.a1.tenant_id
            assert ev.actor_type == ("token" if role == "api_token" else "user")
            assert ev.source_ip and ev.occurred_at
            other = data.path.get("location_id") or data.path.get("provider_id")
            if other:
                assert ev.resource_id == str(other)


def test_refused_requests_write_nothing_into_the_foreign_chain(api, db, tenancy, callers):
    before = len(events(db, tenancy.b1))
    api.get(f"/api/v1/practices/{tenancy.b1.tenant_id}/locations", headers=callers["agency_admin"])
    assert len(events(db, tenancy.b1)) == before


def test_audit_query_by_practice_user_resource_and_time(api, db, tenancy, callers):
    admin = callers["agency_admin"]
    me = api.get("/api/v1/auth/me", headers=callers["coder"]).json()
    locs = api.get(f"/api/v1/practices/{tenancy.a1.tenant_id}/locations", headers=callers["coder"])
    assert locs.status_code == 200
    api.get(f"/api/v1/practices/{tenancy.a2.tenant_id}/locations", headers=admin)

    r = api.get("/api/v1/audit", headers=admin, params={"practice_id": str(tenancy.a1.tenant_id)})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert {i["practice_id"] for i in items} == {str(tenancy.a1.tenant_id)}
    r = api.get("/api/v1/audit", headers=admin, params={"user_id": me["id"]})
    assert [i["actor_id"] for i in r.json()["items"]] == [me["id"]]
    r = api.get("/api/v1/audit", headers=admin)  # every practice of the agency
    assert {i["practice_id"] for i in r.json()["items"]} == {str(tenancy.a1.tenant_id), str(tenancy.a2.tenant_id)}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert api.get("/api/v1/audit", headers=admin, params={"since": future}).json()["items"] == []
    r = api.get("/api/v1/audit", headers=admin, params={"resource_type": "service_location"})
    assert len(r.json()["items"]) == 2
    # another agency's practice: 404
    r = api.get("/api/v1/audit", headers=admin, params={"practice_id": str(tenancy.b1.tenant_id)})
    assert r.status_code == 404


def test_audit_query_pages_with_a_cursor(api, db, tenancy, callers):
    admin = callers["agency_admin"]
    for _ in range(5):
        api.get(f"/api/v1/practices/{tenancy.a1.tenant_id}/providers", headers=admin)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "practice_id": str(tenancy.a1.tenant_id)}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/api/v1/audit", headers=admin, params=params).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    bad = api.get("/api/v1/audit", headers=admin, params={"cursor": "garbage!!"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")
    assert api.get("/api/v1/audit", headers=admin, params={"limit": 10_000}).status_code == 400
    assert api.get("/api/v1/audit", headers=admin, params={"since": "yesterday"}).status_code == 400


def test_audit_csv_export(api, db, tenancy, callers):
    admin = callers["agency_admin"]
    api.get(f"/api/v1/practices/{tenancy.a1.tenant_id}/locations", headers=admin)
    r = api.get("/api/v1/audit/export.csv", headers=admin, params={"practice_id": str(tenancy.a1.tenant_id)})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 1 and rows[0]["resource_type"] == "service_location" and rows[0]["action"] == "list"
    assert rows[0]["practice_id"] == str(tenancy.a1.tenant_id) and rows[0]["request_id"]
