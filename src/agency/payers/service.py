"""The agency payer directory: create, change, look up. Never commits.

``resolve_payer`` is what other areas use to turn a client's reference (payer
id or X12 payer code) into a payer of the *caller's agency*: a payer of another
agency is answered exactly like an unknown one (the agency policy hides it, and
the query filters by agency as well).
"""
from __future__ import annotations

import re
import uuid
from typing import Any

import msgspec
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from agency.api.problems import Conflict, NotFound
from agency.db.base import new_id
from agency.payers.models import Payer
from agency.payers.repository import PayerRepository
from agency.practices.validation import FILING_INDICATORS, Problems, text_problem

CLAIM_TYPES = frozenset({"professional", "institutional"})
_PAYER_CODE = re.compile(r"^[A-Za-z0-9-]{2,80}$")
MAX_TIMELY_FILING_DAYS = 3650


class UnknownPayer(Exception):
    """No such (active) payer in this agency. The message names no value."""


def _check(problems: Problems, fields: dict[str, Any]) -> None:
    if "payer_code" in fields:
        code = fields["payer_code"]
        problems.check("payer_code", None if isinstance(code, str) and _PAYER_CODE.match(code)
                       else "must be 2-80 letters, digits or '-' (the X12 payer id)")
    if "name" in fields:
        problems.check("name", text_problem(fields["name"]))
    if "claim_type" in fields and fields["claim_type"] not in CLAIM_TYPES:
        problems.add("claim_type", "must be 'professional' or 'institutional'")
    if "timely_filing_days" in fields:
        days = fields["timely_filing_days"]
        if not 0 < days <= MAX_TIMELY_FILING_DAYS:
            problems.add("timely_filing_days", f"must be between 1 and {MAX_TIMELY_FILING_DAYS}")
    if "filing_indicator" in fields and fields["filing_indicator"] not in FILING_INDICATORS:
        problems.add("filing_indicator", "must be an SBR09 claim filing indicator code (e.g. CI, MB, MC, BL, HM)")
    if fields.get("clearinghouse_route") is not None:
        problems.check("clearinghouse_route", text_problem(fields["clearinghouse_route"], 100))


def _flush(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except sa_exc.IntegrityError:
        raise Conflict("A payer with this payer_code already exists in the agency.") from None


def create_payer(session: Session, agency_id: uuid.UUID, data: Any) -> Payer:
    """``data``: a :class:`~agency.payers.schemas.PayerCreate` (or any object with its fields)."""
    fields = {f: getattr(data, f) for f in ("payer_code", "name", "claim_type", "clearinghouse_route",
                                           "timely_filing_days", "corrected_claim_needs_payer_claim_number",
                                           "filing_indicator", "active")}
    problems = Problems()
    _check(problems, fields)
    problems.raise_if_any()
    repo = PayerRepository(session, agency_id)
    if repo.by_code(fields["payer_code"]) is not None:
        raise Conflict("A payer with this payer_code already exists in the agency.")
    payer = Payer(agency_id=agency_id, id=new_id(), **fields)
    repo.add(payer)
    _flush(session)
    return payer


def get_payer(session: Session, agency_id: uuid.UUID, payer_id: uuid.UUID) -> Payer:
    payer = PayerRepository(session, agency_id).get(payer_id)
    if payer is None:
        raise NotFound("The payer does not exist.")
    return payer


def update_payer(session: Session, agency_id: uuid.UUID, payer_id: uuid.UUID, data: Any) -> Payer:
    payer = get_payer(session, agency_id, payer_id)
    fields = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    problems = Problems()
    _check(problems, fields)
    problems.raise_if_any()
    for k, v in fields.items():
        setattr(payer, k, v)
    _flush(session)
    return payer


def list_payers(session: Session, agency_id: uuid.UUID, after: tuple[str, uuid.UUID] | None, limit: int, *,
                active_only: bool = False, search: str | None = None) -> list[Payer]:
    return PayerRepository(session, agency_id).page(after, limit, active_only=active_only, search=search)


def resolve_payer(session: Session, agency_id: uuid.UUID, *, payer_id: uuid.UUID | None = None,
                  payer_code: str | None = None, require_active: bool = True) -> Payer:
    """The agency's payer by id or X12 payer code (both given: they must name the same payer).
    Raises :class:`UnknownPayer` when there is none, it is inactive, or it belongs to another agency."""
    repo = PayerRepository(session, agency_id)
    payer = None
    if payer_id is not None:
        payer = repo.get(payer_id)
        if payer is not None and payer_code is not None and payer.payer_code != payer_code:
            raise UnknownPayer("payer_id and payer_code name different payers")
    elif payer_code is not None:
        payer = repo.by_code(payer_code)
    else:
        raise UnknownPayer("a payer_id or payer_code is required")
    if payer is None:
        raise UnknownPayer("no such payer in this agency")
    if require_active and not payer.active:
        raise UnknownPayer("the payer is inactive")
    return payer
