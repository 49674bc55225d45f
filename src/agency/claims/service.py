"""Claim building and the claim actions people take. Never commits.

* :func:`build_claims` — a coded encounter -> its primary claim (sequence 1),
  scrubbed: ``held`` with the reasons, or ``ready``. Secondary/tertiary claims
  wait for the primary's adjudication: :func:`build_next_sequence` (issue 8).
* :func:`scrub_claim` — the scrubber seam (``agency.scrubber.engine.scrub`` on the
  typed claim) plus the builder's own blocking checks.
* :func:`acknowledge_warnings`, :func:`rework` (rebuild after a fix, back to
  ``ready`` as a new original), :func:`create_replacement` (frequency 7 or 8 with
  the same CLM01 and the payer claim number).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.api.problems import Conflict, NotFound, Unprocessable
from agency.claims import lifecycle
from agency.claims.edi_build import AssemblyError, ClaimAssembler
from agency.claims.models import Claim, ClaimEvent, ClaimLine, ClaimNumber
from agency.db.base import new_id
from agency.encounters.models import Encounter, EncounterDiagnosis, EncounterLine
from agency.patients.models import PatientCoverage
from agency.payers.models import Payer
from agency.practices import setup as practice_setup
from tenants.crypto.keyring import PhiCipher

log = logging.getLogger(__name__)

_B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
PCN_PREFIX = "C"


def render_pcn(n: int) -> str:
    """CLM01 from the global sequence: 'C' + base 32 (opaque, PHI-free, <= 17 characters)."""
    digits = ""
    while True:
        n, r = divmod(n, 32)
        digits = _B32[r] + digits
        if n == 0:
            break
    return PCN_PREFIX + digits


def allocate_pcn(session: Session, agency_id: uuid.UUID, tenant_id: uuid.UUID) -> str:
    n = session.execute(sa.text("SELECT nextval('claim_number_seq')")).scalar_one()
    pcn = render_pcn(n)
    session.add(ClaimNumber(pcn=pcn, agency_id=agency_id, practice_id=tenant_id))
    return pcn


def line_control_number(pcn: str, line_number: int) -> str:
    return f"{pcn}-{line_number}"


def _finding(rule_id: str, message: str, severity: str = "error", line: int | None = None) -> dict:
    return {"rule_id": rule_id, "severity": severity, "message": message, "field": None, "line_number": line}


# ------------------------------------------------------------------------------- scrubbing

_SHARED_CODES: dict = {"at": 0.0, "tables": None}
_SHARED_TTL = 600.0


def _code_sets(session: Session, first: date, last: date):  # noqa: ANN202
    """A code-set checker whose per-release entry tables are shared by every claim this
    process scrubs (a release's entries never change under its id; refreshed every 10
    minutes). Loading a full ICD-10-CM release per claim would cost ~0.5 s each."""
    import time

    from agency.codesets.service import CodeSetCache, SharedEntries
    from agency.scrubber.context import CachedCodeSets

    now = time.monotonic()
    if _SHARED_CODES["tables"] is None or now - _SHARED_CODES["at"] > _SHARED_TTL:
        _SHARED_CODES.update(at=now, tables=SharedEntries())
    cache = CodeSetCache(session, shared=_SHARED_CODES["tables"])
    cache.preload(first, last)
    return CachedCodeSets(cache)


def scrub_claim(session: Session, cipher: PhiCipher, claim: Claim, lines: list[ClaimLine] | None = None,
                assembler: ClaimAssembler | None = None, *, today: date | None = None) -> list[dict]:
    """Findings for one stored claim: ``[{rule_id, severity, message, field, line_number}]``,
    PHI-free messages. Errors block (``held``); warnings need an acknowledgement."""
    assembler = assembler or ClaimAssembler(session, cipher, claim.tenant_id)
    if lines is None:
        lines = assembler.lines_by_claim([claim.id]).get(claim.id, [])
    findings: list[dict] = []
    if claim.frequency in ("7", "8") and not claim.payer_claim_number:
        payer = assembler.payer(claim.payer_id)
        if payer.corrected_claim_needs_payer_claim_number:
            findings.append(_finding("claims.payer_claim_number",
                                     "A corrected or void claim needs the payer claim number (REF*F8)."))
    try:
        typed, billing = assembler.assemble(claim, lines)
    except AssemblyError as exc:
        return findings + [_finding("claims.assembly", f"The claim cannot be built: {exc}.")]
    except (KeyError, ValueError, TypeError):
        return findings + [_finding("claims.assembly", "The claim cannot be built from the stored patient data.")]
    try:
        from agency.scrubber.context import CachedCodeSets, PayerProfile, ScrubContext
        from agency.scrubber.engine import scrub
    except ImportError:  # scrubber not installed: only the builder's checks
        return findings
    payer = assembler.payer(claim.payer_id)
    try:
        code_sets = _code_sets(session, claim.date_of_service_from, claim.date_of_service_to)
    except Exception:  # noqa: BLE001 - code sets not loaded: the code-set edits skip
        code_sets = None
    from agency.scrubber.service import config_for_payer, store_results

    ctx = ScrubContext(submit_date=today or date.today(), billing_provider=billing,
                       payer=PayerProfile.from_payer(payer), code_sets=code_sets, claim_total=claim.total_charge)
    # The agency's per-payer tuning (rules switched off, severities raised or lowered).
    results = scrub(typed, ctx, config_for_payer(session, payer.agency_id, payer.id))
    # Stored per claim (re-run after every edit), where billers acknowledge warnings.
    store_results(session, claim.tenant_id, claim.id, results)
    findings.extend(f.as_dict() for f in results)
    return findings


def apply_findings(session: Session, claim: Claim, findings: list[dict], actor: str) -> str:
    """held (errors, or warnings not yet acknowledged) or ready; returns the new state."""
    errors = [f for f in findings if f["severity"] == "error"]
    warnings = [f for f in findings if f["severity"] == "warning"]
    acked = set(claim.warnings_acknowledged_by and [w["rule_id"] for w in (claim.warnings or [])] or [])
    open_warnings = [w for w in warnings if w["rule_id"] not in acked]
    if errors:
        to, code, text = "held", "scrub_errors", "; ".join(f["message"] for f in errors)[:500]
    elif open_warnings:
        to, code, text = "held", "scrub_warnings", "Warnings need a biller's acknowledgement: " + \
            "; ".join(f["message"] for f in open_warnings)[:450]
    else:
        to, code, text = "ready", "scrub_passed", None
    moved = lifecycle.transition(session, claim.tenant_id, claim.id, to, actor=actor,
                                 expected=("draft", "held", "ready", "ack_rejected", "rejected"),
                                 reason_code=code, reason_text=text,
                                 hold_reasons=errors + open_warnings, warnings=warnings, last_reason=text)
    if moved is None:
        raise Conflict("The claim changed state meanwhile; reload it and try again.")
    session.refresh(claim)
    return to


# ------------------------------------------------------------------------------- building

def _coverages_for(session: Session, tenant_id: uuid.UUID, patient_id: uuid.UUID, dos: date) -> list[PatientCoverage]:
    rows = session.scalars(sa.select(PatientCoverage).where(
        PatientCoverage.tenant_id == tenant_id, PatientCoverage.patient_id == patient_id)
        .order_by(PatientCoverage.rank)).all()
    return [c for c in rows if (c.effective_from is None or c.effective_from <= dos)
            and (c.effective_to is None or c.effective_to >= dos)]


def _billing_provider_id(session: Session, tenant_id: uuid.UUID) -> uuid.UUID:
    bp = practice_setup.default_billing_provider(session, tenant_id)
    if bp is None:
        bps = practice_setup.list_billing_providers(session, tenant_id)
        if len(bps) != 1:
            raise Unprocessable("The practice has no default billing provider; set one up before building claims.")
        bp = bps[0]
    return bp.id


def _new_claim(session: Session, agency_id: uuid.UUID, tenant_id: uuid.UUID, enc: Encounter,
               coverage: PatientCoverage, sequence: int, actor: str) -> tuple[Claim, list[dict]]:
    payer = session.get(Payer, coverage.payer_id) if coverage.payer_id else None
    if payer is None:
        raise Unprocessable(f"The patient's coverage {sequence} has no payer from the agency payer directory.")
    dx = [d.code for d in session.scalars(sa.select(EncounterDiagnosis).where(
        EncounterDiagnosis.tenant_id == tenant_id, EncounterDiagnosis.encounter_id == enc.id)
        .order_by(EncounterDiagnosis.position))]
    elines = session.scalars(sa.select(EncounterLine).where(
        EncounterLine.tenant_id == tenant_id, EncounterLine.encounter_id == enc.id)
        .order_by(EncounterLine.line_number)).all()
    if not dx or not elines:
        raise Unprocessable("The encounter needs at least one diagnosis and one service line.")
    problems: list[dict] = []
    pcn = allocate_pcn(session, agency_id, tenant_id)
    claim = Claim(tenant_id=tenant_id, id=new_id(), encounter_id=enc.id, patient_id=enc.patient_id,
                  coverage_id=coverage.id, payer_id=payer.id,
                  billing_provider_id=_billing_provider_id(session, tenant_id),
                  rendering_provider_id=enc.rendering_provider_id, service_location_id=enc.service_location_id,
                  sequence=sequence, kind="837I" if payer.claim_type == "institutional" else "837P",
                  pcn=pcn, revision=0, state="draft", frequency="1", place_of_service=enc.place_of_service,
                  diagnoses=dx, date_of_service_from=enc.date_of_service_from,
                  date_of_service_to=enc.date_of_service_to, total_charge=Decimal(0), hold_reasons=[], warnings=[],
                  submission_attempt=0)
    session.add(claim)
    session.flush()
    total = Decimal(0)
    for n, el in enumerate(elines, 1):
        charge = el.charge
        if charge is None:
            charge = practice_setup.fee_for(session, tenant_id, el.procedure_code, el.modifiers, el.date_of_service)
        if charge is None:
            problems.append(_finding("claims.charge", f"Line {n} has no charge and the fee schedule has no price "
                                                      f"for {el.procedure_code}.", line=n))
            charge = Decimal(0)
        total += Decimal(charge)
        session.add(ClaimLine(tenant_id=tenant_id, id=new_id(), claim_id=claim.id, line_number=n,
                              line_control_number=line_control_number(pcn, n), procedure_code=el.procedure_code,
                              modifiers=list(el.modifiers or []), units=el.units, charge=charge,
                              diagnosis_pointers=list(el.diagnosis_pointers or [1]),
                              date_of_service=el.date_of_service, ndc=el.ndc, ndc_unit=el.ndc_unit,
                              ndc_quantity=el.ndc_quantity))
    claim.total_charge = total
    lifecycle.record_event(session, tenant_id, claim.id, None, "draft", actor, "claim_created")
    session.flush()
    return claim, problems


def build_claims(session: Session, cipher: PhiCipher, agency_id: uuid.UUID, tenant_id: uuid.UUID,
                 encounter_id: uuid.UUID, actor: str = lifecycle.SYSTEM) -> list[Claim]:
    """The primary claim of a coded encounter (idempotent: an existing one is returned).
    Sequence 2/3 claims are built after the primary's adjudication (:func:`build_next_sequence`)."""
    existing = session.scalars(sa.select(Claim).where(
        Claim.tenant_id == tenant_id, Claim.encounter_id == encounter_id, Claim.revision == 0)
        .order_by(Claim.sequence)).all()
    if existing:
        return list(existing)
    enc = session.scalars(sa.select(Encounter).where(Encounter.tenant_id == tenant_id, Encounter.id == encounter_id)
                          .with_for_update()).first()
    if enc is None:
        raise NotFound("The encounter does not exist.")
    if enc.status != "coded":
        raise Conflict(f"Only coded encounters become claims (this one is {enc.status}).")
    coverages = _coverages_for(session, tenant_id, enc.patient_id, enc.date_of_service_from)
    if not coverages:
        raise Unprocessable("The patient has no coverage in force on the date of service.")
    claim = _build_and_scrub(session, cipher, agency_id, tenant_id, enc, coverages[0], 1, actor)
    enc.status = "billed"
    return [claim]


def build_next_sequence(session: Session, cipher: PhiCipher, agency_id: uuid.UUID, tenant_id: uuid.UUID,
                        claim_id: uuid.UUID, actor: str = lifecycle.SYSTEM) -> Claim | None:
    """The claim for the next coverage (secondary, tertiary) after ``claim_id`` was
    adjudicated; None when the patient has no further coverage. (Issue 8 adds the
    prior payer's adjudication, 2320/2430, before it is submitted.)"""
    prev = get_claim(session, tenant_id, claim_id)
    if prev.sequence >= 3:
        return None
    nxt = prev.sequence + 1
    found = session.scalars(sa.select(Claim).where(Claim.tenant_id == tenant_id, Claim.encounter_id == prev.encounter_id,
                                                   Claim.sequence == nxt, Claim.revision == 0)).first()
    if found is not None:
        return found
    coverages = _coverages_for(session, tenant_id, prev.patient_id, prev.date_of_service_from)
    if len(coverages) < nxt:
        return None
    enc = session.get(Encounter, (tenant_id, prev.encounter_id))
    return _build_and_scrub(session, cipher, agency_id, tenant_id, enc, coverages[nxt - 1], nxt, actor)


def _build_and_scrub(session: Session, cipher: PhiCipher, agency_id: uuid.UUID, tenant_id: uuid.UUID,
                     enc: Encounter, coverage: PatientCoverage, sequence: int, actor: str) -> Claim:
    claim, problems = _new_claim(session, agency_id, tenant_id, enc, coverage, sequence, actor)
    findings = problems + scrub_claim(session, cipher, claim)
    apply_findings(session, claim, findings, actor)
    return claim


# ------------------------------------------------------------------------------- reading

def get_claim(session: Session, tenant_id: uuid.UUID, claim_id: uuid.UUID) -> Claim:
    claim = session.get(Claim, (tenant_id, claim_id), populate_existing=True)
    if claim is None:
        raise NotFound("The claim does not exist.")
    return claim


def claim_lines(session: Session, tenant_id: uuid.UUID, claim_id: uuid.UUID) -> list[ClaimLine]:
    return list(session.scalars(sa.select(ClaimLine).where(ClaimLine.tenant_id == tenant_id,
                                                           ClaimLine.claim_id == claim_id)
                                .order_by(ClaimLine.line_number)))


def claim_events(session: Session, tenant_id: uuid.UUID, claim_id: uuid.UUID) -> list[ClaimEvent]:
    get_claim(session, tenant_id, claim_id)
    return list(session.scalars(sa.select(ClaimEvent).where(ClaimEvent.tenant_id == tenant_id,
                                                            ClaimEvent.claim_id == claim_id)
                                .order_by(ClaimEvent.at, ClaimEvent.id)))


def list_claims(session: Session, tenant_id: uuid.UUID, *, states: list[str] | None = None,
                after: uuid.UUID | None = None, limit: int = 50) -> list[Claim]:
    q = sa.select(Claim).where(Claim.tenant_id == tenant_id)
    if states:
        q = q.where(Claim.state.in_(states))
    if after is not None:
        q = q.where(Claim.id > after)
    return list(session.scalars(q.order_by(Claim.id).limit(limit + 1)))


# ------------------------------------------------------------------------------- actions

def acknowledge_warnings(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, claim_id: uuid.UUID,
                         actor: str) -> Claim:
    claim = get_claim(session, tenant_id, claim_id)
    if claim.state != "held":
        raise Conflict(f"Only held claims have warnings to acknowledge (this one is {claim.state}).")
    if any(f["severity"] == "error" for f in claim.hold_reasons or []):
        raise Conflict("The claim has scrubber errors; fix them and rebuild it.")
    claim.warnings_acknowledged_by = actor
    session.flush()
    apply_findings(session, claim, list(claim.warnings or []), actor)
    return get_claim(session, tenant_id, claim_id)


def rework(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, claim_id: uuid.UUID, actor: str) -> Claim:
    """After a fix (patient, coverage, codes, setup): refresh the lines' charges from the
    encounter is not done here; the claim is re-scrubbed and goes back to ``ready``
    (or stays ``held``). A rejected claim is resubmitted as a new original (frequency 1)."""
    claim = get_claim(session, tenant_id, claim_id)
    if claim.state not in lifecycle.REWORK_STATES + ("draft",):
        raise Conflict(f"Only held or rejected claims can be rebuilt (this one is {claim.state}).")
    findings = scrub_claim(session, cipher, claim)
    apply_findings(session, claim, findings, actor)
    return get_claim(session, tenant_id, claim_id)


def create_replacement(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, claim_id: uuid.UUID,
                       frequency: str, payer_claim_number: str | None, actor: str) -> Claim:
    """A corrected (7) or void (8) claim for a claim the payer accepted: a new row with the
    same CLM01 (the payer echoes the original), REF*F8 = the payer claim number."""
    if frequency not in ("7", "8"):
        raise Unprocessable("frequency must be 7 (replacement) or 8 (void).")
    orig = get_claim(session, tenant_id, claim_id)
    if orig.state not in lifecycle.CORRECTABLE_STATES:
        raise Conflict(f"Only claims the payer accepted can be corrected or voided (this one is {orig.state}); "
                       "a rejected claim is fixed and resubmitted as an original.")
    pcn_ref = (payer_claim_number or "").strip() or orig.payer_claim_number
    payer = session.get(Payer, orig.payer_id)
    if not pcn_ref and (payer is None or payer.corrected_claim_needs_payer_claim_number):
        raise Unprocessable("This payer needs the payer claim number (from the 277CA or 835) on corrected "
                            "and void claims.")
    if pcn_ref and len(pcn_ref) > 50:
        raise Unprocessable("payer_claim_number must be at most 50 characters.")
    latest = session.execute(sa.select(sa.func.max(Claim.revision)).where(
        Claim.tenant_id == tenant_id, Claim.pcn == orig.pcn)).scalar_one()
    new = Claim(tenant_id=tenant_id, id=new_id(), encounter_id=orig.encounter_id, patient_id=orig.patient_id,
                coverage_id=orig.coverage_id, payer_id=orig.payer_id, billing_provider_id=orig.billing_provider_id,
                rendering_provider_id=orig.rendering_provider_id, service_location_id=orig.service_location_id,
                sequence=orig.sequence, kind=orig.kind, pcn=orig.pcn, revision=latest + 1,
                original_claim_id=orig.id, state="draft", frequency=frequency, payer_claim_number=pcn_ref or None,
                place_of_service=orig.place_of_service, diagnoses=list(orig.diagnoses),
                date_of_service_from=orig.date_of_service_from, date_of_service_to=orig.date_of_service_to,
                total_charge=orig.total_charge, hold_reasons=[], warnings=[], submission_attempt=0)
    session.add(new)
    session.flush()
    for ln in claim_lines(session, tenant_id, orig.id):
        session.add(ClaimLine(tenant_id=tenant_id, id=new_id(), claim_id=new.id, line_number=ln.line_number,
                              line_control_number=ln.line_control_number, procedure_code=ln.procedure_code,
                              revenue_code=ln.revenue_code, modifiers=list(ln.modifiers), units=ln.units,
                              charge=ln.charge, diagnosis_pointers=list(ln.diagnosis_pointers),
                              date_of_service=ln.date_of_service, ndc=ln.ndc, ndc_unit=ln.ndc_unit,
                              ndc_quantity=ln.ndc_quantity))
    lifecycle.record_event(session, tenant_id, new.id, None, "draft", actor,
                           "corrected_claim_created" if frequency == "7" else "void_claim_created",
                           f"Replaces claim {orig.id}")
    lifecycle.transition(session, tenant_id, orig.id, "replaced" if frequency == "7" else "voided", actor=actor,
                         reason_code="superseded", reason_text=f"Superseded by claim {new.id}")
    session.flush()
    apply_findings(session, new, scrub_claim(session, cipher, new), actor)
    return get_claim(session, tenant_id, new.id)
