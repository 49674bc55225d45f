"""Helpers shared by tests and benchmarks: throwaway databases, tenants, processes.

Environment:
  AGENCY_TEST_ADMIN_URL  superuser URL (default postgresql://postgres@127.0.0.1:5432/postgres)
  AGENCY_TEST_REDIS_URL  Redis for broker tests (default redis://127.0.0.1:6379/15)
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from tenants.roles import RoleNames, bootstrap

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def agency_env(**extra: str) -> dict[str, str]:
    """The environment without any AGENCY_ setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENCY_")}
    env.update(extra)
    return env


def get_json(url: str, timeout: float = 2) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


# --- encounters and intake (issue 6) ---------------------------------------------

@dataclass(frozen=True)
class PracticeSetup:
    provider_id: uuid.UUID
    npi: str
    location_id: uuid.UUID
    location_code: str
    payer_code: str


def npi_with_check_digit(nine: str) -> str:
    total = 24
    for i, ch in enumerate(reversed(nine)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return nine + str((10 - total % 10) % 10)


def make_practice_setup(db, scope) -> PracticeSetup:
    """A rendering provider, a service location (POS 11) and an agency payer."""
    from agency.db.base import new_id
    from agency.payers.models import Payer
    from agency.practices.models import RenderingProvider, ServiceLocation
    from tenants.scope import AgencyScope

    npi = npi_with_check_digit(str(100000000 + uuid.uuid4().int % 800000000)[:9])
    code = f"LOC{uuid.uuid4().hex[:6].upper()}"
    payer_code = f"P{uuid.uuid4().hex[:8].upper()}"
    prov, loc = new_id(), new_id()
    with db.sessions.tenant_unit(scope) as s:
        s.add(ServiceLocation(tenant_id=scope.tenant_id, id=loc, code=code, name="Main clinic", place_of_service="11"))
        s.flush()
        s.add(RenderingProvider(tenant_id=scope.tenant_id, id=prov, npi=npi, first_name="Ada", last_name="Lovelace"))
    with db.sessions.agency_unit(AgencyScope(scope.agency_id)) as s:
        s.add(Payer(agency_id=scope.agency_id, id=new_id(), payer_code=payer_code, name="Test payer",
                    claim_type="professional"))
    return PracticeSetup(prov, npi, loc, code, payer_code)


_CODE_SETS_LOADED: set[str] = set()


def load_code_sets(owner_url: str) -> None:
    """Bundled FY2026 ICD-10-CM, POS, modifiers and the 2026Q1 HCPCS fixture, as the
    owner role, once per database and process (idempotent anyway)."""
    if owner_url in _CODE_SETS_LOADED:
        return
    from pathlib import Path

    from sqlalchemy import create_engine, pool
    from sqlalchemy.orm import Session

    from agency.codesets import service
    from tenants.urls import sync_url

    hcpcs = Path(__file__).parent / "codesets" / "fixtures" / "HCPC2026_JAN_ANWEB.txt"
    engine = create_engine(sync_url(owner_url), poolclass=pool.NullPool)
    try:
        with Session(engine) as s, s.begin():
            service.load_bundled(s)
            service.load_hcpcs_file(s, hcpcs, effective_from=service.quarter_start("2026Q1"), version="2026Q1")
    finally:
        engine.dispose()
    _CODE_SETS_LOADED.add(owner_url)
