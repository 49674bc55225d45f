"""``GET /health``: database and broker status, 200 when both are up, 503 otherwise."""

from __future__ import annotations

import asyncio

from litestar import Request, Response, get
from sqlalchemy import text

from agency.worker.broker import broker_status


async def _database_status(request: Request) -> dict[str, object]:
    db = request.app.state.db
    try:
        async with db.async_engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=3)
        return {"ok": True, "embedded": db.urls.embedded}
    except Exception as exc:  # noqa: BLE001 - any failure means the database is down
        return {"ok": False, "error": type(exc).__name__}


@get("/health", include_in_schema=True)
async def health(request: Request) -> Response[dict[str, object]]:
    database = await _database_status(request)
    broker = await asyncio.to_thread(broker_status, request.app.state.broker)
    ok = bool(database["ok"] and broker["ok"])
    body = {"status": "ok" if ok else "degraded", "database": database, "broker": broker}
    return Response(body, status_code=200 if ok else 503)
