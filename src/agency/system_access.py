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
