"""Login, lockout, session expiry, CSRF, TOTP and API tokens (scope, expiry, revocation)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, pool

from agency.identity import credentials as cred
from agency.identity import service as identity
from tenants.scope import AgencyScope
from tenants.urls import sync_url
from conftest import make_user, session_headers, token_headers

PASSWORD = "correct horse battery"


@pytest.fixture()
def web(api):
    api.cookies.clear()
    yield api
    api.cookies.clear()


def owner_sql(test_database, statement: str, **params) -> None:
    """Change rows as the superuser (RLS is forced even for the owner)."""
    engine = create_engine(sync_url(test_database.admin_url), poolclass=pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    engine.dispose()


def login(web, email: str, password: str):
    page = web.get("/login")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return web.post("/login", data={"email": email, "password": password, "csrf_token": csrf},
                    follow_redirects=False)


def test_login_sets_a_secure_session_and_gives_access(web, db, tenancy):
    _, email = make_user(db, tenancy.agency_a, "agency_admin", password=PASSWORD)
    r = login(web, email.upper(), PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/"
    set_cookie = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("agency_session=")][0]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie.replace("Lax", "lax")
    me = web.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["role"] == "agency_admin"
    # JSON clients on the session cookie need the CSRF header for unsafe methods.
    csrf = me.json()["csrf_token"]
    body = {"email": "someone@example.test", "display_name": "S", "role": "coder"}
    assert web.post("/api/v1/users", json=body).status_code == 403
    assert web.post("/api/v1/users", json=body, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert web.post("/api/v1/users", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    # logout revokes the server-side session
    home = web.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)
    assert web.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert web.get("/api/v1/auth/me").status_code == 401


def test_wrong_password_and_unknown_user_look_the_same(web, db, tenancy):
    _, email = make_user(db, tenancy.agency_a, "coder", password=PASSWORD)
    bad = login(web, email, "wrong password!!")
    unknown = login(web, "nobody@example.test", "wrong password!!")
    assert bad.status_code == unknown.status_code == 401
    assert "Invalid e-mail or password" in bad.text and "Invalid e-mail or password" in unknown.text


def test_login_form_needs_its_csrf_token(web, db, tenancy):
    _, email = make_user(db, tenancy.agency_a, "coder", password=PASSWORD)
    web.get("/login")
    r = web.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": "forged"},
                 follow_redirects=False)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    web.cookies.clear()
    r = web.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": "x"}, follow_redirects=False)
    assert r.status_code == 403


def test_malformed_login_post_is_a_problem(web):
    web.get("/login")
    r = web.post("/login", data={"email": "x@example.test"}, follow_redirects=False)
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")


def test_lockout_after_repeated_failures(web, db, tenancy, test_database):
    user_id, email = make_user(db, tenancy.agency_a, "coder", password=PASSWORD)
    for _ in range(identity.MAX_FAILED_LOGINS):
        assert login(web, email, "not the password").status_code == 401
    # locked: even the right password is refused, with the same answer
    r = login(web, email, PASSWORD)
    assert r.status_code == 401 and "Invalid e-mail or password" in r.text
    with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
        from agency.identity.models import User

        assert s.get(User, user_id).locked_until is not None
    # the lock expires
    owner_sql(test_database, "UPDATE app_user SET locked_until = now() - interval '1 second' WHERE id = :u",
              u=user_id)
    assert login(web, email, PASSWORD).status_code == 303


def test_session_idle_and_absolute_expiry(api, db, tenancy, test_database):
    user_id, _ = make_user(db, tenancy.agency_a, "coder")
    headers = session_headers(db, tenancy.agency_a, user_id)
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 200
    sid = cred.session_id_of(headers["Cookie"].split("=", 1)[1])
    idle = int(identity.SESSION_IDLE.total_seconds()) + 1
    owner_sql(test_database, f"UPDATE web_session SET last_seen_at = now() - interval '{idle} seconds' "
                             "WHERE id = :i", i=sid)
    r = api.get("/api/v1/auth/me", headers=headers)
    assert r.status_code == 401 and r.json()["status"] == 401
    headers = session_headers(db, tenancy.agency_a, user_id)
    sid = cred.session_id_of(headers["Cookie"].split("=", 1)[1])
    owner_sql(test_database, "UPDATE web_session SET expires_at = now() - interval '1 second' WHERE id = :i", i=sid)
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_deactivated_user_loses_access(api, db, callers, tenancy):
    user_id, _ = make_user(db, tenancy.agency_a, "coder")
    headers = session_headers(db, tenancy.agency_a, user_id)
    r = api.patch(f"/api/v1/users/{user_id}", json={"is_active": False}, headers=callers["agency_admin"])
    assert r.status_code == 200
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 401


def _enable_totp(api, db, tenancy) -> tuple[str, str]:
    user_id, email = make_user(db, tenancy.agency_a, "biller", password=PASSWORD)
    headers = session_headers(db, tenancy.agency_a, user_id)
    setup = api.post("/api/v1/auth/totp/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    assert setup.json()["otpauth_uri"].startswith("otpauth://totp/")
    wrong = api.post("/api/v1/auth/totp/confirm", json={"code": "000000"}, headers=headers)
    assert wrong.status_code == 422
    ok = api.post("/api/v1/auth/totp/confirm", json={"code": pyotp.TOTP(secret).now()}, headers=headers)
    assert ok.status_code == 204
    with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
        stored, legacy = s.execute(sa.text("SELECT totp_secret, totp_secret_legacy FROM app_user WHERE id = :i"),
                                   {"i": user_id}).one()
    assert legacy is None and stored is not None and secret.encode() not in bytes(stored)  # sealed at rest
    return email, secret


def test_totp_second_factor(web, db, tenancy):
    email, secret = _enable_totp(web, db, tenancy)
    web.cookies.clear()
    r = login(web, email, PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/login/totp"
    # half-logged-in: no API access yet
    assert web.get("/api/v1/auth/me").status_code == 401
    page = web.get("/login/totp")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    bad = web.post("/login/totp", data={"code": "123456", "csrf_token": csrf}, follow_redirects=False)
    assert bad.status_code == 401
    code = pyotp.TOTP(secret).at(time.time() + 30)  # next step: the confirm step is used up
    ok = web.post("/login/totp", data={"code": code, "csrf_token": csrf}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert web.get("/api/v1/auth/me").status_code == 200


def test_totp_code_cannot_be_replayed(db, tenancy):
    secret = pyotp.random_base32()
    now = time.time()
    code = pyotp.TOTP(secret).at(now)
    step = cred.verify_totp(secret, code, None, now)
    assert step is not None
    assert cred.verify_totp(secret, code, step, now) is None
    assert cred.verify_totp(secret, "12345", None, now) is None


# --- API tokens -----------------------------------------------------------------

def test_token_is_shown_once_stored_hashed_and_scoped(api, db, callers, tenancy):
    admin = callers["agency_admin"]
    r = api.post("/api/v1/tokens", headers=admin, json={"name": "EHR push", "practice_id": str(tenancy.a1.tenant_id),
                                                        "permissions": ["practice:read"], "expires_in_days": 30})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert token.startswith("agt_") and r.headers["cache-control"] == "no-store"
    token_id = r.json()["api_token"]["id"]
    listed = api.get("/api/v1/tokens", headers=admin).json()["items"]
    assert any(t["id"] == token_id for t in listed) and token not in str(listed)
    with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
        stored = s.execute(sa.text("SELECT secret_hash FROM api_token WHERE id = :i"), {"i": token_id}).scalar()
    assert token.split("_")[-1].encode() not in bytes(stored)
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get(f"/api/v1/practices/{tenancy.a1.tenant_id}", headers=bearer).status_code == 200
    # scope: only its practice, only its permissions
    assert api.get(f"/api/v1/practices/{tenancy.a2.tenant_id}", headers=bearer).status_code == 404
    assert api.get("/api/v1/users", headers=bearer).status_code == 403


def test_token_without_a_permission_is_forbidden_on_its_own_practice(api, db, tenancy):
    headers = token_headers(db, tenancy.agency_a, tenancy.a1.tenant_id, ["phi:read"])
    r = api.get(f"/api/v1/practices/{tenancy.a1.tenant_id}/locations", headers=headers)
    assert r.status_code == 403


def test_token_permissions_must_be_grantable(api, callers, tenancy):
    r = api.post("/api/v1/tokens", headers=callers["agency_admin"],
                 json={"name": "x", "practice_id": str(tenancy.a1.tenant_id), "permissions": ["users:manage"]})
    assert r.status_code == 422
    r = api.post("/api/v1/tokens", headers=callers["agency_admin"],
                 json={"name": "x", "practice_id": str(tenancy.b1.tenant_id), "permissions": ["phi:read"]})
    assert r.status_code == 404


def test_token_revocation(api, db, callers, tenancy):
    r = api.post("/api/v1/tokens", headers=callers["agency_admin"],
                 json={"name": "x", "practice_id": str(tenancy.a1.tenant_id), "permissions": ["practice:read"]})
    token, token_id = r.json()["token"], r.json()["api_token"]["id"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/auth/me", headers=bearer).status_code == 200
    assert api.delete(f"/api/v1/tokens/{token_id}", headers=callers["agency_admin"]).status_code == 204
    r = api.get("/api/v1/auth/me", headers=bearer)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_token_expiry(api, db, tenancy, test_database):
    headers = token_headers(db, tenancy.agency_a, tenancy.a1.tenant_id, ["practice:read"])
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 200
    token_id = headers["Authorization"].split("_")[1]
    owner_sql(test_database, "UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = :i",
              i=token_id)
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 401


@pytest.mark.parametrize("header", [
    "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer agt_nothex_x", "Bearer agt_" + "0" * 32 + "_short",
    "Bearer " + "x" * 5000, "Token abc",
])
def test_malformed_tokens_are_clear_401_problems(api, header):
    r = api.get("/api/v1/auth/me", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"]


def test_wrong_secret_for_a_real_token_id_is_401(api, db, tenancy):
    headers = token_headers(db, tenancy.agency_a, tenancy.a1.tenant_id, ["practice:read"])
    forged = headers["Authorization"][:-5] + "AAAAA"
    r = api.get("/api/v1/auth/me", headers={"Authorization": forged})
    assert r.status_code == 401


def test_garbage_session_cookie_is_anonymous(api):
    for cookie in ("agency_session=nonsense", "agency_session=" + "a" * 500, "agency_session"):
        assert api.get("/api/v1/auth/me", headers={"Cookie": cookie}).status_code == 401


def test_lockout_counter_unit(db, tenancy):
    user_id, _ = make_user(db, tenancy.agency_a, "coder", password=PASSWORD)
    now = identity.utcnow()
    with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
        for _ in range(identity.MAX_FAILED_LOGINS):
            assert not identity.check_password(s, tenancy.agency_a, user_id, "nope", now).ok
        assert identity.check_password(s, tenancy.agency_a, user_id, PASSWORD, now).locked
        later = now + identity.LOCKOUT + timedelta(seconds=1)
        assert identity.check_password(s, tenancy.agency_a, user_id, PASSWORD, later).ok


def test_totp_secret_stored_before_sealing_is_sealed_on_first_use(web, db, tenancy):
    """A secret kept in plaintext by an older version (totp_secret_legacy) still works,
    and is sealed and wiped from the plaintext column the first time it is used."""
    user_id, email = make_user(db, tenancy.agency_a, "biller", password=PASSWORD)
    secret = pyotp.random_base32()
    with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
        s.execute(sa.text("UPDATE app_user SET totp_secret_legacy = :s, totp_enabled = true WHERE id = :i"),
                  {"s": secret, "i": user_id})
    web.cookies.clear()
    assert login(web, email, PASSWORD).headers["location"] == "/login/totp"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/login/totp").text).group(1)
    ok = web.post("/login/totp", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
        stored, legacy = s.execute(sa.text("SELECT totp_secret, totp_secret_legacy FROM app_user WHERE id = :i"),
                                   {"i": user_id}).one()
    assert legacy is None and stored is not None and secret.encode() not in bytes(stored)


def test_login_attempts_from_one_address_are_throttled(settings, test_database):
    """Spraying passwords across many accounts never trips the per-account lockout;
    the per-address throttle stops it (429 problem), and other pages still answer."""
    from litestar.testing import TestClient

    from agency.api.app import create_app
    from agency.db.runtime import Database, DatabaseUrls

    tight = settings.model_copy(update={"login_rate_per_minute": 3})
    own = Database(tight, DatabaseUrls(app=test_database.app_url, owner=test_database.owner_url,
                                       system=test_database.system_url))
    with TestClient(create_app(tight, db=own)) as client:
        codes = []
        for i in range(5):
            page = client.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            r = client.post("/login", data={"email": f"nobody{i}@example.test", "password": "wrong-password",
                                            "csrf_token": csrf}, follow_redirects=False)
            codes.append(r.status_code)
        assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
        assert r.headers["content-type"].startswith("application/problem+json")
        assert client.get("/login").status_code == 200  # only the form posts are throttled
        assert client.get("/health").status_code == 200
