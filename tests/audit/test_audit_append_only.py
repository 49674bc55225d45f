"""The runtime role (and the system role) may only SELECT and INSERT audit rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import exc

from agency.audit import service as audit
from agency.audit.models import AuditEvent
from tenants.engines import make_sync_engine


def _one_event(db, scope):
    with db.sessions.tenant_unit(scope) as s:
        audit.record(s, audit.SYSTEM, "read", "patient", "p-1")
    with db.sessions.tenant_unit(scope) as s:
        return s.scalars(sa.select(AuditEvent)).one()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET action = 'create'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "DELETE FROM audit_chain_head",
    "TRUNCATE audit_chain_head",
])
def test_runtime_role_cannot_change_or_remove_audit_rows(db, tenancy, statement):
    _one_event(db, tenancy.a1)
    with pytest.raises(exc.ProgrammingError, match="permission denied"):
        with db.sessions.tenant_unit(tenancy.a1) as s:
            s.execute(sa.text(statement))
    with db.sessions.tenant_unit(tenancy.a1) as s:
        row = s.scalars(sa.select(AuditEvent)).one()
        assert row.action == "read"


@pytest.mark.parametrize("statement", ["UPDATE agency_audit_event SET action = 'x'",
                                       "DELETE FROM agency_audit_event", "TRUNCATE agency_audit_event"])
def test_agency_audit_is_append_only_too(db, tenancy, statement):
    from tenants.scope import AgencyScope

    with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
        audit.record_agency_event(s, audit.SYSTEM, "create", "user", "u-1")
    with pytest.raises(exc.ProgrammingError, match="permission denied"):
        with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
            s.execute(sa.text(statement))


def test_system_role_cannot_rewrite_audit_either(test_database, db, tenancy):
    _one_event(db, tenancy.a1)
    engine = make_sync_engine(test_database.system_url)
    try:
        with pytest.raises(exc.ProgrammingError, match="permission denied"):
            with engine.begin() as conn:
                conn.execute(sa.text("DELETE FROM audit_event"))
    finally:
        engine.dispose()


def test_runtime_role_can_read_and_append(db, tenancy):
    _one_event(db, tenancy.a1)
    with db.sessions.tenant_unit(tenancy.a1) as s:
        audit.record(s, audit.SYSTEM, "update", "patient", "p-1")
    with db.sessions.tenant_unit(tenancy.a1) as s:
        rows = s.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [r.seq for r in rows] == [1, 2] and rows[1].prev_hash == rows[0].hash


def test_audit_rows_refuse_free_text_resource_ids(db, tenancy):
    with db.sessions.tenant_unit(tenancy.a1) as s:
        with pytest.raises(ValueError, match="ids only"):
            audit.record(s, audit.SYSTEM, "read", "patient", "Jane Doe")
        with pytest.raises(ValueError, match="unknown audit action"):
            audit.record(s, audit.SYSTEM, "peek", "patient", "p-1")
