"""``GET /api/v1/audit`` and ``GET /api/v1/audit/export.csv``: agency admins only.

Filters: ``practice_id`` (else every practice of the agency), ``user_id`` (actor
id: a user or token id), ``resource_type`` + ``resource_id`` (e.g. ``patient`` and
its id), ``since``/``until`` (ISO 8601). Newest first, cursor-paginated. Each
practice is read in its own tenant-bound session; another agency's practice id
is a 404. Viewing and exporting the trail is itself recorded (agency event).
"""

from __future__ import annotations

import csv
import heapq
import io
import uuid
from datetime import datetime

from litestar import Controller, Request, Response, get

from agency.api.dependencies import actor_of
from agency.api.guards import principal_of, requires
from agency.api.pagination import clamp_limit, decode_cursor, encode_cursor
from agency.api.problems import BadRequest, NotFound, Unprocessable
from agency.audit import service as audit
from agency.audit.schemas import CSV_COLUMNS, AuditEventOut, AuditFilter, AuditPage
from agency.identity import service as identity
from agency.identity.policy import Perm, Principal
from tenants.scope import AgencyScope, TenantScope

EXPORT_MAX_ROWS = 100_000


async def _practices(request: Request, principal: Principal, practice_id: uuid.UUID | None) -> list[uuid.UUID]:
    db = request.app.state.db
    async with db.sessions.aagency_unit(AgencyScope(principal.agency_id)) as s:
        if practice_id is not None:
            if await s.run_sync(identity.practice_in_agency, principal.agency_id, practice_id) is None:
                raise NotFound("The practice does not exist.")
            ids = [practice_id]
        else:
            ids = await s.run_sync(identity.agency_practice_ids, principal.agency_id)
        await s.run_sync(audit.record_agency_event, actor_of(request, principal),
                         "export" if request.url.path.endswith(".csv") else "read", "audit_event",
                         practice_id)
    return ids


async def _fetch(request: Request, principal: Principal, practice_ids: list[uuid.UUID], flt: AuditFilter,
                 before: tuple[datetime, uuid.UUID] | None, limit: int) -> list[AuditEventOut]:
    db = request.app.state.db
    merged = []
    for pid in practice_ids:
        async with db.sessions.atenant_unit(TenantScope(principal.agency_id, pid)) as s:
            rows = await s.run_sync(audit.query_practice, pid, flt, before, limit)
            merged.append([AuditEventOut.of(r) for r in rows])
    out = heapq.merge(*merged, key=lambda e: (e.occurred_at, e.id), reverse=True)
    return [e for _, e in zip(range(limit), out)]


def _filter(user_id: str | None, resource_type: str | None, resource_id: str | None, since: datetime | None,
            until: datetime | None) -> AuditFilter:
    for value in (user_id, resource_type, resource_id):
        if value is not None and (len(value) > 128 or not value.strip()):
            raise BadRequest("filter values must be 1-128 characters")
    for value in (since, until):
        if value is not None and value.tzinfo is None:
            raise BadRequest("since/until need a time zone (e.g. 2026-11-29T00:00:00Z)")
    return AuditFilter(user_id, resource_type, resource_id, since, until)


def _before(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    key = decode_cursor(cursor, ("t", "id"))
    if key is None:
        return None
    try:
        return datetime.fromisoformat(key["t"]), uuid.UUID(key["id"])
    except ValueError:
        raise BadRequest("The cursor is not valid; pass back next_cursor unchanged.") from None


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]
    guards = [requires(Perm.AUDIT_READ)]

    @get("/")
    async def query(self, request: Request,
                    practice_id: uuid.UUID | None = None,
                    user_id: str | None = None,
                    resource_type: str | None = None,
                    resource_id: str | None = None,
                    since: datetime | None = None,
                    until: datetime | None = None,
                    cursor: str | None = None,
                    limit: int | None = None) -> AuditPage:
        principal = principal_of(request)
        flt = _filter(user_id, resource_type, resource_id, since, until)
        n, before = clamp_limit(limit), _before(cursor)
        ids = await _practices(request, principal, practice_id)
        rows = await _fetch(request, principal, ids, flt, before, n + 1)
        more = len(rows) > n
        rows = rows[:n]
        nxt = encode_cursor({"t": rows[-1].occurred_at.isoformat(), "id": str(rows[-1].id)}) if more else None
        return AuditPage(rows, nxt)

    @get("/export.csv", media_type="text/csv")
    async def export(self, request: Request,
                     practice_id: uuid.UUID | None = None,
                     user_id: str | None = None,
                     resource_type: str | None = None,
                     resource_id: str | None = None,
                     since: datetime | None = None,
                     until: datetime | None = None) -> Response:
        principal = principal_of(request)
        flt = _filter(user_id, resource_type, resource_id, since, until)
        ids = await _practices(request, principal, practice_id)
        rows = await _fetch(request, principal, ids, flt, None, EXPORT_MAX_ROWS + 1)
        if len(rows) > EXPORT_MAX_ROWS:
            raise Unprocessable(f"More than {EXPORT_MAX_ROWS} events match; narrow since/until or the practice.")
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_COLUMNS)
        for e in rows:
            writer.writerow(e.csv_row())
        return Response(buf.getvalue().encode(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="audit.csv"',
                                 "Cache-Control": "no-store"})


ROUTES = [AuditController]
