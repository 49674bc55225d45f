"""``agency scrubber``: the claim scrubber's rules and its NCCI/MUE reference data.

Loads run as the owner (migrator) role in one transaction, like ``agency codes
load``: the runtime role may only read the NCCI and MUE tables.
"""

from __future__ import annotations

from pathlib import Path

import click

ENCODING = click.option("--encoding", default="utf-8", show_default=True,
                        help="text encoding of the file (CMS files are ASCII; try cp1252 for Windows exports)")
EFFECTIVE = click.option("--effective", required=True, type=click.DateTime(["%Y-%m-%d"]),
                         help="first day of the quarter the file is for (YYYY-MM-DD)")


@click.group("scrubber")
def command() -> None:
    """Claim scrubber rules and NCCI/MUE tables."""


def _load(load) -> None:  # noqa: ANN001
    from agency.cli.codes import _owner_session

    with _owner_session() as session, session.begin():
        result = load(session)
    click.echo(result.summary())


@command.command("load-ncci")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["practitioner", "hospital"]), required=True,
              help="practitioner (837P) or hospital outpatient (837I) PTP edits")
@EFFECTIVE
@ENCODING
def load_ncci(file: Path, kind: str, effective, encoding: str) -> None:  # noqa: ANN001
    """Load a CMS NCCI procedure-to-procedure (PTP) edit file (one of a quarter's files)."""
    from agency.scrubber import reference

    _load(lambda s: reference.load_ptp_file(s, file, kind=kind, effective=effective.date(), encoding=encoding))


@command.command("load-mue")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["practitioner", "hospital", "dme"]), default="practitioner",
              show_default=True, help="which MUE table the file is")
@EFFECTIVE
@ENCODING
def load_mue(file: Path, kind: str, effective, encoding: str) -> None:  # noqa: ANN001
    """Load a CMS medically unlikely edit (MUE) file, in force from --effective."""
    from agency.scrubber import reference

    _load(lambda s: reference.load_mue_file(s, file, kind=kind, effective=effective.date(), encoding=encoding))


@command.command("rules")
@click.option("--verbose", "-v", is_flag=True, help="also print each rule's description and parameters")
def list_rules(verbose: bool) -> None:
    """List the scrubber rules with their default severity."""
    from agency.scrubber.service import rule_catalog

    for r in rule_catalog():
        edit = f"#{r['edit']}" if r["edit"] else "extra"
        kinds = "/".join(r["applies_to"])
        click.echo(f"{r['rule_id']:<22} {r['severity']:<8} {edit:<6} {kinds:<10} {r['title']}")
        if verbose:
            if r["params"]:
                click.echo(f"    parameters: {r['params']}")
            for line in r["doc"].splitlines():
                click.echo(f"    {line.strip()}")
