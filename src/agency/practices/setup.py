"""Practice setup: billing providers, service locations, rendering providers, payer
enrollments and the fee schedule. Never commits (the caller's unit of work does).

Every function validates the whole request first and answers all problems at
once (422 naming each field), so nothing is half-saved; unknown ids in the path
are 404, unknown ids in the body (payer, billing provider, location) are 422.
``fee_for`` is the lookup the coding/charge-entry workflow uses.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from agency.api.problems import Conflict, NotFound
from agency.db.base import new_id
from agency.payers.service import UnknownPayer, resolve_payer
from agency.practices import validation as v
from agency.practices.models import (BillingProvider, FeeScheduleEntry, PayerEnrollment, RenderingProvider,
                                     ServiceLocation)
from agency.practices.repository import PracticeRepository, SetupRepository

ENROLLMENT_STATUSES = frozenset({"pending", "active", "terminated"})
MAX_FEE = Decimal("9999999999.99")
MAX_BULK = 5000
# True for a row an upsert inserted (xmax = 0), false for one it updated.
_INSERTED = sa.literal_column("(xmax = 0)", sa.Boolean).label("inserted")


def _fields(data: Any) -> dict[str, Any]:
    """The fields a request sent (UNSET dropped)."""
    if isinstance(data, msgspec.Struct):
        return {k: val for k, val in msgspec.structs.asdict(data).items() if val is not msgspec.UNSET}
    return dict(data)


def _flush(session: Session, what: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except sa_exc.IntegrityError:
        raise Conflict(f"{what} already exists in this practice.") from None


def _address(p: v.Problems, f: dict[str, Any], *, required: bool) -> None:
    if required or any(f.get(k) is not None for k in ("address_line1", "city", "state", "zip")):
        for key in ("address_line1", "city"):
            if key in f or required:
                p.check(key, v.text_problem(f.get(key), 55))
        if "state" in f or required:
            p.check("state", v.state_problem(f.get("state")))
        if "zip" in f or required:
            p.check("zip", v.zip_problem(f.get("zip")))
    if f.get("address_line2") is not None:
        p.check("address_line2", v.text_problem(f["address_line2"], 55))


# --- billing providers -------------------------------------------------------------

def _check_billing(p: v.Problems, f: dict[str, Any], *, creating: bool) -> None:
    if creating or "name" in f:
        p.check("name", v.text_problem(f.get("name"), 60))
    if creating or "npi" in f:
        p.check("npi", v.npi_problem(f.get("npi")))
    if creating or "tin" in f:
        p.check("tin", v.tin_problem(f.get("tin")))
    if "taxonomy" in f:
        p.check("taxonomy", v.taxonomy_problem(f["taxonomy"]))
    if "phone" in f:
        p.check("phone", v.phone_problem(f["phone"]))
    _address(p, f, required=creating)
    if not creating:
        for key in ("address_line1", "city", "state", "zip"):
            if key in f and f[key] is None:
                p.add(key, "is required")


def create_billing_provider(session: Session, tenant_id: uuid.UUID, data: Any) -> BillingProvider:
    f = _fields(data)
    p = v.Problems()
    _check_billing(p, f, creating=True)
    p.raise_if_any()
    repo = SetupRepository(session, tenant_id)
    first = repo.default_billing_provider() is None
    if f.get("is_default"):
        repo.clear_default()
    bp = BillingProvider(tenant_id=tenant_id, id=new_id(), **{**f, "is_default": bool(f.get("is_default")) or first})
    repo.add(bp)
    _flush(session, "A billing provider with this NPI")
    return bp


def get_billing_provider(session: Session, tenant_id: uuid.UUID, bp_id: uuid.UUID) -> BillingProvider:
    bp = SetupRepository(session, tenant_id).billing_provider(bp_id)
    if bp is None:
        raise NotFound("The billing provider does not exist.")
    return bp


def list_billing_providers(session: Session, tenant_id: uuid.UUID) -> list[BillingProvider]:
    return SetupRepository(session, tenant_id).billing_providers()


def default_billing_provider(session: Session, tenant_id: uuid.UUID) -> BillingProvider | None:
    """The practice's default billing provider (claims use it unless told otherwise)."""
    return SetupRepository(session, tenant_id).default_billing_provider()


def update_billing_provider(session: Session, tenant_id: uuid.UUID, bp_id: uuid.UUID, data: Any) -> BillingProvider:
    bp = get_billing_provider(session, tenant_id, bp_id)
    f = _fields(data)
    p = v.Problems()
    _check_billing(p, f, creating=False)
    if f.get("is_default") is False and bp.is_default:
        p.add("is_default", "make another billing provider the default instead")
    p.raise_if_any()
    if f.get("is_default"):
        SetupRepository(session, tenant_id).clear_default(except_id=bp.id)
    for k, val in f.items():
        setattr(bp, k, val)
    _flush(session, "A billing provider with this NPI")
    return bp


# --- service locations -------------------------------------------------------------

def _check_location(p: v.Problems, f: dict[str, Any], *, creating: bool) -> None:
    if creating or "code" in f:
        p.check("code", v.text_problem(f.get("code"), 30))
    if creating or "name" in f:
        p.check("name", v.text_problem(f.get("name"), 60))
    if creating or "place_of_service" in f:
        p.check("place_of_service", v.pos_problem(f.get("place_of_service")))
    if f.get("npi") is not None:
        p.check("npi", v.npi_problem(f["npi"]))
    _address(p, f, required=False)


def create_location(session: Session, tenant_id: uuid.UUID, data: Any) -> ServiceLocation:
    f = _fields(data)
    p = v.Problems()
    _check_location(p, f, creating=True)
    p.raise_if_any()
    loc = ServiceLocation(tenant_id=tenant_id, id=new_id(), **f)
    session.add(loc)
    _flush(session, "A location with this code")
    return loc


def update_location(session: Session, tenant_id: uuid.UUID, location_id: uuid.UUID, data: Any) -> ServiceLocation:
    loc = PracticeRepository(session).location(tenant_id, location_id)
    if loc is None:
        raise NotFound("The location does not exist.")
    f = _fields(data)
    p = v.Problems()
    _check_location(p, f, creating=False)
    merged = {k: getattr(loc, k) for k in ("address_line1", "city", "state", "zip")} | {
        k: f[k] for k in ("address_line1", "city", "state", "zip") if k in f}
    if any(val is not None for val in merged.values()) and any(val is None for val in merged.values()):
        p.add("address", "line1, city, state and zip go together: send all of them or none")
    p.raise_if_any()
    for k, val in f.items():
        setattr(loc, k, val)
    _flush(session, "A location with this code")
    return loc


# --- rendering providers -----------------------------------------------------------

def _check_provider(session: Session, tenant_id: uuid.UUID, p: v.Problems, f: dict[str, Any], *,
                    creating: bool) -> None:
    if creating or "npi" in f:
        p.check("npi", v.npi_problem(f.get("npi")))
    for key in ("first_name", "last_name"):
        if creating or key in f:
            p.check(key, v.text_problem(f.get(key), 35))
    if "taxonomy" in f:
        p.check("taxonomy", v.taxonomy_problem(f["taxonomy"]))
    if f.get("default_location_id") is not None and \
            PracticeRepository(session).location(tenant_id, f["default_location_id"]) is None:
        p.add("default_location_id", "no such location in this practice")


def create_provider(session: Session, tenant_id: uuid.UUID, data: Any) -> RenderingProvider:
    f = _fields(data)
    p = v.Problems()
    _check_provider(session, tenant_id, p, f, creating=True)
    p.raise_if_any()
    prov = RenderingProvider(tenant_id=tenant_id, id=new_id(), **f)
    session.add(prov)
    _flush(session, "A rendering provider with this NPI")
    return prov


def update_provider(session: Session, tenant_id: uuid.UUID, provider_id: uuid.UUID, data: Any) -> RenderingProvider:
    prov = PracticeRepository(session).provider(tenant_id, provider_id)
    if prov is None:
        raise NotFound("The provider does not exist.")
    f = _fields(data)
    p = v.Problems()
    _check_provider(session, tenant_id, p, f, creating=False)
    p.raise_if_any()
    for k, val in f.items():
        setattr(prov, k, val)
    _flush(session, "A rendering provider with this NPI")
    return prov


# --- payer enrollments -------------------------------------------------------------

def _check_enrollment(p: v.Problems, f: dict[str, Any]) -> None:
    if "status" in f and f["status"] not in ENROLLMENT_STATUSES:
        p.add("status", "must be 'pending', 'active' or 'terminated'")
    p.check("effective_to", v.date_range_problem(f.get("effective_from"), f.get("effective_to")))


def create_enrollment(session: Session, agency_id: uuid.UUID, tenant_id: uuid.UUID, data: Any) -> PayerEnrollment:
    """The payer must be an active payer of the practice's agency (another agency's
    payer is answered like an unknown one); the billing provider one of the practice's."""
    f = _fields(data)
    p = v.Problems()
    _check_enrollment(p, f)
    payer = None
    try:
        payer = resolve_payer(session, agency_id, payer_id=f.get("payer_id"), payer_code=f.get("payer_code"))
    except UnknownPayer as e:
        p.add("payer_id" if f.get("payer_id") or not f.get("payer_code") else "payer_code", str(e))
    repo = SetupRepository(session, tenant_id)
    if repo.billing_provider(f["billing_provider_id"]) is None:
        p.add("billing_provider_id", "no such billing provider in this practice")
    p.raise_if_any()
    assert payer is not None
    if repo.enrollment_for(payer.id, f["billing_provider_id"]) is not None:
        raise Conflict("This billing provider is already enrolled with this payer.")
    enr = PayerEnrollment(tenant_id=tenant_id, id=new_id(), payer_id=payer.id,
                          billing_provider_id=f["billing_provider_id"], status=f.get("status", "pending"),
                          effective_from=f.get("effective_from"), effective_to=f.get("effective_to"),
                          era_enrolled=bool(f.get("era_enrolled")))
    repo.add(enr)
    _flush(session, "This enrollment")
    return enr


def list_enrollments(session: Session, tenant_id: uuid.UUID) -> list[PayerEnrollment]:
    return SetupRepository(session, tenant_id).enrollments()


def get_enrollment(session: Session, tenant_id: uuid.UUID, enrollment_id: uuid.UUID) -> PayerEnrollment:
    enr = SetupRepository(session, tenant_id).enrollment(enrollment_id)
    if enr is None:
        raise NotFound("The enrollment does not exist.")
    return enr


def update_enrollment(session: Session, tenant_id: uuid.UUID, enrollment_id: uuid.UUID, data: Any) -> PayerEnrollment:
    enr = get_enrollment(session, tenant_id, enrollment_id)
    f = _fields(data)
    p = v.Problems()
    merged = {"effective_from": enr.effective_from, "effective_to": enr.effective_to} | f
    _check_enrollment(p, merged)
    p.raise_if_any()
    for k, val in f.items():
        setattr(enr, k, val)
    session.flush()
    return enr


def enrollment_status(session: Session, tenant_id: uuid.UUID, payer_id: uuid.UUID, billing_provider_id: uuid.UUID,
                      dos: date) -> PayerEnrollment | None:
    """The active enrollment of the billing provider with the payer on ``dos`` (scrubber edit 25), or None."""
    enr = SetupRepository(session, tenant_id).enrollment_for(payer_id, billing_provider_id)
    if enr is None or enr.status != "active":
        return None
    if (enr.effective_from and dos < enr.effective_from) or (enr.effective_to and dos > enr.effective_to):
        return None
    return enr


# --- fee schedule ----------------------------------------------------------------------

@dataclass(frozen=True)
class FeeRow:
    procedure_code: str
    modifier: str
    amount: Decimal
    effective_from: date
    effective_to: date | None = None


def _fee_rows(entries: Iterable[Any], p: v.Problems, prefix: str = "") -> list[FeeRow]:
    rows, seen = [], set()
    for i, e in enumerate(entries):
        f = _fields(e)
        key = f"{prefix}[{i}]." if prefix else ""
        code = (f.get("procedure_code") or "").strip().upper()
        mod = (f.get("modifier") or "").strip().upper()
        p.check(f"{key}procedure_code", v.procedure_problem(code))
        p.check(f"{key}modifier", v.modifier_problem(mod))
        try:
            amount = Decimal(str(f.get("amount")))
            if not amount.is_finite() or amount < 0 or amount > MAX_FEE or amount != amount.quantize(Decimal("0.01")):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            p.add(f"{key}amount", "must be a non-negative amount with at most 2 decimals")
            amount = Decimal(0)
        if not isinstance(f.get("effective_from"), date):
            p.add(f"{key}effective_from", "is required")
            continue
        p.check(f"{key}effective_to", v.date_range_problem(f["effective_from"], f.get("effective_to")))
        ident = (code, mod, f["effective_from"])
        if ident in seen:
            p.add(f"{key}procedure_code", "the same code, modifier and effective_from appear twice")
        seen.add(ident)
        rows.append(FeeRow(code, mod, amount.quantize(Decimal("0.01")), f["effective_from"], f.get("effective_to")))
    return rows


def create_fee(session: Session, tenant_id: uuid.UUID, data: Any) -> FeeScheduleEntry:
    p = v.Problems()
    (row,) = _fee_rows([data], p) or (None,)
    p.raise_if_any()
    entry = FeeScheduleEntry(tenant_id=tenant_id, id=new_id(), procedure_code=row.procedure_code,
                             modifier=row.modifier, amount=row.amount, effective_from=row.effective_from,
                             effective_to=row.effective_to)
    SetupRepository(session, tenant_id).add(entry)
    _flush(session, "A fee for this code, modifier and effective date")
    return entry


def upsert_fees(session: Session, tenant_id: uuid.UUID, entries: list[Any]) -> tuple[int, int, list[FeeScheduleEntry]]:
    """Insert or update by (code, modifier, effective_from), all or nothing. Returns
    (created, updated, rows)."""
    p = v.Problems()
    if not entries:
        p.add("entries", "must not be empty")
    if len(entries) > MAX_BULK:
        p.add("entries", f"at most {MAX_BULK} entries per request")
    rows = _fee_rows(entries, p, "entries") if not p else []
    p.raise_if_any()
    stmt = pg_insert(FeeScheduleEntry).values([
        {"tenant_id": tenant_id, "id": new_id(), "procedure_code": r.procedure_code, "modifier": r.modifier,
         "amount": r.amount, "effective_from": r.effective_from, "effective_to": r.effective_to} for r in rows])
    stmt = stmt.on_conflict_do_update(
        constraint="uq_fee_schedule_entry_tenant_id_code_modifier_from",
        set_={"amount": stmt.excluded.amount, "effective_to": stmt.excluded.effective_to},
    ).returning(FeeScheduleEntry.id, _INSERTED)
    result = session.execute(stmt).all()
    created = sum(1 for r in result if r.inserted)
    ids = [r.id for r in result]
    out = [session.get(FeeScheduleEntry, (tenant_id, i), populate_existing=True) for i in ids]
    return created, len(result) - created, out


def list_fees(session: Session, tenant_id: uuid.UUID, procedure_code: str | None = None) -> list[FeeScheduleEntry]:
    return SetupRepository(session, tenant_id).fees(procedure_code.strip().upper() if procedure_code else None)


def fee_for(session: Session, tenant_id: uuid.UUID, code: str, modifiers: Iterable[str] | None,
            dos: date) -> Decimal | None:
    """The practice's fee for ``code`` on ``dos``: a row with one of the line's
    ``modifiers`` (in the line's order) first, then the row without a modifier;
    among rows in force on ``dos`` the newest ``effective_from`` wins. None when
    the schedule has no price."""
    code = code.strip().upper()
    mods = [m.strip().upper() for m in (modifiers or []) if m and m.strip()]
    rows = SetupRepository(session, tenant_id).fees_on(code, [*mods, ""], dos)
    for wanted in [*mods, ""]:
        for r in rows:  # newest first
            if r.modifier == wanted:
                return r.amount
    return None
