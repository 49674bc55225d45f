"""The agency payer directory: ``GET/POST /api/v1/payers``, ``GET/PATCH /api/v1/payers/{payer_id}``.

Agency-level routes (no practice, no PHI): reading needs ``practice:read`` (every
role that registers patients picks payers from here), writing needs
``setup:write`` (agency admins). Writes go to the PHI-free agency audit trail.
A payer of another agency answers 404 like an unknown id.
"""
from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, patch, post

from agency.api.dependencies import AgencyContext
from agency.api.guards import requires
from agency.api.idempotency import idempotent
from agency.api.pagination import clamp_limit, decode_cursor, encode_cursor
from agency.api.problems import BadRequest
from agency.identity.policy import Perm
from agency.payers import service
from agency.payers.schemas import PayerCreate, PayerOut, PayerPage, PayerUpdate


def _after(cursor: str | None) -> tuple[str, uuid.UUID] | None:
    key = decode_cursor(cursor, ("name", "id"))
    if key is None:
        return None
    try:
        return key["name"], uuid.UUID(key["id"])
    except ValueError:
        raise BadRequest("The cursor is not valid; pass back next_cursor unchanged.") from None


@get("/payers", tags=["payers"], guards=[requires(Perm.PRACTICE_READ)])
async def list_payers(agency_ctx: AgencyContext, limit: int | None = None, cursor: str | None = None,
                      active: bool | None = None, q: str | None = None) -> PayerPage:
    """``?active=true`` only active payers; ``?q=`` matches name or payer code."""
    n = clamp_limit(limit)
    if q is not None and len(q) > 100:
        raise BadRequest("q must be at most 100 characters.")
    rows = await agency_ctx.run(service.list_payers, agency_ctx.principal.agency_id, _after(cursor), n,
                                active_only=bool(active), search=q or None)
    more = len(rows) > n
    rows = rows[:n]
    nxt = encode_cursor({"name": rows[-1].name, "id": str(rows[-1].id)}) if more and rows else None
    return PayerPage([PayerOut.of(p) for p in rows], nxt)


@post("/payers", tags=["payers"], guards=[requires(Perm.SETUP_WRITE)])
async def create_payer(request: Request, agency_ctx: AgencyContext, data: PayerCreate) -> Response:
    async def create() -> tuple[int, Any]:
        payer = await agency_ctx.run(service.create_payer, agency_ctx.principal.agency_id, data)
        await agency_ctx.audit_admin("create", "payer", payer.id)
        return 201, PayerOut.of(payer)
    return await idempotent(request, agency_ctx, create)


@get("/payers/{payer_id:uuid}", tags=["payers"], guards=[requires(Perm.PRACTICE_READ)])
async def get_payer(agency_ctx: AgencyContext, payer_id: uuid.UUID) -> PayerOut:
    return PayerOut.of(await agency_ctx.run(service.get_payer, agency_ctx.principal.agency_id, payer_id))


@patch("/payers/{payer_id:uuid}", tags=["payers"], guards=[requires(Perm.SETUP_WRITE)])
async def update_payer(agency_ctx: AgencyContext, payer_id: uuid.UUID, data: PayerUpdate) -> PayerOut:
    payer = await agency_ctx.run(service.update_payer, agency_ctx.principal.agency_id, payer_id, data)
    await agency_ctx.audit_admin("update", "payer", payer.id)
    return PayerOut.of(payer)


ROUTES = [list_payers, create_payer, get_payer, update_payer]
