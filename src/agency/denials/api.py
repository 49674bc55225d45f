"""Denial work-queue routes under ``/api/v1/practices/{practice_id}/denials`` and the
agency-wide queue ``GET /api/v1/denials`` (every practice the caller may see).

* ``GET   /denials``                      queue, deadline first: ``?payer_id= &category= &assignee_id= &status=open|all|<status>``
* ``GET   /denials/{item_id}``            item with notes (opened) and appeals
* ``PATCH /denials/{item_id}``            assign / unassign / set a work status
* ``POST  /denials/{item_id}/notes``      add a note (sealed)
* ``POST  /denials/{item_id}/corrected-claim``  ``{"frequency": "7"|"8"}``: corrected or void claim (REF*F8)
* ``POST  /denials/{item_id}/appeals``    next appeal level: letter from the template, PDF, sealed
* ``GET   /denials/{item_id}/appeals/{appeal_id}/letter``  the PDF (audited as print)
* ``POST  /denials/{item_id}/write-off``  write off with a reason
* ``POST  /denials/{item_id}/rebill-secondary``  claim for the next coverage
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from litestar import Request, Response, Router, get, patch, post
from litestar.params import Parameter

from agency.api.dependencies import AgencyContext, PracticeContext
from agency.api.guards import practice_access, requires
from agency.api.idempotency import idempotent
from agency.api.pagination import clamp_limit, decode_cursor, encode_cursor
from agency.api.problems import BadRequest, NotFound
from agency.audit import service as audit
from agency.denials import service
from agency.denials.categories import LABELS
from agency.denials.models import DenialItem
from agency.denials.schemas import (AppealIn, AppealOut, ClaimRef, CorrectedIn, DenialDetail, DenialOut, DenialPage,
                                    DenialPatch, NoteIn, NoteOut, WriteOffIn, WriteOffOut)
from agency.identity.policy import Perm
from agency.keys.runtime import cipher_for
from tenants.scope import TenantScope

READ = [requires(Perm.PHI_READ)]
BILL = [requires(Perm.BILLING_WRITE)]
FAR = date(9999, 12, 31)


def _actor(ctx) -> str:  # noqa: ANN001
    return f"{ctx.principal.kind}:{ctx.principal.id}"


def item_out(i: DenialItem) -> DenialOut:
    return DenialOut(i.id, i.tenant_id, i.claim_id, i.claim_line_id, i.era_id, i.payer_id, i.kind, i.category,
                     LABELS.get(i.category, i.category), i.category_flagged, i.group_code, i.carc, list(i.rarcs or []),
                     i.amount_at_stake, i.assignee_id, i.due_date, i.appeal_deadline, i.timely_filing_deadline,
                     i.status, i.created_at, i.updated_at, i.row_version)


def _after(cursor: str | None) -> tuple[date, uuid.UUID] | None:
    key = decode_cursor(cursor, ("due", "id"))
    if key is None:
        return None
    try:
        return date.fromisoformat(key["due"]), uuid.UUID(key["id"])
    except ValueError:
        raise BadRequest("The cursor is not valid; pass back next_cursor unchanged.") from None


def _page(items: list[DenialItem], n: int) -> DenialPage:
    items.sort(key=lambda i: (i.due_date or FAR, i.id))
    nxt = None
    if len(items) > n:
        items = items[:n]
        nxt = encode_cursor({"due": (items[-1].due_date or FAR).isoformat(), "id": str(items[-1].id)})
    return DenialPage([item_out(i) for i in items], nxt)


def _filter(payer_id, category, assignee_id, status) -> service.QueueFilter:  # noqa: ANN001
    f = service.QueueFilter(payer_id=payer_id, category=category, assignee_id=assignee_id, status=status)
    service.check_filter(f)
    return f


@get("/denials", opt={"audit": "list"}, guards=READ)
async def denial_queue(practice_ctx: PracticeContext, payer_id: uuid.UUID | None = None,
                       category: str | None = None, assignee_id: uuid.UUID | None = None,
                       status: str | None = None, cursor: str | None = None,
                       limit: int | None = Parameter(default=None)) -> DenialPage:
    f, n, after = _filter(payer_id, category, assignee_id, status), clamp_limit(limit), _after(cursor)
    rows = await practice_ctx.run(lambda s: service.queue(s, practice_ctx.practice_id, f, after, n))
    page = _page(rows, n)
    await practice_ctx.audit_many("list", "denial_item", [i.id for i in page.items])
    return page


@get("/denials", opt={"audit": None}, guards=READ)
async def agency_denial_queue(request: Request, agency_ctx: AgencyContext, practice_id: uuid.UUID | None = None,
                              payer_id: uuid.UUID | None = None, category: str | None = None,
                              assignee_id: uuid.UUID | None = None, status: str | None = None,
                              cursor: str | None = None, limit: int | None = Parameter(default=None)) -> DenialPage:
    """One queue over the practices the caller may see, deadline first; each practice is
    read in its own tenant-bound unit of work and the listing audited in its chain."""
    from agency.identity import service as identity

    f, n, after = _filter(payer_id, category, assignee_id, status), clamp_limit(limit), _after(cursor)
    practices = await agency_ctx.run(identity.visible_practices, agency_ctx.principal, None, 500)
    if practice_id is not None:
        practices = [p for p in practices if p.id == practice_id]
    db = request.app.state.db
    items: list[DenialItem] = []
    for p in practices:
        async with db.sessions.atenant_unit(TenantScope(agency_ctx.principal.agency_id, p.id)) as session:
            items += await session.run_sync(lambda s: service.queue(s, p.id, f, after, n))
    page = _page(items, n)
    for p in practices:
        shown = [i.id for i in page.items if i.practice_id == p.id]
        if shown:
            async with db.sessions.atenant_unit(TenantScope(agency_ctx.principal.agency_id, p.id)) as s:
                audit.record_many(s.sync_session, agency_ctx.actor, "list", "denial_item", shown)
    return page


async def _detail(ctx: PracticeContext, cipher, item_id: uuid.UUID) -> DenialDetail:  # noqa: ANN001
    def load(s):  # noqa: ANN001, ANN202
        item = service.get(s, ctx.practice_id, item_id)
        return item, service.appeals_of(s, ctx.practice_id, item_id)

    item, appeals = await ctx.run(load)
    notes = await asyncio.to_thread(service.open_notes, cipher, item) if cipher else []
    return DenialDetail(item_out(item), [NoteOut(n["at"], n["by"], n["text"]) for n in notes],
                        [AppealOut(a.id, a.denial_item_id, a.level, a.letter_size, a.created_by, a.created_at)
                         for a in appeals])


@get("/denials/{item_id:uuid}", opt={"audit": "read"}, guards=READ)
async def get_denial(request: Request, practice_ctx: PracticeContext, item_id: uuid.UUID) -> DenialDetail:
    out = await _detail(practice_ctx, cipher_for(request.app.state.db), item_id)
    await practice_ctx.audit("read", "denial_item", item_id)
    return out


@patch("/denials/{item_id:uuid}", opt={"audit": "update"}, guards=BILL)
async def update_denial(practice_ctx: PracticeContext, item_id: uuid.UUID, data: DenialPatch) -> DenialOut:
    from agency.identity.models import User
    import sqlalchemy as sa

    def work(s):  # noqa: ANN001, ANN202
        users = None
        if data.assignee_id is not None:
            users = set(s.scalars(sa.select(User.id).where(User.agency_id == practice_ctx.principal.agency_id,
                                                           User.id == data.assignee_id)))
        return service.update(s, practice_ctx.practice_id, item_id, assignee_id=data.assignee_id,
                              unassign=data.unassign, status=data.status, agency_user_ids=users)

    item = await practice_ctx.run(work)
    await practice_ctx.audit("update", "denial_item", item_id)
    return item_out(item)


@post("/denials/{item_id:uuid}/notes", opt={"audit": "update"}, guards=BILL, status_code=201)
async def add_note(request: Request, practice_ctx: PracticeContext, item_id: uuid.UUID, data: NoteIn) -> DenialDetail:
    cipher = cipher_for(request.app.state.db)
    await practice_ctx.run(lambda s: service.add_note(s, cipher, practice_ctx.practice_id, item_id, data.text,
                                                      _actor(practice_ctx)))
    await practice_ctx.audit("update", "denial_item", item_id)
    return await _detail(practice_ctx, cipher, item_id)


@post("/denials/{item_id:uuid}/corrected-claim", opt={"audit": "create"}, guards=BILL)
async def corrected_claim(request: Request, practice_ctx: PracticeContext, item_id: uuid.UUID,
                          data: CorrectedIn) -> Response:
    cipher = cipher_for(request.app.state.db)

    async def create():  # noqa: ANN202
        def work(s):  # noqa: ANN001, ANN202
            claim = service.corrected_claim(s, cipher, practice_ctx.practice_id, item_id, data.frequency,
                                            _actor(practice_ctx))
            return ClaimRef(claim.id, claim.frequency, claim.sequence, claim.state,
                            service.get(s, practice_ctx.practice_id, item_id).status)
        ref = await practice_ctx.run(work)
        await practice_ctx.audit("create", "claim", ref.claim_id)
        await practice_ctx.audit("update", "denial_item", item_id)
        return 201, ref
    return await idempotent(request, practice_ctx, create)


@post("/denials/{item_id:uuid}/rebill-secondary", opt={"audit": "create"}, guards=BILL)
async def rebill_secondary(request: Request, practice_ctx: PracticeContext, item_id: uuid.UUID) -> Response:
    cipher = cipher_for(request.app.state.db)

    async def create():  # noqa: ANN202
        def work(s):  # noqa: ANN001, ANN202
            claim = service.rebill_secondary(s, cipher, practice_ctx.principal.agency_id, practice_ctx.practice_id,
                                             item_id, _actor(practice_ctx))
            return ClaimRef(claim.id, claim.frequency, claim.sequence, claim.state,
                            service.get(s, practice_ctx.practice_id, item_id).status)
        ref = await practice_ctx.run(work)
        await practice_ctx.audit("create", "claim", ref.claim_id)
        return 201, ref
    return await idempotent(request, practice_ctx, create)


@post("/denials/{item_id:uuid}/appeals", opt={"audit": "create"}, guards=BILL)
async def create_appeal(request: Request, practice_ctx: PracticeContext, item_id: uuid.UUID,
                        data: AppealIn) -> Response:
    cipher = cipher_for(request.app.state.db)

    async def create():  # noqa: ANN202
        row = await practice_ctx.run(lambda s: service.appeal(s, cipher, practice_ctx.practice_id, item_id,
                                                              data.argument, data.signer, _actor(practice_ctx)))
        await practice_ctx.audit("create", "appeal", row.id)
        return 201, AppealOut(row.id, row.denial_item_id, row.level, row.letter_size, row.created_by, row.created_at)
    return await idempotent(request, practice_ctx, create)


@get("/denials/{item_id:uuid}/appeals/{appeal_id:uuid}/letter", opt={"audit": "print"},
     guards=[requires(Perm.PHI_PRINT)])
async def appeal_letter(request: Request, practice_ctx: PracticeContext, item_id: uuid.UUID,
                        appeal_id: uuid.UUID) -> Response:
    cipher = cipher_for(request.app.state.db)
    pdf = await practice_ctx.run(lambda s: service.letter_pdf(s, cipher, practice_ctx.practice_id, item_id,
                                                              appeal_id))
    await practice_ctx.audit("print", "appeal", appeal_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="appeal-{appeal_id}.pdf"',
                             "Cache-Control": "no-store"})


@post("/denials/{item_id:uuid}/write-off", opt={"audit": "create"}, guards=BILL)
async def write_off(request: Request, practice_ctx: PracticeContext, item_id: uuid.UUID, data: WriteOffIn) -> Response:
    cipher = cipher_for(request.app.state.db)

    async def create():  # noqa: ANN202
        wo = await practice_ctx.run(lambda s: service.write_off(s, cipher, practice_ctx.practice_id, item_id,
                                                                data.reason_code, data.note, _actor(practice_ctx),
                                                                data.amount))
        await practice_ctx.audit("create", "write_off", wo.id)
        return 201, WriteOffOut(wo.id, item_id, wo.amount, wo.reason_code)
    return await idempotent(request, practice_ctx, create)


ROUTES = [agency_denial_queue]


def router() -> Router:
    return Router(path="/practices/{practice_id:uuid}", guards=[practice_access], tags=["denials"],
                  route_handlers=[denial_queue, get_denial, update_denial, add_note, corrected_claim,
                                  rebill_secondary, create_appeal, appeal_letter, write_off])
