"""Cross-tenant cases for the claim and submission routes (see conftest)."""
from __future__ import annotations

import sys
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.append(str(Path(__file__).parent))  # claims_support, when loaded from another test folder
sys.path.append(str(Path(__file__).parent.parent / "setup"))

from conftest import RouteCaseData, route_case  # noqa: E402

P = "/api/v1/practices/{practice_id:uuid}"


def hidden_claim(db, scope, state="accepted_payer"):
    """A claim row in ``scope`` (inserted directly: no scrub, no code sets needed)."""
    from agency.claims.models import Claim, ClaimLine
    from agency.claims.service import allocate_pcn
    from agency.db.base import new_id
    from agency.encounters.models import Encounter
    from agency.practices.models import RenderingProvider
    from claims_support import DOS, make_patient, Billing
    from setup_support import make_billing_provider, make_payer, valid_npi

    payer = make_payer(db, scope.agency_id)
    bp = make_billing_provider(db, scope, phone="2175550100")
    rid = new_id()
    with db.sessions.tenant_unit(scope) as s:
        s.add(RenderingProvider(tenant_id=scope.tenant_id, id=rid, npi=valid_npi(), first_name="Hidden",
                                last_name="Doctor"))
    b = Billing(scope.agency_id, scope, payer, bp, rid, None)
    pid = make_patient(db, b, last_name=f"Hidden{uuid.uuid4().hex[:6]}")
    with db.sessions.tenant_unit(scope) as s:
        from agency.patients.models import PatientCoverage
        import sqlalchemy as sa
        cov = s.scalars(sa.select(PatientCoverage.id).where(PatientCoverage.tenant_id == scope.tenant_id,
                                                            PatientCoverage.patient_id == pid)).first()
        eid = new_id()
        s.add(Encounter(tenant_id=scope.tenant_id, id=eid, patient_id=pid, rendering_provider_id=rid,
                        date_of_service_from=DOS, date_of_service_to=DOS, place_of_service="11", status="billed",
                        source="api", dedup_key=uuid.uuid4().hex))
        s.flush()
        pcn = allocate_pcn(s, scope.agency_id, scope.tenant_id)
        cid = new_id()
        s.add(Claim(tenant_id=scope.tenant_id, id=cid, encounter_id=eid, patient_id=pid, coverage_id=cov,
                    payer_id=payer.id, billing_provider_id=bp.id, rendering_provider_id=rid, sequence=1, kind="837P",
                    pcn=pcn, revision=0, state=state, frequency="1", payer_claim_number="ICN" + pcn,
                    place_of_service="11", diagnoses=["J0190"], date_of_service_from=DOS, date_of_service_to=DOS,
                    total_charge=Decimal("100.00"), hold_reasons=[], warnings=[], submission_attempt=1))
        s.flush()
        s.add(ClaimLine(tenant_id=scope.tenant_id, id=new_id(), claim_id=cid, line_number=1,
                        line_control_number=f"{pcn}-1", procedure_code="99213", modifiers=[], units=Decimal(1),
                        charge=Decimal("100.00"), diagnosis_pointers=[1], date_of_service=DOS))
    return cid, pcn


def coded_encounter(db, scope):
    """A coded encounter in ``scope`` whose claim can be built (default billing provider ensured)."""
    import sqlalchemy as sa

    from agency.practices.models import BillingProvider, PayerEnrollment, RenderingProvider
    from agency.db.base import new_id
    from claims_support import Billing, make_encounter, make_patient
    from setup_support import make_billing_provider, make_payer, valid_npi

    payer = make_payer(db, scope.agency_id)
    with db.sessions.tenant_unit(scope) as s:
        bp_id = s.scalars(sa.select(BillingProvider.id).where(BillingProvider.tenant_id == scope.tenant_id,
                                                              BillingProvider.is_default.is_(True))).first()
    if bp_id is None:
        bp_id = make_billing_provider(db, scope, is_default=True, phone="2175550100").id
    rid = new_id()
    with db.sessions.tenant_unit(scope) as s:
        s.add(RenderingProvider(tenant_id=scope.tenant_id, id=rid, npi=valid_npi(), first_name="Case",
                                last_name="Doctor"))
        s.add(PayerEnrollment(tenant_id=scope.tenant_id, id=new_id(), payer_id=payer.id, billing_provider_id=bp_id,
                              status="active"))
    b = Billing(scope.agency_id, scope, payer, None, rid, None)
    pid = make_patient(db, b)
    return make_encounter(db, b, pid)


@route_case(P + "/claims")
def _claims(db, scope, method):
    cid, pcn = hidden_claim(db, scope)
    body = {"encounter_id": str(coded_encounter(db, scope))} if method == "POST" else None
    return RouteCaseData(path={"practice_id": scope.tenant_id}, json=body, markers=[pcn, cid])


@route_case(P + "/claims/{claim_id:uuid}")
def _claim(db, scope, method):
    cid, pcn = hidden_claim(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "claim_id": cid}, json=None, markers=[pcn])


@route_case(P + "/claims/{claim_id:uuid}/events")
def _claim_events(db, scope, method):
    cid, pcn = hidden_claim(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "claim_id": cid}, json=None, markers=[pcn])


@route_case(P + "/claims/{claim_id:uuid}/acknowledge-warnings")
def _claim_ack(db, scope, method):
    cid, pcn = hidden_claim(db, scope, state="held")
    return RouteCaseData(path={"practice_id": scope.tenant_id, "claim_id": cid}, json=None, markers=[pcn])


@route_case(P + "/claims/{claim_id:uuid}/rebuild")
def _claim_rebuild(db, scope, method):
    cid, pcn = hidden_claim(db, scope, state="rejected")
    return RouteCaseData(path={"practice_id": scope.tenant_id, "claim_id": cid}, json=None, markers=[pcn])


@route_case(P + "/claims/{claim_id:uuid}/corrections")
def _claim_corrections(db, scope, method):
    cid, pcn = hidden_claim(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "claim_id": cid},
                         json={"frequency": "7", "payer_claim_number": "ICN1"}, markers=[pcn])


@route_case(P + "/submissions")
def _submissions(db, scope, method):
    return RouteCaseData(path={"practice_id": scope.tenant_id}, json=None, markers=[])
