"""999, 277CA and TA1 readers."""

from __future__ import annotations

from decimal import Decimal

from edi.envelope import EnvelopeChecker, Issue, RawTransaction, iter_transactions
from edi.errors import X12ContentError, X12Error
from edi.model.acks import (
    Ack277CA,
    Ack999,
    ClaimStatus,
    ElementError,
    LineStatus,
    SegmentError,
    SetResponse,
    StatusInfo,
    Ta1,
)
from edi.tokenizer import Source
from edi.values import d8, money, rd8


def _g(e: list[str], n: int) -> str:
    return e[n] if n < len(e) else ""


def _o(e: list[str], n: int) -> str | None:
    return (e[n] or None) if n < len(e) else None


def _guard(tx: RawTransaction, fn, *args):
    tag = ["ST"]
    try:
        return fn(tx, tag, *args)
    except X12Error as ex:
        if ex.segment_number is None:
            ex.segment_number, ex.segment_id = tx.stream.number, tag[0]
            ex.args = (str(ex),)
        raise
    except (IndexError, KeyError, TypeError, AttributeError, ValueError):
        raise X12ContentError("segment is missing a required element or is out of place",
                              segment_number=tx.stream.number, segment_id=tag[0]) from None


def _int(s: str) -> int:
    if not s.isdigit():
        raise X12ContentError("expected a number")
    return int(s)


# ------------------------------------------------------------------ 999
def parse_999_transaction(tx: RawTransaction, checker: EnvelopeChecker) -> Ack999:
    first = len(checker.issues)
    ack = _guard(tx, _parse_999)
    ack.envelope = tx.envelope
    ack.issues = checker.issues[first:] + ack.issues
    return ack


def _parse_999(tx: RawTransaction, tag: list) -> Ack999:
    comp = tx.stream.delimiters.component
    ak1 = None
    sets: list[SetResponse] = []
    cur: SetResponse | None = None
    seg: SegmentError | None = None
    ak9 = None
    for e in tx.body:
        t = tag[0] = e[0]
        if t == "AK1":
            ak1 = e
        elif t == "AK2":
            cur = SetResponse(_g(e, 1), _g(e, 2), "", _o(e, 3))
            sets.append(cur)
            seg = None
        elif t == "IK3":
            if cur is None:
                raise X12ContentError("IK3 before AK2")
            seg = SegmentError(_g(e, 1), _int(_g(e, 2)), _g(e, 4), _o(e, 3))
            cur.segment_errors.append(seg)
        elif t == "IK4":
            if seg is None:
                raise X12ContentError("IK4 before IK3")
            seg.elements.append(ElementError(_g(e, 1).replace(comp, ":"), _g(e, 3), _o(e, 2), _o(e, 4)))
        elif t == "CTX":
            if seg is not None:
                seg.contexts.append("*".join(e[1:]))
        elif t == "IK5":
            if cur is None:
                raise X12ContentError("IK5 before AK2")
            cur.status = _g(e, 1)
            cur.codes = [c for c in e[2:7] if c]
            seg = None
        elif t == "AK9":
            ak9 = e
    if ak1 is None or ak9 is None:
        raise X12ContentError("999 needs AK1 and AK9")
    return Ack999(
        tx.control_number, _g(ak1, 1), _g(ak1, 2), _o(ak1, 3), _g(ak9, 1), _int(_g(ak9, 2)), _int(_g(ak9, 3)),
        _int(_g(ak9, 4)), sets, [c for c in ak9[5:10] if c],
    )


# ------------------------------------------------------------------ 277CA
def parse_277ca_transaction(tx: RawTransaction, checker: EnvelopeChecker) -> Ack277CA:
    first = len(checker.issues)
    ack = _guard(tx, _parse_277ca)
    ack.envelope = tx.envelope
    ack.issues = checker.issues[first:] + ack.issues
    return ack


def _stc(e: list[str], comp: str) -> list[StatusInfo]:
    out = []
    d = d8(e[2]) if _g(e, 2) else None
    amount = money(e[4]) if _g(e, 4) else None
    for i in (1, 10, 11):
        v = _g(e, i)
        if not v:
            continue
        parts = v.split(comp)
        out.append(StatusInfo(parts[0], parts[1] if len(parts) > 1 else "", (parts[2] or None) if len(parts) > 2 else None,
                              d, _o(e, 3), amount if i == 1 else None))
    return out


def _parse_277ca(tx: RawTransaction, tag: list) -> Ack277CA:
    comp = tx.stream.delimiters.component
    ack: Ack277CA | None = None
    level = ""
    claim: ClaimStatus | None = None
    line: LineStatus | None = None
    provider_id = None
    for e in tx.body:
        t = tag[0] = e[0]
        if t == "BHT":
            ack = Ack277CA(tx.control_number, _g(e, 3), d8(e[4]) if _g(e, 4) else None)
            continue
        if ack is None:
            raise X12ContentError("277CA segment before BHT")
        if t == "HL":
            level = _g(e, 3)
            claim = line = None
        elif t == "NM1":
            if level == "20":
                ack.source_name, ack.source_id = _o(e, 3), _o(e, 9)
            elif level == "19":
                provider_id = _o(e, 9)
            elif level == "PT":
                claim = ClaimStatus("", patient_last_name=_o(e, 3), patient_first_name=_o(e, 4),
                                    patient_id=_o(e, 9), provider_id=provider_id)
                ack.claims.append(claim)
                line = None
        elif t == "TRN":
            if level == "21":
                ack.receiver_batch = _g(e, 2)
            elif level == "PT":
                if claim is None:
                    claim = ClaimStatus("", provider_id=provider_id)
                    ack.claims.append(claim)
                claim.patient_control_number = _g(e, 2)
        elif t == "STC":
            statuses = _stc(e, comp)
            if line is not None:
                line.statuses += statuses
            elif claim is not None:
                claim.statuses += statuses
            elif level == "21":
                ack.receiver_statuses += statuses
        elif t == "SVC":
            if claim is None:
                raise X12ContentError("SVC outside a claim")
            proc = _g(e, 1).split(comp)
            line = LineStatus(None, proc[1] if len(proc) > 1 else None, money(e[2]) if _g(e, 2) else None)
            claim.lines.append(line)
        elif t == "REF":
            q = _g(e, 1)
            if line is not None and q == "FJ":
                line.line_control_number = _g(e, 2)
            elif claim is not None:
                if q == "1K":
                    claim.payer_claim_number = _g(e, 2)
                elif q == "D9":
                    claim.clearinghouse_trace = _g(e, 2)
                elif q == "BLT":
                    claim.bill_type = _g(e, 2)
        elif t == "DTP":
            if _g(e, 1) == "472":
                if _g(e, 2) == "RD8":
                    a, b = rd8(e[3])
                else:
                    a = b = d8(e[3])
                if line is not None:
                    line.service_date = a
                elif claim is not None:
                    claim.service_date, claim.service_date_end = a, (b if b != a else None)
        elif t == "QTY" and level == "21":
            if _g(e, 1) == "90":
                ack.accepted_count = int(Decimal(e[2]))
            elif _g(e, 1) == "AA":
                ack.rejected_count = int(Decimal(e[2]))
        elif t == "AMT" and level == "21":
            if _g(e, 1) == "YU":
                ack.accepted_amount = money(e[2])
            elif _g(e, 1) == "YY":
                ack.rejected_amount = money(e[2])
    if ack is None:
        raise X12ContentError("277CA has no BHT segment")
    return ack


# ------------------------------------------------------------------ TA1
def parse_ta1(els: list[str], number: int, envelope) -> Ta1:
    if len(els) < 6:
        raise X12ContentError("TA1 needs 5 elements", segment_number=number, segment_id="TA1")
    return Ta1(els[1], els[2], els[3], els[4], els[5], envelope)


def read_999(source: Source) -> list[Ack999]:
    chk = EnvelopeChecker()
    return [parse_999_transaction(tx, chk) for tx in iter_transactions(source, chk) if tx.set_id == "999"]


def read_277ca(source: Source) -> list[Ack277CA]:
    chk = EnvelopeChecker()
    return [parse_277ca_transaction(tx, chk) for tx in iter_transactions(source, chk) if tx.set_id == "277"]


def read_ta1(source: Source) -> list[Ta1]:
    chk = EnvelopeChecker()
    sink: list = []
    for _ in iter_transactions(source, chk, sink):
        pass
    return [parse_ta1(e, n, env) for e, n, env in sink]
