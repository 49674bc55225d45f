"""Submission routes.

* ``POST /api/v1/practices/{practice_id}/submissions`` — run a submission now for the
  practice (202; the work is queued after the commit).
* ``GET  /api/v1/submissions/inbound?status=parked`` — inbound files (agency level,
  PHI-free: names, kinds, statuses, park reasons) for agency admins and billers.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from litestar import Request, get, post

from agency.api.dependencies import AgencyContext, PracticeContext
from agency.api.guards import requires
from agency.api.pagination import clamp_limit, decode_cursor, encode_cursor
from agency.api.problems import BadRequest
from agency.identity.policy import Perm

BILL = [requires(Perm.BILLING_WRITE)]


class RunOut(msgspec.Struct, kw_only=True):
    practice_id: uuid.UUID
    status: str


class InboundOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    connection_id: uuid.UUID
    remote_name: str
    kind: str | None
    status: str
    park_reason: str | None
    sha256: str
    size_bytes: int
    received_at: datetime
    routed_at: datetime | None


class InboundPage(msgspec.Struct, kw_only=True):
    items: list[InboundOut]
    next_cursor: str | None


@post("/submissions", opt={"audit": "create"}, guards=BILL, status_code=202)
async def run_submission(request: Request, practice_ctx: PracticeContext) -> RunOut:
    from agency.submissions import tasks
    from agency.worker.after_commit import enqueue_after_commit

    enqueue_after_commit(practice_ctx.session.sync_session, tasks.build_file,
                         str(practice_ctx.principal.agency_id), str(practice_ctx.practice_id))
    await practice_ctx.audit("create", "submission", practice_ctx.practice_id)
    return RunOut(practice_id=practice_ctx.practice_id, status="queued")


def practice_routes() -> list:
    return [run_submission]


@get("/submissions/inbound", tags=["submissions"], guards=BILL)
async def list_inbound(request: Request, agency_ctx: AgencyContext, status: str | None = None,
                       limit: int | None = None, cursor: str | None = None) -> InboundPage:
    from agency.submissions import inbound

    if status is not None and status not in ("received", "routed", "parked"):
        raise BadRequest("status must be one of received, routed, parked.")
    n = clamp_limit(limit)
    key = decode_cursor(cursor, ("id",))
    try:
        after = uuid.UUID(key["id"]) if key else None
    except ValueError:
        raise BadRequest("The cursor is not valid; pass back next_cursor unchanged.") from None
    rows = await agency_ctx.run(_list, agency_ctx.principal.agency_id, status, n, after)
    more = len(rows) > n
    rows = rows[:n]
    return InboundPage(items=[InboundOut(id=r.id, connection_id=r.connection_id, remote_name=r.remote_name,
                                         kind=r.kind, status=r.status, park_reason=r.park_reason, sha256=r.sha256,
                                         size_bytes=r.size_bytes, received_at=r.received_at,
                                         routed_at=r.routed_at) for r in rows],
                       next_cursor=encode_cursor({"id": str(rows[-1].id)}) if more and rows else None)


def _list(session, agency_id, status, n, after):  # noqa: ANN001, ANN202
    import sqlalchemy as sa

    from agency.submissions.models import InboundFile

    q = sa.select(InboundFile).where(InboundFile.agency_id == agency_id)
    if status:
        q = q.where(InboundFile.status == status)
    if after is not None:
        q = q.where(InboundFile.id > after)
    return list(session.scalars(q.order_by(InboundFile.id).limit(n + 1)))


ROUTES = [list_inbound]
