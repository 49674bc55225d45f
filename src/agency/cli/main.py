"""The ``agency`` console script.

Each command group lives in its own module under ``agency.cli`` and is listed in
``COMMAND_MODULES``; a module exposes one click object named ``command``. Modules
are imported lazily so that ``agency edi parse`` does not pay for the web stack.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

# name -> module path; each module defines ``command`` (a click.Command or Group).
COMMAND_MODULES: dict[str, str] = {
    "db": "agency.cli.db",
    "serve": "agency.cli.serve",
    "worker": "agency.cli.worker",
    "edi": "agency.cli.edi",
    "keys": "agency.cli.keys",
    "practices": "agency.cli.practices",
    "audit": "agency.cli.audit",
    "users": "agency.cli.users",
    "codes": "agency.cli.codes",
    "scrubber": "agency.cli.scrubber",
    "clearinghouse-sim": "agency.cli.clearinghouse_sim",
    "submissions": "agency.cli.submissions",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, mod in COMMAND_MODULES.items() if importlib.util.find_spec(mod))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module_path = COMMAND_MODULES.get(name)
        if module_path is None or importlib.util.find_spec(module_path) is None:
            return None
        return importlib.import_module(module_path).command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Medical-billing agency platform."""


def main(argv: list[str] | None = None) -> None:
    from agency.errors import UserFacingError

    try:
        cli.main(args=argv, prog_name="agency", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except UserFacingError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - turn database refusals into one clear line
        message = _database_refusal(exc)
        if message is None:
            raise
        click.echo(f"error: {message}", err=True)
        sys.exit(1)


def _database_refusal(exc: Exception) -> str | None:
    """A one-line reason for a database error, naming the constraint, never values
    (values may be PHI)."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.IntegrityError):
        diag = getattr(exc.orig, "diag", None)
        name = getattr(diag, "constraint_name", None) or "a constraint"
        return f"refused by the database: violates {name}"
    if isinstance(exc, sa_exc.OperationalError):
        return "the database could not be reached or refused the connection"
    return None


if __name__ == "__main__":
    main()
