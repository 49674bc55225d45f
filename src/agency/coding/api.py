"""Coding routes under ``/api/v1/practices/{practice_id}/coding``.

* ``GET  /queue``                                 encounters waiting to be coded (coders)
  (and ``GET /api/v1/coding/queue``: one queue over all of the coder's practices)
* ``PUT  /encounters/{encounter_id}/codes``       change codes, with a reason (coders)
* ``POST /encounters/{encounter_id}/coded``       mark coded: validate, price from the fee schedule (coders)
* ``GET  /encounters/{encounter_id}/history``     original, current and every change (PHI read)
* ``POST /encounters/{encounter_id}/queries``     ask the practice a question (coders)
* ``GET  /queries``, ``GET /queries/{query_id}``  the practice sees and answers its queries
* ``POST /queries/{query_id}/messages``           answer (practice) or follow up (coder)
* ``POST /queries/{query_id}/close``              close (coders)
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from litestar import Request, Response, Router, get, post, put
from litestar.params import Parameter

from agency.api.dependencies import AgencyContext, PracticeContext
from agency.api.guards import practice_access, requires
from agency.api.idempotency import idempotent
from agency.api.pagination import clamp_limit, decode_cursor, encode_cursor
from agency.api.problems import BadRequest, NotFound
from agency.audit import service as audit
from agency.coding import service
from agency.coding.repository import CodingRepository
from agency.coding.schemas import (ChangeOut, CodedOut, CodesIn, HistoryOut, MessageIn, MessageOut, QueryOut,
                                   QuestionIn, QueueItem, QueuePage)
from agency.encounters.service import DbCodes
from agency.identity import service as identity
from agency.identity.policy import Perm
from agency.keys.runtime import cipher_for
from tenants.scope import TenantScope

CODE = [requires(Perm.CODING_WRITE)]
READ = [requires(Perm.PHI_READ)]
WRITE = [requires(Perm.PHI_WRITE)]


def _cipher(request: Request):  # noqa: ANN202
    return cipher_for(request.app.state.db)


def _queue_key(cursor: str | None) -> tuple[date, uuid.UUID] | None:
    key = decode_cursor(cursor, ("dos", "id"))
    if key is None:
        return None
    try:
        return date.fromisoformat(key["dos"]), uuid.UUID(key["id"])
    except ValueError:
        raise BadRequest("The cursor is not valid; pass back next_cursor unchanged.") from None


def _item(practice_id: uuid.UUID, row) -> QueueItem:  # noqa: ANN001
    enc, open_queries = row
    return QueueItem(enc.id, practice_id, enc.date_of_service_from, enc.place_of_service, enc.status,
                     enc.duplicate_flag, open_queries)


def _page(items: list[QueueItem], n: int) -> QueuePage:
    items.sort(key=lambda i: (i.date_of_service, i.encounter_id))
    if len(items) > n:
        items = items[:n]
        last = items[-1]
        return QueuePage(items, encode_cursor({"dos": last.date_of_service.isoformat(), "id": str(last.encounter_id)}))
    return QueuePage(items, None)


@get("/queue", opt={"audit": "list"}, guards=CODE)
async def coding_queue(practice_ctx: PracticeContext, cursor: str | None = None,
                       limit: int | None = Parameter(default=None)) -> QueuePage:
    n, after = clamp_limit(limit), _queue_key(cursor)
    rows = await practice_ctx.run(lambda s: CodingRepository(s, practice_ctx.practice_id).queue(
        service.CODABLE, after, n))
    page = _page([_item(practice_ctx.practice_id, r) for r in rows], n)
    await practice_ctx.audit_many("list", "encounter", [i.encounter_id for i in page.items])
    return page


@get("/coding/queue", opt={"audit": None}, guards=[requires(Perm.CODING_WRITE)])
async def agency_coding_queue(request: Request, agency_ctx: AgencyContext, cursor: str | None = None,
                              limit: int | None = Parameter(default=None)) -> QueuePage:
    """One queue over every practice the coder may see (their assignments), oldest
    date of service first. Each practice is read in its own tenant-bound unit of
    work, and each practice's listing is audited in that practice's chain."""
    n, after = clamp_limit(limit), _queue_key(cursor)
    practices = await agency_ctx.run(identity.visible_practices, agency_ctx.principal, None, 500)
    db = request.app.state.db
    items: list[QueueItem] = []
    for practice in practices:
        scope = TenantScope(agency_ctx.principal.agency_id, practice.id)
        async with db.sessions.atenant_unit(scope) as session:
            rows = await session.run_sync(lambda s: CodingRepository(s, practice.id).queue(service.CODABLE, after, n))
            items += [_item(practice.id, r) for r in rows]
    page = _page(items, n)
    for practice in practices:
        shown = [i.encounter_id for i in page.items if i.practice_id == practice.id]
        if shown:
            async with db.sessions.atenant_unit(TenantScope(agency_ctx.principal.agency_id, practice.id)) as s:
                audit.record_many(s.sync_session, agency_ctx.actor, "list", "encounter", shown)
    return page


@put("/encounters/{encounter_id:uuid}/codes", opt={"audit": "update"}, guards=CODE)
async def change_codes(request: Request, practice_ctx: PracticeContext, encounter_id: uuid.UUID,
                       data: CodesIn) -> HistoryOut:
    codes = service.CodeSet(data.diagnoses, [service.LineCodes(x.line_number, x.procedure_code, list(x.modifiers),
                                                               x.units, list(x.diagnosis_pointers))
                                             for x in data.lines])
    cipher = _cipher(request)
    await practice_ctx.run(lambda s: service.change_codes(s, cipher, practice_ctx.practice_id,
                                                          practice_ctx.principal, encounter_id, codes,
                                                          data.reason, DbCodes(s)))
    await practice_ctx.audit("update", "encounter", encounter_id)
    return await _history(practice_ctx, cipher, encounter_id)


@post("/encounters/{encounter_id:uuid}/coded", opt={"audit": "update"}, guards=CODE, status_code=200)
async def mark_coded(practice_ctx: PracticeContext, encounter_id: uuid.UUID) -> CodedOut:
    result = await practice_ctx.run(lambda s: service.mark_coded(s, practice_ctx.practice_id, encounter_id,
                                                                 DbCodes(s)))
    await practice_ctx.audit("update", "encounter", encounter_id)
    return CodedOut(result.encounter_id, "coded", result.priced_lines)


async def _history(ctx: PracticeContext, cipher, encounter_id: uuid.UUID) -> HistoryOut:  # noqa: ANN001
    def load(s):  # noqa: ANN001, ANN202
        repo = CodingRepository(s, ctx.practice_id)
        enc = repo.encounter_for_update(encounter_id)
        if enc is None:
            raise NotFound()
        return enc.status, service.snapshot(repo, encounter_id), repo.changes(encounter_id)

    status, current, changes = await ctx.run(load)
    out = [ChangeOut(c.seq, c.actor, c.actor_role, c.changed_at, await asyncio.to_thread(service.open_reason, cipher, c),
                     c.before, c.after) for c in changes]
    return HistoryOut(encounter_id, status, changes[0].before if changes else current, current, out)


@get("/encounters/{encounter_id:uuid}/history", opt={"audit": "read"}, guards=READ)
async def coding_history(request: Request, practice_ctx: PracticeContext, encounter_id: uuid.UUID) -> HistoryOut:
    out = await _history(practice_ctx, _cipher(request), encounter_id)
    await practice_ctx.audit("read", "encounter", encounter_id)
    return out


async def _query_out(cipher, query, messages) -> QueryOut:  # noqa: ANN001
    msgs = None
    if messages is not None:
        msgs = [MessageOut(m.id, m.author, m.author_role, m.created_at,
                           await asyncio.to_thread(service.open_message, cipher, m)) for m in messages]
    return QueryOut(query.id, query.encounter_id, query.status, query.opened_by, query.opened_at, query.closed_at,
                    msgs)


@post("/encounters/{encounter_id:uuid}/queries", opt={"audit": "create"}, guards=CODE)
async def raise_query(request: Request, practice_ctx: PracticeContext, encounter_id: uuid.UUID,
                      data: QuestionIn) -> Response:
    cipher = _cipher(request)

    async def create():  # noqa: ANN202
        query = await practice_ctx.run(lambda s: service.raise_query(
            s, cipher, practice_ctx.practice_id, practice_ctx.principal, encounter_id, data.question))
        await practice_ctx.audit("create", "coding_query", query.id)
        return 201, await _query_out(cipher, query, None)
    return await idempotent(request, practice_ctx, create)


@get("/queries", opt={"audit": "list"}, guards=READ)
async def list_queries(practice_ctx: PracticeContext, status: str | None = None) -> list[QueryOut]:
    if status not in (None, "open", "answered", "closed"):
        raise BadRequest("status must be open, answered or closed.")
    rows = await practice_ctx.run(lambda s: CodingRepository(s, practice_ctx.practice_id).queries(status, None))
    await practice_ctx.audit_many("list", "coding_query", [q.id for q in rows])
    return [await _query_out(None, q, None) for q in rows]


@get("/queries/{query_id:uuid}", opt={"audit": "read"}, guards=READ)
async def get_query(request: Request, practice_ctx: PracticeContext, query_id: uuid.UUID) -> QueryOut:
    def load(s):  # noqa: ANN001, ANN202
        repo = CodingRepository(s, practice_ctx.practice_id)
        query = repo.query(query_id)
        if query is None:
            raise NotFound()
        return query, repo.messages(query_id)

    query, messages = await practice_ctx.run(load)
    await practice_ctx.audit("read", "coding_query", query_id)
    return await _query_out(_cipher(request), query, messages)


@post("/queries/{query_id:uuid}/messages", opt={"audit": "create"}, guards=WRITE, status_code=201)
async def add_message(request: Request, practice_ctx: PracticeContext, query_id: uuid.UUID,
                      data: MessageIn) -> QueryOut:
    cipher = _cipher(request)

    def post_it(s):  # noqa: ANN001, ANN202
        repo = CodingRepository(s, practice_ctx.practice_id)
        query = repo.query(query_id)
        if query is None:
            raise NotFound()
        service.add_message(s, cipher, practice_ctx.practice_id, practice_ctx.principal, query, data.body)
        return query, repo.messages(query_id)

    query, messages = await practice_ctx.run(post_it)
    await practice_ctx.audit("create", "coding_query_message", query_id)
    return await _query_out(cipher, query, messages)


@post("/queries/{query_id:uuid}/close", opt={"audit": "update"}, guards=CODE, status_code=200)
async def close_query(practice_ctx: PracticeContext, query_id: uuid.UUID) -> QueryOut:
    query = await practice_ctx.run(lambda s: service.close_query(s, practice_ctx.practice_id, query_id))
    await practice_ctx.audit("update", "coding_query", query_id)
    return await _query_out(None, query, None)


ROUTES = [agency_coding_queue]


def coding_router() -> Router:
    return Router(path="/practices/{practice_id:uuid}/coding", guards=[practice_access], tags=["coding"],
                  route_handlers=[coding_queue, change_codes, mark_coded, coding_history, raise_query, list_queries,
                                  get_query, add_message, close_query])
