"""Helpers for practice-setup tests: payers, billing providers, valid NPIs."""
from __future__ import annotations

import random
import uuid

from agency.db.base import new_id
from agency.payers.models import Payer
from agency.practices.models import BillingProvider
from agency.practices.validation import npi_ok
from tenants.scope import AgencyScope


def valid_npi(seed: int | None = None) -> str:
    """A random NPI with a correct check digit."""
    rnd = random.Random(seed)
    while True:
        base = "1" + "".join(str(rnd.randint(0, 9)) for _ in range(8))
        for d in range(10):
            if npi_ok(base + str(d)):
                return base + str(d)


def bad_npi() -> str:
    good = valid_npi()
    return good[:9] + str((int(good[9]) + 1) % 10)


def make_payer(db, agency_id, *, code: str | None = None, name: str | None = None, active: bool = True,
               **kw) -> Payer:
    code = code or f"P{uuid.uuid4().hex[:8].upper()}"
    payer = Payer(agency_id=agency_id, id=new_id(), payer_code=code, name=name or f"Payer {code}",
                  claim_type=kw.pop("claim_type", "professional"), active=active, **kw)
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        s.add(payer)
    return payer


def make_billing_provider(db, scope, **kw) -> BillingProvider:
    """A billing provider in ``scope``; ``is_default=True`` makes it the default (the
    previous default, if any, stops being one, as the service does)."""
    bp = BillingProvider(tenant_id=scope.tenant_id, id=new_id(), name=kw.pop("name", "Clinic Group"),
                         npi=kw.pop("npi", None) or valid_npi(), tin=kw.pop("tin", "123456789"),
                         taxonomy=kw.pop("taxonomy", "207Q00000X"), address_line1="1 Main St", city="Springfield",
                         state="IL", zip="627011234", **kw)
    with db.sessions.tenant_unit(scope) as s:
        if bp.is_default:
            from agency.practices.repository import SetupRepository

            SetupRepository(s, scope.tenant_id).clear_default()
        s.add(bp)
    return bp


BILLING_BODY = {"name": "Springfield Family Medicine", "tin": "123456789", "taxonomy": "207Q00000X",
                "address_line1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "627011234",
                "phone": "2175550100"}


def make_enrollment(db, scope, payer=None, bp=None):
    from agency.practices.models import PayerEnrollment

    payer = payer or make_payer(db, scope.agency_id)
    bp = bp or make_billing_provider(db, scope)
    enr = PayerEnrollment(tenant_id=scope.tenant_id, id=new_id(), payer_id=payer.id, billing_provider_id=bp.id,
                          status="active")
    with db.sessions.tenant_unit(scope) as s:
        s.add(enr)
    return enr, payer, bp


def make_fee(db, scope, code="99213", modifier="", amount="125.00", effective_from="2026-01-01",
             effective_to=None):
    from datetime import date
    from decimal import Decimal

    from agency.practices.models import FeeScheduleEntry

    fee = FeeScheduleEntry(tenant_id=scope.tenant_id, id=new_id(), procedure_code=code, modifier=modifier,
                           amount=Decimal(amount), effective_from=date.fromisoformat(effective_from),
                           effective_to=date.fromisoformat(effective_to) if effective_to else None)
    with db.sessions.tenant_unit(scope) as s:
        s.add(fee)
    return fee
