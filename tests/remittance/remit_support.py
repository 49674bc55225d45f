"""Claims "as sent" built directly in the tables (the claims module has its own tests),
and small 835 files written segment by segment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from agency.db.base import new_id

DOS = date(2026, 3, 2)


@dataclass
class Line:
    code: str
    charge: str
    modifiers: tuple[str, ...] = ()
    dos: date = DOS
    lcn: str | None = None  # default: <pcn>-<n>
    units: str = "1"


@dataclass
class Ctx:
    scope: object
    payer_id: uuid.UUID
    payer_code: str
    patient_id: uuid.UUID
    coverage_ids: list[uuid.UUID]
    billing_provider_id: uuid.UUID
    rendering_provider_id: uuid.UUID
    secondary_payer_id: uuid.UUID | None = None
    secondary_payer_code: str | None = None
    claims: dict = field(default_factory=dict)


def make_ctx(db, scope, *, payer_code: str | None = None, secondary: bool = False, timely_filing_days: int = 365,
             payer_name: str = "Test payer") -> Ctx:
    from agency.keys.runtime import cipher_for
    from agency.patients.schemas import CoverageData, PatientData
    from agency.patients.service import create_patient
    from agency.payers.models import Payer
    from agency.practices.models import BillingProvider, RenderingProvider
    from support import npi_with_check_digit
    from tenants.scope import AgencyScope

    payer_code = payer_code or f"P{uuid.uuid4().hex[:8].upper()}"
    pid, sid = new_id(), new_id()
    sec_code = f"S{uuid.uuid4().hex[:8].upper()}"
    with db.sessions.agency_unit(AgencyScope(scope.agency_id)) as s:
        s.add(Payer(agency_id=scope.agency_id, id=pid, payer_code=payer_code, name=payer_name,
                    claim_type="professional", timely_filing_days=timely_filing_days))
        if secondary:
            s.add(Payer(agency_id=scope.agency_id, id=sid, payer_code=sec_code, name="Second payer",
                        claim_type="professional"))
    npi = lambda: npi_with_check_digit(str(100000000 + uuid.uuid4().int % 800000000)[:9])  # noqa: E731
    bp, rp = new_id(), new_id()
    with db.sessions.tenant_unit(scope) as s:
        import sqlalchemy as sa
        has_default = s.execute(sa.select(BillingProvider.id).where(BillingProvider.tenant_id == scope.tenant_id,
                                                                    BillingProvider.is_default)).first()
        s.add(BillingProvider(tenant_id=scope.tenant_id, id=bp, name="Clinic Group", npi=npi(), tin="123456789",
                              taxonomy="207Q00000X", address_line1="1 Main St", city="Springfield", state="IL",
                              zip="627011234", is_default=not has_default))
        s.add(RenderingProvider(tenant_id=scope.tenant_id, id=rp, npi=npi(), first_name="Ada", last_name="Lovelace"))
        s.flush()
        covs = [CoverageData(rank=1, member_id=f"M{uuid.uuid4().hex[:9]}", payer_id=pid)]
        if secondary:
            covs.append(CoverageData(rank=2, member_id=f"N{uuid.uuid4().hex[:9]}", payer_id=sid))
        patient = create_patient(s, cipher_for(db), scope.tenant_id,
                                 PatientData(first_name="Remi", last_name="Poster", date_of_birth=date(1971, 4, 5),
                                             sex="F"), covs)
        from agency.patients.models import PatientCoverage
        cov_ids = [r[0] for r in s.execute(sa.select(PatientCoverage.id).where(
            PatientCoverage.tenant_id == scope.tenant_id, PatientCoverage.patient_id == patient)
            .order_by(PatientCoverage.rank))]
    return Ctx(scope, pid, payer_code, patient, cov_ids, bp, rp, sid if secondary else None,
               sec_code if secondary else None)


def make_claim(db, ctx: Ctx, pcn: str, lines: list[Line], *, state: str = "accepted_payer", sequence: int = 1,
               payer_claim_number: str | None = None) -> uuid.UUID:
    """A claim we sent (with its encounter), in ``state``. Returns the claim id."""
    from agency.claims.models import Claim, ClaimLine
    from agency.encounters.models import Encounter, EncounterDiagnosis, EncounterLine

    scope = ctx.scope
    eid, cid = new_id(), new_id()
    dos_from = min(ln.dos for ln in lines) if lines else DOS
    dos_to = max(ln.dos for ln in lines) if lines else DOS
    with db.sessions.tenant_unit(scope) as s:
        s.add(Encounter(tenant_id=scope.tenant_id, id=eid, patient_id=ctx.patient_id,
                        rendering_provider_id=ctx.rendering_provider_id, date_of_service_from=dos_from,
                        date_of_service_to=dos_to, place_of_service="11", status="billed", source="api",
                        dedup_key=f"k-{eid}"))
        s.flush()
        s.add(EncounterDiagnosis(tenant_id=scope.tenant_id, id=new_id(), encounter_id=eid, position=1, code="E119"))
        for n, ln in enumerate(lines, 1):
            s.add(EncounterLine(tenant_id=scope.tenant_id, id=new_id(), encounter_id=eid, line_number=n,
                                procedure_code=ln.code, modifiers=list(ln.modifiers), units=Decimal(ln.units),
                                charge=Decimal(ln.charge), diagnosis_pointers=[1], date_of_service=ln.dos))
        total = sum((Decimal(ln.charge) for ln in lines), Decimal(0))
        s.add(Claim(tenant_id=scope.tenant_id, id=cid, encounter_id=eid, patient_id=ctx.patient_id,
                    coverage_id=ctx.coverage_ids[sequence - 1], payer_id=ctx.payer_id if sequence == 1
                    else ctx.secondary_payer_id, billing_provider_id=ctx.billing_provider_id,
                    rendering_provider_id=ctx.rendering_provider_id, sequence=sequence, kind="837P", pcn=pcn,
                    revision=0, state=state, frequency="1", payer_claim_number=payer_claim_number,
                    place_of_service="11", diagnoses=["E119"], date_of_service_from=dos_from,
                    date_of_service_to=dos_to, total_charge=total, hold_reasons=[], warnings=[],
                    submission_attempt=1))
        s.flush()
        for n, ln in enumerate(lines, 1):
            s.add(ClaimLine(tenant_id=scope.tenant_id, id=new_id(), claim_id=cid, line_number=n,
                            line_control_number=ln.lcn or f"{pcn}-{n}", procedure_code=ln.code,
                            modifiers=list(ln.modifiers), units=Decimal(ln.units), charge=Decimal(ln.charge),
                            diagnosis_pointers=[1], date_of_service=ln.dos))
    ctx.claims[pcn] = cid
    return cid


def new_pcn() -> str:
    return "T" + uuid.uuid4().hex[:12].upper()


# ----------------------------------------------------------------------------- 835 text

def _isa(control: int) -> str:
    return (f"ISA*00*{'':10}*00*{'':10}*ZZ*{'PAYERSENDER':15}*ZZ*{'AGENCYRECV':15}*260310*1200*^*00501*"
            f"{control:09d}*0*T*:")


def era_text(*, trn: str, payer_code: str, amount: str, claims: list[str], plb: list[str] = (),
             pay_date: str = "20260310", control: int = 1) -> str:
    """An 835 with the given CLP loops (each a list of segments joined with '~')."""
    body = [f"BPR*I*{amount}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*{pay_date}",
            f"TRN*1*{trn}*1512345678", f"DTM*405*{pay_date}", f"N1*PR*TEST PAYER*XV*{payer_code}",
            "N3*1 PAYER WAY", "N4*CITY*IL*62701", "PER*BL*EDI*TE*8005551212", "N1*PE*CLINIC GROUP*XX*1234567893",
            "LX*1"]
    for c in claims:
        body += [seg for seg in c.split("~") if seg]
    body += list(plb)
    st = ["ST*835*0001", *body]
    st.append(f"SE*{len(st) + 1}*0001")
    segs = [_isa(control), f"GS*HP*PAYERSENDER*AGENCYRECV*20260310*1200*{control}*X*005010X221A1", *st,
            f"GE*1*{control}", f"IEA*1*{control:09d}"]
    return "~".join(segs) + "~"


def clp(pcn: str, status: str, charge: str, paid: str, pr: str = "", icn: str = "ICN1", cas: str = "",
        lines: list[str] = ()) -> str:
    segs = [f"CLP*{pcn}*{status}*{charge}*{paid}*{pr}*12*{icn}"]
    if cas:
        segs.append(cas)
    segs.append("NM1*QC*1*POSTER*REMI****MI*M123")
    segs += list(lines)
    return "~".join(segs)


def svc(code: str, charge: str, paid: str, *, mods: str = "", dos: str = "20260302", lcn: str | None = None,
        cas: list[str] = (), remarks: list[str] = (), original: str | None = None) -> str:
    comp = f"HC:{code}" + (f":{mods}" if mods else "")
    s = f"SVC*{comp}*{charge}*{paid}"
    if original:
        s += f"**1*{original}"
    segs = [s, f"DTM*472*{dos}", *cas]
    if lcn:
        segs.append(f"REF*6R*{lcn}")
    for r in remarks:
        segs.append(f"LQ*HE*{r}")
    return "~".join(segs)


def post_text(db, scope, text: str):
    """Store the 835 sealed and post it (what the actor does). Returns the results."""
    from agency.keys.runtime import cipher_for
    from agency.remittance import service

    cipher = cipher_for(db)
    with db.sessions.tenant_unit(scope) as s:
        file_id = service.store_835(s, cipher, scope.tenant_id, text.encode())
    return service.post_file(db.sessions, cipher, scope, file_id)
