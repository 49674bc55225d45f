"""``agency codes``: load and inspect code sets (ICD-10-CM, HCPCS, CPT, POS, modifiers).

Loads run as the owner (migrator) role in one transaction: the runtime role may
only read code sets. ``check`` runs as the runtime role, like the application.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from agency.settings import get_settings

ENCODING = click.option("--encoding", default="utf-8", show_default=True,
                        help="text encoding of the file (CMS files are ASCII; try cp1252 for Windows exports)")


def _owner_session():
    """A session on the owner role (embedded server started if needed)."""
    from sqlalchemy import create_engine, pool
    from sqlalchemy.orm import Session

    from agency.db.runtime import check_reachable, resolve_urls
    from tenants.urls import sync_url

    settings = get_settings()
    urls = resolve_urls(settings)
    check_reachable(urls.owner, settings.db_connect_timeout)
    if urls.server is not None:
        import atexit

        atexit.register(urls.server.stop)
    engine = create_engine(sync_url(urls.owner), poolclass=pool.NullPool)
    return Session(engine)


def _run_load(load) -> None:  # noqa: ANN001
    """Run ``load(session, progress)`` in one transaction and print the result."""
    def progress(n: int) -> None:
        click.echo(f"  {n:,} codes written", err=True)

    with _owner_session() as session, session.begin():
        results = load(session, progress)
    for result in results if isinstance(results, list) else [results]:
        click.echo(result.summary())
        for note in result.notes:
            click.echo(f"  note: {note}")


@click.group("codes")
def command() -> None:
    """Code sets, effective-dated by date of service."""


@command.group("load")
def load() -> None:
    """Load a code-set file (as the owner role, all or nothing)."""


@load.command("icd10cm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", required=True, type=int, help="fiscal year N: dates of service 1 Oct N-1 .. 30 Sep N")
@click.option("--sha256", help="refuse the file unless its SHA-256 matches")
@click.option("--expect-billable", type=int, help="refuse the file unless it has this many billable codes")
@ENCODING
def load_icd10cm(file: Path, year: int, sha256: str | None, expect_billable: int | None, encoding: str) -> None:
    """Load a CMS ICD-10-CM order file (icd10cm_order_YYYY.txt)."""
    from agency.codesets import service

    click.echo(f"reading {file} as ICD-10-CM FY{year}", err=True)
    _run_load(lambda s, p: service.load_icd10cm_file(s, file, year=year, encoding=encoding, sha256=sha256,
                                                     expect_billable=expect_billable, progress=p))


@load.command("hcpcs")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quarter", help="e.g. 2026Q1: effective from the quarter's first day")
@click.option("--effective", "effective", type=click.DateTime(["%Y-%m-%d"]),
              help="effective date instead of --quarter (YYYY-MM-DD)")
@click.option("--sha256", help="refuse the file unless its SHA-256 matches")
@ENCODING
def load_hcpcs(file: Path, quarter: str | None, effective, sha256: str | None, encoding: str) -> None:  # noqa: ANN001
    """Load a CMS HCPCS Level II quarterly file (HCPC{YYYY}_{MON}_ANWEB.txt)."""
    from agency.codesets import service

    if bool(quarter) == bool(effective):
        raise click.UsageError("give exactly one of --quarter YYYYQn or --effective YYYY-MM-DD")
    start = service.quarter_start(quarter) if quarter else effective.date()
    version = quarter.upper() if quarter else None
    _run_load(lambda s, p: service.load_hcpcs_file(s, file, effective_from=start, version=version,
                                                   encoding=encoding, sha256=sha256, progress=p))


@load.command("cpt")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--effective-from", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--effective-to", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--licensee", required=True, help="who holds the AMA CPT licence for this file (recorded)")
@ENCODING
def load_cpt(file: Path, effective_from, effective_to, licensee: str, encoding: str) -> None:  # noqa: ANN001
    """Load the codes of a licensed CPT file (code<TAB>descriptor or CSV); descriptors are not stored."""
    from agency.codesets import service

    _run_load(lambda s, p: service.load_cpt_file(
        s, file, effective_from=effective_from.date(),
        effective_to=effective_to.date() if effective_to else None, licensee=licensee, encoding=encoding,
        progress=p))


@command.command("load-bundled")
def load_bundled() -> None:
    """Load the bundled ICD-10-CM (PyPI simple-icd-10-cm) and the POS and modifier tables. Idempotent."""
    from agency.codesets import service

    _run_load(lambda s, p: service.load_bundled(s, progress=p))


@command.command("check")
@click.argument("code")
@click.option("--system", type=click.Choice(["icd10cm", "procedure", "modifier", "pos"]), default="icd10cm",
              show_default=True, help="procedure = CPT or HCPCS Level II")
@click.option("--date", "dos", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="date of service (default: today)")
def check(code: str, system: str, dos) -> None:  # noqa: ANN001
    """Validate CODE for a date of service, as the application does."""
    from sqlalchemy.orm import Session

    from agency.codesets import service
    from agency.db.runtime import Database

    day = dos.date() if dos else date.today()
    validate = {"icd10cm": service.validate_diagnosis, "procedure": service.validate_procedure,
                "modifier": service.validate_modifier, "pos": service.validate_place_of_service}[system]
    db = Database.open(get_settings())
    with Session(db.sync_engine) as session:
        result = validate(session, code, day)
        desc = (service.describe_code(session, result.system, result.code, day)
                if result.ok and result.system and result.system != "cpt" else None)
    db.dispose()
    if result.ok:
        line = f"ok: {result.code} valid for {day}"
        if result.release:
            line += f" ({result.release})"
        click.echo(line + (f": {desc}" if desc else ""))
        if result.reason:
            click.echo(f"note: {result.reason}")
    else:
        click.echo(f"refused: {result.reason}")
        raise SystemExit(1)


@command.command("releases")
@click.option("--system", type=click.Choice(["icd10cm", "hcpcs", "cpt", "pos", "modifier"]))
def list_releases(system: str | None) -> None:
    """List loaded releases and the dates of service they cover."""
    from sqlalchemy.orm import Session

    from agency.codesets import service
    from agency.db.runtime import Database

    db = Database.open(get_settings())
    with Session(db.sync_engine) as session:
        rows = service.releases(session, system)
    db.dispose()
    if not rows:
        click.echo("no code sets loaded; run `agency codes load-bundled`")
        return
    for r in rows:
        window = f"{r.effective_from} .. {r.effective_to or 'open'}"
        flag = "bundled" if r.bundled else "BYO"
        click.echo(f"{r.system:<9} {r.version:<28} {window:<26} {r.row_count:>7,} codes "
                   f"{r.billable_count:>7,} billable  {flag:<7} {r.source}")
