"""``agency submissions``: run a submission for an agency now, or run the schedule."""

from __future__ import annotations

import time

import click

from agency.settings import get_settings


@click.group("submissions")
def command() -> None:
    """837 submission runs and inbound acknowledgement polling."""


def _setup():  # noqa: ANN202
    from agency.db.runtime import Database
    from agency.worker.broker import is_in_process, setup_broker

    settings = get_settings()
    broker = setup_broker(settings)
    import agency.worker.actors  # noqa: F401  (actors bind to the broker)

    return Database.open(settings), is_in_process(broker)


def run_inline(db, agency_id) -> dict:  # noqa: ANN001
    """Without a Redis broker: build, transmit, poll and route here, in this process."""
    from agency.keys.runtime import cipher_for
    from agency.submissions import inbound, service
    from tenants.scope import TenantScope

    cipher = cipher_for(db)
    counts = {"files": 0, "transmitted": 0, "failed": 0, "inbound": 0}
    for pid in service.agency_practices(db, agency_id):
        counts["files"] += len(service.run_practice(db, cipher, TenantScope(agency_id, pid)))
    for pid, ic in service.due_interchanges(db, agency_id):
        try:
            if service.transmit(db, cipher, TenantScope(agency_id, pid), ic) == "transmitted":
                counts["transmitted"] += 1
        except service.RetryLater:
            counts["failed"] += 1
    for cid in inbound.agency_connections(db, agency_id):
        try:
            for fid in inbound.poll(db, agency_id, cid):
                inbound.route(db, agency_id, fid)
                counts["inbound"] += 1
        except Exception as exc:  # noqa: BLE001 - report and go on with the next connection
            click.echo(f"connection {cid}: inbound poll failed: {exc}", err=True)
    return counts


@command.command("run")
@click.option("--agency", "agency_id", required=True, type=click.UUID)
def run(agency_id) -> None:  # noqa: ANN001
    """Submit the agency's ready claims and poll its acknowledgements now."""
    db, in_process = _setup()
    if in_process:
        c = run_inline(db, agency_id)
        click.echo(f"agency {agency_id}: {c['files']} file(s) built, {c['transmitted']} transmitted, "
                   f"{c['failed']} waiting for a retry, {c['inbound']} inbound file(s) stored")
        return
    from agency.submissions.tasks import run_agency

    run_agency.send(str(agency_id))
    click.echo(f"agency {agency_id}: submission run queued")


@command.command("scheduler")
@click.option("--interval", default=300, show_default=True, type=click.IntRange(10, 86_400),
              help="seconds between runs")
@click.option("--once", is_flag=True, help="queue one run per agency and exit")
def scheduler(interval: int, once: bool) -> None:
    """Queue a submission run for every agency with active practices, every INTERVAL
    seconds (run exactly one scheduler; the runs themselves are safe to overlap)."""
    from agency.system_access import list_active_practices

    db, in_process = _setup()
    while True:
        agencies = sorted({a for a, _ in list_active_practices(db)})
        for aid in agencies:
            if in_process:
                run_inline(db, aid)
            else:
                from agency.submissions.tasks import run_agency

                run_agency.send(str(aid))
        click.echo(f"queued submission runs for {len(agencies)} agenc{'y' if len(agencies) == 1 else 'ies'}")
        if once:
            return
        time.sleep(interval)
