"""Every cross-tenant (RLS-bypassing) database use, listed in one place.

The system role has BYPASSRLS. Code anywhere else must not create a
SystemSession; ``tests/test_system_access.py`` fails if it does. Prefer "list
the tenants here, then enqueue one tenant-bound job per tenant" over touching
PHI with this session. Each job below says why it needs the bypass.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.db.runtime import Database
from tenants.sessions import system_sessionmaker


class SystemJob(str, Enum):
    # Scheduling needs every active practice of every agency (no agency bound yet).
    LIST_ACTIVE_PRACTICES = "list_active_practices"
    # Login: find the agency of an e-mail before any agency is known (app_user, PHI-free).
    FIND_LOGIN_USER = "find_login_user"
    # Every request with a session cookie: find the session's agency (web_session, PHI-free).
    FIND_WEB_SESSION = "find_web_session"
    # Every request with an API token: find the token's agency by its public id (api_token, PHI-free).
    FIND_API_TOKEN = "find_api_token"
    # Operator bootstrap of the first admin: agency slug -> id (agency, PHI-free).
    FIND_AGENCY_BY_SLUG = "find_agency_by_slug"
    # `agency audit verify`: every practice, active or not, then one tenant-bound check each.
    LIST_PRACTICES_FOR_AUDIT = "list_practices_for_audit"


@contextmanager
def system_session(db: Database, job: SystemJob) -> Iterator[Session]:
    if not isinstance(job, SystemJob):
        raise TypeError("system sessions are only for the jobs listed in SystemJob")
    maker = system_sessionmaker(db.system_engine)
    with maker(info={"system_job": job.value}) as session, session.begin():
        yield session


def list_active_practices(db: Database) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(agency_id, practice_id) of every active practice, for per-tenant fan-out."""
    with system_session(db, SystemJob.LIST_ACTIVE_PRACTICES) as session:
        rows = session.execute(sa.text(
            "SELECT agency_id, id FROM practice WHERE status = 'active' ORDER BY agency_id, id"))
        return [(r[0], r[1]) for r in rows]


# --- identity: lookups that must happen before any agency is known -------------
# Each returns only the agency id (and row id): the caller continues with an
# agency-bound session, where RLS applies again. The tables read are PHI-free.

def find_login_user(db: Database, email: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(agency_id, user_id) for a login e-mail. Login happens before an agency is
    known, and e-mails are unique across the platform."""
    with system_session(db, SystemJob.FIND_LOGIN_USER) as session:
        row = session.execute(sa.text("SELECT agency_id, id FROM app_user WHERE email = :e"),
                              {"e": email}).one_or_none()
        return (row[0], row[1]) if row else None


def find_web_session_agency(db: Database, session_hash: str) -> uuid.UUID | None:
    """The agency of a browser session, found by the hash of its cookie (before
    any agency is bound)."""
    with system_session(db, SystemJob.FIND_WEB_SESSION) as session:
        return session.execute(sa.text("SELECT agency_id FROM web_session WHERE id = :i"),
                               {"i": session_hash}).scalar_one_or_none()


def find_api_token_agency(db: Database, token_id: uuid.UUID) -> uuid.UUID | None:
    """The agency of an API token, found by the token's public id (before any
    agency is bound); the secret is checked afterwards under the agency policy."""
    with system_session(db, SystemJob.FIND_API_TOKEN) as session:
        return session.execute(sa.text("SELECT agency_id FROM api_token WHERE id = :i"),
                               {"i": token_id}).scalar_one_or_none()


def find_agency_by_slug(db: Database, slug: str) -> uuid.UUID | None:
    """Operator bootstrap (``agency users create-admin --agency SLUG``): the
    operator names an agency by slug before any agency is bound."""
    with system_session(db, SystemJob.FIND_AGENCY_BY_SLUG) as session:
        return session.execute(sa.text("SELECT id FROM agency WHERE slug = :s"),
                               {"s": slug}).scalar_one_or_none()


def list_practices_for_audit(db: Database) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(agency_id, practice_id) of every practice, whatever its status, so that
    ``agency audit verify`` checks each practice's chain with a tenant-bound session."""
    with system_session(db, SystemJob.LIST_PRACTICES_FOR_AUDIT) as session:
        rows = session.execute(sa.text("SELECT agency_id, id FROM practice ORDER BY agency_id, id"))
        return [(r[0], r[1]) for r in rows]
