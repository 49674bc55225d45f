"""Clearinghouse connection routes (agency level, agency admins: ``clearinghouse:manage``).

``GET/POST /api/v1/clearinghouse/connections``,
``GET/PATCH/DELETE /api/v1/clearinghouse/connections/{connection_id}``,
``POST /api/v1/clearinghouse/connections/{connection_id}/test``.

Credentials are accepted on POST/PATCH and never returned (``has_credentials``).
Creating is not replayed by Idempotency-Key: the stored request fingerprint would
be derived from a body holding a secret; a retried POST answers 409 (the name is
unique per agency) instead of creating a duplicate.
"""

from __future__ import annotations

import asyncio
import uuid

from litestar import Controller, Request, Response, delete, get, patch, post

from agency.api.dependencies import AgencyContext
from agency.api.guards import requires
from agency.api.pagination import clamp_limit, decode_cursor, encode_cursor
from agency.api.problems import BadRequest
from agency.clearinghouse import service
from agency.keys.agency_keys import agency_cipher_for, ensure_agency_key
from agency.clearinghouse.schemas import ConnectionCreate, ConnectionOut, ConnectionTestOut, ConnectionUpdate
from agency.identity.policy import Perm
from agency.identity.schemas import PageOut

RESOURCE = "clearinghouse_connection"


def _after(cursor: str | None) -> uuid.UUID | None:
    key = decode_cursor(cursor, ("id",))
    if key is None:
        return None
    try:
        return uuid.UUID(key["id"])
    except ValueError:
        raise BadRequest("The cursor is not valid; pass back next_cursor unchanged.") from None


class ClearinghouseConnectionsController(Controller):
    path = "/clearinghouse/connections"
    tags = ["clearinghouse"]
    guards = [requires(Perm.CLEARINGHOUSE_MANAGE)]

    @get("/")
    async def list_connections(self, agency_ctx: AgencyContext, limit: int | None = None,
                               cursor: str | None = None) -> PageOut:
        n = clamp_limit(limit)
        rows = await agency_ctx.run(service.list_connections, agency_ctx.principal.agency_id, _after(cursor), n)
        more = len(rows) > n
        rows = rows[:n]
        return PageOut([ConnectionOut.of(r) for r in rows],
                       encode_cursor({"id": str(rows[-1].id)}) if more and rows else None)

    @post("/")
    async def create_connection(self, request: Request, agency_ctx: AgencyContext,
                                data: ConnectionCreate) -> Response[ConnectionOut]:
        db = request.app.state.db
        agency_id = agency_ctx.principal.agency_id
        if data.password is not None or data.private_key is not None:
            await asyncio.to_thread(ensure_agency_key, db, agency_id)
        conn = await agency_ctx.run(service.create_connection, agency_cipher_for(db), agency_id, data)
        await agency_ctx.audit_admin("create", RESOURCE, conn.id)
        return Response(ConnectionOut.of(conn), status_code=201, headers={"Cache-Control": "no-store"})

    @get("/{connection_id:uuid}")
    async def get_connection(self, agency_ctx: AgencyContext, connection_id: uuid.UUID) -> ConnectionOut:
        conn = await agency_ctx.run(service.get_connection, agency_ctx.principal.agency_id, connection_id)
        return ConnectionOut.of(conn)

    @patch("/{connection_id:uuid}")
    async def update_connection(self, request: Request, agency_ctx: AgencyContext, connection_id: uuid.UUID,
                                data: ConnectionUpdate) -> ConnectionOut:
        db = request.app.state.db
        agency_id = agency_ctx.principal.agency_id
        if data.password is not None or data.private_key is not None:
            await asyncio.to_thread(ensure_agency_key, db, agency_id)
        conn = await agency_ctx.run(service.update_connection, agency_cipher_for(db), agency_id, connection_id,
                                    data)
        await agency_ctx.audit_admin("update", RESOURCE, conn.id)
        return ConnectionOut.of(conn)

    @delete("/{connection_id:uuid}")
    async def delete_connection(self, agency_ctx: AgencyContext, connection_id: uuid.UUID) -> None:
        await agency_ctx.run(service.delete_connection, agency_ctx.principal.agency_id, connection_id)
        await agency_ctx.audit_admin("delete", RESOURCE, connection_id)

    @post("/{connection_id:uuid}/test", status_code=200)
    async def test_connection(self, request: Request, agency_ctx: AgencyContext,
                              connection_id: uuid.UUID) -> ConnectionTestOut:
        """Connect and list the inbound directory; ``ok`` or the reason. Answers 200 either
        way: a clearinghouse that is down is a finding, not an API error."""
        db = request.app.state.db
        agency_id = agency_ctx.principal.agency_id
        try:
            _, transport = await agency_ctx.run(service.transport_for, agency_cipher_for(db), agency_id,
                                                connection_id)
        except service.TransportError as exc:
            return ConnectionTestOut(False, exc.message, exc.retryable)
        outcome = await asyncio.to_thread(service.test_transport, transport)
        await agency_ctx.audit_admin("read", RESOURCE, connection_id)
        return ConnectionTestOut(outcome.ok, outcome.detail, outcome.retryable, outcome.inbound_files)


ROUTES = [ClearinghouseConnectionsController]
