"""Alembic runs as the owner (migrator) role, never as the runtime role."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from agency.db.models import metadata
from tenants.urls import sync_url

config = context.config


def _url() -> str:
    url = config.attributes.get("url")
    if url is None:
        from agency.settings import get_settings

        url = get_settings().owner_url
    return sync_url(url)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
