"""Run alembic programmatically, always as the owner (migrator) role."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from agency.errors import UserFacingError

REPO_ROOT = Path(__file__).resolve().parents[3]
MIGRATIONS_DIR = REPO_ROOT / "migrations"


def alembic_config(owner_url: str) -> Config:
    if not (MIGRATIONS_DIR / "env.py").exists():
        raise UserFacingError(
            f"migrations not found at {MIGRATIONS_DIR}: run agency from a source checkout "
            "(pip install -e .)"
        )
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["url"] = owner_url
    return cfg


def upgrade(owner_url: str, revision: str = "heads") -> None:
    # "heads": domain areas may add migrations on parallel branches off a common base.
    command.upgrade(alembic_config(owner_url), revision)


def downgrade(owner_url: str, revision: str) -> None:
    command.downgrade(alembic_config(owner_url), revision)


def current(owner_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine, pool

    from tenants.urls import sync_url

    engine = create_engine(sync_url(owner_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            # Several heads are normal: domain areas branch off a common base.
            heads = sorted(MigrationContext.configure(conn).get_current_heads())
            return ", ".join(heads) or None
    finally:
        engine.dispose()
