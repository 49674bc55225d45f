"""``agency serve``: the HTTP API (and, without a broker URL, the in-process worker)."""

from __future__ import annotations

import click

from agency.settings import get_settings


@click.command("serve")
@click.option("--host", default=None, help="default: AGENCY_HTTP_HOST")
@click.option("--port", type=int, default=None, help="default: AGENCY_HTTP_PORT")
def command(host: str | None, port: int | None) -> None:
    """Run the API server."""
    import uvicorn

    from agency.api.app import create_app
    from agency.db.runtime import Database

    settings = get_settings()
    db = Database.open(settings)  # fail fast, before uvicorn, with a clear message
    if db.urls.embedded:
        from agency.db import migrate

        migrate.upgrade(db.urls.owner)
        click.echo(f"embedded PostgreSQL ready under {settings.data_dir}", err=True)
    app = create_app(settings, db=db, migrate_embedded=False)
    try:
        uvicorn.run(app, host=host or settings.http_host, port=port or settings.http_port,
                    log_level=settings.log_level.lower())
    finally:
        db.stop_embedded()  # when the app never started (e.g. port in use)
