"""``Idempotency-Key`` for creating POSTs.

In a handler::

    return await idempotent(request, ctx, create)   # create: async () -> (status, payload)

Without the header ``create`` just runs. With it, the key is stored per
(practice or agency, principal, key) together with a fingerprint of the request
(method, path, body) and the response, **in the same unit of work** as the
creation, so either both commit or neither does. A retry with the same key and
the same request replays the stored response (header ``Idempotent-Replayed:
true``); the same key with a different request is a 422 problem. A concurrent
duplicate waits on the key's unique index and then replays.

Practice routes keep the stored response in a tenant table, sealed with the
practice's data key like any other PHI (a created patient's response holds PHI).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import sqlalchemy as sa
from litestar import Request, Response
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from agency.api.dependencies import AgencyContext, PracticeContext
from agency.api.idempotency_models import AgencyIdempotencyRecord, IdempotencyRecord
from agency.api.problems import BadRequest, Conflict, Unprocessable

HEADER = "idempotency-key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
JSON = "application/json"


def _fingerprint(request: Request, body: bytes) -> str:
    h = hashlib.sha256()
    h.update(request.method.encode() + b" " + request.url.path.encode() + b"\n")
    h.update(hashlib.sha256(body).digest())
    return h.hexdigest()


def _lookup(session: Session, ctx: AgencyContext, key: str):  # noqa: ANN202
    principal = ctx.principal.actor
    if isinstance(ctx, PracticeContext):
        stmt = sa.select(IdempotencyRecord).where(IdempotencyRecord.tenant_id == ctx.practice_id,
                                                  IdempotencyRecord.principal == principal,
                                                  IdempotencyRecord.key == key)
    else:
        stmt = sa.select(AgencyIdempotencyRecord).where(
            AgencyIdempotencyRecord.agency_id == ctx.principal.agency_id,
            AgencyIdempotencyRecord.principal == principal, AgencyIdempotencyRecord.key == key)
    return session.scalar(stmt.execution_options(populate_existing=True))


def _claim(session: Session, ctx: AgencyContext, key: str, fingerprint: str):  # noqa: ANN202
    """Insert the key (in a savepoint); None if another request holds it already."""
    if isinstance(ctx, PracticeContext):
        row: Any = IdempotencyRecord(tenant_id=ctx.practice_id, principal=ctx.principal.actor, key=key,
                                     fingerprint=fingerprint)
    else:
        row = AgencyIdempotencyRecord(agency_id=ctx.principal.agency_id, principal=ctx.principal.actor,
                                      key=key, fingerprint=fingerprint)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except sa_exc.IntegrityError:
        return None
    return row


_TABLE, _COLUMN = "idempotency_record", "body"


def _cipher(request: Request):  # noqa: ANN202
    from agency.keys.runtime import cipher_for

    return cipher_for(request.app.state.db)


async def _seal(request: Request, ctx: AgencyContext, row: Any, body: bytes) -> bytes:
    if not isinstance(ctx, PracticeContext):
        return body  # agency routes hold no PHI
    sealed = await asyncio.to_thread(_cipher(request).seal_bytes, ctx.practice_id, _TABLE, _COLUMN, row.id, body)
    return sealed.blob


async def _open(request: Request, ctx: AgencyContext, row: Any) -> bytes:
    if not row.body or not isinstance(ctx, PracticeContext):
        return row.body or b""
    return await asyncio.to_thread(_cipher(request).open_bytes, ctx.practice_id, _TABLE, _COLUMN, row.id,
                                   bytes(row.body))


async def _replay(request: Request, ctx: AgencyContext, row, fingerprint: str) -> Response:  # noqa: ANN001
    if row.fingerprint != fingerprint:
        raise Unprocessable("This Idempotency-Key was already used with a different request.",
                            extra={"idempotency_key_reused": True})
    if row.status_code is None:
        raise Conflict("A request with this Idempotency-Key is still in progress; retry later.")
    return Response(await _open(request, ctx, row), status_code=row.status_code,
                    media_type=row.content_type or JSON, headers={"Idempotent-Replayed": "true"})


async def idempotent(request: Request, ctx: AgencyContext,
                     create: Callable[[], Awaitable[tuple[int, Any]]]) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        status, payload = await create()
        return Response(msgspec.json.encode(payload), status_code=status, media_type=JSON)
    if not _KEY.match(key):
        raise BadRequest("Idempotency-Key must be 1-255 visible ASCII characters.")
    fingerprint = _fingerprint(request, await request.body())
    existing = await ctx.session.run_sync(_lookup, ctx, key)
    if existing is not None:
        return await _replay(request, ctx, existing, fingerprint)
    row = await ctx.session.run_sync(_claim, ctx, key, fingerprint)
    if row is None:  # a concurrent request with this key committed first
        existing = await ctx.session.run_sync(_lookup, ctx, key)
        if existing is None:
            raise Conflict("A request with this Idempotency-Key is in progress; retry later.")
        return await _replay(request, ctx, existing, fingerprint)
    status, payload = await create()
    body = msgspec.json.encode(payload)
    row.status_code, row.content_type, row.body = status, JSON, await _seal(request, ctx, row, body)
    await ctx.session.flush()
    return Response(body, status_code=status, media_type=JSON)
