"""Claim routes under ``/api/v1/practices/{practice_id}/claims``.

* ``GET  /claims?state=rejected,ack_rejected``   list; the rejection/hold work queue with reasons
* ``POST /claims {encounter_id}``                build the primary claim of a coded encounter
* ``GET  /claims/{claim_id}``                    detail with lines and hold reasons
* ``GET  /claims/{claim_id}/events``             full history
* ``POST /claims/{claim_id}/acknowledge-warnings``, ``POST /claims/{claim_id}/rebuild``
* ``POST /claims/{claim_id}/corrections {frequency: 7|8, payer_claim_number}``
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import Parameter

from agency.api.dependencies import PracticeContext
from agency.api.guards import practice_access, requires
from agency.api.idempotency import idempotent
from agency.api.pagination import clamp_limit, decode_cursor, encode_cursor
from agency.api.problems import BadRequest
from agency.claims import lifecycle, service
from agency.claims.schemas import BuildIn, ClaimOut, ClaimPage, CorrectionIn, EventOut
from agency.identity.policy import Perm
from agency.keys.runtime import cipher_for

READ = [requires(Perm.PHI_READ)]
BILL = [requires(Perm.BILLING_WRITE)]


def _cipher(request: Request):  # noqa: ANN202
    return cipher_for(request.app.state.db)


def _states(state: str | None) -> list[str] | None:
    if not state:
        return None
    wanted = [s.strip() for s in state.split(",") if s.strip()]
    bad = [s for s in wanted if s not in lifecycle.STATES]
    if bad or len(wanted) > len(lifecycle.STATES):
        raise BadRequest(f"state must be a comma-separated list of: {', '.join(lifecycle.STATES)}.")
    return wanted


@get("/claims", opt={"audit": "list"}, guards=READ)
async def list_claims(practice_ctx: PracticeContext,
                      claim_state: str | None = Parameter(query="state", default=None, required=False),
                      limit: int | None = None, cursor: str | None = None) -> ClaimPage:
    n = clamp_limit(limit)
    key = decode_cursor(cursor, ("id",))
    try:
        after = uuid.UUID(key["id"]) if key else None
    except ValueError:
        raise BadRequest("The cursor is not valid; pass back next_cursor unchanged.") from None
    rows = await practice_ctx.run(service.list_claims, practice_ctx.practice_id, states=_states(claim_state), after=after,
                                  limit=n)
    more = len(rows) > n
    rows = rows[:n]
    await practice_ctx.audit_many("list", "claim", [c.id for c in rows])
    return ClaimPage(items=[ClaimOut.of(c) for c in rows],
                     next_cursor=encode_cursor({"id": str(rows[-1].id)}) if more and rows else None)


@post("/claims", opt={"audit": "create"}, guards=BILL)
async def build_claim(request: Request, practice_ctx: PracticeContext, data: BuildIn) -> Response:
    cipher = _cipher(request)

    async def create() -> tuple[int, Any]:
        claims = await practice_ctx.run(service.build_claims, cipher, practice_ctx.principal.agency_id,
                                        practice_ctx.practice_id, data.encounter_id, practice_ctx.principal.actor)
        for c in claims:
            await practice_ctx.audit("create", "claim", c.id)
        return 201, [ClaimOut.of(c) for c in claims]
    return await idempotent(request, practice_ctx, create)


@get("/claims/{claim_id:uuid}", opt={"audit": "read"}, guards=READ)
async def get_claim(practice_ctx: PracticeContext, claim_id: uuid.UUID) -> ClaimOut:
    claim = await practice_ctx.run(service.get_claim, practice_ctx.practice_id, claim_id)
    lines = await practice_ctx.run(service.claim_lines, practice_ctx.practice_id, claim_id)
    await practice_ctx.audit("read", "claim", claim.id)
    return ClaimOut.of(claim, lines)


@get("/claims/{claim_id:uuid}/events", opt={"audit": "read"}, guards=READ)
async def claim_events(practice_ctx: PracticeContext, claim_id: uuid.UUID) -> list[EventOut]:
    events = await practice_ctx.run(service.claim_events, practice_ctx.practice_id, claim_id)
    await practice_ctx.audit("read", "claim", claim_id)
    return [EventOut.of(e) for e in events]


@post("/claims/{claim_id:uuid}/acknowledge-warnings", opt={"audit": "update"}, guards=BILL, status_code=200)
async def acknowledge_warnings(request: Request, practice_ctx: PracticeContext, claim_id: uuid.UUID) -> ClaimOut:
    claim = await practice_ctx.run(service.acknowledge_warnings, _cipher(request), practice_ctx.practice_id, claim_id,
                                   practice_ctx.principal.actor)
    await practice_ctx.audit("update", "claim", claim.id)
    return ClaimOut.of(claim)


@post("/claims/{claim_id:uuid}/rebuild", opt={"audit": "update"}, guards=BILL, status_code=200)
async def rebuild_claim(request: Request, practice_ctx: PracticeContext, claim_id: uuid.UUID) -> ClaimOut:
    claim = await practice_ctx.run(service.rework, _cipher(request), practice_ctx.practice_id, claim_id,
                                   practice_ctx.principal.actor)
    await practice_ctx.audit("update", "claim", claim.id)
    return ClaimOut.of(claim)


@post("/claims/{claim_id:uuid}/corrections", opt={"audit": "create"}, guards=BILL)
async def create_correction(request: Request, practice_ctx: PracticeContext, claim_id: uuid.UUID,
                            data: CorrectionIn) -> Response:
    cipher = _cipher(request)

    async def create() -> tuple[int, Any]:
        claim = await practice_ctx.run(service.create_replacement, cipher, practice_ctx.practice_id, claim_id,
                                       data.frequency, data.payer_claim_number, practice_ctx.principal.actor)
        await practice_ctx.audit("create", "claim", claim.id)
        return 201, ClaimOut.of(claim)
    return await idempotent(request, practice_ctx, create)


ROUTES = [list_claims, build_claim, get_claim, claim_events, acknowledge_warnings, rebuild_claim, create_correction]


def router() -> Router:
    from agency.submissions.api import practice_routes

    return Router(path="/practices/{practice_id:uuid}", guards=[practice_access], tags=["claims"],
                  route_handlers=[*ROUTES, *practice_routes()])
