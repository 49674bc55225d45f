"""Writers for 835, 999, 277CA and TA1 (the clearinghouse simulator and tests use them).

Each takes the same typed objects the readers return, so read(write(x)) == x
for the modelled fields.
"""

from __future__ import annotations

from collections.abc import Iterable

from edi.envelope import Interchange, SegmentWriter, TransactionWriter, gs_segment, isa_segment, trailers
from edi.errors import X12WriteError
from edi.model.acks import Ack277CA, Ack999, StatusInfo, Ta1
from edi.model.remit835 import ClaimPayment, Remittance
from edi.values import fmt_date, fmt_money

V835 = "005010X221A1"
V999 = "005010X231A1"
V277CA = "005010X214"


def _m(d) -> str | None:
    return None if d is None else fmt_money(d)


def _envelope(objs, interchange: Interchange, fid: str, version: str, body, out=None,
              writer: SegmentWriter | None = None) -> str | None:
    objs = list(objs)
    if not objs:
        raise X12WriteError("nothing to write")
    w = writer or SegmentWriter()
    isa_segment(w, interchange)
    gs_segment(w, interchange, fid, version)
    if out is not None:
        # Stream: flush after each transaction so huge files never sit in memory.
        out.write(w.text())
        w.out.clear()
    for o in objs:
        body(w, o)
        if out is not None:
            out.write(w.text())
            w.out.clear()
    trailers(w, interchange, len(objs))
    if out is not None:
        out.write(w.text())
        w.out.clear()
        return None
    return w.text()


# ------------------------------------------------------------------ 835
def write_835(remittances: Remittance | Iterable[Remittance], interchange: Interchange, out=None,
              claims_source=None) -> str | None:
    """Write 835 transaction sets. With `out`, claims are flushed every 1000 so a
    remittance with a generator of claims (`claims_source(rem)`) streams."""
    if isinstance(remittances, Remittance):
        remittances = [remittances]
    return _envelope(remittances, interchange, "HP", V835,
                     lambda w, r: _835_body(w, r, out, claims_source), out)


def _835_body(w: SegmentWriter, r: Remittance, out, claims_source) -> None:
    tw = TransactionWriter(w, "835", r.control_number, None)
    p = r.payment
    bpr = ["BPR", p.handling_code, fmt_money(p.amount), p.credit_debit, p.method, p.format_code]
    bpr += [None] * 10 + [fmt_date(p.date) if p.date else None]
    w.seg(*bpr)
    w.seg("TRN", "1", p.trace_number, p.originator_id)
    if r.receiver_id:
        w.seg("REF", "EV", r.receiver_id)
    if r.production_date:
        w.seg("DTM", "405", fmt_date(r.production_date))
    for code, party in (("PR", r.payer), ("PE", r.payee)):
        if party is None:
            raise X12WriteError(f"835 needs a {'payer' if code == 'PR' else 'payee'}")
        w.seg("N1", code, party.name, party.id_qualifier, party.id)
        if party.address:
            a = party.address
            w.seg("N3", a.line1, a.line2)
            w.seg("N4", a.city, a.state, a.postal_code, a.country)
        for q, v in party.references:
            w.seg("REF", q, v)
        for func, name, number in party.contacts:
            w.seg("PER", func, name, "TE" if number else None, number)
    claims = claims_source(r) if claims_source else r.claims
    header = None
    for i, c in enumerate(claims):
        hn = c.header_number or "1"
        if hn != header:
            w.seg("LX", hn)
            header = hn
        _clp(w, c)
        if out is not None and i % 1000 == 999:
            out.write(w.text())
            w.out.clear()
    # Pairs of the same provider and period share a PLB (up to 6 each); pyx12's map
    # rejects a second PLB footer loop, and fewer segments is what payers send anyway.
    plbs: dict[tuple, list] = {}
    for adj in r.provider_adjustments:
        plbs.setdefault((adj.provider_id, adj.fiscal_period_end), []).append(adj)
    for (prov, period), adjs in plbs.items():
        for i in range(0, len(adjs), 6):
            els: list = ["PLB", prov, fmt_date(period) if period else None]
            for adj in adjs[i : i + 6]:
                els += [(adj.reason, adj.reference) if adj.reference else adj.reason, fmt_money(adj.amount)]
            w.seg(*els)
    tw.close()


def _cas(w: SegmentWriter, adjs) -> None:
    groups: dict[str, list] = {}
    for a in adjs:
        groups.setdefault(a.group, []).append(a)
    for g, items in groups.items():
        for i in range(0, len(items), 6):
            els: list = ["CAS", g]
            for a in items[i : i + 6]:
                els += [a.reason, fmt_money(a.amount), _m(a.quantity)]
            w.seg(*els)


def _clp(w: SegmentWriter, c: ClaimPayment) -> None:
    w.seg("CLP", c.patient_control_number, c.status_code, fmt_money(c.charge), fmt_money(c.paid),
          _m(c.patient_responsibility), c.filing_indicator, c.payer_claim_number, c.facility_code, c.frequency_code)
    _cas(w, c.adjustments)
    if c.patient_last_name:
        w.seg("NM1", "QC", "1", c.patient_last_name, c.patient_first_name, None, None, None,
              "MI" if c.patient_id else None, c.patient_id)
    if c.remarks:
        w.seg("MOA", None, None, *c.remarks[:5])
    for q, v in c.references:
        w.seg("REF", q, v)
    if c.statement_from:
        w.seg("DTM", "232", fmt_date(c.statement_from))
    if c.statement_to:
        w.seg("DTM", "233", fmt_date(c.statement_to))
    if c.received_date:
        w.seg("DTM", "050", fmt_date(c.received_date))
    for line in c.lines:
        w.seg("SVC", (line.qualifier, line.procedure_code, *line.modifiers), fmt_money(line.charge),
              fmt_money(line.paid), line.revenue_code, _m(line.units_paid),
              tuple(line.original_procedure.split(":")) if line.original_procedure else None, _m(line.original_units))
        if line.service_date:
            w.seg("DTM", "472" if not line.service_date_end else "150", fmt_date(line.service_date))
        if line.service_date_end:
            w.seg("DTM", "151", fmt_date(line.service_date_end))
        _cas(w, line.adjustments)
        if line.line_control_number:
            w.seg("REF", "6R", line.line_control_number)
        for q, v in line.references:
            w.seg("REF", q, v)
        if line.allowed_amount is not None:
            w.seg("AMT", "B6", fmt_money(line.allowed_amount))
        for rc in line.remarks:
            w.seg("LQ", "HE", rc)


# ------------------------------------------------------------------ 999
def write_999(acks: Ack999 | Iterable[Ack999], interchange: Interchange, out=None) -> str | None:
    if isinstance(acks, Ack999):
        acks = [acks]
    return _envelope(acks, interchange, "FA", V999, _999_body, out)


def _999_body(w: SegmentWriter, a: Ack999) -> None:
    tw = TransactionWriter(w, "999", a.control_number, V999)
    w.seg("AK1", a.functional_id, a.group_control_number, a.group_version)
    for s in a.sets:
        w.seg("AK2", s.set_id, s.control_number, s.implementation)
        for se in s.segment_errors:
            w.seg("IK3", se.segment_id, str(se.position), se.loop_id, se.code)
            for ctx in se.contexts:
                w.raw(w.element.join(["CTX", *ctx.split("*")]))
            for el in se.elements:
                w.seg("IK4", tuple(el.position.split(":")), el.reference, el.code, el.bad_value)
        w.seg("IK5", s.status, *s.codes)
    w.seg("AK9", a.status, str(a.sets_included), str(a.sets_received), str(a.sets_accepted), *a.group_codes)
    tw.close()


# ------------------------------------------------------------------ 277CA
def write_277ca(acks: Ack277CA | Iterable[Ack277CA], interchange: Interchange, out=None) -> str | None:
    if isinstance(acks, Ack277CA):
        acks = [acks]
    return _envelope(acks, interchange, "HN", V277CA, _277_body, out)


def _stc(w: SegmentWriter, statuses: list[StatusInfo], default_date, amount_required: bool = True) -> None:
    for s in statuses:
        w.seg("STC", (s.category, s.code, s.entity), fmt_date(s.date or default_date), s.action,
              _m(s.amount) if s.amount is not None else ("0" if amount_required else None))


def _277_body(w: SegmentWriter, a: Ack277CA) -> None:
    tw = TransactionWriter(w, "277", a.control_number, V277CA)
    created = a.created
    if created is None:
        raise X12WriteError("277CA needs a creation date (BHT04)")
    w.seg("BHT", "0085", "08", a.reference, fmt_date(created), "1200", "TH")
    w.seg("HL", "1", None, "20", "1")
    w.seg("NM1", "AY", "2", a.source_name or "CLEARINGHOUSE", None, None, None, None, "46", a.source_id or "0")
    w.seg("TRN", "1", a.reference)
    w.seg("DTP", "050", "D8", fmt_date(created))
    w.seg("DTP", "009", "D8", fmt_date(created))
    w.seg("HL", "2", "1", "21", "1")
    w.seg("NM1", "41", "2", "SUBMITTER", None, None, None, None, "46", "SUBMITTER")
    w.seg("TRN", "2", a.receiver_batch or a.reference)
    _stc(w, a.receiver_statuses or [StatusInfo("A1", "19", "PR", created, "WQ")], created)
    if a.accepted_count is not None:
        w.seg("QTY", "90", str(a.accepted_count))
    if a.rejected_count is not None:
        w.seg("QTY", "AA", str(a.rejected_count))
    if a.accepted_amount is not None:
        w.seg("AMT", "YU", fmt_money(a.accepted_amount))
    if a.rejected_amount is not None:
        w.seg("AMT", "YY", fmt_money(a.rejected_amount))
    hl = 2
    by_provider: dict[str | None, list] = {}
    for c in a.claims:
        by_provider.setdefault(c.provider_id, []).append(c)
    for prov, claims in by_provider.items():
        hl += 1
        prov_hl = hl
        w.seg("HL", str(hl), "2", "19", "1")
        w.seg("NM1", "85", "2", "PROVIDER", None, None, None, None, "XX", prov or "0000000000")
        w.seg("TRN", "1", prov or "0")  # 2200C trace: required by the map
        w.seg("STC", ("A1", "20"), None, "WQ", "0")  # 2200C status: required by the map (STC02 not used)
        for c in claims:
            hl += 1
            w.seg("HL", str(hl), str(prov_hl), "PT")
            w.seg("NM1", "QC", "1", c.patient_last_name or "UNKNOWN", c.patient_first_name, None, None, None,
                  "MI" if c.patient_id else None, c.patient_id)
            w.seg("TRN", "2", c.patient_control_number)
            _stc(w, c.statuses, created)
            if c.payer_claim_number:
                w.seg("REF", "1K", c.payer_claim_number)
            if c.bill_type:
                w.seg("REF", "BLT", c.bill_type)
            if c.clearinghouse_trace:
                w.seg("REF", "D9", c.clearinghouse_trace)
            if c.service_date:
                if c.service_date_end:
                    w.seg("DTP", "472", "RD8", f"{fmt_date(c.service_date)}-{fmt_date(c.service_date_end)}")
                else:
                    w.seg("DTP", "472", "D8", fmt_date(c.service_date))
            for line in c.lines:
                w.seg("SVC", ("HC", line.procedure_code), _m(line.charge) or "0")
                _stc(w, line.statuses, created, amount_required=False)
                if line.line_control_number:
                    w.seg("REF", "FJ", line.line_control_number)
                if line.service_date:
                    w.seg("DTP", "472", "D8", fmt_date(line.service_date))
    tw.close()


# ------------------------------------------------------------------ TA1
def write_ta1(ta1: Ta1, interchange: Interchange) -> str:
    """An interchange holding only a TA1 (no GS; IEA01 = 0)."""
    w = SegmentWriter()
    isa_segment(w, interchange)
    w.seg("TA1", ta1.interchange_control_number, ta1.interchange_date, ta1.interchange_time, ta1.ack_code,
          ta1.note_code)
    w.seg("IEA", "0", str(interchange.interchange_control_number).zfill(9))
    return w.text()
