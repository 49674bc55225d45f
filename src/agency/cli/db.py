"""``agency db``: migrations (as the owner role) and one-time bootstrap."""

from __future__ import annotations

import click

from agency.settings import get_settings


def _urls():
    from agency.db.runtime import check_reachable, resolve_urls

    settings = get_settings()
    urls = resolve_urls(settings)
    check_reachable(urls.owner, settings.db_connect_timeout)
    if urls.server is not None:  # started the embedded server just for this command
        import atexit

        atexit.register(urls.server.stop)
    return urls


@click.group("db")
def command() -> None:
    """Database migrations and bootstrap."""


@command.command()
@click.option("--revision", default="heads", show_default=True)
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION, as the migrator (owner) role."""
    from agency.db import migrate

    urls = _urls()
    migrate.upgrade(urls.owner, revision)
    click.echo(f"database at revision {migrate.current(urls.owner)}")


@command.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Revert migrations down to REVISION ('base' removes everything)."""
    from agency.db import migrate

    urls = _urls()
    migrate.downgrade(urls.owner, revision)
    click.echo(f"database at revision {migrate.current(urls.owner) or 'base'}")


@command.command()
def current() -> None:
    """Print the current migration revision."""
    from agency.db import migrate

    click.echo(migrate.current(_urls().owner) or "base")


@command.command()
@click.option("--admin-url", required=True, envvar="AGENCY_ADMIN_DATABASE_URL",
              help="superuser URL of the server (used once, never stored)")
@click.option("--database", default="agency", show_default=True)
def bootstrap(admin_url: str, database: str) -> None:
    """Create the owner, runtime and system roles and the database (idempotent).

    Passwords are not set here; set them with ALTER ROLE or use infra/postgres/roles.sql.
    """
    from agency.db.runtime import check_reachable
    from tenants.roles import RoleNames, bootstrap as do_bootstrap

    s = get_settings()
    check_reachable(admin_url, s.db_connect_timeout)
    do_bootstrap(admin_url, database, RoleNames(s.owner_role, s.app_role, s.system_role))
    click.echo(f"roles {s.owner_role}, {s.app_role}, {s.system_role} and database {database} are ready")
