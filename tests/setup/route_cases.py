"""Cross-tenant cases for the payer directory and the practice-setup routes (see conftest).

The location and provider detail cases override the read-only ones in
tests/identity/route_cases.py (this file loads after it) so that their PATCH
requests carry a valid body: a refusal must come from visibility, not from a
missing body.
"""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

sys.path.append(str(Path(__file__).parent))  # setup_support, when loaded from another test folder

from agency.db.base import new_id  # noqa: E402
from agency.practices.models import RenderingProvider, ServiceLocation  # noqa: E402
from conftest import RouteCaseData, route_case  # noqa: E402
from setup_support import (BILLING_BODY, make_billing_provider, make_enrollment, make_fee,  # noqa: E402
                           make_payer, valid_npi)

P = "/api/v1/practices/{practice_id:uuid}"


@route_case("/api/v1/payers/{payer_id:uuid}")
def _payer(db, scope, method):
    payer = make_payer(db, scope.agency_id, name=f"Hidden payer {uuid.uuid4().hex[:8]}")
    body = {"timely_filing_days": 100} if method == "PATCH" else None
    return RouteCaseData(path={"payer_id": payer.id}, json=body, markers=[payer.name, payer.payer_code])


@route_case(P + "/billing-providers")
def _billing_providers(db, scope, method):
    bp = make_billing_provider(db, scope, name=f"Hidden Group {uuid.uuid4().hex[:6]}")
    body = {**BILLING_BODY, "npi": valid_npi()} if method == "POST" else None
    return RouteCaseData(path={"practice_id": scope.tenant_id}, json=body, markers=[bp.name, bp.npi, bp.id])


@route_case(P + "/billing-providers/{billing_provider_id:uuid}")
def _billing_provider(db, scope, method):
    bp = make_billing_provider(db, scope, name=f"Hidden Group {uuid.uuid4().hex[:6]}")
    body = {"phone": "2175550199"} if method == "PATCH" else None
    return RouteCaseData(path={"practice_id": scope.tenant_id, "billing_provider_id": bp.id}, json=body,
                         markers=[bp.name, bp.npi])


@route_case(P + "/locations/{location_id:uuid}")
def _location_detail(db, scope, method):
    marker = f"LOC-{uuid.uuid4().hex[:8]}"
    loc = ServiceLocation(tenant_id=scope.tenant_id, id=new_id(), code=marker, name="Secret clinic " + marker,
                          place_of_service="11")
    with db.sessions.tenant_unit(scope) as s:
        s.add(loc)
    body = {"name": "Renamed clinic"} if method == "PATCH" else None
    return RouteCaseData(path={"practice_id": scope.tenant_id, "location_id": loc.id}, json=body, markers=[loc.code])


@route_case(P + "/providers/{provider_id:uuid}")
def _provider_detail(db, scope, method):
    npi = valid_npi()
    prov = RenderingProvider(tenant_id=scope.tenant_id, id=new_id(), npi=npi, first_name="Hidden",
                             last_name="Provider" + npi)
    with db.sessions.tenant_unit(scope) as s:
        s.add(prov)
    body = {"first_name": "Renamed"} if method == "PATCH" else None
    return RouteCaseData(path={"practice_id": scope.tenant_id, "provider_id": prov.id}, json=body,
                         markers=[prov.last_name])


@route_case(P + "/enrollments")
def _enrollments(db, scope, method):
    enr, payer, bp = make_enrollment(db, scope)
    body = None
    if method == "POST":
        other = make_payer(db, scope.agency_id)
        body = {"payer_code": other.payer_code, "billing_provider_id": str(bp.id)}
    return RouteCaseData(path={"practice_id": scope.tenant_id}, json=body, markers=[enr.id, bp.id])


@route_case(P + "/enrollments/{enrollment_id:uuid}")
def _enrollment(db, scope, method):
    enr, payer, bp = make_enrollment(db, scope)
    body = {"status": "terminated"} if method == "PATCH" else None
    return RouteCaseData(path={"practice_id": scope.tenant_id, "enrollment_id": enr.id}, json=body,
                         markers=[bp.id, payer.id])


@route_case(P + "/fee-schedule")
def _fees(db, scope, method):
    fee = make_fee(db, scope, code="G" + str(uuid.uuid4().int)[:4], amount="987.65")
    body = None
    if method == "POST":
        body = {"procedure_code": "99214", "amount": "150.00", "effective_from": f"20{uuid.uuid4().int % 90 + 10}-01-01"}
    elif method == "PUT":
        body = {"entries": [{"procedure_code": "99215", "amount": "200.00", "effective_from": "2026-01-01"}]}
    return RouteCaseData(path={"practice_id": scope.tenant_id}, json=body, markers=[fee.id, fee.procedure_code])
