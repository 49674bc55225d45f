"""Engine construction. The runtime engines must connect as the runtime role;
:func:`assert_runtime_role` checks this at start-up so RLS can never be silently
inert because someone configured the owner or a superuser."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tenants.urls import async_url, sync_url


class UnsafeDatabaseRole(RuntimeError):
    pass


def make_sync_engine(url: str, *, pool_size: int = 5, connect_timeout: float = 5.0,
                     application_name: str = "agency") -> Engine:
    return create_engine(
        sync_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"connect_timeout": int(max(1, connect_timeout)),
                      "application_name": application_name},
    )


def make_async_engine(url: str, *, pool_size: int = 10, connect_timeout: float = 5.0,
                      application_name: str = "agency-api") -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"timeout": connect_timeout,
                      "server_settings": {"application_name": application_name}},
    )


ROLE_CHECK = text(
    "SELECT r.rolname, r.rolsuper, r.rolbypassrls,"
    " (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid"
    "    AND c.relnamespace = 'public'::regnamespace) AS owned"
    " FROM pg_roles r WHERE r.rolname = current_user"
)


def assert_runtime_role(engine: Engine) -> None:
    """Refuse to run the app as a role that RLS does not bind."""
    with engine.connect() as conn:
        name, superuser, bypass, owned = conn.execute(ROLE_CHECK).one()
    problems = []
    if superuser:
        problems.append("is a superuser")
    if bypass:
        problems.append("has BYPASSRLS")
    if owned:
        problems.append(f"owns {owned} relations in schema public")
    if problems:
        raise UnsafeDatabaseRole(
            f"database role {name!r} {', '.join(problems)}: row-level security would not "
            "bind it. Connect the app as the runtime role (AGENCY_DATABASE_URL)."
        )
