"""The per-practice hash chain: intact chains verify; a record altered or removed
directly in the database is pinpointed (library and ``agency audit verify``)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, pool

from agency.audit import service as audit
from agency.audit.chain import record_hash
from agency.audit.models import AuditEvent
from support import agency_env
from tenants.urls import sync_url


def superuser_sql(test_database, statement: str, **params):
    engine = create_engine(sync_url(test_database.admin_url), poolclass=pool.NullPool)
    with engine.begin() as conn:
        result = conn.execute(sa.text(statement), params)
        rows = result.all() if result.returns_rows else None
    engine.dispose()
    return rows


def chain_of(db, scope, n: int = 5) -> list[AuditEvent]:
    actor = audit.AuditActor("user", "u-1", "coder", "127.0.0.1", "req-1")
    for i in range(n):
        with db.sessions.tenant_unit(scope) as s:
            audit.record(s, actor, "read", "patient", f"p-{i}")
    with db.sessions.tenant_unit(scope) as s:
        return list(s.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)))


def verify(db, scope):
    with db.sessions.tenant_unit(scope) as s:
        return audit.verify_chain(s, scope.tenant_id)


def test_untouched_chain_verifies(db, tenancy):
    rows = chain_of(db, tenancy.a1)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert verify(db, tenancy.a1) == (5, [])
    assert verify(db, tenancy.a2) == (0, [])  # empty chain is fine


def test_chains_are_per_practice(db, tenancy):
    chain_of(db, tenancy.a1, 2)
    chain_of(db, tenancy.b1, 3)
    assert verify(db, tenancy.a1) == (2, []) and verify(db, tenancy.b1) == (3, [])


def test_altered_record_is_pinpointed(db, tenancy, test_database):
    rows = chain_of(db, tenancy.a1)
    superuser_sql(test_database, "UPDATE audit_event SET resource_id = 'p-other' WHERE id = :i", i=rows[2].id)
    count, problems = verify(db, tenancy.a1)
    assert [(p.kind, p.seq, p.record_id) for p in problems] == [("altered", 3, rows[2].id)]


def test_rewritten_record_with_recomputed_hash_is_pinpointed(db, tenancy, test_database):
    rows = chain_of(db, tenancy.a1)
    forged = rows[1]
    forged.action = "list"
    new_hash = record_hash(forged)
    superuser_sql(test_database, "UPDATE audit_event SET action = 'list', hash = :h WHERE id = :i",
                  h=new_hash, i=forged.id)
    _, problems = verify(db, tenancy.a1)
    assert [(p.kind, p.seq) for p in problems] == [("altered", 2)]


def test_removed_middle_record_is_pinpointed(db, tenancy, test_database):
    rows = chain_of(db, tenancy.a1)
    superuser_sql(test_database, "DELETE FROM audit_event WHERE id = :i", i=rows[1].id)
    _, problems = verify(db, tenancy.a1)
    assert [(p.kind, p.seq) for p in problems] == [("removed", 2)]
    assert "seq 2" in str(problems[0])


def test_removed_newest_records_are_pinpointed(db, tenancy, test_database):
    rows = chain_of(db, tenancy.a1)
    superuser_sql(test_database, "DELETE FROM audit_event WHERE id IN (:a, :b)", a=rows[3].id, b=rows[4].id)
    _, problems = verify(db, tenancy.a1)
    assert [(p.kind, p.seq) for p in problems] == [("removed", 4)]
    assert "seq 4..5" in str(problems[0])


def test_rewritten_newest_record_is_pinpointed(db, tenancy, test_database):
    rows = chain_of(db, tenancy.a1)
    last = rows[-1]
    last.resource_id = "p-forged"
    superuser_sql(test_database, "UPDATE audit_event SET resource_id = 'p-forged', hash = :h WHERE id = :i",
                  h=record_hash(last), i=last.id)
    _, problems = verify(db, tenancy.a1)
    assert [(p.kind, p.seq) for p in problems] == [("altered", 5)]


def test_concurrent_appends_keep_one_unbroken_chain(db, tenancy):
    from concurrent.futures import ThreadPoolExecutor

    def one(i):
        with db.sessions.tenant_unit(tenancy.a1) as s:
            audit.record(s, audit.SYSTEM, "read", "patient", f"c-{i}")

    with ThreadPoolExecutor(8) as pool_:
        list(pool_.map(one, range(40)))
    assert verify(db, tenancy.a1) == (40, [])


def test_rolled_back_work_leaves_no_event(db, tenancy):
    with pytest.raises(RuntimeError):
        with db.sessions.tenant_unit(tenancy.a1) as s:
            audit.record(s, audit.SYSTEM, "read", "patient", "p-1")
            raise RuntimeError("boom")
    assert verify(db, tenancy.a1) == (0, [])


def _cli(test_database, *args):
    env = agency_env(AGENCY_DATABASE_URL=test_database.app_url, AGENCY_MIGRATOR_DATABASE_URL=test_database.owner_url,
                     AGENCY_SYSTEM_DATABASE_URL=test_database.system_url)
    return subprocess.run([sys.executable, "-m", "agency.cli.main", "audit", "verify", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_cli_verify_passes_then_names_the_tampered_record(db, tenancy, test_database):
    rows = chain_of(db, tenancy.a1, 3)
    ok = _cli(test_database, "--practice", str(tenancy.a1.tenant_id))
    assert ok.returncode == 0, ok.stderr
    assert "intact: 3 record(s)" in ok.stdout
    superuser_sql(test_database, "UPDATE audit_event SET actor_id = 'someone-else' WHERE id = :i", i=rows[0].id)
    superuser_sql(test_database, "DELETE FROM audit_event WHERE id = :i", i=rows[2].id)
    bad = _cli(test_database, "--practice", str(tenancy.a1.tenant_id))
    assert bad.returncode == 1
    assert f"altered: seq 1 (id {rows[0].id})" in bad.stdout
    assert "removed: seq 3" in bad.stdout
    assert "BROKEN" in bad.stderr
    assert _cli(test_database, "--practice", "nope").returncode != 0
