"""``agency users``: operator commands for identities.

``create-admin`` bootstraps the first agency admin (afterwards admins manage users
through the API). ``unlock`` clears a lockout.
"""

from __future__ import annotations

import click


def _agency_id(db, slug: str):  # noqa: ANN001, ANN202
    from agency import system_access
    from agency.errors import UserFacingError

    agency_id = system_access.find_agency_by_slug(db, slug)
    if agency_id is None:
        raise UserFacingError(f"no agency with slug {slug!r}")
    return agency_id


@click.group("users")
def command() -> None:
    """Agency users (staff and practice users)."""


@command.command("create-admin")
@click.option("--agency", "slug", required=True, help="Agency slug.")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.password_option("--password", prompt="Password", confirmation_prompt=True,
                       help="At least 12 characters (prompted when omitted).")
def create_admin(slug: str, email: str, display_name: str, password: str) -> None:
    """Create an agency admin (bootstrap)."""
    from agency.api.problems import Problem
    from agency.db.runtime import Database
    from agency.errors import UserFacingError
    from agency.identity import service as identity
    from agency.settings import get_settings
    from tenants.scope import AgencyScope

    db = Database.open(get_settings())
    try:
        agency_id = _agency_id(db, slug)
        try:
            with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
                user = identity.create_user(s, agency_id, email=email, display_name=display_name,
                                            role="agency_admin", password=password)
                user_id = user.id
        except Problem as exc:
            raise UserFacingError(exc.detail or str(exc)) from None
    finally:
        db.dispose()
    click.echo(f"created agency admin {user_id}")


@command.command("unlock")
@click.option("--agency", "slug", required=True)
@click.option("--email", required=True)
def unlock(slug: str, email: str) -> None:
    """Clear a login lockout."""
    from agency import system_access
    from agency.db.runtime import Database
    from agency.errors import UserFacingError
    from agency.identity import service as identity
    from agency.identity.repository import IdentityRepository
    from agency.settings import get_settings
    from tenants.scope import AgencyScope

    db = Database.open(get_settings())
    try:
        agency_id = _agency_id(db, slug)
        found = system_access.find_login_user(db, identity.normalise_email(email))
        if found is None or found[0] != agency_id:
            raise UserFacingError("no such user in that agency")
        with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
            user = IdentityRepository(s, agency_id).user(found[1], for_update=True)
            user.locked_until, user.failed_logins = None, 0
    finally:
        db.dispose()
    click.echo("unlocked")
