"""Request-scoped units of work.

* ``practice_ctx`` (:func:`provide_practice_context`): for routes under
  ``/api/v1/practices/{practice_id:uuid}/...``. Re-checks the policy (the guard
  ``practice_access`` already did), then opens ``db.sessions.atenant_unit`` bound to
  the practice (RLS) and yields a :class:`PracticeContext`. The unit commits after
  the handler returns and before the response is sent; any error rolls it back.
* ``agency_ctx`` (:func:`provide_agency_context`): an agency-bound unit of work
  (staff administration, listings). PHI tables answer 0 rows there.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from agency.api.guards import principal_of
from agency.api.problems import NotFound
from agency.audit import service as audit
from agency.audit.service import AuditActor
from agency.identity import policy
from agency.identity import service as identity
from agency.identity.policy import Principal
from tenants.scope import AgencyScope, TenantScope

T = TypeVar("T")


def source_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def actor_of(request: Request, principal: Principal) -> AuditActor:
    return AuditActor.of(principal, source_ip(request), request.scope.get("state", {}).get("request_id"))


@dataclass
class AgencyContext:
    session: AsyncSession
    principal: Principal
    actor: AuditActor

    @property
    def scope(self) -> AgencyScope:
        return AgencyScope(self.principal.agency_id)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a sync service function ``fn(session, *args)`` in this unit of work."""
        return await self.session.run_sync(fn, *args, **kwargs)

    async def audit_admin(self, action: str, resource_type: str, resource_id: object = None) -> None:
        """PHI-free staff-administration event (users, assignments, tokens)."""
        await self.session.run_sync(audit.record_agency_event, self.actor, action, resource_type, resource_id)


@dataclass
class PracticeContext(AgencyContext):
    practice_id: uuid.UUID = None  # type: ignore[assignment]

    @property
    def scope(self) -> TenantScope:  # type: ignore[override]
        return TenantScope(self.principal.agency_id, self.practice_id)

    async def audit(self, action: str, resource_type: str, resource_id: object = None) -> None:
        """Record a PHI access (read, create, update, export, print...) in this
        practice's audit chain. Written at commit, with who/role/agency/practice/
        source address/request id filled in."""
        audit.record(self.session.sync_session, self.actor, action, resource_type, resource_id)

    async def audit_many(self, action: str, resource_type: str, resource_ids: list[object]) -> None:
        audit.record_many(self.session.sync_session, self.actor, action, resource_type, resource_ids)


async def provide_practice_context(request: Request, practice_id: uuid.UUID) -> AsyncGenerator[PracticeContext, None]:
    principal = principal_of(request)
    if policy.may_see_practice_id(principal, practice_id) is False:
        raise NotFound("The practice does not exist.")
    db = request.app.state.db
    async with db.sessions.atenant_unit(TenantScope(principal.agency_id, practice_id)) as session:
        # The practice row is under the agency policy: visible only within the caller's agency.
        practice = await session.run_sync(identity.practice_in_agency, principal.agency_id, practice_id)
        if not policy.may_see_practice(principal, practice.agency_id if practice else None, practice_id):
            raise NotFound("The practice does not exist.")
        yield PracticeContext(session, principal, actor_of(request, principal), practice_id)


async def provide_agency_context(request: Request) -> AsyncGenerator[AgencyContext, None]:
    principal = principal_of(request)
    db = request.app.state.db
    async with db.sessions.aagency_unit(AgencyScope(principal.agency_id)) as session:
        yield AgencyContext(session, principal, actor_of(request, principal))
