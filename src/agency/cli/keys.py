"""``agency keys``: per-practice data-key rotation and status."""

from __future__ import annotations

import click

from agency.settings import get_settings


@click.group("keys")
def command() -> None:
    """Per-practice encryption keys."""


@command.command("rotate")
@click.option("--practice", "practice_id", required=True, type=click.UUID)
@click.option("--resume", is_flag=True, help="continue an interrupted rotation instead of starting one")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
def rotate(practice_id, resume: bool, batch_size: int) -> None:  # noqa: ANN001
    """Create a new data-key version and re-encrypt the practice's PHI with it.

    The practice keeps working meanwhile. With a Redis broker the re-encryption
    runs as a background job (`agency keys status` shows progress); without one
    it runs here, printing progress."""
    from agency.db.runtime import Database
    from agency.errors import UserFacingError
    from agency.keys import repository as repo
    from agency.keys.runtime import cipher_for, provider_for
    from agency.keys.service import reseal_all, start_rotation

    settings = get_settings()
    db = Database.open(settings)
    with db.sessions.tenant_unit_for(practice_id) as session:
        if resume:
            row = repo.running_rotation(session, practice_id)
            if row is None:
                raise UserFacingError(f"practice {practice_id}: no interrupted rotation to resume")
            rotation_id, to_version = row.id, row.to_version
        else:
            started = start_rotation(session, provider_for(db), practice_id)
            rotation_id, to_version = started.rotation_id, started.to_version
    click.echo(f"practice {practice_id}: data key version {to_version} is active")
    if settings.broker_url:
        from agency.worker.broker import setup_broker

        setup_broker(settings)
        from agency.keys.tasks import reseal

        reseal.send(str(practice_id), str(rotation_id))
        click.echo(f"re-encryption queued (rotation {rotation_id}); follow it with `agency keys status`")
        return
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        click.echo(f"\rre-encrypted {done} values", nl=False, err=True)

    total = reseal_all(db.sessions, cipher_for(db), practice_id, rotation_id, batch_size=batch_size,
                       settle_seconds=settings.key_cache_ttl_seconds, progress=progress)
    click.echo("", err=True)
    click.echo(f"rotation complete: {total} values re-encrypted; older data-key versions destroyed")


@command.command("status")
@click.option("--practice", "practice_id", required=True, type=click.UUID)
def status(practice_id) -> None:  # noqa: ANN001
    """Key versions and rotations of a practice."""
    import sqlalchemy as sa

    from agency.db.runtime import Database
    from tenants import keystore_db

    db = Database.open(get_settings())
    with db.sessions.tenant_unit_for(practice_id) as s:
        for purpose in ("dek", "bidx"):
            for version, state in keystore_db.key_versions(s, practice_id, purpose):
                click.echo(f"{purpose:<5} v{version:<4} {state}")
        for r in s.execute(sa.text("SELECT id, from_version, to_version, status, values_resealed, started_at, "
                                   "finished_at FROM key_rotation WHERE tenant_id = :t ORDER BY started_at"),
                           {"t": practice_id}):
            click.echo(f"rotation {r.id}: v{r.from_version} -> v{r.to_version} {r.status}, "
                       f"{r.values_resealed} values re-encrypted, started {r.started_at:%Y-%m-%d %H:%M:%S}")
