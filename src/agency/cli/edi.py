"""`agency edi`: inspect X12 5010 files (parse to JSON, validate).

Exit codes: 0 valid, 1 read but has problems, 2 cannot be read as X12.
Never a traceback: library errors are printed as one clean line on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2


def _fail(msg: str, code: int) -> None:
    click.echo(f"error: {msg}", err=True)
    sys.exit(code)


@click.group(name="edi")
def command() -> None:
    """Inspect X12 5010 EDI files (835, 837P, 837I, 999, 277CA, TA1)."""


@command.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--compact", is_flag=True, help="One-line JSON instead of indented.")
def parse(file: Path, compact: bool) -> None:
    """Print the transaction(s) in FILE as JSON (shape: docs/edi.md)."""
    from edi.errors import X12ContentError, X12Error
    from edi.json_out import dumps, file_json
    from edi.reader import read_file

    try:
        f = read_file(file)
    except OSError as exc:
        _fail(f"cannot open {file}: {exc.strerror or exc}", EXIT_UNREADABLE)
    except X12ContentError as exc:
        _fail(f"{file}: {exc}", EXIT_PROBLEMS)
    except X12Error as exc:
        _fail(f"{file}: not readable as X12: {exc}", EXIT_UNREADABLE)
    except Exception as exc:  # noqa: BLE001 - a bug must still not print a traceback
        _fail(f"{file}: internal error while reading ({type(exc).__name__}); please report it", EXIT_UNREADABLE)
    click.echo(dumps(file_json(f, str(file)), None if compact else 2))
    has_errors = any(i.severity == "error" for i in f.all_issues) or any(
        getattr(t, "balance", None) is not None and not t.balance.ok for t in f.transactions
    )
    sys.exit(EXIT_PROBLEMS if has_errors else EXIT_OK)


@command.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pyx12", "use_pyx12", is_flag=True, help="Also run pyx12 as an independent validator (slow).")
def validate(file: Path, use_pyx12: bool) -> None:
    """Check FILE and print a readable report."""
    from edi.validate import render, validate_file

    try:
        rep = validate_file(file, use_pyx12=use_pyx12)
    except OSError as exc:
        _fail(f"cannot open {file}: {exc.strerror or exc}", EXIT_UNREADABLE)
    except Exception as exc:  # noqa: BLE001 - a bug must still not print a traceback
        _fail(f"{file}: internal error while validating ({type(exc).__name__}); please report it", EXIT_UNREADABLE)
    click.echo(render(rep, str(file)))
    if not rep.readable:
        sys.exit(EXIT_UNREADABLE)
    sys.exit(EXIT_OK if rep.ok else EXIT_PROBLEMS)
