"""Practice listing and practice setup (locations, rendering providers); the setup
writes, billing providers, enrollments and fee schedule are in ``agency.practices.api``.

``GET /api/v1/practices`` lists what the policy lets the caller see; everything
under ``/api/v1/practices/{practice_id}`` goes through the ``practice_access``
guard (404 for a practice the caller may not see) and the tenant-bound
``practice_ctx`` unit of work.

Every practice-scoped route declares ``opt={"audit": <action> | None}``: the
audit route test calls each route whose action is set and checks that an audit
event with the response's request id was written.
"""

from __future__ import annotations

import uuid

from litestar import Router, get

from agency.api.dependencies import AgencyContext, PracticeContext
from agency.api.guards import practice_access, requires
from agency.api.pagination import clamp_limit, decode_cursor, encode_cursor
from agency.api.problems import NotFound
from agency.identity import service as identity
from agency.identity.policy import Perm
from agency.identity.schemas import PageOut, PracticeOut
from agency.practices.models import Practice, RenderingProvider, ServiceLocation
from agency.practices.repository import PracticeRepository
from agency.practices.schemas import LocationOut, ProviderOut


def _loc(x: ServiceLocation) -> LocationOut:
    return LocationOut.of(x)


def _prov(x: RenderingProvider) -> ProviderOut:
    return ProviderOut.of(x)


@get("/practices", tags=["practices"], guards=[requires(Perm.PRACTICE_READ)])
async def list_practices(agency_ctx: AgencyContext,
                         limit: int | None = None,
                         cursor: str | None = None) -> PageOut:
    n = clamp_limit(limit)
    key = decode_cursor(cursor, ("id",))
    after = key["id"] if key else None
    if after is not None:
        try:
            uuid.UUID(after)
        except ValueError:
            from agency.api.problems import BadRequest

            raise BadRequest("The cursor is not valid; pass back next_cursor unchanged.") from None
    rows: list[Practice] = await agency_ctx.run(identity.visible_practices, agency_ctx.principal, after, n)
    more = len(rows) > n
    rows = rows[:n]
    return PageOut([PracticeOut(p.id, p.name, p.status) for p in rows],
                   encode_cursor({"id": str(rows[-1].id)}) if more and rows else None)


@get("/", opt={"audit": None}, guards=[requires(Perm.PRACTICE_READ)])
async def get_practice(practice_ctx: PracticeContext) -> PracticeOut:
    p = await practice_ctx.run(identity.practice_in_agency, practice_ctx.principal.agency_id,
                               practice_ctx.practice_id)
    if p is None:
        raise NotFound("The practice does not exist.")
    return PracticeOut(p.id, p.name, p.status)


@get("/locations", opt={"audit": "list"}, guards=[requires(Perm.PRACTICE_READ)])
async def list_locations(practice_ctx: PracticeContext) -> list[LocationOut]:
    rows = await practice_ctx.run(lambda s: PracticeRepository(s).locations(practice_ctx.practice_id))
    await practice_ctx.audit("list", "service_location")
    return [_loc(x) for x in rows]


@get("/locations/{location_id:uuid}", opt={"audit": "read"}, guards=[requires(Perm.PRACTICE_READ)])
async def get_location(practice_ctx: PracticeContext, location_id: uuid.UUID) -> LocationOut:
    row = await practice_ctx.run(lambda s: PracticeRepository(s).location(practice_ctx.practice_id, location_id))
    if row is None:
        raise NotFound()
    await practice_ctx.audit("read", "service_location", row.id)
    return _loc(row)


@get("/providers", opt={"audit": "list"}, guards=[requires(Perm.PRACTICE_READ)])
async def list_providers(practice_ctx: PracticeContext) -> list[ProviderOut]:
    rows = await practice_ctx.run(lambda s: PracticeRepository(s).providers(practice_ctx.practice_id))
    await practice_ctx.audit("list", "rendering_provider")
    return [_prov(x) for x in rows]


@get("/providers/{provider_id:uuid}", opt={"audit": "read"}, guards=[requires(Perm.PRACTICE_READ)])
async def get_provider(practice_ctx: PracticeContext, provider_id: uuid.UUID) -> ProviderOut:
    row = await practice_ctx.run(lambda s: PracticeRepository(s).provider(practice_ctx.practice_id, provider_id))
    if row is None:
        raise NotFound()
    await practice_ctx.audit("read", "rendering_provider", row.id)
    return _prov(row)


def practice_router(extra_handlers: list | None = None) -> Router:
    """Everything under ``/api/v1/practices/{practice_id:uuid}``: the practice_access
    guard runs first (404 for an invisible practice), then handler guards (403)."""
    from agency.patients.api import ROUTES as PATIENT_ROUTES
    from agency.practices.api import ROUTES as SETUP_ROUTES

    return Router(path="/practices/{practice_id:uuid}", guards=[practice_access], tags=["practices"],
                  route_handlers=[get_practice, list_locations, get_location, list_providers, get_provider,
                                  *SETUP_ROUTES, *PATIENT_ROUTES, *(extra_handlers or [])])
