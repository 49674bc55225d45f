"""Shared fixtures: a real PostgreSQL database per test session, migrated with
alembic (never create_all: it would create no RLS policies), connected as the
runtime role; two agencies and practices for isolation tests.

Environment:
  AGENCY_TEST_ADMIN_URL  superuser URL (default postgresql://postgres@127.0.0.1:5432/postgres)
  AGENCY_TEST_REDIS_URL  Redis for broker tests (default redis://127.0.0.1:6379/15)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from support import ADMIN_URL, create_test_database, make_agency_with_practices
from tenants.roles import drop_database

@pytest.fixture(scope="session")
def test_database():
    tdb = create_test_database()
    yield tdb
    drop_database(ADMIN_URL, tdb.name)


@pytest.fixture(scope="session")
def settings(test_database, tmp_path_factory):
    from agency.settings import load_settings

    return load_settings(database_url=test_database.app_url, migrator_database_url=test_database.owner_url,
                         system_database_url=test_database.system_url,
                         data_dir=tmp_path_factory.mktemp("data"),
                         # short key-cache TTL so rotation tests settle in about a second
                         key_cache_ttl_seconds=1,
                         # every test logs in from the same address; the throttle has its own test
                         login_rate_per_minute=10_000)


@pytest.fixture(scope="session")
def db(settings, test_database):
    from agency.db.runtime import Database, DatabaseUrls

    database = Database(settings, DatabaseUrls(app=test_database.app_url, owner=test_database.owner_url,
                                               system=test_database.system_url))
    yield database
    database.dispose()


@dataclass(frozen=True)
class Tenancy:
    """Two agencies; agency A has practices A1 and A2, agency B has B1."""

    agency_a: uuid.UUID
    agency_b: uuid.UUID
    a1: "object"
    a2: "object"
    b1: "object"


@pytest.fixture()
def tenancy(db) -> Tenancy:
    agency_a, (a1, a2) = make_agency_with_practices(db, "Practice A1", "Practice A2")
    agency_b, (b1,) = make_agency_with_practices(db, "Practice B1")
    return Tenancy(agency_a=agency_a, agency_b=agency_b, a1=a1, a2=a2, b1=b1)


# --- identity and API fixtures (issue 5) -----------------------------------------

def make_user(db, agency_id, role: str, *, practice_id=None, assigned=(), password: str | None = None,
              email: str | None = None):
    """A user of ``agency_id`` (no password unless given: argon2 is slow on purpose)."""
    from agency.identity import service as identity
    from agency.identity.policy import make_user_principal
    from tenants.scope import AgencyScope

    email = email or f"{role}-{uuid.uuid4().hex[:10]}@example.test"
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        user = identity.create_user(s, agency_id, email=email, display_name=role.title(), role=role,
                                    practice_id=practice_id, password=password)
        admin = make_user_principal(user_id=user.id, agency_id=agency_id, role="agency_admin",
                                    own_practice=None, assigned=frozenset())
        for pid in assigned:
            identity.assign(s, admin, user.id, pid)
        return user.id, email


def session_headers(db, agency_id, user_id) -> dict[str, str]:
    """Cookie + CSRF headers of a fresh, fully logged-in web session."""
    from agency.identity import service as identity
    from tenants.scope import AgencyScope

    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        cookie, row = identity.start_web_session(s, agency_id, user_id, mfa_pending=False)
        csrf = row.csrf_token
    return {"Cookie": f"agency_session={cookie}", "X-CSRF-Token": csrf}


def token_headers(db, agency_id, practice_id, permissions, *, creator=None, days: int = 30) -> dict[str, str]:
    from agency.identity import service as identity
    from agency.identity.policy import make_user_principal
    from tenants.scope import AgencyScope

    creator = creator or make_user(db, agency_id, "agency_admin")[0]
    admin = make_user_principal(user_id=creator, agency_id=agency_id, role="agency_admin", own_practice=None,
                                assigned=frozenset())
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        plaintext, _ = identity.issue_token(s, admin, name="test", practice_id=practice_id,
                                            permissions=list(permissions), expires_in_days=days)
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture(scope="session")
def api_app(settings, test_database):
    """The app on its own Database object: its async engine lives in the session
    client's event loop and must not be shared with other TestClients."""
    from agency.api.app import create_app
    from agency.db.runtime import Database, DatabaseUrls

    own = Database(settings, DatabaseUrls(app=test_database.app_url, owner=test_database.owner_url,
                                          system=test_database.system_url))
    return create_app(settings, db=own)


@pytest.fixture(scope="session")
def api(api_app):
    """One TestClient for the session; pass credentials per request (headers), not via its cookie jar."""
    from litestar.testing import TestClient

    with TestClient(api_app) as client:
        yield client


@pytest.fixture()
def callers(db, tenancy) -> dict[str, dict[str, str]]:
    """Request headers per role, all in agency A: staff assigned to A1 only,
    practice users bound to A1, and an API token for A1 with every grantable permission."""
    from agency.identity.policy import TOKEN_GRANTABLE

    a, a1 = tenancy.agency_a, tenancy.a1.tenant_id
    out: dict[str, dict[str, str]] = {}
    for role in ("agency_admin", "agency_manager"):
        out[role] = session_headers(db, a, make_user(db, a, role)[0])
    for role in ("coder", "biller"):
        out[role] = session_headers(db, a, make_user(db, a, role, assigned=[a1])[0])
    for role in ("practice_admin", "practice_user"):
        out[role] = session_headers(db, a, make_user(db, a, role, practice_id=a1)[0])
    out["api_token"] = token_headers(db, a, a1, [p.value for p in TOKEN_GRANTABLE])
    return out


# --- cross-tenant route cases (BOLA route walk, audit-per-route) ------------------
# Register one case per API route that has an id parameter, in any file named
# tests/**/route_cases.py (the walk imports them all):
#
#     from conftest import RouteCaseData, route_case
#
#     @route_case("/api/v1/practices/{practice_id:uuid}/patients/{patient_id:uuid}")
#     def _(db, scope, method):            # scope: TenantScope of the practice to create in
#         patient = ...create a patient in scope...
#         return RouteCaseData(path={"practice_id": scope.tenant_id, "patient_id": patient.id},
#                              json=None, markers=[patient.last_name])
#
# The walk calls the factory with a practice the caller may NOT see and asserts the
# answer is 403/404 with none of ``markers`` (nor the ids) in the body; the
# audit test calls it with the caller's own practice and expects a 2xx and an
# audit event for routes declaring ``opt={"audit": <action>}``.

ROUTE_CASES: dict[str, object] = {}


@dataclass
class RouteCaseData:
    path: dict
    json: object = None
    query: dict | None = None
    markers: list = None  # strings that must never appear in a refused response

    def all_markers(self) -> list[str]:
        ids = [str(v) for v in self.path.values()]
        ids += [str(v) for v in (self.query or {}).values()]
        return [str(m) for m in (self.markers or [])] + ids


def route_case(path: str):
    def register(factory):
        ROUTE_CASES[path] = factory
        return factory
    return register


def load_route_cases() -> dict[str, object]:
    import importlib.util
    from pathlib import Path

    for i, file in enumerate(sorted(Path(__file__).parent.rglob("route_cases.py"))):
        name = f"_route_cases_{i}_{file.parent.name}"
        if name in __import__("sys").modules:
            continue
        spec = importlib.util.spec_from_file_location(name, file)
        module = importlib.util.module_from_spec(spec)
        __import__("sys").modules[name] = module
        spec.loader.exec_module(module)
    return ROUTE_CASES


def api_routes(app):
    """(path pattern, method, handler) of every /api/v1 route except the OpenAPI ones."""
    from litestar.routes import HTTPRoute

    out = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/v1/") \
                or route.path.startswith("/api/v1/schema"):
            continue
        for method, entry in route.route_handler_map.items():
            if method in ("OPTIONS", "HEAD"):
                continue
            out.append((route.path, method, entry[0] if isinstance(entry, tuple) else entry))
    return sorted(out, key=lambda r: (r[0], r[1]))


def fill_path(pattern: str, params: dict) -> str:
    import re

    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(params[m.group(1)]), pattern)


@pytest.fixture(scope="session")
def samples():
    """The public X12 sample corpus (../shared/x12-samples beside the repo, or $X12_SAMPLES_DIR).

    Lives here rather than in tests/edi/conftest.py: a second conftest module
    would shadow this one for tests that import helpers from it."""
    import os
    from pathlib import Path

    env = os.environ.get("X12_SAMPLES_DIR")
    root = Path(env) if env else (Path(__file__).resolve().parents[1] / ".." / "shared" / "x12-samples").resolve()
    if not root.is_dir():
        pytest.skip(f"sample corpus not found at {root} (set X12_SAMPLES_DIR)")
    return root


# --- code sets for encounter/intake tests (issue 6) ---------------------------------

@pytest.fixture(scope="session")
def code_sets(test_database):
    """Bundled FY2026 ICD-10-CM, POS, modifiers and the 2026Q1 HCPCS fixture, loaded
    once as the owner role (idempotent: the code-set tests load the same releases)."""
    from support import load_code_sets

    load_code_sets(test_database.owner_url)
    return True
