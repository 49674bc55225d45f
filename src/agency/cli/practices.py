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
    from agency.practices.models import Practice
    from agency.practices.service import create_practice as create
    from tenants.scope import AgencyScope

    db = _db()
    practice = Practice(id=new_id(), agency_id=agency_id, name=name)
    with db.sessions.agency_unit(AgencyScope(agency_id)) as session:
        create(session, practice)
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
