"""Creating agencies and practices. Services never commit: the caller's unit of work does."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from agency.errors import UserFacingError
from agency.practices.models import Agency, Practice
from agency.keys.service import provision_practice_keys
from agency.practices.repository import PracticeRepository
from tenants.crypto.providers.base import KeyProvider

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def create_agency(session: Session, agency: Agency) -> Agency:
    """``session`` must be an AgencySession bound to ``agency.id``: the agency
    policy only admits a row whose id is the bound agency."""
    if not _SLUG.match(agency.slug):
        raise UserFacingError(f"agency slug {agency.slug!r} must be 2-63 lowercase letters, digits or '-'")
    if not agency.name.strip():
        raise UserFacingError("agency name must not be empty")
    PracticeRepository(session).add(agency)
    return agency


def create_practice(session: Session, practice: Practice, provider: KeyProvider) -> Practice:
    """Create the practice and its keys (KEK at the provider, wrapped DEK and
    index key) in one unit of work. ``session`` must be a tenant session bound
    to the new practice id within its agency: the practice row passes the
    agency policy and the key rows the tenant policy."""
    if not practice.name.strip():
        raise UserFacingError("practice name must not be empty")
    if session.info.get("tenant_id") != practice.id or session.info.get("agency_id") != practice.agency_id:
        raise ValueError("create_practice needs a session bound to the new practice and its agency")
    PracticeRepository(session).add(practice)
    session.flush()
    provision_practice_keys(session, provider, practice.id)
    return practice


def mark_offboarded(session: Session, agency_id, practice_id) -> None:  # noqa: ANN001
    practice = PracticeRepository(session).practice(agency_id, practice_id)
    if practice is None:
        raise UserFacingError(f"no practice {practice_id} in this agency")
    practice.status = "offboarded"
