"""Reference 835 reader: the eager implementation edi.r835 replaced (kept verbatim
as a differential-test oracle for the lazy, integer-cent reader; not used by the library).

835 reader (005010X221A1): streaming, typed, balance-checked.

`iter_835` yields events so that a remittance with any number of claims is
processed in constant memory:

    ("remittance", Remittance)  header read (payment, payer, payee); claims empty
    ("claim", ClaimPayment)     one claim with its lines, already balance-checked
    ("end", Remittance)         PLB, transaction balance and envelope issues filled in

`read_835` materialises everything (claims appended to Remittance.claims).

The loop below is the hot path: element lists come straight from `str.split`,
dispatch is an if-chain ordered by segment frequency, amounts become Decimal
once, and errors are located only when they happen.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from edi.balance import check_claim, check_transaction
from edi.envelope import EnvelopeChecker, Issue, RawTransaction, iter_transactions
from edi.errors import X12ContentError, X12Error
from edi.model.common import Adjustment, Address
from edi.model.remit835 import (
    BalanceResult,
    ClaimPayment,
    Party,
    Payment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from edi.tokenizer import Source
from edi.values import d8

D = Decimal
ZERO = Decimal(0)
_ALT_COMPONENT = "><:^|\\!"


def _m(s: str) -> Decimal:
    d = D(s)
    if d.is_finite():
        return d
    raise InvalidOperation


def iter_835(source: Source) -> Iterator[tuple[str, object]]:
    """Stream every 835 transaction in the file (other set types are skipped)."""
    checker = EnvelopeChecker()
    for tx in iter_transactions(source, checker):
        if tx.set_id == "835":
            yield from parse_835_transaction(tx, checker)


def read_835(source: Source) -> list[Remittance]:
    out: list[Remittance] = []
    rem = None
    for kind, obj in iter_835(source):
        if kind == "remittance":
            rem = obj
            out.append(rem)
        elif kind == "claim":
            rem.claims.append(obj)
    return out


def parse_835_transaction(tx: RawTransaction, checker: EnvelopeChecker) -> Iterator[tuple[str, object]]:
    stream = tx.stream
    comp = stream.delimiters.component
    first_issue = len(checker.issues)
    issues: list[Issue] = []
    payment: Payment | None = None
    rem: Remittance | None = None
    payer = payee = None
    party = None  # current N1 loop
    claim: ClaimPayment | None = None
    line: ServicePayment | None = None
    claims_paid = ZERO
    plb_total = ZERO
    balance = BalanceResult()
    problems = balance.problems
    index = 0
    header_number = None
    production_date = None
    receiver_id = None
    comp_checked = False
    t = "ST"
    first, segs, e = tx.st_number, [], None

    def where() -> int:
        # Locate the failing segment only when something failed: identity search in its batch.
        for i, x in enumerate(segs):
            if x is e:
                return first + i
        return first

    def boundary() -> Iterator[tuple[str, object]]:
        """A claim, LX, PLB or SE ends the open claim (balance-check and emit it);
        before the first claim it ends the header, so the remittance is emitted."""
        nonlocal claim, claims_paid, index, rem
        if claim is not None:
            check_claim(claim, index, problems)
            claims_paid += claim.paid
            index += 1
            yield "claim", claim
            claim = None
        elif rem is None:
            rem = _start(tx, payment, payer, payee, production_date, receiver_id, balance)
            yield "remittance", rem

    def _date(v: str):
        # A bad date is reported, not fatal: the money in the file is still readable
        # (managed-care.835 carries BPR16 = 20002316).
        if not v:
            return None
        try:
            return d8(v)
        except X12ContentError:
            issues.append(Issue("invalid date (expected CCYYMMDD)", where(), t, None, "error"))
            return None
    try:
        for first, segs in tx.batches:
            for e in segs:
                t = e[0]
                if t == "CAS":
                    # One group per segment; triplets reason/amount/quantity at 2-4, 5-7, ... 17-19.
                    target = line.adjustments if line is not None else claim.adjustments
                    g = e[1]
                    n = len(e)
                    i = 2
                    while i < n:
                        r = e[i]
                        if r:
                            q = e[i + 2] if i + 2 < n else ""
                            target.append(Adjustment(g, r, _m(e[i + 1]), _m(q) if q else None))
                        i += 3
                elif t == "SVC":
                    if claim is None:
                        raise X12ContentError("SVC before any CLP")
                    c1 = e[1]
                    parts = c1.split(comp)
                    if len(parts) == 1 and not comp_checked and len(c1) > 2:
                        for alt in _ALT_COMPONENT:
                            if alt != comp and alt in c1:
                                issues.append(Issue(f"composite separator used '{alt}' differs from ISA16 '{comp}'; "
                                                    f"read with '{alt}'", where(), "SVC", 1, "error"))
                                comp = alt
                                parts = c1.split(comp)
                                break
                        comp_checked = True
                    n = len(e)
                    line = ServicePayment(
                        parts[0],
                        parts[1] if len(parts) > 1 else "",
                        parts[2:6],
                        _m(e[2]),
                        _m(e[3]),
                        (e[4] or None) if n > 4 else None,
                        _m(e[5]) if n > 5 and e[5] else None,
                        (e[6] or None) if n > 6 else None,
                        _m(e[7]) if n > 7 and e[7] else None,
                    )
                    claim.lines.append(line)
                elif t == "DTM":
                    q = e[1]
                    if line is not None:
                        if q == "472" or q == "150":
                            line.service_date = _date(e[2])
                        elif q == "151":
                            line.service_date_end = _date(e[2])
                    elif claim is not None:
                        if q == "232":
                            claim.statement_from = _date(e[2])
                        elif q == "233":
                            claim.statement_to = _date(e[2])
                        elif q == "050":
                            claim.received_date = _date(e[2])
                    elif q == "405":
                        production_date = _date(e[2])
                elif t == "REF":
                    if line is not None:
                        if e[1] == "6R":
                            line.line_control_number = e[2]
                        else:
                            line.references.append((e[1], e[2] if len(e) > 2 else ""))
                    elif claim is not None:
                        claim.references.append((e[1], e[2] if len(e) > 2 else ""))
                    elif party is not None:
                        party.references.append((e[1], e[2] if len(e) > 2 else ""))
                    elif e[1] == "EV":
                        receiver_id = e[2]
                elif t == "CLP":
                    yield from boundary()
                    party = line = None
                    n = len(e)
                    claim = ClaimPayment(
                        e[1],
                        e[2],
                        _m(e[3]),
                        _m(e[4]),
                        _m(e[5]) if n > 5 and e[5] else None,
                        (e[6] or None) if n > 6 else None,
                        (e[7] or None) if n > 7 else None,
                        (e[8] or None) if n > 8 else None,
                        (e[9] or None) if n > 9 else None,
                    )
                    claim.header_number = header_number
                elif t == "NM1":
                    if claim is not None and e[1] == "QC" and line is None:
                        n = len(e)
                        claim.patient_last_name = e[3] if n > 3 else None
                        claim.patient_first_name = (e[4] or None) if n > 4 else None
                        claim.patient_id = (e[9] or None) if n > 9 else None
                elif t == "LQ":
                    if line is not None and len(e) > 2:
                        line.remarks.append(e[2])
                elif t == "AMT":
                    if line is not None and e[1] == "B6":
                        line.allowed_amount = _m(e[2])
                elif t == "MOA" or t == "MIA":
                    if claim is not None:
                        # Remark codes: MOA03-07, MIA05 and MIA20-23.
                        idxs = (3, 4, 5, 6, 7) if t == "MOA" else (5, 20, 21, 22, 23)
                        for i in idxs:
                            if i < len(e) and e[i]:
                                claim.remarks.append(e[i])
                elif t == "LX":
                    yield from boundary()
                    party = line = None
                    header_number = e[1] if len(e) > 1 else None
                elif t == "PLB":
                    yield from boundary()
                    party = line = None
                    prov = e[1]
                    period = _date(e[2]) if len(e) > 2 else None
                    i = 3
                    while i + 1 < len(e):
                        if e[i]:
                            reason, _, ref = e[i].partition(comp)
                            amt = _m(e[i + 1])
                            plb_total += amt
                            rem.provider_adjustments.append(ProviderAdjustment(prov, period, reason, ref or None, amt))
                        i += 2
                elif t == "BPR":
                    n = len(e)
                    payment = Payment(
                        e[1], _m(e[2]), e[3], e[4] if n > 4 else "", _date(e[16]) if n > 16 and e[16] else None,
                        None, None, (e[5] or None) if n > 5 else None,
                    )
                elif t == "TRN":
                    if payment is None:
                        raise X12ContentError("TRN before BPR")
                    payment.trace_number = e[2]
                    payment.originator_id = (e[3] or None) if len(e) > 3 else None
                elif t == "N1":
                    n = len(e)
                    party = Party(e[2] if n > 2 else "", (e[3] or None) if n > 3 else None, (e[4] or None) if n > 4 else None)
                    if e[1] == "PR":
                        payer = party
                    elif e[1] == "PE":
                        payee = party
                elif t == "N4":
                    if party is not None and claim is None:
                        old = party.address
                        n = len(e)
                        party.address = Address(
                            old.line1 if old else "", e[1], e[2] if n > 2 else "", e[3] if n > 3 else "",
                            old.line2 if old else None, (e[4] or None) if n > 4 else None,
                        )
                elif t == "N3":
                    if party is not None and claim is None:
                        party.address = Address(e[1], "", "", "", (e[2] or None) if len(e) > 2 else None)
                elif t == "PER":
                    if party is not None:
                        n = len(e)
                        party.contacts.append((e[1], e[2] if n > 2 else "", e[4] if n > 4 else ""))
                # TS3, TS2, CUR, RDM, QTY, DTM others: informational, not modelled.
        yield from boundary()
        check_transaction(claims_paid, plb_total, rem.payment.amount, problems)
        balance.claims_checked = index
    except X12Error as ex:
        if ex.segment_number is None:
            ex.segment_number, ex.segment_id = where(), t
            ex.position = stream.position_of(ex.segment_number)
            ex.args = (str(ex),)
        raise
    except (InvalidOperation, ValueError):
        n = where()
        raise X12ContentError("invalid decimal number", segment_number=n, segment_id=t,
                              position=stream.position_of(n)) from None
    except (IndexError, AttributeError):
        # AttributeError: a loop-level segment (CAS, ...) where its parent loop is missing.
        n = where()
        raise X12ContentError("segment is missing a required element or is out of place",
                              segment_number=n, segment_id=t, position=stream.position_of(n)) from None
    rem.issues = checker.issues[first_issue:] + issues
    yield "end", rem


def _start(tx, payment, payer, payee, production_date, receiver_id, balance) -> Remittance:
    if payment is None:
        raise X12ContentError("835 has no BPR segment")
    return Remittance(
        tx.control_number, payment, payer, payee, production_date, receiver_id,
        balance=balance, envelope=tx.envelope,
    )
