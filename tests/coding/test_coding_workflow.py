"""The coding workflow through the API: queue, code changes with history,
queries to the practice, marking coded with fee-schedule pricing."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from coding_support import add_fee, make_encounter


def base(tenancy, scope=None) -> str:
    return f"/api/v1/practices/{(scope or tenancy.a1).tenant_id}/coding"


def test_queue_follows_assignments(api, db, tenancy, callers, code_sets):
    eid = make_encounter(db, tenancy.a1)
    r = api.get(f"{base(tenancy)}/queue", headers=callers["coder"])
    assert r.status_code == 200
    assert str(eid) in [i["encounter_id"] for i in r.json()["items"]]
    # The coder is assigned to A1 only: A2's queue does not exist for them.
    make_encounter(db, tenancy.a2)
    assert api.get(f"{base(tenancy, tenancy.a2)}/queue", headers=callers["coder"]).status_code == 404
    # Practice users do not work the coder queue.
    assert api.get(f"{base(tenancy)}/queue", headers=callers["practice_user"]).status_code == 403


def test_code_change_keeps_original_final_who_and_why(api, db, tenancy, callers, code_sets):
    eid = make_encounter(db, tenancy.a1, codes=("99213", "36415"), dx=("E119",))
    body = {"diagnoses": ["E11.65", "I10"],
            "lines": [{"line_number": 1, "procedure_code": "99214", "modifiers": ["25"],
                       "diagnosis_pointers": [1, 2]}],
            "reason": "Documentation supports moderate complexity"}
    r = api.put(f"{base(tenancy)}/encounters/{eid}/codes", headers=callers["coder"], json=body)
    assert r.status_code == 200, r.text
    h = r.json()
    assert h["original"]["diagnoses"] == ["E119"]
    assert h["current"]["diagnoses"] == ["E1165", "I10"]
    assert h["current"]["lines"][0] == {"line_number": 1, "procedure_code": "99214", "modifiers": ["25"],
                                        "units": "1.000", "diagnosis_pointers": [1, 2]}
    assert h["current"]["lines"][1]["procedure_code"] == "36415"  # untouched line
    change = h["changes"][0]
    assert change["seq"] == 1 and change["actor"].startswith("user:") and change["actor_role"] == "coder"
    assert change["reason"] == "Documentation supports moderate complexity"
    # A second change: the original stays what the practice sent.
    body2 = {**body, "diagnoses": ["E1165"], "lines": [{"line_number": 1, "procedure_code": "99214",
                                                        "modifiers": ["25"], "diagnosis_pointers": [1]}],
             "reason": "Hypertension not addressed"}
    h2 = api.put(f"{base(tenancy)}/encounters/{eid}/codes", headers=callers["coder"], json=body2).json()
    assert h2["original"]["diagnoses"] == ["E119"] and [c["seq"] for c in h2["changes"]] == [1, 2]
    # The reason is sealed at rest.
    with db.sessions.tenant_unit(tenancy.a1) as s:
        raw = s.execute(sa.text("SELECT reason FROM coding_change WHERE tenant_id = :t AND encounter_id = :e"),
                        {"t": tenancy.a1.tenant_id, "e": eid}).scalars().all()
    assert raw and all(b"moderate" not in bytes(x) and b"Hypertension" not in bytes(x) for x in raw)


def test_invalid_codes_are_refused_precisely_and_nothing_changes(api, db, tenancy, callers, code_sets):
    eid = make_encounter(db, tenancy.a1)
    body = {"diagnoses": ["E11"], "lines": [{"line_number": 1, "procedure_code": "9921", "modifiers": ["ZZ"],
                                             "diagnosis_pointers": [3]}], "reason": "recode"}
    r = api.put(f"{base(tenancy)}/encounters/{eid}/codes", headers=callers["coder"], json=body)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    keys = {e["key"]: e["message"] for e in r.json()["errors"]}
    assert "category header" in keys["diagnoses[0]"]
    assert set(keys) >= {"lines[0].procedure_code", "lines[0].modifiers[0]", "lines[0].diagnosis_pointers[0]"}
    h = api.get(f"{base(tenancy)}/encounters/{eid}/history", headers=callers["coder"]).json()
    assert h["changes"] == [] and h["current"]["diagnoses"] == ["E119"]
    missing_reason = {**body, "diagnoses": ["E119"], "lines": [], "reason": " "}
    assert api.put(f"{base(tenancy)}/encounters/{eid}/codes", headers=callers["coder"],
                   json=missing_reason).status_code == 422
    assert api.put(f"{base(tenancy)}/encounters/{eid}/codes", headers=callers["practice_user"],
                   json=body).status_code == 403


def test_mark_coded_prices_from_the_fee_schedule(api, db, tenancy, callers, code_sets):
    eid = make_encounter(db, tenancy.a1, codes=("99213",))
    url = f"{base(tenancy)}/encounters/{eid}/coded"
    r = api.post(url, headers=callers["coder"])
    assert r.status_code == 422
    assert "fee schedule has no price for 99213" in r.json()["errors"][0]["message"]
    add_fee(db, tenancy.a1, "99213", "125.50")
    r = api.post(url, headers=callers["coder"])
    assert r.status_code == 200 and r.json() == {"encounter_id": str(eid), "status": "coded", "priced_lines": [1]}
    with db.sessions.tenant_unit(tenancy.a1) as s:
        charge, status = s.execute(sa.text(
            "SELECT l.charge, e.status FROM encounter_line l JOIN encounter e ON e.tenant_id = l.tenant_id "
            "AND e.id = l.encounter_id WHERE l.tenant_id = :t AND l.encounter_id = :e"),
            {"t": tenancy.a1.tenant_id, "e": eid}).one()
    assert (charge, status) == (Decimal("125.50"), "coded")
    assert api.post(url, headers=callers["coder"]).status_code == 409
    # Coded encounters leave the queue and can no longer be recoded here.
    assert str(eid) not in [i["encounter_id"] for i in
                            api.get(f"{base(tenancy)}/queue", headers=callers["coder"]).json()["items"]]


def test_query_thread_between_coder_and_practice(api, db, tenancy, callers, code_sets):
    eid = make_encounter(db, tenancy.a1, charge=Decimal("80.00"))
    q = api.post(f"{base(tenancy)}/encounters/{eid}/queries", headers=callers["coder"],
                 json={"question": "Was the A1c result reviewed at this visit?"})
    assert q.status_code == 201, q.text
    qid = q.json()["id"]
    # The practice sees its open queries and answers.
    listed = api.get(f"{base(tenancy)}/queries?status=open", headers=callers["practice_user"]).json()
    assert qid in [x["id"] for x in listed]
    a = api.post(f"{base(tenancy)}/queries/{qid}/messages", headers=callers["practice_user"],
                 json={"body": "Yes, reviewed and discussed"})
    assert a.status_code == 201 and a.json()["status"] == "answered"
    thread = api.get(f"{base(tenancy)}/queries/{qid}", headers=callers["coder"]).json()
    assert [m["body"] for m in thread["messages"]] == ["Was the A1c result reviewed at this visit?",
                                                       "Yes, reviewed and discussed"]
    assert [m["author_role"] for m in thread["messages"]] == ["coder", "practice_user"]
    # Not coded while the query is open; closing it unblocks.
    assert api.post(f"{base(tenancy)}/encounters/{eid}/coded", headers=callers["coder"]).status_code == 409
    assert api.post(f"{base(tenancy)}/queries/{qid}/close", headers=callers["practice_user"]).status_code == 403
    assert api.post(f"{base(tenancy)}/queries/{qid}/close", headers=callers["coder"]).json()["status"] == "closed"
    assert api.post(f"{base(tenancy)}/encounters/{eid}/coded", headers=callers["coder"]).status_code == 200
    assert api.post(f"{base(tenancy)}/queries/{qid}/messages", headers=callers["practice_user"],
                    json={"body": "late"}).status_code == 409
    with db.sessions.tenant_unit(tenancy.a1) as s:
        bodies = s.execute(sa.text("SELECT body FROM coding_query_message WHERE tenant_id = :t"),
                           {"t": tenancy.a1.tenant_id}).scalars().all()
    assert bodies and all(b"A1c" not in bytes(b) and b"reviewed" not in bytes(b) for b in bodies)


def test_every_code_change_is_in_the_audit_trail(api, db, tenancy, callers, code_sets):
    eid = make_encounter(db, tenancy.a1)
    api.put(f"{base(tenancy)}/encounters/{eid}/codes", headers=callers["coder"],
            json={"diagnoses": ["I10"], "lines": [], "reason": "recode"})
    with db.sessions.tenant_unit(tenancy.a1) as s:
        actions = s.execute(sa.text("SELECT action FROM audit_event WHERE tenant_id = :t AND resource_type = "
                                    "'encounter' AND resource_id = :e"),
                            {"t": tenancy.a1.tenant_id, "e": str(eid)}).scalars().all()
    assert "update" in actions


def test_agency_queue_spans_exactly_the_coders_practices(api, db, tenancy, callers, code_sets):
    from support import make_agency_with_practices  # noqa: F401  (tenancy already has A1, A2, B1)

    a1 = [make_encounter(db, tenancy.a1) for _ in range(3)]
    a2 = make_encounter(db, tenancy.a2)
    b1 = make_encounter(db, tenancy.b1)
    seen, cursor = [], None
    while True:
        r = api.get("/api/v1/coding/queue", headers=callers["coder"],
                    params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    ids = [i["encounter_id"] for i in seen]
    assert set(map(str, a1)) <= set(ids) and str(a2) not in ids and str(b1) not in ids
    assert {i["practice_id"] for i in seen} == {str(tenancy.a1.tenant_id)}
    assert len(ids) == len(set(ids))  # pages neither repeat nor skip
    admin_ids = [i["encounter_id"] for i in api.get("/api/v1/coding/queue", headers=callers["agency_admin"],
                                                    params={"limit": 200}).json()["items"]]
    assert str(a2) in admin_ids and str(b1) not in admin_ids
    assert api.get("/api/v1/coding/queue", headers=callers["practice_user"]).status_code == 403
    assert api.get("/api/v1/coding/queue", headers=callers["coder"],
                   params={"cursor": "garbage"}).status_code == 400
