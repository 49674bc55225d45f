"""Sessions that bind the tenant to every transaction they run.

The binding is ``set_config(name, value, true)``: transaction-local, so it can
never leak to the next user of a pooled connection, and re-applied by the
``after_begin`` hook on every BEGIN, so it survives a commit in the middle of a
unit of work. A session without its scope raises instead of running: with no
tenant the policies would already return nothing, but an error is what tells a
developer the code path forgot to bind one.

Three session classes:

* :class:`TenantSession`: one practice (``app.current_tenant``) within one agency
  (``app.current_agency``). All PHI work uses it.
* :class:`AgencySession`: the agency only; PHI tables answer 0 rows. For staff
  administration and PHI-free rollups.
* :class:`SystemSession`: connected as the BYPASSRLS system role. Only
  ``agency.system_access`` may create one; a test enforces that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import AsyncIterator

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.engine import Engine

from tenants.scope import AgencyScope, TenantNotBound, TenantScope

_SET = text(
    "SELECT set_config('app.current_agency', :agency, true),"
    " set_config('app.current_tenant', :tenant, true)"
)


class TenantSession(Session):
    """Sync session class; an AsyncSession wraps it for the API."""


class AgencySession(Session):
    pass


class SystemSession(Session):
    pass


@event.listens_for(TenantSession, "after_begin")
def _bind_tenant(session: Session, transaction, connection) -> None:  # noqa: ANN001
    tenant = session.info.get("tenant_id")
    if tenant is None:
        raise TenantNotBound("tenant session opened without tenant_id")
    # The agency is optional: key lookups know only the tenant. Without it,
    # agency-level rows (practice, users) are invisible, which is the safe side.
    agency = session.info.get("agency_id")
    connection.execute(_SET, {"agency": "" if agency is None else str(agency), "tenant": str(tenant)})


@event.listens_for(AgencySession, "after_begin")
def _bind_agency(session: Session, transaction, connection) -> None:  # noqa: ANN001
    agency = session.info.get("agency_id")
    if agency is None:
        raise TenantNotBound("agency session opened without agency_id")
    # The tenant is set to '' explicitly so that PHI policies see NULL.
    connection.execute(_SET, {"agency": str(agency), "tenant": ""})


class SessionFactory:
    """Sync and async session makers over the runtime role's engines."""

    def __init__(self, sync_engine: Engine, async_engine: AsyncEngine | None = None) -> None:
        self.sync_engine = sync_engine
        self.async_engine = async_engine
        self._tenant = sessionmaker(sync_engine, class_=TenantSession, expire_on_commit=False)
        self._agency = sessionmaker(sync_engine, class_=AgencySession, expire_on_commit=False)
        if async_engine is not None:
            self._atenant = async_sessionmaker(
                async_engine, sync_session_class=TenantSession, expire_on_commit=False
            )
            self._aagency = async_sessionmaker(
                async_engine, sync_session_class=AgencySession, expire_on_commit=False
            )

    # --- sync (workers, CLI) ---------------------------------------------
    def tenant(self, scope: TenantScope) -> Session:
        return self._tenant(info=scope.info())

    def tenant_only(self, tenant_id: object) -> Session:
        """A tenant session that knows only the tenant (key management)."""
        return self._tenant(info={"tenant_id": tenant_id})

    def agency(self, scope: AgencyScope) -> Session:
        return self._agency(info=scope.info())

    @contextmanager
    def tenant_unit_for(self, tenant_id: object) -> Iterator[Session]:
        """A unit of work bound to the tenant only (key management, re-sealing)."""
        with self.tenant_only(tenant_id) as session, session.begin():
            yield session

    @contextmanager
    def tenant_unit(self, scope: TenantScope) -> Iterator[Session]:
        """One unit of work: commits whole on success, rolls back on any error."""
        with self.tenant(scope) as session, session.begin():
            yield session

    @contextmanager
    def agency_unit(self, scope: AgencyScope) -> Iterator[Session]:
        with self.agency(scope) as session, session.begin():
            yield session

    # --- async (API) -------------------------------------------------------
    def atenant(self, scope: TenantScope) -> AsyncSession:
        return self._atenant(info=scope.info())

    def aagency(self, scope: AgencyScope) -> AsyncSession:
        return self._aagency(info=scope.info())

    @asynccontextmanager
    async def atenant_unit(self, scope: TenantScope) -> AsyncIterator[AsyncSession]:
        async with self.atenant(scope) as session, session.begin():
            yield session

    @asynccontextmanager
    async def aagency_unit(self, scope: AgencyScope) -> AsyncIterator[AsyncSession]:
        async with self.aagency(scope) as session, session.begin():
            yield session


def system_sessionmaker(system_engine: Engine) -> sessionmaker[SystemSession]:
    return sessionmaker(system_engine, class_=SystemSession, expire_on_commit=False)
