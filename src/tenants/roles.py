"""Database roles and bootstrap, run once per cluster/database by a superuser.

* owner (``agency_owner``): owns the schema, runs alembic. Never used by the app.
* app (``agency_app``): NOSUPERUSER NOBYPASSRLS, owns nothing; API and workers.
* system (``agency_system``): BYPASSRLS, for the enumerated cross-tenant jobs.

The same statements are in ``infra/postgres/roles.sql`` for operators who run
them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class RoleNames:
    owner: str = "agency_owner"
    app: str = "agency_app"
    system: str = "agency_system"


def _ensure_role(cur: psycopg.Cursor, name: str, attrs: str, password: str | None) -> None:
    # CREATE ROLE has no IF NOT EXISTS; concurrent bootstraps (parallel test runs)
    # race, so a duplicate is treated as success.
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
    if cur.fetchone() is None:
        try:
            cur.execute(sql.SQL("CREATE ROLE {} " + attrs).format(sql.Identifier(name)))
        except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            pass
    cur.execute(sql.SQL("ALTER ROLE {} " + attrs).format(sql.Identifier(name)))
    if password is not None:
        cur.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))


def bootstrap(admin_url: str, database: str, roles: RoleNames = RoleNames(),
              passwords: dict[str, str] | None = None) -> None:
    """Create the three roles and the database (owned by the owner role), then
    set default privileges so every table the owner creates is usable by app
    and system roles without per-migration GRANTs. Idempotent."""
    passwords = passwords or {}
    with psycopg.connect(admin_url, autocommit=True) as conn, conn.cursor() as cur:
        _ensure_role(cur, roles.owner, "LOGIN NOSUPERUSER NOBYPASSRLS", passwords.get(roles.owner))
        _ensure_role(cur, roles.app,
                     "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
                     passwords.get(roles.app))
        _ensure_role(cur, roles.system, "LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE",
                     passwords.get(roles.system))
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if cur.fetchone() is None:
            try:
                cur.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(database), sql.Identifier(roles.owner)))
            except psycopg.errors.DuplicateDatabase:
                pass
    # Schema-level grants, in the target database.
    target = _database_url(admin_url, database)
    with psycopg.connect(target, autocommit=True) as conn, conn.cursor() as cur:
        ident = sql.Identifier
        cur.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(ident(roles.owner)))
        cur.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        for role in (roles.app, roles.system):
            cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(ident(database), ident(role)))
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident(role)))
            cur.execute(sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
                "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}").format(ident(roles.owner), ident(role)))
            cur.execute(sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
                "GRANT USAGE, SELECT ON SEQUENCES TO {}").format(ident(roles.owner), ident(role)))


def _database_url(url: str, database: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def drop_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
