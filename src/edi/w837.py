"""837P (005010X222A1) and 837I (005010X223A2) writers.

Entry points: `write_837p(batch, interchange)` and `write_837i(batch, interchange)`
return the whole interchange as text; `write_837(..., out=fp)` streams to a file.
Segment order follows the pyx12 maps (837.5010.X222.A1 / 837Q3.I.5010.X223.A1).
HL numbers, CLM02 and all envelope counts are computed here, never by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from edi.envelope import Interchange, SegmentWriter, TransactionWriter, gs_segment, isa_segment, trailers
from edi.errors import X12WriteError
from edi.model.claim837 import (
    BillingGroup,
    CasAdjustment,
    Claim,
    ClaimBatch,
    InstitutionalClaim,
    InstitutionalLine,
    LineAdjudication,
    OtherPayer,
    Person,
    Provider,
    ServiceLine,
)
from edi.model.common import Address
from edi.values import fmt_date, fmt_money

VERSION_P = "005010X222A1"
VERSION_I = "005010X223A2"
CENT = Decimal("0.01")


def _amt(d: Decimal, what: str) -> str:
    if not isinstance(d, Decimal) or not d.is_finite():
        raise X12WriteError(f"{what} must be a finite Decimal")
    if d != d.quantize(CENT):
        raise X12WriteError(f"{what} has more than 2 decimals")
    return fmt_money(d)


def _qty(d: Decimal, what: str) -> str:
    if not isinstance(d, Decimal) or not d.is_finite() or d <= 0:
        raise X12WriteError(f"{what} must be a positive Decimal")
    return fmt_money(d)


class _Ctx:
    def __init__(self, w: SegmentWriter, kind: str) -> None:
        self.w = w
        self.kind = kind
        self.hl = 0

    def next_hl(self) -> str:
        self.hl += 1
        return str(self.hl)

    # -- shared pieces -------------------------------------------------------
    def address(self, a: Address | None) -> None:
        if a is None:
            return
        if not 2 <= len(a.city) <= 30 or len(a.state) not in (0, 2) or not 3 <= len(a.postal_code) <= 15:
            raise X12WriteError("address needs city 2-30 chars, 2-letter state, postal code 3-15", segment_id="N4")
        self.w.seg("N3", a.line1, a.line2)
        self.w.seg("N4", a.city, a.state, a.postal_code, a.country)

    def nm1_provider(self, code: str, p: Provider, *, with_address: bool = False) -> None:
        if p.is_person:
            self.w.seg("NM1", code, "1", p.last_or_org_name, p.first_name, p.middle_name, None, None,
                       "XX" if p.npi else None, p.npi)
        else:
            self.w.seg("NM1", code, "2", p.last_or_org_name, None, None, None, None,
                       "XX" if p.npi else None, p.npi)
        if with_address:
            self.address(p.address)

    def person_nm1(self, code: str, p: Person, id_qual: str | None = None, ident: str | None = None) -> None:
        self.w.seg("NM1", code, "1", p.last_name, p.first_name, p.middle_name, None, None, id_qual, ident)

    def dmg(self, p: Person) -> None:
        if p.birth_date is not None or p.sex:
            self.w.seg("DMG", "D8" if p.birth_date else None, fmt_date(p.birth_date) if p.birth_date else None,
                       p.sex or "U")

    def date_or_range(self, qual: str, start, end) -> None:
        if end is not None and end != start:
            self.w.seg("DTP", qual, "RD8", f"{fmt_date(start)}-{fmt_date(end)}")
        else:
            self.w.seg("DTP", qual, "D8", fmt_date(start))

    def cas(self, adjs: Iterable[CasAdjustment]) -> None:
        # One CAS segment per group, up to 6 reason triplets each (guide section 13).
        by_group: dict[str, list[CasAdjustment]] = {}
        for a in adjs:
            if a.group == "CR":
                raise X12WriteError("CAS group CR is not valid in 5010; use reversal logic")
            by_group.setdefault(a.group, []).append(a)
        for g, items in by_group.items():
            for i in range(0, len(items), 6):
                els: list = ["CAS", g]
                for a in items[i : i + 6]:
                    els += [a.reason, _amt(a.amount, "CAS amount"),
                            fmt_money(a.quantity) if a.quantity is not None else None]
                self.w.seg(*els)

    def other_payer(self, op: OtherPayer) -> None:
        w = self.w
        w.seg("SBR", op.payer_responsibility, op.relationship, op.group_number, None, None, None, None, None,
              op.filing_indicator)
        self.cas(op.adjustments)
        if op.paid is not None:
            w.seg("AMT", "D", _amt(op.paid, "other payer paid amount"))
        if op.remaining_patient_liability is not None:
            w.seg("AMT", "EAF", _amt(op.remaining_patient_liability, "remaining patient liability"))
        if self.kind == "837P":
            w.seg("OI", None, None, op.benefits_assignment, None, None, op.release_of_information)
        else:
            w.seg("OI", None, None, op.benefits_assignment, None, None, op.release_of_information)
        self.person_nm1("IL", op.subscriber, "MI", op.member_id)
        self.address(op.subscriber.address)
        w.seg("NM1", "PR", "2", op.payer.name, None, None, None, None, "PI", op.payer.id)
        self.address(op.payer.address)
        if op.adjudication_date is not None:
            w.seg("DTP", "573", "D8", fmt_date(op.adjudication_date))

    def line_adjudication(self, adj: LineAdjudication, product_qualifier: str = "HC") -> None:
        w = self.w
        w.seg("SVD", adj.payer_id, _amt(adj.paid, "SVD02"), (product_qualifier, adj.procedure_code, *adj.modifiers),
              None, _qty(adj.units, "SVD05"))
        self.cas(adj.adjustments)
        w.seg("DTP", "573", "D8", fmt_date(adj.adjudication_date))
        if adj.remaining_patient_liability is not None:
            w.seg("AMT", "EAF", _amt(adj.remaining_patient_liability, "remaining patient liability"))


def _check_claim_common(claim, kind: str) -> None:
    pcn = claim.patient_control_number
    if not pcn or len(pcn) > 20:
        raise X12WriteError("CLM01 patient control number must be 1-20 characters", segment_id="CLM", element=1)
    if claim.frequency in ("7", "8") and not claim.payer_claim_number:
        raise X12WriteError("frequency 7/8 requires the payer claim control number (REF*F8)", segment_id="REF")
    if claim.frequency not in ("7", "8") and claim.payer_claim_number:
        raise X12WriteError("REF*F8 is only sent with frequency 7 or 8", segment_id="REF")
    if kind == "837P" and claim.frequency not in ("1", "7", "8"):
        raise X12WriteError("837P claim frequency must be 1, 7 or 8", segment_id="CLM", element=5)
    if not claim.lines:
        raise X12WriteError("a claim needs at least one service line", segment_id="LX")
    seen = set()
    for line in claim.lines:
        lcn = line.line_control_number
        if lcn is not None:
            if len(lcn) > 30 or lcn in seen:
                raise X12WriteError("REF*6R must be unique within the claim and <= 30 characters", segment_id="REF")
            seen.add(lcn)
    for op in claim.other_payers:
        if op.adjustments and any(line.adjudications for line in claim.lines):
            raise X12WriteError("prior-payer adjudication at claim level (2320 CAS) and line level (2430) together")


def _subscriber_loops(ctx: _Ctx, claim, parent_hl: str) -> None:
    w = ctx.w
    sub = claim.subscriber
    has_patient = claim.patient is not None
    hl = ctx.next_hl()
    w.seg("HL", hl, parent_hl, "22", "1" if has_patient else "0")
    w.seg("SBR", sub.payer_responsibility, None if has_patient else "18", sub.group_number, sub.group_name,
          None, None, None, None, sub.filing_indicator)
    ctx.person_nm1("IL", sub.person, "MI", sub.member_id)
    ctx.address(sub.person.address)
    if not has_patient:
        ctx.dmg(sub.person)
    w.seg("NM1", "PR", "2", sub.payer.name, None, None, None, None, "PI", sub.payer.id)
    ctx.address(sub.payer.address)
    if has_patient:
        w.seg("HL", ctx.next_hl(), hl, "23", "0")
        w.seg("PAT", claim.patient.relationship)
        ctx.person_nm1("QC", claim.patient.person)
        ctx.address(claim.patient.person.address)
        ctx.dmg(claim.patient.person)


def _claim_refs(w: SegmentWriter, claim) -> None:
    # Map order: 4N F5 EW 9F G1 F8 X4 9A 9C LX D9 EA ...
    if getattr(claim, "referral_number", None):
        w.seg("REF", "9F", claim.referral_number)
    if claim.prior_authorization:
        w.seg("REF", "G1", claim.prior_authorization)
    if claim.payer_claim_number:
        w.seg("REF", "F8", claim.payer_claim_number)
    if getattr(claim, "clearinghouse_trace", None):
        w.seg("REF", "D9", claim.clearinghouse_trace)
    if claim.medical_record_number:
        w.seg("REF", "EA", claim.medical_record_number)


def _claim_p(ctx: _Ctx, claim: Claim, billing: Provider) -> None:
    w = ctx.w
    _check_claim_common(claim, "837P")
    if not 1 <= len(claim.diagnoses) <= 12:
        raise X12WriteError("an 837P claim needs 1-12 diagnosis codes", segment_id="HI")
    related = None
    if claim.related_causes:
        related = (*claim.related_causes, *([""] * (3 - len(claim.related_causes))), claim.accident_state)
    w.seg("CLM", claim.patient_control_number, _amt(claim.total_charge, "CLM02"), None, None,
          (claim.place_of_service, "B", claim.frequency), claim.provider_signature, claim.assignment,
          claim.benefits_assigned, claim.release_of_information, None, related,
          *([None] * 8 + [claim.delay_reason] if claim.delay_reason else []))
    if claim.onset_date:
        w.seg("DTP", "431", "D8", fmt_date(claim.onset_date))
    if claim.accident_date:
        w.seg("DTP", "439", "D8", fmt_date(claim.accident_date))
    _claim_refs(w, claim)
    if claim.note:
        w.seg("NTE", "ADD", claim.note)
    hi = [("ABK", claim.diagnoses[0])] + [("ABF", d) for d in claim.diagnoses[1:]]
    w.seg("HI", *hi)
    if claim.referring:
        ctx.nm1_provider("DN", claim.referring)
    if claim.rendering:
        ctx.nm1_provider("82", claim.rendering)
        if claim.rendering.taxonomy:
            w.seg("PRV", "PE", "PXC", claim.rendering.taxonomy)
    if claim.service_facility:
        ctx.nm1_provider("77", claim.service_facility, with_address=True)
    for op in claim.other_payers:
        ctx.other_payer(op)
    for n, line in enumerate(claim.lines, start=1):
        _line_p(ctx, n, line, claim)


def _line_p(ctx: _Ctx, n: int, line: ServiceLine, claim: Claim) -> None:
    w = ctx.w
    ptrs = line.diagnosis_pointers
    if not 1 <= len(ptrs) <= 4 or any(not 1 <= p <= len(claim.diagnoses) for p in ptrs):
        raise X12WriteError(f"line {n}: diagnosis pointers must be 1-4 positions of existing diagnoses",
                            segment_id="SV1", element=7)
    if len(line.modifiers) > 4:
        raise X12WriteError(f"line {n}: at most 4 modifiers", segment_id="SV1", element=1)
    w.seg("LX", str(n))
    pos = line.place_of_service if line.place_of_service and line.place_of_service != claim.place_of_service else None
    w.seg("SV1", ("HC", line.procedure_code, *line.modifiers), _amt(line.charge, "SV102"), line.unit_basis,
          _qty(line.units, "SV104"), pos, None, tuple(str(p) for p in ptrs), None, "Y" if line.emergency else None)
    ctx.date_or_range("472", line.service_date, line.service_date_end)
    if line.line_control_number:
        w.seg("REF", "6R", line.line_control_number)
    if line.drug:
        w.seg("LIN", None, "N4", line.drug.ndc)
        w.seg("CTP", None, None, None, _qty(line.drug.quantity, "CTP04"), (line.drug.unit,))
    if line.rendering:
        ctx.nm1_provider("82", line.rendering)
        if line.rendering.taxonomy:
            w.seg("PRV", "PE", "PXC", line.rendering.taxonomy)
    for adj in line.adjudications:
        ctx.line_adjudication(adj)


def _claim_i(ctx: _Ctx, claim: InstitutionalClaim, billing: Provider) -> None:
    w = ctx.w
    _check_claim_common(claim, "837I")
    if len(claim.other_diagnoses) > 24 or len(claim.reason_for_visit) > 3:
        raise X12WriteError("too many diagnosis codes", segment_id="HI")
    w.seg("CLM", claim.patient_control_number, _amt(claim.total_charge, "CLM02"), None, None,
          (claim.facility_type, "A", claim.frequency), None, claim.assignment, claim.benefits_assigned,
          claim.release_of_information)
    if claim.discharge_hour:
        w.seg("DTP", "096", "TM", claim.discharge_hour)
    w.seg("DTP", "434", "RD8", f"{fmt_date(claim.statement_from)}-{fmt_date(claim.statement_to)}")
    if claim.admission_date:
        if claim.admission_hour:
            w.seg("DTP", "435", "DT", fmt_date(claim.admission_date) + claim.admission_hour)
        else:
            w.seg("DTP", "435", "D8", fmt_date(claim.admission_date))
    w.seg("CL1", claim.admission_type, claim.admission_source, claim.patient_status)
    if claim.patient_estimated_amount_due is not None:
        w.seg("AMT", "F3", _amt(claim.patient_estimated_amount_due, "AMT*F3"))
    _claim_refs(w, claim)
    poa = list(claim.present_on_admission)

    def dx(qual: str, code: str, i: int):
        p = poa[i] if i < len(poa) else ""
        return (qual, code, "", "", "", "", "", "", p) if p else (qual, code)

    w.seg("HI", dx("ABK", claim.principal_diagnosis, 0))
    if claim.admitting_diagnosis:
        w.seg("HI", ("ABJ", claim.admitting_diagnosis))
    if claim.reason_for_visit:
        w.seg("HI", *[("APR", c) for c in claim.reason_for_visit])
    others = [dx("ABF", c, i + 1) for i, c in enumerate(claim.other_diagnoses)]
    for i in range(0, len(others), 12):
        w.seg("HI", *others[i : i + 12])
    if claim.principal_procedure:
        code, d = claim.principal_procedure
        w.seg("HI", ("BBR", code, "D8", fmt_date(d)))
    if claim.other_procedures:
        for i in range(0, len(claim.other_procedures), 12):
            w.seg("HI", *[("BBQ", c, "D8", fmt_date(d)) for c, d in claim.other_procedures[i : i + 12]])
    if claim.drg:
        w.seg("HI", ("DR", claim.drg))
    if claim.occurrence_codes:
        w.seg("HI", *[("BH", c, "D8", fmt_date(d)) for c, d in claim.occurrence_codes[:12]])
    if claim.value_codes:
        w.seg("HI", *[("BE", c, "", "", _amt(a, "value amount")) for c, a in claim.value_codes[:12]])
    if claim.condition_codes:
        w.seg("HI", *[("BG", c) for c in claim.condition_codes[:12]])
    ctx.nm1_provider("71", claim.attending)
    if claim.attending.taxonomy:
        w.seg("PRV", "AT", "PXC", claim.attending.taxonomy)
    if claim.operating:
        ctx.nm1_provider("72", claim.operating)
    if claim.rendering:
        ctx.nm1_provider("82", claim.rendering)
    if claim.service_facility:
        ctx.nm1_provider("77", claim.service_facility, with_address=True)
    if claim.referring:
        ctx.nm1_provider("DN", claim.referring)
    for op in claim.other_payers:
        ctx.other_payer(op)
    for n, line in enumerate(claim.lines, start=1):
        _line_i(ctx, n, line)


def _line_i(ctx: _Ctx, n: int, line: InstitutionalLine) -> None:
    w = ctx.w
    rc = line.revenue_code
    if len(rc) != 4 or not rc.isdigit():
        raise X12WriteError(f"line {n}: revenue code must be 4 digits", segment_id="SV2", element=1)
    w.seg("LX", str(n))
    proc = ("HC", line.procedure_code, *line.modifiers) if line.procedure_code else None
    w.seg("SV2", rc, proc, _amt(line.charge, "SV203"), line.unit_basis, _qty(line.units, "SV205"), None,
          _amt(line.non_covered, "SV207") if line.non_covered is not None else None)
    if line.service_date:
        ctx.date_or_range("472", line.service_date, line.service_date_end)
    if line.line_control_number:
        w.seg("REF", "6R", line.line_control_number)
    for adj in line.adjudications:
        ctx.line_adjudication(adj)


def _group(ctx: _Ctx, g: BillingGroup) -> None:
    w = ctx.w
    bp = g.billing_provider
    if not bp.npi or not bp.tax_id or bp.address is None:
        raise X12WriteError("billing provider needs NPI, tax id and address", segment_id="NM1")
    hl = ctx.next_hl()
    w.seg("HL", hl, None, "20", "1")
    if bp.taxonomy:
        w.seg("PRV", "BI", "PXC", bp.taxonomy)
    ctx.nm1_provider("85", bp, with_address=True)
    w.seg("REF", bp.tax_id_qualifier, bp.tax_id)
    if g.pay_to is not None and g.pay_to.address is not None:
        w.seg("NM1", "87", "2")
        ctx.address(g.pay_to.address)
    for claim in g.claims:
        _subscriber_loops(ctx, claim, hl)
        if ctx.kind == "837P":
            _claim_p(ctx, claim, bp)
        else:
            _claim_i(ctx, claim, bp)


def write_transaction(w: SegmentWriter, batch: ClaimBatch) -> None:
    """Write one ST...SE 837 set for `batch` into an open writer (inside GS/GE)."""
    kind = batch.kind
    if kind not in ("837P", "837I"):
        raise X12WriteError("batch.kind must be 837P or 837I")
    version = VERSION_P if kind == "837P" else VERSION_I
    ctx = _Ctx(w, kind)
    tw = TransactionWriter(w, "837", batch.transaction_control_number, version)
    w.seg("BHT", "0019", "00", batch.batch_id, fmt_date(batch.created), batch.created_time, batch.transaction_type)
    s = batch.submitter
    if s.is_person:
        w.seg("NM1", "41", "1", s.name, s.first_name, None, None, None, "46", s.id)
    else:
        w.seg("NM1", "41", "2", s.name, None, None, None, None, "46", s.id)
    c = s.contact
    comm: list = []
    if c.phone:
        comm += ["TE", c.phone]
    if c.email:
        comm += ["EM", c.email]
    if not comm:
        raise X12WriteError("submitter contact needs a phone number or e-mail", segment_id="PER")
    w.seg("PER", "IC", c.name, *comm)
    w.seg("NM1", "40", "2", batch.receiver.name, None, None, None, None, "46", batch.receiver.id)
    for g in batch.groups:
        _group(ctx, g)
    tw.close()


def write_837(batches: ClaimBatch | Iterable[ClaimBatch], interchange: Interchange, out=None,
              writer: SegmentWriter | None = None) -> str | None:
    """Write an interchange with one GS and one ST per batch.

    All batches must be the same kind (a GS groups one implementation guide).
    With `out` (a text file object) the text is written there and None returned.
    """
    if isinstance(batches, ClaimBatch):
        batches = [batches]
    batches = list(batches)
    if not batches:
        raise X12WriteError("nothing to write")
    kinds = {b.kind for b in batches}
    if len(kinds) != 1:
        raise X12WriteError("837P and 837I batches need separate functional groups")
    version = VERSION_P if kinds == {"837P"} else VERSION_I
    w = writer or SegmentWriter()
    isa_segment(w, interchange)
    gs_segment(w, interchange, "HC", version)
    for b in batches:
        write_transaction(w, b)
    trailers(w, interchange, len(batches))
    text = w.text()
    if out is not None:
        out.write(text)
        return None
    return text


def write_837p(batch: ClaimBatch, interchange: Interchange) -> str:
    if batch.kind != "837P":
        raise X12WriteError("batch.kind must be 837P")
    return write_837(batch, interchange)


def write_837i(batch: ClaimBatch, interchange: Interchange) -> str:
    if batch.kind != "837I":
        raise X12WriteError("batch.kind must be 837I")
    return write_837(batch, interchange)
