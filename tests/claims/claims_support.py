"""Factories for claim and submission tests: a practice set up to bill (synthetic data)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from agency.db.base import new_id
from agency.encounters.models import Encounter, EncounterDiagnosis, EncounterLine
from agency.keys.runtime import cipher_for
from agency.patients.schemas import Address, CoverageData, PatientData
from agency.patients.service import create_patient
from agency.practices.models import PayerEnrollment, RenderingProvider, ServiceLocation
from support import make_agency_with_practices

import sys, os  # noqa: E401
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "setup"))
from setup_support import make_billing_provider, make_payer, valid_npi  # noqa: E402

DOS = date(2026, 3, 2)


@dataclass
class Billing:
    agency_id: uuid.UUID
    scope: object
    payer: object
    bp: object
    rendering_id: uuid.UUID
    location_id: uuid.UUID


def setup_practice(db, agency_id=None, *, claim_type="professional", payer=None, scope=None) -> Billing:
    if scope is None:
        if agency_id is None:
            agency_id, (scope,) = make_agency_with_practices(db, f"Clinic {uuid.uuid4().hex[:6]}")
        else:
            from tenants.scope import TenantScope
            from agency.practices.models import Practice
            from agency.keys.runtime import provider_for
            from agency.keys.service import DEFAULT_INDEX_BITS, provision_practice_keys

            scope = TenantScope(agency_id, new_id())
            with db.sessions.tenant_unit(scope) as s:
                s.add(Practice(id=scope.tenant_id, agency_id=agency_id, name=f"Clinic {uuid.uuid4().hex[:6]}"))
                s.flush()
                provision_practice_keys(s, provider_for(db), scope.tenant_id, DEFAULT_INDEX_BITS)
    agency_id = scope.agency_id
    payer = payer or make_payer(db, agency_id, claim_type=claim_type)
    bp = make_billing_provider(db, scope, is_default=True, phone="2175550100")
    rid, lid = new_id(), new_id()
    with db.sessions.tenant_unit(scope) as s:
        s.add(ServiceLocation(tenant_id=scope.tenant_id, id=lid, code="MAIN", name="Main Office",
                              place_of_service="11", address_line1="1 Main St", city="Springfield", state="IL",
                              zip="627011234"))
        s.add(RenderingProvider(tenant_id=scope.tenant_id, id=rid, npi=valid_npi(), first_name="Ann",
                                last_name="Welby", taxonomy="207Q00000X"))
        s.flush()
        s.add(PayerEnrollment(tenant_id=scope.tenant_id, id=new_id(), payer_id=payer.id, billing_provider_id=bp.id,
                              status="active", era_enrolled=True))
    return Billing(agency_id, scope, payer, bp, rid, lid)


def make_patient(db, b: Billing, *, last_name="Testperson", relationship="18", payers=None) -> uuid.UUID:
    payers = payers or [b.payer]
    covs = []
    for rank, p in enumerate(payers, 1):
        sub = None if relationship == "18" else {"first_name": "Sam", "last_name": "Subscriber",
                                                 "date_of_birth": "1970-05-06", "sex": "M"}
        covs.append(CoverageData(rank=rank, member_id=f"MEM{uuid.uuid4().hex[:8].upper()}", payer_id=p.id,
                                 group_number="GRP1", relationship_code=relationship, subscriber=sub))
    data = PatientData(first_name="Alpha", last_name=last_name, date_of_birth=date(1980, 1, 2), sex="F",
                       address=Address(line1="5 Oak St", city="Springfield", state="IL", zip="627011234"))
    with db.sessions.tenant_unit(b.scope) as s:
        return create_patient(s, cipher_for(db), b.scope.tenant_id, data, covs)


def make_encounter(db, b: Billing, patient_id, *, status="coded", lines=(("99213", "125.00"), ("85025", "30.50")),
                   diagnoses=("J0190", "R509")) -> uuid.UUID:
    eid = new_id()
    t = b.scope.tenant_id
    with db.sessions.tenant_unit(b.scope) as s:
        s.add(Encounter(tenant_id=t, id=eid, patient_id=patient_id, rendering_provider_id=b.rendering_id,
                        service_location_id=b.location_id, date_of_service_from=DOS, date_of_service_to=DOS,
                        place_of_service="11", status=status, source="api", dedup_key=uuid.uuid4().hex))
        s.flush()
        for pos, code in enumerate(diagnoses, 1):
            s.add(EncounterDiagnosis(tenant_id=t, id=new_id(), encounter_id=eid, position=pos, code=code))
        for n, (code, charge) in enumerate(lines, 1):
            s.add(EncounterLine(tenant_id=t, id=new_id(), encounter_id=eid, line_number=n, procedure_code=code,
                                modifiers=[], units=Decimal(1), charge=Decimal(charge) if charge else None,
                                diagnosis_pointers=[1], date_of_service=DOS))
    return eid


def build(db, b: Billing, encounter_id, actor="system"):
    from agency.claims import service

    with db.sessions.tenant_unit(b.scope) as s:
        claims = service.build_claims(s, cipher_for(db), b.agency_id, b.scope.tenant_id, encounter_id, actor)
        return [(c.id, c.state, c.pcn) for c in claims]


def claim_row(db, b: Billing, claim_id):
    from agency.claims import service

    with db.sessions.tenant_unit(b.scope) as s:
        c = service.get_claim(s, b.scope.tenant_id, claim_id)
        s.expunge(c)
        return c


def ready_claims(db, b: Billing, n: int) -> list[uuid.UUID]:
    out = []
    for _ in range(n):
        pid = make_patient(db, b)
        eid = make_encounter(db, b, pid)
        (cid, state, _), = build(db, b, eid)
        assert state == "ready", claim_row(db, b, cid).hold_reasons
        out.append(cid)
    return out
