"""Stored claims -> typed ``edi.model.claim837`` objects.

This is the only place that opens patient and subscriber PHI for a claim, and it
does so in memory only (scrubbing, writing an 837 in a worker). Nothing built
here is logged or put into a message.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from edi.model.claim837 import (
    Claim as EdiClaim,
    DrugDetail,
    InstitutionalClaim,
    InstitutionalLine,
    Patient as EdiPatient,
    Payer as EdiPayer,
    Person,
    Provider,
    ServiceLine,
    Subscriber,
)
from edi.model.common import Address

from agency.claims.models import Claim, ClaimLine
from agency.patients.models import Patient, PatientCoverage
from agency.patients.service import open_coverage, open_patient
from agency.payers.models import Payer
from agency.practices.models import BillingProvider, RenderingProvider, ServiceLocation
from tenants.crypto.keyring import PhiCipher

SEQUENCE_CODE = {1: "P", 2: "S", 3: "T"}
# Institutional defaults until practices configure them (documented in docs/claims-and-submissions.md).
DEFAULT_FACILITY_TYPE = "13"   # hospital outpatient
DEFAULT_REVENUE_CODE = "0510"  # clinic
DEFAULT_ADMISSION_TYPE = "3"   # elective
DEFAULT_PATIENT_STATUS = "01"  # discharged home


class AssemblyError(Exception):
    """The stored data cannot make an 837 claim (message names the field, never a value)."""


def _addr(line1, line2, city, state, zip_) -> Address | None:  # noqa: ANN001
    if not (line1 and city and state and zip_):
        return None
    return Address(line1=line1, line2=line2 or None, city=city, state=state, postal_code=zip_)


def billing_provider_of(bp: BillingProvider) -> Provider:
    return Provider(last_or_org_name=bp.name, npi=bp.npi, is_person=False,
                    address=_addr(bp.address_line1, bp.address_line2, bp.city, bp.state, bp.zip),
                    taxonomy=bp.taxonomy, tax_id=bp.tin)


class ClaimAssembler:
    """Caches the practice's reference rows for one session (a file holds many claims)."""

    def __init__(self, session: Session, cipher: PhiCipher, tenant_id: uuid.UUID) -> None:
        self.session, self.cipher, self.tenant_id = session, cipher, tenant_id
        self._payers: dict[uuid.UUID, Payer] = {}
        self._bps: dict[uuid.UUID, BillingProvider] = {}
        self._rps: dict[uuid.UUID, RenderingProvider] = {}
        self._locs: dict[uuid.UUID, ServiceLocation] = {}

    def _get(self, cache: dict, model, key: uuid.UUID):  # noqa: ANN001
        if key not in cache:
            if model is Payer:
                cache[key] = self.session.get(Payer, key)
            else:
                cache[key] = self.session.get(model, (self.tenant_id, key))
        return cache[key]

    def payer(self, payer_id: uuid.UUID) -> Payer:
        p = self._get(self._payers, Payer, payer_id)
        if p is None:
            raise AssemblyError("the claim's payer is not in the agency payer directory")
        return p

    def billing_provider(self, bp_id: uuid.UUID) -> BillingProvider:
        bp = self._get(self._bps, BillingProvider, bp_id)
        if bp is None:
            raise AssemblyError("the claim's billing provider does not exist")
        return bp

    def lines_by_claim(self, claim_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ClaimLine]]:
        out: dict[uuid.UUID, list[ClaimLine]] = defaultdict(list)
        for ln in self.session.scalars(sa.select(ClaimLine).where(
                ClaimLine.tenant_id == self.tenant_id, ClaimLine.claim_id.in_(claim_ids))
                .order_by(ClaimLine.claim_id, ClaimLine.line_number)):
            out[ln.claim_id].append(ln)
        return out

    def preload_people(self, claims: list[Claim]) -> None:
        """Load the claims' patients and coverages in two queries (file building)."""
        pids = {c.patient_id for c in claims}
        cids = {c.coverage_id for c in claims}
        list(self.session.scalars(sa.select(Patient).where(Patient.tenant_id == self.tenant_id,
                                                            Patient.id.in_(pids))))
        list(self.session.scalars(sa.select(PatientCoverage).where(PatientCoverage.tenant_id == self.tenant_id,
                                                                    PatientCoverage.id.in_(cids))))

    def _people(self, claim: Claim, payer: Payer) -> tuple[Subscriber, EdiPatient | None]:
        p = self.session.get(Patient, (self.tenant_id, claim.patient_id))
        c = self.session.get(PatientCoverage, (self.tenant_id, claim.coverage_id))
        if p is None or c is None:
            raise AssemblyError("the claim's patient or coverage no longer exists")
        pd, cd = open_patient(self.cipher, p), open_coverage(self.cipher, c)
        a = pd.address
        patient_person = Person(last_name=pd.last_name, first_name=pd.first_name, middle_name=pd.middle_name,
                                address=_addr(a.line1, a.line2, a.city, a.state, a.zip) if a else None,
                                birth_date=pd.date_of_birth, sex=pd.sex or "U")
        edi_payer = EdiPayer(name=payer.name, id=payer.payer_code)
        resp = SEQUENCE_CODE.get(claim.sequence, "P")
        if cd.relationship_code == "18" or not cd.subscriber:
            sub = Subscriber(person=patient_person, member_id=cd.member_id, payer=edi_payer,
                             payer_responsibility=resp, group_number=cd.group_number,
                             filing_indicator=payer.filing_indicator or "CI")
            return sub, None
        s = cd.subscriber
        sa_ = s.get("address") or None
        dob = s.get("date_of_birth")
        sub_person = Person(last_name=s["last_name"], first_name=s.get("first_name"), middle_name=s.get("middle_name"),
                            address=_addr(sa_.get("line1"), sa_.get("line2"), sa_.get("city"), sa_.get("state"),
                                          sa_.get("zip")) if sa_ else patient_person.address,
                            birth_date=date.fromisoformat(dob) if isinstance(dob, str) else dob,
                            sex=s.get("sex") or "U")
        sub = Subscriber(person=sub_person, member_id=cd.member_id, payer=edi_payer, payer_responsibility=resp,
                         group_number=cd.group_number, filing_indicator=payer.filing_indicator or "CI")
        return sub, EdiPatient(person=patient_person, relationship=cd.relationship_code)

    def rendering(self, claim: Claim) -> Provider | None:
        rp = self._get(self._rps, RenderingProvider, claim.rendering_provider_id)
        if rp is None:
            return None
        return Provider(last_or_org_name=rp.last_name, first_name=rp.first_name, npi=rp.npi, is_person=True,
                        taxonomy=rp.taxonomy)

    def facility(self, claim: Claim) -> Provider | None:
        if claim.service_location_id is None:
            return None
        loc = self._get(self._locs, ServiceLocation, claim.service_location_id)
        if loc is None:
            return None
        addr = _addr(loc.address_line1, loc.address_line2, loc.city, loc.state, loc.zip)
        if addr is None:
            return None
        return Provider(last_or_org_name=loc.name, npi=loc.npi, address=addr)

    def assemble(self, claim: Claim, lines: list[ClaimLine]) -> tuple[EdiClaim | InstitutionalClaim, Provider]:
        """(typed claim, billing provider) for one stored claim."""
        if not lines:
            raise AssemblyError("the claim has no service lines")
        payer = self.payer(claim.payer_id)
        bp = self.billing_provider(claim.billing_provider_id)
        billing = billing_provider_of(bp)
        subscriber, patient = self._people(claim, payer)
        rendering = self.rendering(claim)
        if rendering is not None and rendering.npi == billing.npi:
            rendering = None
        pcn_ref = claim.payer_claim_number if claim.frequency in ("7", "8") else None
        if claim.kind == "837I":
            ilines = tuple(InstitutionalLine(
                revenue_code=ln.revenue_code or DEFAULT_REVENUE_CODE, charge=Decimal(ln.charge),
                units=Decimal(ln.units), service_date=ln.date_of_service, procedure_code=ln.procedure_code,
                modifiers=tuple(ln.modifiers or ()), line_control_number=ln.line_control_number) for ln in lines)
            attending = rendering or Provider(last_or_org_name=bp.name, npi=bp.npi)
            dx = list(claim.diagnoses)
            return InstitutionalClaim(
                patient_control_number=claim.pcn, subscriber=subscriber, facility_type=DEFAULT_FACILITY_TYPE,
                statement_from=claim.date_of_service_from, statement_to=claim.date_of_service_to,
                admission_type=DEFAULT_ADMISSION_TYPE, admission_source=None,
                patient_status=DEFAULT_PATIENT_STATUS, principal_diagnosis=dx[0], other_diagnoses=tuple(dx[1:]),
                lines=ilines, attending=attending, patient=patient, frequency=claim.frequency,
                payer_claim_number=pcn_ref), billing
        slines = []
        for ln in lines:
            drug = None
            if ln.ndc:
                drug = DrugDetail(ndc=ln.ndc, quantity=Decimal(ln.ndc_quantity or 1), unit=ln.ndc_unit or "UN")
            slines.append(ServiceLine(
                procedure_code=ln.procedure_code, charge=Decimal(ln.charge), units=Decimal(ln.units),
                service_date=ln.date_of_service, diagnosis_pointers=tuple(ln.diagnosis_pointers or (1,)),
                modifiers=tuple(ln.modifiers or ()), line_control_number=ln.line_control_number, drug=drug))
        typed = EdiClaim(patient_control_number=claim.pcn, subscriber=subscriber,
                         place_of_service=claim.place_of_service, diagnoses=tuple(claim.diagnoses),
                         lines=tuple(slines), patient=patient, frequency=claim.frequency,
                         payer_claim_number=pcn_ref, rendering=rendering,
                         service_facility=self.facility(claim))
        if claim.sequence > 1:
            # Secondary/tertiary: the other-payer loops (2320/2330, or 2430 per line) come
            # from what was posted for the earlier payers' claims (issue 8's ledger).
            from agency.remittance.secondary import CobError, with_prior_payers

            try:
                typed = with_prior_payers(self.session, self.cipher, self.tenant_id, claim, typed)
            except CobError as exc:
                raise AssemblyError(f"the prior payers' adjudication cannot be used: {exc}") from None
        return typed, billing
