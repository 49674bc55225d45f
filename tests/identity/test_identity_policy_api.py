"""Roles see what the policy says: practices, users, tokens, audit."""

from __future__ import annotations

import pytest

from conftest import make_user, session_headers


def test_me_and_practice_visibility_per_role(api, callers, tenancy):
    a1, a2 = str(tenancy.a1.tenant_id), str(tenancy.a2.tenant_id)
    expected = {"agency_admin": {a1, a2}, "agency_manager": {a1, a2}, "coder": {a1}, "biller": {a1},
                "practice_admin": {a1}, "practice_user": {a1}, "api_token": {a1}}
    for role, headers in callers.items():
        me = api.get("/api/v1/auth/me", headers=headers)
        assert me.status_code == 200, (role, me.text)
        assert me.json()["role"] == role
        listed = api.get("/api/v1/practices", headers=headers)
        assert listed.status_code == 200, (role, listed.text)
        assert {p["id"] for p in listed.json()["items"]} == expected[role], role
        for pid in (a1, a2):
            detail = api.get(f"/api/v1/practices/{pid}", headers=headers)
            assert detail.status_code == (200 if pid in expected[role] else 404), (role, pid)


def test_unauthenticated_is_401_problem(api, tenancy):
    r = api.get("/api/v1/practices")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401 and "x-request-id" in r.headers


@pytest.mark.parametrize("role", ["agency_manager", "coder", "biller", "practice_admin", "practice_user",
                                  "api_token"])
def test_only_agency_admins_manage_users_tokens_and_audit(api, callers, role):
    for path in ("/api/v1/users", "/api/v1/tokens", "/api/v1/audit", "/api/v1/audit/export.csv"):
        r = api.get(path, headers=callers[role])
        assert r.status_code == 403, (role, path, r.text)
        assert r.json()["title"] == "Forbidden"


def test_admin_creates_user_assigns_and_the_user_then_sees_the_practice(api, db, callers, tenancy):
    admin = callers["agency_admin"]
    r = api.post("/api/v1/users", headers=admin,
                 json={"email": "New.Coder@Example.test", "display_name": "New", "role": "coder"})
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["email"] == "new.coder@example.test"
    coder = session_headers(db, tenancy.agency_a, user["id"])
    assert api.get(f"/api/v1/practices/{tenancy.a2.tenant_id}", headers=coder).status_code == 404
    r = api.post(f"/api/v1/users/{user['id']}/assignments", headers=admin,
                 json={"practice_id": str(tenancy.a2.tenant_id)})
    assert r.status_code == 201, r.text
    assert api.get(f"/api/v1/practices/{tenancy.a2.tenant_id}", headers=coder).status_code == 200
    r = api.delete(f"/api/v1/users/{user['id']}/assignments/{tenancy.a2.tenant_id}", headers=admin)
    assert r.status_code == 204
    assert api.get(f"/api/v1/practices/{tenancy.a2.tenant_id}", headers=coder).status_code == 404


def test_user_create_rejects_mass_assignment_and_bad_roles(api, callers, tenancy):
    admin = callers["agency_admin"]
    r = api.post("/api/v1/users", headers=admin, json={"email": "x@example.test", "display_name": "X",
                                                       "role": "coder", "agency_id": str(tenancy.agency_b)})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    r = api.post("/api/v1/users", headers=admin, json={"email": "x@example.test", "display_name": "X",
                                                       "role": "root"})
    assert r.status_code == 422
    r = api.post("/api/v1/users", headers=admin, json={"email": "x@example.test", "display_name": "X",
                                                       "role": "practice_user",
                                                       "practice_id": str(tenancy.b1.tenant_id)})
    assert r.status_code == 404  # another agency's practice does not exist here


def test_duplicate_email_is_a_conflict(api, db, callers, tenancy):
    _, email = make_user(db, tenancy.agency_b, "coder")
    r = api.post("/api/v1/users", headers=callers["agency_admin"],
                 json={"email": email, "display_name": "Dup", "role": "coder"})
    assert r.status_code == 409


def test_roles_are_listed(api, callers):
    r = api.get("/api/v1/roles", headers=callers["coder"])
    assert r.status_code == 200
    assert {x["role"] for x in r.json()} >= {"agency_admin", "coder", "practice_user", "api_token"}
