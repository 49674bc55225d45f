"""Migrations go up, all the way down, and up again on an empty database."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, pool

from agency.db import migrate
from tenants.catalog import rls_problems
from tenants.roles import drop_database
from tenants.urls import sync_url
from support import ADMIN_URL, create_test_database


def tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_on_empty_database():
    tdb = create_test_database(prefix="agency_migr", migrate=False)
    try:
        assert tables(tdb.owner_url) == set()
        migrate.upgrade(tdb.owner_url)
        first = tables(tdb.owner_url)
        assert {"agency", "practice", "service_location"} <= first
        migrate.downgrade(tdb.owner_url, "base")
        assert tables(tdb.owner_url) == set()
        assert migrate.current(tdb.owner_url) is None
        migrate.upgrade(tdb.owner_url)
        assert tables(tdb.owner_url) == first
        engine = create_engine(sync_url(tdb.owner_url), poolclass=pool.NullPool)
        with engine.connect() as conn:
            assert rls_problems(conn) == []
        engine.dispose()
    finally:
        drop_database(ADMIN_URL, tdb.name)
