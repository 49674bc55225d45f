"""Practice setup over the API: billing providers, locations, rendering providers,
enrollments; field validation; who may write; nothing half-saved."""
from __future__ import annotations

import sqlalchemy as sa

from agency.audit.models import AgencyAuditEvent
from agency.practices.validation import npi_ok
from setup_support import BILLING_BODY, bad_npi, make_billing_provider, make_payer, valid_npi
from tenants.scope import AgencyScope

PROBLEM = "application/problem+json"


def base(tenancy, practice="a1"):
    return f"/api/v1/practices/{getattr(tenancy, practice).tenant_id}"


def error_keys(r):
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), (r.status_code, r.text)
    return {e["key"] for e in r.json()["errors"]}


def test_npi_check_digit():
    assert npi_ok("1234567893") and not npi_ok("1234567890")
    assert not npi_ok("123456789") and not npi_ok("12345678a3")
    assert all(npi_ok(valid_npi(i)) for i in range(50))


def test_billing_provider_round_trip_and_default(api, db, tenancy, callers):
    admin, url = callers["agency_admin"], base(tenancy) + "/billing-providers"
    first = api.post(url, headers=admin, json={**BILLING_BODY, "npi": valid_npi()})
    assert first.status_code == 201, first.text
    assert first.json()["is_default"] is True  # the first one is the default
    second = api.post(url, headers=admin, json={**BILLING_BODY, "npi": valid_npi(), "name": "Second",
                                                "is_default": True}).json()
    rows = {x["id"]: x for x in api.get(url, headers=callers["coder"]).json()}
    assert rows[second["id"]]["is_default"] and not rows[first.json()["id"]]["is_default"]
    got = api.get(f"{url}/{second['id']}", headers=callers["practice_user"]).json()
    assert got == second and got["zip"] == "627011234" and got["tin"] == "123456789"

    r = api.patch(f"{url}/{first.json()['id']}", headers=admin, json={"is_default": True, "zip": "62701"})
    assert r.status_code == 200 and r.json()["is_default"] and r.json()["zip"] == "62701"
    assert api.get(f"{url}/{second['id']}", headers=admin).json()["is_default"] is False
    r = api.patch(f"{url}/{first.json()['id']}", headers=admin, json={"is_default": False})
    assert error_keys(r) == {"is_default"}

    with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
        actions = sorted(e.action for e in s.scalars(sa.select(AgencyAuditEvent).where(
            AgencyAuditEvent.resource_type == "billing_provider")))
    assert actions == ["create", "create", "update"]  # the refused PATCH recorded nothing


def test_billing_provider_validation_names_every_field(api, db, tenancy, callers):
    url = base(tenancy) + "/billing-providers"
    r = api.post(url, headers=callers["agency_admin"], json={
        **BILLING_BODY, "npi": bad_npi(), "tin": "12-345678", "taxonomy": "207Q00000Y", "state": "Ill",
        "zip": "6270", "name": ""})
    assert error_keys(r) == {"npi", "tin", "taxonomy", "state", "zip", "name"}
    assert "check digit" in r.json()["detail"]
    assert api.get(url, headers=callers["agency_admin"]).json() == []  # nothing saved
    # mass assignment of the tenant is refused
    r = api.post(url, headers=callers["agency_admin"], json={**BILLING_BODY, "npi": valid_npi(),
                                                             "tenant_id": str(tenancy.b1.tenant_id)})
    assert r.status_code == 400 and r.headers["content-type"].startswith(PROBLEM)


def test_duplicate_npi_is_a_conflict(api, db, tenancy, callers):
    bp = make_billing_provider(db, tenancy.a1)
    r = api.post(base(tenancy) + "/billing-providers", headers=callers["agency_admin"],
                 json={**BILLING_BODY, "npi": bp.npi})
    assert r.status_code == 409
    # another practice may bill under the same NPI
    r = api.post(base(tenancy, "a2") + "/billing-providers", headers=callers["agency_admin"],
                 json={**BILLING_BODY, "npi": bp.npi})
    assert r.status_code == 201


def test_setup_writes_need_setup_permission(api, db, tenancy, callers):
    url = base(tenancy) + "/billing-providers"
    for role in ("agency_manager", "coder", "biller", "practice_admin", "practice_user", "api_token"):
        r = api.post(url, headers=callers[role], json={**BILLING_BODY, "npi": valid_npi()})
        assert r.status_code == 403, role
        assert api.get(url, headers=callers[role]).status_code == 200, role


def test_locations_and_providers_create_and_update(api, db, tenancy, callers):
    admin, url = callers["agency_admin"], base(tenancy)
    loc = api.post(url + "/locations", headers=admin, json={
        "code": "MAIN", "name": "Main office", "place_of_service": "11", "address_line1": "1 Main St",
        "city": "Springfield", "state": "IL", "zip": "627011234", "npi": valid_npi()})
    assert loc.status_code == 201, loc.text
    loc = loc.json()
    assert api.get(f"{url}/locations/{loc['id']}", headers=admin).json() == loc
    r = api.patch(f"{url}/locations/{loc['id']}", headers=admin, json={"name": "Main", "npi": None})
    assert r.status_code == 200 and r.json()["name"] == "Main" and r.json()["npi"] is None
    assert error_keys(api.patch(f"{url}/locations/{loc['id']}", headers=admin, json={"zip": None})) == {"address"}
    assert error_keys(api.post(url + "/locations", headers=admin, json={
        "code": "X", "name": "X", "place_of_service": "1", "city": "Springfield"})) == {
        "place_of_service", "address_line1", "state", "zip"}
    assert api.post(url + "/locations", headers=admin, json={"code": "MAIN", "name": "Again",
                                                            "place_of_service": "11"}).status_code == 409

    prov = api.post(url + "/providers", headers=admin, json={
        "npi": valid_npi(), "first_name": "Ada", "last_name": "Lovelace", "taxonomy": "207Q00000X",
        "default_location_id": loc["id"]})
    assert prov.status_code == 201, prov.text
    prov = prov.json()
    assert api.get(f"{url}/providers/{prov['id']}", headers=admin).json() == prov
    r = api.patch(f"{url}/providers/{prov['id']}", headers=admin, json={"npi": bad_npi()})
    assert error_keys(r) == {"npi"}
    r = api.patch(f"{url}/providers/{prov['id']}", headers=admin, json={"last_name": "King"})
    assert r.status_code == 200 and r.json()["last_name"] == "King"


def test_provider_cannot_point_at_another_practices_location(api, db, tenancy, callers):
    admin = callers["agency_admin"]
    other = api.post(base(tenancy, "a2") + "/locations", headers=admin,
                     json={"code": "A2", "name": "A2 office", "place_of_service": "11"}).json()
    r = api.post(base(tenancy) + "/providers", headers=admin, json={
        "npi": valid_npi(), "first_name": "A", "last_name": "B", "default_location_id": other["id"]})
    assert error_keys(r) == {"default_location_id"}
    assert api.get(base(tenancy) + "/providers", headers=admin).json() == []


def test_enrollments(api, db, tenancy, callers):
    admin, url = callers["agency_admin"], base(tenancy) + "/enrollments"
    payer = make_payer(db, tenancy.agency_a, code="87726")
    bp = make_billing_provider(db, tenancy.a1)
    r = api.post(url, headers=admin, json={"payer_code": "87726", "billing_provider_id": str(bp.id),
                                           "status": "active", "effective_from": "2026-01-01", "era_enrolled": True})
    assert r.status_code == 201, r.text
    enr = r.json()
    assert enr["payer_id"] == str(payer.id) and enr["era_enrolled"] is True
    assert api.get(url, headers=callers["biller"]).json() == [enr]
    assert api.get(f"{url}/{enr['id']}", headers=admin).json() == enr
    assert api.post(url, headers=admin, json={"payer_id": str(payer.id),
                                              "billing_provider_id": str(bp.id)}).status_code == 409
    r = api.patch(f"{url}/{enr['id']}", headers=admin, json={"effective_to": "2025-12-31"})
    assert error_keys(r) == {"effective_to"}
    r = api.patch(f"{url}/{enr['id']}", headers=admin, json={"status": "terminated", "effective_to": "2026-06-30"})
    assert r.status_code == 200 and r.json()["status"] == "terminated"


def test_enrollment_with_unknown_or_foreign_payer_or_provider(api, db, tenancy, callers):
    admin, url = callers["agency_admin"], base(tenancy) + "/enrollments"
    foreign = make_payer(db, tenancy.agency_b, name="Agency B Secret Payer")
    inactive = make_payer(db, tenancy.agency_a, active=False)
    bp = make_billing_provider(db, tenancy.a1)
    other_bp = make_billing_provider(db, tenancy.a2)
    import uuid

    unknown = api.post(url, headers=admin, json={"payer_id": str(uuid.uuid4()), "billing_provider_id": str(bp.id)})
    r = api.post(url, headers=admin, json={"payer_id": str(foreign.id), "billing_provider_id": str(bp.id)})
    assert error_keys(r) == {"payer_id"}
    assert r.json()["detail"] == unknown.json()["detail"]  # another agency's payer looks unknown
    assert "Secret" not in r.text and foreign.payer_code not in r.text
    r = api.post(url, headers=admin, json={"payer_code": foreign.payer_code, "billing_provider_id": str(bp.id)})
    assert error_keys(r) == {"payer_code"}
    r = api.post(url, headers=admin, json={"payer_id": str(inactive.id), "billing_provider_id": str(bp.id)})
    assert error_keys(r) == {"payer_id"} and "inactive" in r.json()["detail"]
    r = api.post(url, headers=admin, json={"payer_id": str(make_payer(db, tenancy.agency_a).id),
                                           "billing_provider_id": str(other_bp.id),
                                           "effective_from": "2026-05-01", "effective_to": "2026-01-01"})
    assert error_keys(r) == {"billing_provider_id", "effective_to"}
    assert api.get(url, headers=admin).json() == []
