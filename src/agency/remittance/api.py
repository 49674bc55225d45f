"""Remittance routes under ``/api/v1/practices/{practice_id}``.

* ``GET  /eras``                               ERAs (newest first), ``?status=``
* ``GET  /eras/{era_id}``                      one ERA: claim payments, PLB, exceptions, reconciliation
* ``POST /eras/{era_id}/repost``               post a parked ERA again (after claims arrived or exceptions were resolved)
* ``GET  /claims/{claim_id}/ledger``           the claim's ledger entries and totals
* ``GET  /posting-exceptions``                 the exception queue, ``?status=open``
* ``POST /posting-exceptions/{exception_id}/resolve``  the claim line a 2110 loop belongs to, or dismiss

Reads need ``phi:read``; posting actions ``billing:write``. Every call is audited.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import sqlalchemy as sa
from litestar import Request, Router, get, post
from litestar.params import Parameter

from agency.api.dependencies import PracticeContext
from agency.api.guards import practice_access, requires
from agency.api.pagination import clamp_limit, decode_cursor, encode_cursor
from agency.api.problems import BadRequest, NotFound, Unprocessable
from agency.identity.policy import Perm
from agency.keys.runtime import cipher_for
from agency.remittance import service
from agency.remittance.models import Era, EraClaim, PostingException, ProviderLedgerEntry
from agency.remittance.schemas import (EraClaimOut, EraDetail, EraOut, EraPage, ExceptionOut, LedgerEntryOut,
                                       LedgerOut, ProviderAdjustmentOut, RepostOut, ResolveIn)

READ = [requires(Perm.PHI_READ)]
BILL = [requires(Perm.BILLING_WRITE)]
ERA_STATUSES = ("posting", "posted", "parked", "refused")


def _actor(ctx: PracticeContext) -> str:
    return f"{ctx.principal.kind}:{ctx.principal.id}"


def era_out(e: Era) -> EraOut:
    return EraOut(e.id, e.status, e.payer_code, e.payer_name, e.payer_id, e.trn02, e.payment_amount,
                  e.payment_method, e.payment_date, e.claim_count, e.park_reason, list(e.problems or []),
                  e.attempts, e.posted_at, e.created_at)


def exception_out(x: PostingException) -> ExceptionOut:
    return ExceptionOut(x.id, x.era_id, x.clp_index, x.line_index, x.pcn, x.claim_id, x.reason_code, x.reason,
                        x.status, x.resolved_claim_line_id, x.created_at)


@get("/eras", opt={"audit": "list"}, guards=READ)
async def list_eras(practice_ctx: PracticeContext, status: str | None = None, cursor: str | None = None,
                    limit: int | None = Parameter(default=None)) -> EraPage:
    if status is not None and status not in ERA_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(ERA_STATUSES)}.")
    n = clamp_limit(limit)
    key = decode_cursor(cursor, ("at", "id"))
    try:
        after = (datetime.fromisoformat(key["at"]), uuid.UUID(key["id"])) if key else None
    except ValueError:
        raise BadRequest("The cursor is not valid; pass back next_cursor unchanged.") from None

    def load(s):  # noqa: ANN001, ANN202
        q = sa.select(Era).where(Era.tenant_id == practice_ctx.practice_id)
        if status:
            q = q.where(Era.status == status)
        if after:
            q = q.where(sa.tuple_(Era.created_at, Era.id) < sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
        return list(s.scalars(q.order_by(Era.created_at.desc(), Era.id.desc()).limit(n + 1)))

    rows = await practice_ctx.run(load)
    nxt = None
    if len(rows) > n:
        rows = rows[:n]
        nxt = encode_cursor({"at": rows[-1].created_at.isoformat(), "id": str(rows[-1].id)})
    await practice_ctx.audit_many("list", "era", [r.id for r in rows])
    return EraPage([era_out(r) for r in rows], nxt)


def _detail(s, tenant_id: uuid.UUID, era_id: uuid.UUID) -> EraDetail:  # noqa: ANN001
    era = s.get(Era, (tenant_id, era_id), populate_existing=True)
    if era is None:
        raise NotFound("The ERA does not exist.")
    claims = s.scalars(sa.select(EraClaim).where(EraClaim.tenant_id == tenant_id, EraClaim.era_id == era_id)
                       .order_by(EraClaim.clp_index))
    plb = s.scalars(sa.select(ProviderLedgerEntry).where(ProviderLedgerEntry.tenant_id == tenant_id,
                                                         ProviderLedgerEntry.era_id == era_id)
                    .order_by(ProviderLedgerEntry.position))
    exc = s.scalars(sa.select(PostingException).where(PostingException.tenant_id == tenant_id,
                                                      PostingException.era_id == era_id)
                    .order_by(PostingException.created_at, PostingException.id))
    sums = service.era_summary(s, tenant_id, era_id)
    return EraDetail(
        era_out(era),
        [EraClaimOut(c.id, c.claim_id, c.clp_index, c.pcn, c.payer_claim_number, c.status_code, c.charge, c.paid,
                     c.patient_responsibility, c.outcome, c.category, c.reverses_id, c.reversed_by_id) for c in claims],
        [ProviderAdjustmentOut(p.reason, p.reference, p.amount, p.fiscal_period_end) for p in plb],
        [exception_out(x) for x in exc], sums["payments"],
        era.status == "posted" and sums["payments"] - sums["provider_adjustments"] == era.payment_amount)


@get("/eras/{era_id:uuid}", opt={"audit": "read"}, guards=READ)
async def get_era(practice_ctx: PracticeContext, era_id: uuid.UUID) -> EraDetail:
    out = await practice_ctx.run(lambda s: _detail(s, practice_ctx.practice_id, era_id))
    await practice_ctx.audit("read", "era", era_id)
    return out


@post("/eras/{era_id:uuid}/repost", opt={"audit": "update"}, guards=BILL, status_code=200)
async def repost_era(request: Request, practice_ctx: PracticeContext, era_id: uuid.UUID) -> RepostOut:
    era = await practice_ctx.run(lambda s: s.get(Era, (practice_ctx.practice_id, era_id)))
    if era is None:
        raise NotFound("The ERA does not exist.")
    db = request.app.state.db
    results = await asyncio.to_thread(service.post_file, db.sessions, cipher_for(db), practice_ctx.scope,
                                      era.edi_file_id, era.inbound_file_id)
    mine = [r for r in results if r.era_id == era_id] or results
    await practice_ctx.audit("update", "era", era_id)
    r = mine[0]
    return RepostOut(era_id, r.status, r.reason)


@get("/claims/{claim_id:uuid}/ledger", opt={"audit": "read"}, guards=READ)
async def claim_ledger(practice_ctx: PracticeContext, claim_id: uuid.UUID) -> LedgerOut:
    from agency.claims.models import Claim

    def load(s):  # noqa: ANN001, ANN202
        if s.get(Claim, (practice_ctx.practice_id, claim_id)) is None:
            raise NotFound("The claim does not exist.")
        return service.claim_ledger(s, practice_ctx.practice_id, claim_id)

    rows = await practice_ctx.run(load)
    await practice_ctx.audit("read", "claim", claim_id)
    return LedgerOut(claim_id, [LedgerEntryOut(e.id, e.claim_line_id, e.era_id, e.kind, e.group_code, e.carc,
                                               list(e.rarcs or []), e.category, e.amount, e.reverses_entry_id,
                                               e.reverses_kind, e.transfer_to, e.target_claim_id, e.created_at)
                                for e in rows], service.ledger_totals(rows))


@get("/posting-exceptions", opt={"audit": "list"}, guards=READ)
async def list_exceptions(practice_ctx: PracticeContext, status: str | None = "open",
                          limit: int | None = Parameter(default=None)) -> list[ExceptionOut]:
    if status not in ("open", "resolved", "superseded", "dismissed", "all"):
        raise BadRequest("status must be open, resolved, superseded, dismissed or all.")
    n = clamp_limit(limit)

    def load(s):  # noqa: ANN001, ANN202
        q = sa.select(PostingException).where(PostingException.tenant_id == practice_ctx.practice_id)
        if status != "all":
            q = q.where(PostingException.status == status)
        return list(s.scalars(q.order_by(PostingException.created_at, PostingException.id).limit(n)))

    rows = await practice_ctx.run(load)
    await practice_ctx.audit_many("list", "posting_exception", [r.id for r in rows])
    return [exception_out(r) for r in rows]


@post("/posting-exceptions/{exception_id:uuid}/resolve", opt={"audit": "update"}, guards=BILL, status_code=200)
async def resolve_exception(practice_ctx: PracticeContext, exception_id: uuid.UUID, data: ResolveIn) -> ExceptionOut:
    if data.dismiss and data.claim_line_id is not None:
        raise Unprocessable("Send claim_line_id or dismiss, not both.")
    row = await practice_ctx.run(lambda s: service.resolve_exception(
        s, practice_ctx.practice_id, exception_id, data.claim_line_id, data.dismiss, _actor(practice_ctx)))
    await practice_ctx.audit("update", "posting_exception", exception_id)
    return exception_out(row)


def router() -> Router:
    return Router(path="/practices/{practice_id:uuid}", guards=[practice_access], tags=["remittance"],
                  route_handlers=[list_eras, get_era, repost_era, claim_ledger, list_exceptions, resolve_exception])
