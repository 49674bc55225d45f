"""Creating agencies and practices. Services never commit: the caller's unit of work does."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from agency.errors import UserFacingError
from agency.practices.models import Agency, Practice
from agency.practices.repository import PracticeRepository

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


def create_practice(session: Session, practice: Practice) -> Practice:
    if not practice.name.strip():
        raise UserFacingError("practice name must not be empty")
    PracticeRepository(session).add(practice)
    return practice
