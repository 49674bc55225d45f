"""Application assembly: one place that wires settings, database, broker and routes."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from agency.api.health import health
from agency.db.runtime import Database
from agency.settings import Settings, get_settings
from agency.worker.broker import InProcessWorker, is_in_process, setup_broker


def create_app(settings: Settings | None = None, db: Database | None = None,
               migrate_embedded: bool = True) -> Litestar:
    """Build the app. With ``db`` given the caller owns it; otherwise the app
    opens it at start-up and closes it (and an embedded server it started) at
    shutdown."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        database = db or Database.open(settings)
        if database.urls.embedded and migrate_embedded:
            from agency.db import migrate

            migrate.upgrade(database.urls.owner)
        broker = setup_broker(settings)
        from agency.worker import actors  # noqa: F401  declare actors on the broker

        worker = InProcessWorker(broker, settings.worker_threads) if is_in_process(broker) else None
        if worker:
            worker.start()
        app.state.db, app.state.broker, app.state.settings = database, broker, settings
        from agency.worker.context import set_database

        set_database(database)  # in-process actors share the app's engines
        try:
            yield
        finally:
            if worker:
                worker.stop()
            await database.adispose()
            # Here rather than after uvicorn.run(): uvicorn re-raises SIGTERM once
            # it has shut down, which would skip any code after run().
            database.stop_embedded()

    return Litestar(
        route_handlers=[health],
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(title="Agency billing platform", version="1", path="/api/v1/schema"),
    )
