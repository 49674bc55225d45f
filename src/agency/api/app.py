"""Application assembly: one place that wires settings, database, broker and routes.

Middleware (outermost first): request id → access log → authentication.
Routes: ``/health``; HTML login under ``/login``; the JSON API under ``/api/v1``
(OpenAPI at ``/api/v1/schema``). Every error is an RFC 9457 problem.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from litestar import Litestar, Request, Router
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.template.config import TemplateConfig

from agency.api.authn import AuthenticationMiddleware
from agency.api.dependencies import provide_agency_context, provide_practice_context
from agency.api.guards import authenticated
from agency.api.health import health
from agency.api.logging import AccessLogMiddleware, configure_logging
from agency.api.practices import list_practices, practice_router
from agency.api.problems import EXCEPTION_HANDLERS
from agency.api.request_id import RequestIdMiddleware
from agency.audit import api as audit_api
from agency.claims import api as claims_api
from agency.clearinghouse import api as clearinghouse_api
from agency.coding import api as coding_api
from agency.db.runtime import Database
from agency.denials import api as denials_api
from agency.encounters import api as encounters_api
from agency.identity import api as identity_api
from agency.payers import api as payers_api
from agency.remittance import api as remittance_api
from agency.settings import Settings, get_settings
from agency.submissions import api as submissions_api
from agency.worker.broker import InProcessWorker, is_in_process, setup_broker

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
API_PREFIX = "/api/v1"


def api_v1_router() -> Router:
    """Every JSON route. Later issues add their practice-scoped handlers to
    ``practice_router`` (``agency.api.practices``) or their own routers here."""
    return Router(
        path=API_PREFIX,
        guards=[authenticated],
        dependencies={"practice_ctx": Provide(provide_practice_context),
                      "agency_ctx": Provide(provide_agency_context)},
        route_handlers=[*identity_api.ROUTES, list_practices, practice_router(), *audit_api.ROUTES,
                        *clearinghouse_api.ROUTES,
                        *payers_api.ROUTES,
                        coding_api.coding_router(), *coding_api.ROUTES,
                        encounters_api.router(),
                        claims_api.router(), *submissions_api.ROUTES,
                        remittance_api.router(), denials_api.router(), *denials_api.ROUTES],
    )


LOGIN_FORMS = ("/login", "/login/totp")


def login_throttle(settings: Settings) -> RateLimitConfig:
    """Password guessing from one address is slowed down before the per-account lockout
    (which an attacker spraying many accounts never reaches). Counted per process, in
    memory: with several API processes the effective limit is that many times higher."""

    def is_login_attempt(request: Request) -> bool:
        return request.method == "POST" and request.url.path in LOGIN_FORMS

    return RateLimitConfig(rate_limit=("minute", settings.login_rate_per_minute),
                           check_throttle_handler=is_login_attempt)


def create_app(settings: Settings | None = None, db: Database | None = None,
               migrate_embedded: bool = True, secure_cookies: bool | None = None) -> Litestar:
    """Build the app. With ``db`` given the caller owns it; otherwise the app
    opens it at start-up and closes it (and an embedded server it started) at
    shutdown. ``secure_cookies`` None: Secure when the request came over https
    (run uvicorn with --proxy-headers behind a TLS proxy)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)

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
            from agency.worker.context import set_database  # in-process jobs use the app's database

            set_database(database)
            worker.start()
        app.state.db, app.state.broker, app.state.settings = database, broker, settings
        app.state.secure_cookies = secure_cookies
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
        route_handlers=[health, *identity_api.HTML_ROUTES, api_v1_router()],
        lifespan=[lifespan],
        middleware=[RequestIdMiddleware, AccessLogMiddleware, login_throttle(settings).middleware,
                    AuthenticationMiddleware],
        exception_handlers=EXCEPTION_HANDLERS,
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(title="Agency billing platform", version="1", path="/api/v1/schema"),
        request_max_body_size=1_048_576,
    )
