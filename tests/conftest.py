"""Shared fixtures: a real PostgreSQL database per test session, migrated with
alembic (never create_all: it would create no RLS policies), connected as the
runtime role; two agencies and practices for isolation tests.

Environment:
  AGENCY_TEST_ADMIN_URL  superuser URL (default postgresql://postgres@127.0.0.1:5432/postgres)
  AGENCY_TEST_REDIS_URL  Redis for broker tests (default redis://127.0.0.1:6379/15)
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import pytest

from tenants.roles import RoleNames, bootstrap, drop_database

ADMIN_URL = os.environ.get("AGENCY_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("AGENCY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROLES = RoleNames()


def url_for(user: str, database: str) -> str:
    parts = urlsplit(ADMIN_URL)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}@{host}:{parts.port or 5432}"
    return urlunsplit(("postgresql", netloc, "/" + database, "", ""))


@dataclass(frozen=True)
class TestDatabase:
    name: str
    app_url: str
    owner_url: str
    system_url: str
    admin_url: str


def create_test_database(prefix: str = "agency_test", migrate: bool = True) -> TestDatabase:
    from agency.db import migrate as migrations

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    bootstrap(ADMIN_URL, name, ROLES)
    tdb = TestDatabase(name=name, app_url=url_for(ROLES.app, name), owner_url=url_for(ROLES.owner, name),
                       system_url=url_for(ROLES.system, name), admin_url=url_for("postgres", name))
    if migrate:
        migrations.upgrade(tdb.owner_url)
    return tdb


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
                         key_cache_ttl_seconds=1)


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


def make_agency_with_practices(db, *names: str, index_bits: int | None = None):
    """An agency and its practices, each with its own keys (as onboarding makes them)."""
    from agency.db.base import new_id
    from agency.keys.runtime import provider_for
    from agency.keys.service import DEFAULT_INDEX_BITS, provision_practice_keys
    from agency.practices.models import Agency, Practice
    from tenants.scope import AgencyScope, TenantScope

    agency_id = new_id()
    scopes = []
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        s.add(Agency(id=agency_id, slug=f"ag-{agency_id.hex[:12]}", name="Agency " + agency_id.hex[:6]))
    for name in names:
        scope = TenantScope(agency_id, new_id())
        with db.sessions.tenant_unit(scope) as s:
            s.add(Practice(id=scope.tenant_id, agency_id=agency_id, name=name))
            s.flush()
            provision_practice_keys(s, provider_for(db), scope.tenant_id, index_bits or DEFAULT_INDEX_BITS)
        scopes.append(scope)
    return agency_id, scopes


@pytest.fixture()
def tenancy(db) -> Tenancy:
    agency_a, (a1, a2) = make_agency_with_practices(db, "Practice A1", "Practice A2")
    agency_b, (b1,) = make_agency_with_practices(db, "Practice B1")
    return Tenancy(agency_a=agency_a, agency_b=agency_b, a1=a1, a2=a2, b1=b1)
