"""The process's database: resolved URLs, engines and session factories.

With ``AGENCY_DATABASE_URL`` set, that server is used as is. Without it, the
embedded PostgreSQL under ``AGENCY_DATA_DIR`` is started (and migrated by
``agency serve``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from agency.errors import DatabaseUnavailable
from agency.settings import Settings
from tenants.engines import assert_runtime_role, make_async_engine, make_sync_engine
from tenants.sessions import SessionFactory
from tenants.urls import libpq_url, redacted


@dataclass(frozen=True)
class DatabaseUrls:
    app: str
    owner: str
    system: str
    embedded: bool = False
    # The embedded server when this process started it (so it can stop it again).
    server: object | None = field(default=None, compare=False, repr=False)


def resolve_urls(settings: Settings) -> DatabaseUrls:
    if not settings.embedded:
        return DatabaseUrls(app=settings.database_url or "", owner=settings.owner_url,
                            system=settings.system_url)
    from agency.db.embedded import EmbeddedPostgres
    from tenants.roles import RoleNames

    server = EmbeddedPostgres(settings.data_dir, settings.embedded_pg_port, settings.postgres_bin_dir,
                              RoleNames(settings.owner_role, settings.app_role, settings.system_role))
    urls = server.ensure()
    return DatabaseUrls(app=urls.app, owner=urls.owner, system=urls.system, embedded=True,
                        server=server if server.started_here else None)


def check_reachable(url: str, timeout: float) -> None:
    try:
        psycopg.connect(libpq_url(url), connect_timeout=int(max(1, timeout))).close()
    except psycopg.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(f"cannot connect to PostgreSQL at {redacted(url)}: {first_line}") from None


class Database:
    def __init__(self, settings: Settings, urls: DatabaseUrls) -> None:
        self.settings = settings
        self.urls = urls

    @classmethod
    def open(cls, settings: Settings) -> "Database":
        urls = resolve_urls(settings)
        check_reachable(urls.app, settings.db_connect_timeout)
        return cls(settings, urls)

    @cached_property
    def sync_engine(self) -> Engine:
        engine = make_sync_engine(self.urls.app, pool_size=self.settings.db_pool_size,
                                  connect_timeout=self.settings.db_connect_timeout)
        assert_runtime_role(engine)
        return engine

    @cached_property
    def async_engine(self) -> AsyncEngine:
        return make_async_engine(self.urls.app, pool_size=self.settings.db_pool_size,
                                 connect_timeout=self.settings.db_connect_timeout)

    @cached_property
    def sessions(self) -> SessionFactory:
        return SessionFactory(self.sync_engine, self.async_engine)

    @cached_property
    def system_engine(self) -> Engine:
        # Only agency.system_access uses this engine (see that module).
        return make_sync_engine(self.urls.system, pool_size=2,
                                connect_timeout=self.settings.db_connect_timeout,
                                application_name="agency-system")

    def dispose(self) -> None:
        for name in ("sync_engine", "system_engine"):
            if name in self.__dict__:
                self.__dict__[name].dispose()

    def stop_embedded(self) -> None:
        """Stop the embedded server if this process started it."""
        server = self.urls.server
        if server is not None and server.started_here:  # type: ignore[attr-defined]
            self.dispose()
            server.stop()  # type: ignore[attr-defined]
            server.started_here = False  # type: ignore[attr-defined]

    async def adispose(self) -> None:
        if "async_engine" in self.__dict__:
            await self.__dict__["async_engine"].dispose()
        self.dispose()
