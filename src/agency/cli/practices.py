"""``agency practices``: agencies and their client practices."""

from __future__ import annotations

import click

from agency.settings import get_settings


def _db():
    from agency.db.runtime import Database

    return Database.open(get_settings())


@click.group("practices")
def command() -> None:
    """Agencies and client practices (tenants)."""


@command.command("create-agency")
@click.option("--slug", required=True)
@click.option("--name", required=True)
def create_agency(slug: str, name: str) -> None:
    """Create an agency and print its id."""
    from agency.db.base import new_id
    from agency.practices.models import Agency
    from agency.practices.service import create_agency as create
    from tenants.scope import AgencyScope

    db = _db()
    agency = Agency(id=new_id(), slug=slug, name=name)
    with db.sessions.agency_unit(AgencyScope(agency.id)) as session:
        create(session, agency)
    click.echo(str(agency.id))


@command.command("create")
@click.option("--agency", "agency_id", required=True, type=click.UUID)
@click.option("--name", required=True)
def create_practice(agency_id, name: str) -> None:  # noqa: ANN001
    """Create a client practice under an agency and print its id (the tenant id)."""
    from agency.db.base import new_id
    from agency.keys.runtime import provider_for
    from agency.practices.models import Practice
    from agency.practices.service import create_practice as create
    from tenants.scope import TenantScope

    db = _db()
    practice = Practice(id=new_id(), agency_id=agency_id, name=name)
    with db.sessions.tenant_unit(TenantScope(agency_id, practice.id)) as session:
        create(session, practice, provider_for(db))
    click.echo(str(practice.id))


@command.command("list")
@click.option("--agency", "agency_id", required=True, type=click.UUID)
def list_practices(agency_id) -> None:  # noqa: ANN001
    """List an agency's practices."""
    from agency.practices.repository import PracticeRepository
    from tenants.scope import AgencyScope

    with _db().sessions.agency_unit(AgencyScope(agency_id)) as session:
        for p in PracticeRepository(session).practices_of(agency_id):
            click.echo(f"{p.id}  {p.status:<11}  {p.name}")


@command.command("offboard")
@click.argument("practice_id", type=click.UUID)
@click.option("--agency", "agency_id", required=True, type=click.UUID)
@click.option("--export-to", type=click.Path(file_okay=False, writable=True),
              help="write the practice's patients (decrypted, JSON lines) here first")
@click.option("--no-export", is_flag=True, help="shred without exporting (the export was handed over already)")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def offboard(practice_id, agency_id, export_to: str | None, no_export: bool, yes: bool) -> None:  # noqa: ANN001
    """Offboard a practice: offer an export, then destroy its keys (crypto-shredding).

    Afterwards none of the practice's PHI can be decrypted, by anyone, from the
    database or any backup of it. Other practices are unaffected."""
    from pathlib import Path

    from agency.errors import UserFacingError
    from agency.keys.export import export_patients
    from agency.keys.runtime import cipher_for, provider_for
    from agency.keys.service import offboard as shred
    from agency.practices.service import mark_offboarded
    from tenants.scope import TenantScope

    if not export_to and not no_export:
        raise UserFacingError("offboarding destroys the practice's keys: pass --export-to DIR to export its "
                              "data first, or --no-export if the export was already handed over")
    db = _db()
    scope = TenantScope(agency_id, practice_id)
    with db.sessions.tenant_unit(scope) as session:
        from agency.practices.repository import PracticeRepository

        if PracticeRepository(session).practice(agency_id, practice_id) is None:
            raise UserFacingError(f"no practice {practice_id} in agency {agency_id}")
    if export_to:
        path, count = export_patients(db, scope, Path(export_to))
        click.echo(f"exported {count} patients to {path}")
    if not yes:
        click.confirm(f"Destroy all keys of practice {practice_id}? This cannot be undone", abort=True)
    with db.sessions.tenant_unit(scope) as session:
        destroyed = shred(session, provider_for(db), cipher_for(db), practice_id)
        mark_offboarded(session, agency_id, practice_id)
    click.echo(f"practice {practice_id} offboarded: {destroyed} keys destroyed, KEK destroyed")
