"""The schema itself obeys the tenancy rules; a table that breaks them is named."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import create_engine, pool

from tenants.catalog import key_problems, rls_problems, runtime_role_problems, tenant_tables
from tenants.urls import sync_url


def owner_engine(test_database):
    return create_engine(sync_url(test_database.owner_url), poolclass=pool.NullPool)


def test_every_tenant_table_has_forced_rls_and_the_tenant_policy(test_database):
    engine = owner_engine(test_database)
    with engine.connect() as conn:
        assert "service_location" in tenant_tables(conn)
        assert rls_problems(conn) == []
        assert key_problems(conn) == []


def test_runtime_role_is_bound_by_rls(test_database, settings):
    engine = owner_engine(test_database)
    with engine.connect() as conn:
        assert runtime_role_problems(conn, settings.app_role) == []
        # The system role is the only one allowed to bypass.
        assert "has BYPASSRLS" in " ".join(runtime_role_problems(conn, settings.system_role))


def test_a_new_table_without_policy_is_caught(test_database):
    engine = owner_engine(test_database)
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(sa.text("CREATE TABLE sneaky (tenant_id uuid NOT NULL, id uuid NOT NULL, "
                             "code text, PRIMARY KEY (id), UNIQUE (code))"))
        conn.execute(sa.text("CREATE TABLE sneaky_child (tenant_id uuid NOT NULL, id uuid NOT NULL, "
                             "parent_id uuid REFERENCES sneaky (id), PRIMARY KEY (tenant_id, id))"))
        problems = rls_problems(conn) + key_problems(conn)
        trans.rollback()
    text = "\n".join(problems)
    assert "sneaky: row-level security is not enabled" in text
    assert "sneaky: row-level security is not forced" in text
    assert "sneaky: no tenant policy" in text
    assert "sneaky: primary key ['id'] does not start with tenant_id" in text
    assert "sneaky_child: no tenant policy" in text
    assert "foreign key into tenant table sneaky lacks tenant_id" in text
    assert "unique index does not start with tenant_id" in text


def test_policy_helper_output_is_caught_if_check_is_missing(test_database):
    engine = owner_engine(test_database)
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(sa.text("CREATE TABLE half (tenant_id uuid NOT NULL, id uuid NOT NULL, "
                             "PRIMARY KEY (tenant_id, id))"))
        conn.execute(sa.text("ALTER TABLE half ENABLE ROW LEVEL SECURITY"))
        conn.execute(sa.text("ALTER TABLE half FORCE ROW LEVEL SECURITY"))
        conn.execute(sa.text("CREATE POLICY p ON half FOR SELECT USING "
                             "(tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)"))
        problems = rls_problems(conn)
        trans.rollback()
    assert problems == ["half: no tenant policy with USING and WITH CHECK on app.current_tenant"]


def test_app_refuses_to_run_as_a_role_rls_does_not_bind(test_database):
    import pytest

    from tenants.engines import UnsafeDatabaseRole, assert_runtime_role, make_sync_engine

    engine = make_sync_engine(test_database.owner_url)
    with pytest.raises(UnsafeDatabaseRole, match="owns"):
        assert_runtime_role(engine)
    engine.dispose()
    admin = make_sync_engine(test_database.admin_url)
    with pytest.raises(UnsafeDatabaseRole, match="superuser"):
        assert_runtime_role(admin)
    admin.dispose()
