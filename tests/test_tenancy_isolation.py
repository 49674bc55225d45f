"""Row-level security holds for the runtime role, whatever the code asks for."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import exc

from agency.db.base import new_id
from agency.practices.models import RenderingProvider, ServiceLocation
from tenants.engines import make_sync_engine
from tenants.scope import TenantNotBound, TenantScope
from tenants.sessions import SessionFactory


def add_location(db, scope: TenantScope, code: str = "MAIN") -> ServiceLocation:
    loc = ServiceLocation(tenant_id=scope.tenant_id, id=new_id(), code=code, name="Main office",
                          place_of_service="11")
    with db.sessions.tenant_unit(scope) as s:
        s.add(loc)
    return loc


def count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_other_tenants_rows_are_invisible_to_select(db, tenancy):
    add_location(db, tenancy.a1)
    add_location(db, tenancy.b1)
    with db.sessions.tenant_unit(tenancy.a1) as s:
        rows = s.scalars(sa.select(ServiceLocation)).all()
        assert {r.tenant_id for r in rows} == {tenancy.a1.tenant_id}
        # Even an explicit filter on the other tenant finds nothing.
        assert s.scalars(sa.select(ServiceLocation).where(
            ServiceLocation.tenant_id == tenancy.b1.tenant_id)).all() == []


def test_update_and_delete_cannot_touch_other_tenant(db, tenancy):
    b_loc = add_location(db, tenancy.b1)
    with db.sessions.tenant_unit(tenancy.a1) as s:
        upd = s.execute(sa.update(ServiceLocation).where(ServiceLocation.id == b_loc.id)
                        .values(name="hijacked"))
        dele = s.execute(sa.delete(ServiceLocation).where(ServiceLocation.id == b_loc.id))
        assert upd.rowcount == 0 and dele.rowcount == 0
    with db.sessions.tenant_unit(tenancy.b1) as s:
        assert s.get(ServiceLocation, (tenancy.b1.tenant_id, b_loc.id)).name == "Main office"


def test_inserting_a_row_for_another_tenant_is_refused(db, tenancy):
    with pytest.raises(exc.ProgrammingError, match="row-level security"):
        with db.sessions.tenant_unit(tenancy.a1) as s:
            s.add(ServiceLocation(tenant_id=tenancy.b1.tenant_id, id=new_id(), code="X", name="x",
                                  place_of_service="11"))


def test_moving_a_row_to_another_tenant_is_refused(db, tenancy):
    loc = add_location(db, tenancy.a1)
    with pytest.raises(exc.ProgrammingError, match="row-level security"):
        with db.sessions.tenant_unit(tenancy.a1) as s:
            s.execute(sa.update(ServiceLocation).where(ServiceLocation.id == loc.id)
                      .values(tenant_id=tenancy.b1.tenant_id))


def test_session_without_tenant_fails_closed(db):
    session = db.sessions._tenant()  # no info: no tenant bound
    with pytest.raises(TenantNotBound):
        session.execute(sa.select(ServiceLocation))
    session.close()


def test_raw_connection_without_tenant_sees_nothing(db, tenancy):
    add_location(db, tenancy.a1)
    with db.sync_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM service_location")).scalar() == 0
        # After a transaction that set the tenant, the GUC is '' (not NULL): still 0 rows.
        conn.execute(sa.text("SELECT set_config('app.current_tenant', :t, true)"),
                     {"t": str(tenancy.a1.tenant_id)})
        conn.commit()
        assert conn.execute(sa.text("SELECT count(*) FROM service_location")).scalar() == 0


def test_agency_session_sees_no_phi_tables(db, tenancy):
    from tenants.scope import AgencyScope

    add_location(db, tenancy.a1)
    with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
        assert count(s, ServiceLocation) == 0


def test_tenant_does_not_leak_through_pooled_connection(test_database, tenancy):
    engine = make_sync_engine(test_database.app_url, pool_size=1)
    engine.pool._max_overflow = 0  # exactly one connection: the next session reuses it
    factory = SessionFactory(engine)
    try:
        add_location(type("D", (), {"sessions": factory})(), tenancy.a1)
        with factory.tenant_unit(tenancy.a1) as s:
            pid_a = s.scalar(sa.text("SELECT pg_backend_pid()"))
            assert count(s, ServiceLocation) >= 1
        with engine.connect() as conn:  # same backend, no tenant bound
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar() == pid_a
            assert conn.execute(sa.text("SELECT count(*) FROM service_location")).scalar() == 0
        with factory.tenant_unit(tenancy.b1) as s:
            assert s.scalar(sa.text("SELECT pg_backend_pid()")) == pid_a
            assert s.scalars(sa.select(ServiceLocation.tenant_id)).all() == []
    finally:
        engine.dispose()


def test_tenant_survives_commit_in_the_middle_of_a_unit_of_work(db, tenancy):
    with db.sessions.tenant(tenancy.a1) as s:
        s.add(ServiceLocation(tenant_id=tenancy.a1.tenant_id, id=new_id(), code="ONE", name="1",
                              place_of_service="11"))
        s.commit()
        # A new transaction begins here; the after_begin hook binds the tenant again.
        s.add(ServiceLocation(tenant_id=tenancy.a1.tenant_id, id=new_id(), code="TWO", name="2",
                              place_of_service="11"))
        s.commit()
        codes = set(s.scalars(sa.select(ServiceLocation.code)))
        assert {"ONE", "TWO"} <= codes
        assert s.scalar(sa.text("SELECT current_setting('app.current_tenant')")) == str(tenancy.a1.tenant_id)


def test_composite_foreign_key_refuses_other_tenants_row(db, tenancy):
    b_loc = add_location(db, tenancy.b1)
    # RI checks run with RLS off: only the composite key stops this reference.
    with pytest.raises(exc.IntegrityError, match="foreign key"):
        with db.sessions.tenant_unit(tenancy.a1) as s:
            s.add(RenderingProvider(tenant_id=tenancy.a1.tenant_id, id=new_id(), npi="1234567893",
                                    first_name="Ann", last_name="Lee", default_location_id=b_loc.id))


def test_unique_values_do_not_collide_across_tenants(db, tenancy):
    add_location(db, tenancy.a1, code="SAME")
    add_location(db, tenancy.b1, code="SAME")  # tenant-prefixed unique: no leak, no error
    with pytest.raises(exc.IntegrityError):
        add_location(db, tenancy.a1, code="SAME")


async def test_async_sessions_bind_the_tenant_too(db, tenancy):
    add_location(db, tenancy.a1)
    add_location(db, tenancy.b1)
    async with db.sessions.atenant_unit(tenancy.b1) as s:
        tenants = set((await s.scalars(sa.select(ServiceLocation.tenant_id))).all())
    assert tenants == {tenancy.b1.tenant_id}
    await db.async_engine.dispose()


def test_listed_system_job_sees_practices_of_every_agency(db, tenancy):
    from agency.system_access import list_active_practices

    pairs = set(list_active_practices(db))
    assert {(tenancy.agency_a, tenancy.a1.tenant_id), (tenancy.agency_a, tenancy.a2.tenant_id),
            (tenancy.agency_b, tenancy.b1.tenant_id)} <= pairs


def test_agency_session_sees_only_its_own_practices(db, tenancy):
    from agency.practices.repository import PracticeRepository
    from tenants.scope import AgencyScope

    with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
        repo = PracticeRepository(s)
        assert repo.practice(tenancy.agency_b, tenancy.b1.tenant_id) is None
        assert {p.id for p in repo.practices_of(tenancy.agency_a)} == {tenancy.a1.tenant_id, tenancy.a2.tenant_id}
        # Even without the repository's own filter, RLS hides agency B's practices.
        from agency.practices.models import Practice
        assert s.scalars(sa.select(Practice.id).where(Practice.agency_id == tenancy.agency_b)).all() == []
