"""Fee schedule: entries, bulk upsert (all or nothing), and ``fee_for`` as coding uses it."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from agency.practices.setup import fee_for
from setup_support import make_fee

PROBLEM = "application/problem+json"


def url(tenancy, practice="a1"):
    return f"/api/v1/practices/{getattr(tenancy, practice).tenant_id}/fee-schedule"


def test_create_list_and_duplicate(api, tenancy, callers):
    admin = callers["agency_admin"]
    r = api.post(url(tenancy), headers=admin, json={"procedure_code": "99213", "amount": "125.5",
                                                    "effective_from": "2026-01-01"})
    assert r.status_code == 201, r.text
    assert r.json()["amount"] == "125.50" and r.json()["modifier"] == ""
    assert api.post(url(tenancy), headers=admin, json={"procedure_code": "99213", "amount": "1",
                                                       "effective_from": "2026-01-01"}).status_code == 409
    assert [f["procedure_code"] for f in api.get(url(tenancy), headers=callers["coder"]).json()] == ["99213"]
    assert api.get(url(tenancy, "a2"), headers=admin).json() == []


def test_bulk_upsert_inserts_updates_and_is_all_or_nothing(api, db, tenancy, callers):
    admin = callers["agency_admin"]
    make_fee(db, tenancy.a1, code="99213", amount="100.00")
    r = api.put(url(tenancy), headers=admin, json={"entries": [
        {"procedure_code": "99213", "amount": "110.00", "effective_from": "2026-01-01"},
        {"procedure_code": "99213", "modifier": "25", "amount": "120.00", "effective_from": "2026-01-01"},
        {"procedure_code": "j3301", "amount": "8.25", "effective_from": "2026-01-01", "effective_to": "2026-12-31"}]})
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["updated"]) == (2, 1)
    fees = {(f["procedure_code"], f["modifier"]): f["amount"] for f in api.get(url(tenancy), headers=admin).json()}
    assert fees == {("99213", ""): "110.00", ("99213", "25"): "120.00", ("J3301", ""): "8.25"}

    bad = api.put(url(tenancy), headers=admin, json={"entries": [
        {"procedure_code": "99214", "amount": "90.00", "effective_from": "2026-01-01"},
        {"procedure_code": "9921", "amount": "-1", "effective_from": "2026-01-01", "effective_to": "2025-01-01"},
        {"procedure_code": "99214", "modifier": "TOOLONG", "amount": "1.005", "effective_from": "2026-01-01"}]})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    assert {e["key"] for e in bad.json()["errors"]} == {
        "entries[1].procedure_code", "entries[1].amount", "entries[1].effective_to",
        "entries[2].modifier", "entries[2].amount"}
    assert len(api.get(url(tenancy), headers=admin).json()) == 3  # 99214 was not saved
    assert api.put(url(tenancy), headers=admin, json={"entries": []}).status_code == 422


def test_fee_for_prefers_the_modifier_then_the_plain_row_in_force(db, tenancy):
    s1 = tenancy.a1
    make_fee(db, s1, code="99213", amount="100.00", effective_from="2025-01-01", effective_to="2025-12-31")
    make_fee(db, s1, code="99213", amount="110.00", effective_from="2026-01-01")
    make_fee(db, s1, code="99213", modifier="25", amount="130.00", effective_from="2026-01-01")
    make_fee(db, s1, code="99213", modifier="GT", amount="999.00", effective_from="2027-01-01")
    with db.sessions.tenant_unit(s1) as s:
        t = s1.tenant_id
        assert fee_for(s, t, "99213", [], date(2025, 6, 1)) == Decimal("100.00")
        assert fee_for(s, t, "99213", None, date(2026, 6, 1)) == Decimal("110.00")
        assert fee_for(s, t, "99213", ["59", "25"], date(2026, 6, 1)) == Decimal("130.00")
        assert fee_for(s, t, "99213", ["25"], date(2025, 6, 1)) == Decimal("100.00")  # no 25 row then
        assert fee_for(s, t, "99213", ["GT"], date(2026, 6, 1)) == Decimal("110.00")  # GT row not yet in force
        assert fee_for(s, t, "99213", [], date(2024, 6, 1)) is None
        assert fee_for(s, t, "99999", [], date(2026, 6, 1)) is None
    with db.sessions.tenant_unit(tenancy.a2) as s:
        assert fee_for(s, tenancy.a2.tenant_id, "99213", [], date(2026, 6, 1)) is None
