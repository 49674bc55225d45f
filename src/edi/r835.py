"""835 reader (005010X221A1): streaming, typed, balance-checked.

`iter_835` yields events so that a remittance with any number of claims is
processed in constant memory:

    ("remittance", Remittance)  header read (payment, payer, payee); claims empty
    ("claim", ClaimPayment)     one claim with its lines, already balance-checked
    ("end", Remittance)         PLB, transaction balance and envelope issues filled in

`read_835` materialises everything (claims appended to Remittance.claims).

How the hot loop stays cheap (see docs/edi.md, Performance):

- It reads the stream's batches itself, not cut at SE: the end of the body is
  just one more branch of the segment-id dispatch (`RawTransaction.end_at`).
- Every claim is fully *checked* while reading: each amount is validated, the
  line and claim equations are evaluated in integer cents (`cents`), dates are
  validated (invalid ones become issues), structural errors raise at the
  offending segment exactly as an eager reader would.
- A claim is *built* lazily: the `ClaimPayment` holds its element lists and the
  Decimal/date/line/adjustment fields are converted on first access
  (`_fill_claim`, a replay of the same rules). Reading the fields therefore
  gives exactly what an eager reader gives; a caller that only needs a few
  fields (or only the balance verdict) does not pay for the rest.
- An amount that is not a plain decimal with at most two fraction digits (more
  digits, exponent form, ...) sends its claim through the Decimal check in
  `edi.balance.check_claim`, so such files still balance exactly; so does
  every claim whose cents check fails, so problems carry the same Decimal
  figures and messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation

from edi.balance import check_claim, check_transaction
from edi.envelope import STOP_IDS, EnvelopeChecker, Issue, RawTransaction, iter_transactions
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

try:
    # setup.py compiles this module with Cython when it can (pure-Python mode: the file
    # stays valid Python and is the fallback). Cython needs this exact import to see it.
    import cython
except ModuleNotFoundError:
    from edi import _cython_shim as cython

# True when this module runs as the compiled extension: the reading loop then looks at
# most claim segments without splitting them (`_plain_cents`, `_next_sep`).
COMPILED: bool = cython.compiled

D = Decimal
ZERO = Decimal(0)
_ALT_COMPONENT = "><:^|\\!"
_new = object.__new__


def _m(s: str) -> Decimal:
    d = D(s)
    if d.is_finite():
        return d
    raise InvalidOperation


def cents(s: str) -> int | None:
    """Exact value of an X12 amount in hundredths, or None.

    None means "not a plain decimal with at most two fraction digits" (more
    fraction digits, exponent form, a sign other than a leading '-', spaces,
    non-ASCII digits, or not a number at all): the caller then uses `Decimal`,
    which either reads the value exactly or rejects it.
    """
    if s.isdigit():
        # isdigit() also accepts e.g. superscripts, which int() rejects (ValueError):
        # the caller reports that as an invalid decimal, as Decimal() would.
        return int(s) * 100
    t = s.replace(".", "", 1)
    if s[-3:-2] == ".":  # the usual "123.45" (one dot, two digits after it) / "-0.50"
        if t.isdigit():
            return int(t)
        if s[:1] == "-" and t[1:].isdigit():
            return -int(t[1:])
    if not s.isascii():
        return None
    neg = s[:1] == "-"
    whole, dot, frac = (s[1:] if neg else s).partition(".")
    if whole:
        if not whole.isdigit():
            return None
        v = int(whole) * 100
    elif not frac:
        return None
    else:
        v = 0
    if frac:
        if len(frac) > 2 or not frac.isdigit():
            return None
        v += int(frac) * 10 if len(frac) == 1 else int(frac)
    return -v if neg else v


_NOFAST = cython.declare(cython.longlong, -(1 << 62))  # a C constant when compiled


@cython.cfunc
@cython.inline
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _plain_cents(s: str, a: cython.Py_ssize_t, b: cython.Py_ssize_t) -> cython.longlong:
    """Compiled loop only: cents of s[a:b] when it is a plain amount (an optional '-',
    then at most 15 ASCII digits with at most one '.' and at most two digits after it),
    else _NOFAST. For every plain amount `cents()` gives the same value; anything else
    is left to the element-list path, so the two loops agree by construction."""
    neg: cython.bint = False
    if a < b and s[a] == "-":
        neg = True
        a += 1
    v: cython.longlong = 0
    digits: cython.int = 0
    frac: cython.int = -1  # digits after the '.', -1 while there is none
    c: cython.Py_UCS4
    while a < b:
        c = s[a]
        if "0" <= c <= "9":
            if frac >= 0:
                if frac == 2:
                    return _NOFAST
                frac += 1
            digits += 1
            if digits > 15:
                return _NOFAST
            v = v * 10 + (ord(c) - 48)
        elif c == "." and frac < 0:
            frac = 0
        else:
            return _NOFAST
        a += 1
    if digits == 0:
        return _NOFAST
    if frac <= 0:
        v *= 100
    elif frac == 1:
        v *= 10
    return -v if neg else v


@cython.cfunc
@cython.inline
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _next_sep(s: str, sep: cython.Py_UCS4, a: cython.Py_ssize_t, n: cython.Py_ssize_t) -> cython.Py_ssize_t:
    """Compiled loop only: index of the first `sep` in s[a:n], or n."""
    while a < n:
        if s[a] == sep:
            return a
        a += 1
    return n


@cython.cfunc
@cython.inline
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _digit_units(s: str, sep: cython.Py_UCS4, a: cython.Py_ssize_t, n: cython.Py_ssize_t) -> cython.bint:
    """Compiled loop only: s[a:n] is what follows SVC03; are SVC05 and SVC07 (the unit
    counts) each empty or plain ASCII digits, the form the reading loop accepts as is?"""
    k: cython.int = 3  # element number of the text before s[a]
    c: cython.Py_UCS4
    while a < n:
        c = s[a]
        if c == sep:
            k += 1
            if k > 7:
                return True
        elif (k == 5 or k == 7) and not ("0" <= c <= "9"):
            return False
        a += 1
    return True


# Segment ids the compiled loop checks in place (`_seg_id`).
_CAS = cython.declare(cython.int, 1)
_SVC = cython.declare(cython.int, 2)
_NM1 = cython.declare(cython.int, 3)
_REF = cython.declare(cython.int, 4)
_DTM = cython.declare(cython.int, 5)
_LQ = cython.declare(cython.int, 6)


@cython.cfunc
@cython.inline
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _seg_id(s: str, sep: cython.Py_UCS4, n: cython.Py_ssize_t) -> cython.int:
    """Compiled loop only: which of the in-place ids `s` starts with (followed by `sep`), or 0."""
    if n > 3 and s[3] == sep:
        a: cython.Py_UCS4 = s[0]
        b: cython.Py_UCS4 = s[1]
        c: cython.Py_UCS4 = s[2]
        if a == "C" and b == "A" and c == "S":
            return _CAS
        if a == "S" and b == "V" and c == "C":
            return _SVC
        if a == "N" and b == "M" and c == "1":
            return _NM1
        if a == "R" and b == "E" and c == "F":
            return _REF
        if a == "D" and b == "T" and c == "M":
            return _DTM
    elif n > 2 and s[2] == sep and s[0] == "L" and s[1] == "Q":
        return _LQ
    return 0


# The hot loop inlines the two commonest forms: `x.isdigit()` -> int(x) * 100, and
# `x[-3:-2] == "." and x.replace(".", "", 1).isdigit()` -> that int (exactly one dot, two
# digits after it); everything else goes through cents(), then Decimal.


def _valid(s: str) -> None:
    """Raise (InvalidOperation/ValueError) unless `s` reads as a finite decimal."""
    if not s.isdecimal() and cents(s) is None:
        _m(s)


# CCYYMMDD strings already known to be valid dates. Real files repeat a small set of
# dates over thousands of claims; the cache is bounded and only ever holds valid dates.
_DATES: dict[str, date] = {}


def _d8(v: str) -> date:
    d = _DATES.get(v)
    if d is None:
        d = d8(v)
        if len(_DATES) >= 4096:
            _DATES.clear()
        _DATES[v] = d
    return d


def _d8_or_none(v: str) -> date | None:
    """For filling claims: the issue for an invalid date was reported while reading."""
    if not v:
        return None
    try:
        return _d8(v)
    except X12ContentError:
        return None


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


def _claim(raw: list, comp: str, comp_checked: bool, header_number, ok: bool, index: int, problems: list,
           sep: str) -> ClaimPayment:
    """A lazily filled claim; balance-checked in Decimal when the cents check could not vouch for it."""
    c = _new(ClaimPayment)
    c._fill = (_fill_claim, raw, comp, comp_checked, header_number, sep)
    clp = raw[0]
    c.patient_control_number = clp[1]
    c.status_code = clp[2]
    if not ok:
        check_claim(c, index, problems)
    return c


# C types for the compiled loop's in-place segment checks (no effect interpreted).
@cython.locals(us=str, ulen=cython.Py_ssize_t, up1=cython.Py_ssize_t, up2=cython.Py_ssize_t, up3=cython.Py_ssize_t,
               ucents=cython.longlong, upaid=cython.longlong,
               usep=cython.Py_UCS4, uid=cython.int)
def parse_835_transaction(tx: RawTransaction, checker: EnvelopeChecker) -> Iterator[tuple[str, object]]:
    stream = tx.stream
    comp = stream.delimiters.component
    first_issue = len(checker.issues)
    issues: list[Issue] = []
    payment: Payment | None = None
    rem: Remittance | None = None
    payer = payee = None
    party = None  # current N1 loop
    plb_total = ZERO
    balance = BalanceResult()
    problems = balance.problems
    index = 0
    header_number = None
    production_date = None
    receiver_id = None
    comp_checked = False
    # Compiled, batches come with segments not yet split into elements (see the loop).
    unsplit = COMPILED
    sep = usep = stream.delimiters.element
    # The open claim: its element lists are segs[cstart:] (plus `carry` from earlier batches).
    in_claim = line_open = False
    carry: list | None = None
    cstart = 0
    ccomp, cchecked, chdr = comp, False, None
    cclp: list[str] = []  # the open claim's CLP
    ok = True  # every balance amount of the open claim was whole cents, and every line balanced so far
    cc = cp = cadj = 0  # claim charge, paid, all adjustments (claim + line CAS), in cents
    lc = lp = la = 0  # open line: charge, paid, adjustments
    # Sum of CLP04: whole-cents part (and its largest number of fraction digits) + the rest in Decimal.
    paid_cents = paid_frac = 0
    paid_other = ZERO
    t = "ST"
    first, i, e = tx.st_number, 0, None
    last = None  # (first, index, segment) of the last segment of the previous batch
    final_raw = None
    _cents, _vld, _known_dates = cents, _valid, _DATES

    def date_issue(n: int, sid: str) -> None:
        # A bad date is reported, not fatal: the money in the file is still readable
        # (managed-care.835 carries BPR16 = 20002316).
        issues.append(Issue("invalid date (expected CCYYMMDD)", n, sid, None, "error"))

    def hdate(v: str, n: int, sid: str):
        if not v:
            return None
        try:
            return _d8(v)
        except X12ContentError:
            date_issue(n, sid)
            return None

    try:
        for first, segs in tx.raw_batches(not unsplit):
            if unsplit:
                # A transaction's batches share one separator: a new ISA (which may declare
                # another) ends the body, and the stream hands it out in a batch of its own.
                sep = stream.delimiters.element
                usep = sep
            for i, e in enumerate(segs):
                if unsplit and type(e) is str:
                    # Compiled: the commonest claim segments are checked in place; every
                    # shape the element-list branches below would treat differently (or
                    # reject) falls through to them, split.
                    us = e
                    ulen = len(us)
                    uid = _seg_id(us, usep, ulen)
                    if uid:
                        if uid == _CAS:
                            if in_claim:  # CAS*group*reason*amount, reason non-empty
                                up1 = _next_sep(us, usep, 4, ulen)
                                up2 = _next_sep(us, usep, up1 + 1, ulen)
                                if up2 < ulen and up2 > up1 + 1 and _next_sep(us, usep, up2 + 1, ulen) == ulen:
                                    ucents = _plain_cents(us, up2 + 1, ulen)
                                    if ucents != _NOFAST:
                                        t = "CAS"
                                        cadj += ucents
                                        if line_open:
                                            la += ucents
                                        continue
                        elif uid == _SVC:
                            # SVC*composite*charge*paid*...: plain amounts and digit-only units
                            # (SVC05, SVC07), and a composite that needs no separator check.
                            if in_claim:
                                up1 = _next_sep(us, usep, 4, ulen)
                                up2 = _next_sep(us, usep, up1 + 1, ulen)
                                if up2 < ulen and (comp_checked or up1 <= 6 or _next_sep(us, comp, 4, up1) < up1):
                                    up3 = _next_sep(us, usep, up2 + 1, ulen)
                                    ucents = _plain_cents(us, up1 + 1, up2)
                                    upaid = _plain_cents(us, up2 + 1, up3)
                                    if ucents != _NOFAST and upaid != _NOFAST and _digit_units(us, usep, up3, ulen):
                                        t = "SVC"
                                        if line_open and lc - la != lp:
                                            ok = False
                                        lc, lp, la = ucents, upaid, 0
                                        line_open = True
                                        continue
                        elif uid == _NM1:
                            t = "NM1"  # in a claim only its presence counts; two elements or more
                            continue
                        elif uid == _REF:
                            if in_claim and _next_sep(us, usep, 4, ulen) < ulen:  # three elements or more
                                t = "REF"
                                continue
                        elif uid == _DTM:
                            if in_claim:
                                up1 = _next_sep(us, usep, 4, ulen)
                                q = us[4:up1]
                                if line_open:
                                    wanted = q == "472" or q == "150" or q == "151"
                                else:
                                    wanted = q == "232" or q == "233" or q == "050"
                                if not wanted:
                                    t = "DTM"
                                    continue
                                if up1 < ulen:
                                    udate = us[up1 + 1 : _next_sep(us, usep, up1 + 1, ulen)]
                                    if not udate or udate in _known_dates:
                                        t = "DTM"
                                        continue
                        else:  # _LQ
                            t = "LQ"
                            continue
                    e = us.split(sep)
                    segs[i] = e
                t = e[0]
                if t == "CAS":
                    # One group per segment; triplets reason/amount/quantity at 2-4, 5-7, ... 17-19.
                    if not in_claim:
                        raise AttributeError  # CAS outside a claim
                    n = len(e)
                    if n == 4 and e[2]:  # the usual single reason/amount pair, no quantity
                        x = e[3]
                        if x.isdigit():
                            s = int(x) * 100
                        elif x[-3:-2] == "." and (y := x.replace(".", "", 1)).isdigit():
                            s = int(y)
                        else:
                            s = _cents(x)
                            if s is None:
                                _m(x)
                                ok = False
                                s = 0
                        cadj += s
                        if line_open:
                            la += s
                        continue
                    e[1]
                    k = 2
                    s = 0
                    while k < n:
                        if e[k]:
                            x = e[k + 1]
                            if x.isdigit():
                                s += int(x) * 100
                            elif x[-3:-2] == "." and (y := x.replace(".", "", 1)).isdigit():
                                s += int(y)
                            else:
                                a = _cents(x)
                                if a is None:
                                    _m(x)
                                    ok = False
                                else:
                                    s += a
                            if k + 2 < n:
                                x = e[k + 2]
                                if x and not x.isdecimal():
                                    _vld(x)
                        k += 3
                    cadj += s
                    if line_open:
                        la += s
                elif t == "SVC":
                    if not in_claim:
                        raise X12ContentError("SVC before any CLP")
                    c1 = e[1]
                    if not comp_checked and len(c1) > 2 and comp not in c1:
                        for alt in _ALT_COMPONENT:
                            if alt != comp and alt in c1:
                                issues.append(Issue(f"composite separator used '{alt}' differs from ISA16 '{comp}'; "
                                                    f"read with '{alt}'", first + i, "SVC", 1, "error"))
                                comp = alt
                                break
                        comp_checked = True
                    if line_open and lc - la != lp:
                        ok = False
                    x = e[2]
                    if x.isdigit():
                        lc = int(x) * 100
                    elif x[-3:-2] == "." and (y := x.replace(".", "", 1)).isdigit():
                        lc = int(y)
                    else:
                        lc = _cents(x)
                        if lc is None:
                            _m(x)
                            ok = False
                            lc = 0
                    x = e[3]
                    if x.isdigit():
                        lp = int(x) * 100
                    elif x[-3:-2] == "." and (y := x.replace(".", "", 1)).isdigit():
                        lp = int(y)
                    else:
                        lp = _cents(x)
                        if lp is None:
                            _m(x)
                            ok = False
                            lp = 0
                    n = len(e)
                    if n > 5:
                        x = e[5]
                        if x and not x.isdecimal():
                            _vld(x)
                        if n > 7:
                            x = e[7]
                            if x and not x.isdecimal():
                                _vld(x)
                    la = 0
                    line_open = True
                elif t == "DTM":
                    q = e[1]
                    if line_open:
                        if q == "472" or q == "150" or q == "151":
                            v = e[2]
                            if v and v not in _known_dates:
                                try:
                                    _d8(v)
                                except X12ContentError:
                                    date_issue(first + i, t)
                    elif in_claim:
                        if q == "232" or q == "233" or q == "050":
                            v = e[2]
                            if v and v not in _known_dates:
                                try:
                                    _d8(v)
                                except X12ContentError:
                                    date_issue(first + i, t)
                    elif q == "405":
                        production_date = hdate(e[2], first + i, t)
                elif t == "REF":
                    if in_claim:
                        if len(e) < 3 and (len(e) == 1 or (line_open and e[1] == "6R")):
                            raise IndexError
                    elif party is not None:
                        party.references.append((e[1], e[2] if len(e) > 2 else ""))
                    elif e[1] == "EV":
                        receiver_id = e[2]
                elif t == "CLP":
                    if in_claim:
                        if line_open and lc - la != lp:
                            ok = False
                        if cc - cadj != cp:
                            ok = False
                        # _claim() inlined: this runs once per claim.
                        claim = _new(ClaimPayment)
                        claim._fill = (_fill_claim, carry + segs[cstart:i] if carry else segs[cstart:i],
                                       ccomp, cchecked, chdr, sep)
                        claim.patient_control_number = cclp[1]
                        claim.status_code = cclp[2]
                        if not ok:
                            check_claim(claim, index, problems)
                        index += 1
                        yield "claim", claim
                    elif rem is None:
                        rem = _start(tx, payment, payer, payee, production_date, receiver_id, balance)
                        yield "remittance", rem
                    party = None
                    cclp = e
                    in_claim, line_open, ok = True, False, True
                    carry, cstart = None, i
                    ccomp, cchecked, chdr = comp, comp_checked, header_number
                    e[1], e[2]
                    x = e[3]
                    # Compiled, CLP03/CLP04 are read by _plain_cents first (same value, in C).
                    ucents = _plain_cents(x, 0, len(x)) if unsplit else _NOFAST
                    if ucents != _NOFAST:
                        cc = ucents
                    elif x.isdigit():
                        cc = int(x) * 100
                    elif x[-3:-2] == "." and (y := x.replace(".", "", 1)).isdigit():
                        cc = int(y)
                    else:
                        cc = _cents(x)
                        if cc is None:
                            _m(x)
                            ok = False
                            cc = 0
                    x = e[4]
                    ucents = _plain_cents(x, 0, len(x)) if unsplit else _NOFAST
                    if ucents != _NOFAST:
                        cp = ucents
                        paid_cents += cp
                        up1 = x.find(".")
                        if up1 >= 0 and len(x) - up1 - 1 > paid_frac:
                            paid_frac = len(x) - up1 - 1
                    elif x.isdigit():
                        cp = int(x) * 100
                        paid_cents += cp
                    elif x[-3:-2] == "." and (y := x.replace(".", "", 1)).isdigit():
                        cp = int(y)
                        paid_cents += cp
                        paid_frac = 2
                    else:
                        cp = _cents(x)
                        if cp is None:
                            paid_other += _m(x)
                            ok = False
                            cp = 0
                        else:
                            paid_cents += cp
                            if "." in x:
                                f = len(x) - x.index(".") - 1
                                if f > paid_frac:
                                    paid_frac = f
                    if len(e) > 5:
                        x = e[5]
                        if x and not x.isdecimal():
                            _vld(x)
                    cadj = 0
                elif t == "NM1":
                    if in_claim and len(e) < 2:
                        raise IndexError
                elif t == "LQ":
                    pass
                elif t == "AMT":
                    if line_open and e[1] == "B6":
                        _m(e[2])
                elif t == "MOA" or t == "MIA":
                    pass
                elif t == "LX" or t == "PLB" or t in STOP_IDS:
                    if in_claim:
                        if line_open and lc - la != lp:
                            ok = False
                        if cc - cadj != cp:
                            ok = False
                        raw = carry + segs[cstart:i] if carry else segs[cstart:i]
                        in_claim = line_open = False
                    else:
                        raw = None
                    if t in STOP_IDS:
                        if unsplit:  # the walker reads on from here: it wants element lists
                            segs[i + 1 :] = [x.split(sep) if type(x) is str else x for x in segs[i + 1 :]]
                        tx.end_at(first, segs, i)
                        final_raw = raw
                        # Locate what follows (a missing BPR) at the last body segment, as before.
                        if i:
                            i -= 1
                            e = segs[i]
                            if type(e) is str:
                                e = e.split(sep)
                            t = e[0]
                        elif last is not None:
                            first, i, e = last
                            if type(e) is str:
                                e = e.split(sep)
                            t = e[0]
                        else:
                            first, i, e, t = tx.st_number, 0, None, "ST"
                        break
                    if raw is not None:
                        claim = _claim(raw, ccomp, cchecked, chdr, ok, index, problems, sep)
                        index += 1
                        yield "claim", claim
                    elif rem is None:
                        rem = _start(tx, payment, payer, payee, production_date, receiver_id, balance)
                        yield "remittance", rem
                    party = None
                    if t == "LX":
                        header_number = e[1] if len(e) > 1 else None
                    else:
                        prov = e[1]
                        period = hdate(e[2], first + i, t) if len(e) > 2 else None
                        k = 3
                        while k + 1 < len(e):
                            if e[k]:
                                reason, _, ref = e[k].partition(comp)
                                amt = _m(e[k + 1])
                                plb_total += amt
                                rem.provider_adjustments.append(ProviderAdjustment(prov, period, reason, ref or None, amt))
                            k += 2
                elif t == "BPR":
                    n = len(e)
                    payment = Payment(
                        e[1], _m(e[2]), e[3], e[4] if n > 4 else "",
                        hdate(e[16], first + i, t) if n > 16 and e[16] else None,
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
                    if party is not None and not in_claim:
                        old = party.address
                        n = len(e)
                        party.address = Address(
                            old.line1 if old else "", e[1], e[2] if n > 2 else "", e[3] if n > 3 else "",
                            old.line2 if old else None, (e[4] or None) if n > 4 else None,
                        )
                elif t == "N3":
                    if party is not None and not in_claim:
                        party.address = Address(e[1], "", "", "", (e[2] or None) if len(e) > 2 else None)
                elif t == "PER":
                    if party is not None:
                        n = len(e)
                        party.contacts.append((e[1], e[2] if n > 2 else "", e[4] if n > 4 else ""))
                # TS3, TS2, CUR, RDM, QTY, DTM others: informational, not modelled.
            else:
                if segs:
                    last = (first, len(segs) - 1, segs[-1])
                if in_claim:
                    carry = carry + segs[cstart:] if carry else segs[cstart:]
                    cstart = 0
                continue
            break
        else:
            # The stream ended without SE (reported by the walker): the open claim ends here.
            if in_claim:
                if line_open and lc - la != lp:
                    ok = False
                if cc - cadj != cp:
                    ok = False
                final_raw = carry
        if final_raw is not None:
            claim = _claim(final_raw, ccomp, cchecked, chdr, ok, index, problems, sep)
            index += 1
            yield "claim", claim
        elif rem is None:
            rem = _start(tx, payment, payer, payee, production_date, receiver_id, balance)
            yield "remittance", rem
        total_paid = D(paid_cents // 10 ** (2 - paid_frac)).scaleb(-paid_frac) + paid_other
        check_transaction(total_paid, plb_total, rem.payment.amount, problems)
        balance.claims_checked = index
    except X12Error as ex:
        if ex.segment_number is None:
            ex.segment_number, ex.segment_id = first + i, t
            ex.position = stream.position_of(ex.segment_number)
            ex.args = (str(ex),)
        raise
    except (InvalidOperation, ValueError):
        n = first + i
        raise X12ContentError("invalid decimal number", segment_number=n, segment_id=t,
                              position=stream.position_of(n)) from None
    except (IndexError, AttributeError):
        # AttributeError: a loop-level segment (CAS, ...) where its parent loop is missing.
        n = first + i
        raise X12ContentError("segment is missing a required element or is out of place",
                              segment_number=n, segment_id=t, position=stream.position_of(n)) from None
    rem.issues = checker.issues[first_issue:] + issues
    yield "end", rem


def _fill_claim(claim: ClaimPayment, raw: list, comp: str, comp_checked: bool, header_number, sep: str) -> None:
    """Build every field of a claim from its element lists (CLP first).

    The same rules as the reading loop, which has already validated every value
    this converts (so plain `Decimal()` is enough here) and reported bad dates as
    issues, so nothing here can fail. Everything is built in locals and assigned
    at the end, each field once and complete (see `LazyFields` on threads), and by
    direct assignment, which is about twice as fast as the dataclass `__init__`;
    the tests compare the result with the constructor's, field by field.
    """
    adjustments: list = []
    remarks: list = []
    lines: list = []
    references: list = []
    last_name = first_name = patient_id = statement_from = statement_to = received_date = None
    line = None
    for e in raw[1:]:
        if type(e) is str:  # left unsplit by the compiled reading loop
            e = e.split(sep)
        t = e[0]
        if t == "CAS":
            target = line.adjustments if line is not None else adjustments
            g = e[1]
            n = len(e)
            k = 2
            while k < n:
                r = e[k]
                if r:
                    q = e[k + 2] if k + 2 < n else ""
                    target.append(Adjustment(g, r, D(e[k + 1]), D(q) if q else None))
                k += 3
        elif t == "SVC":
            c1 = e[1]
            parts = c1.split(comp)
            if len(parts) == 1 and not comp_checked and len(c1) > 2:
                for alt in _ALT_COMPONENT:
                    if alt != comp and alt in c1:
                        comp = alt
                        parts = c1.split(comp)
                        break
                comp_checked = True
            n = len(e)
            line = _new(ServicePayment)
            line.qualifier = parts[0]
            line.procedure_code = parts[1] if len(parts) > 1 else ""
            line.modifiers = parts[2:6]
            line.charge = D(e[2])
            line.paid = D(e[3])
            line.revenue_code = (e[4] or None) if n > 4 else None
            line.units_paid = D(e[5]) if n > 5 and e[5] else None
            line.original_procedure = (e[6] or None) if n > 6 else None
            line.original_units = D(e[7]) if n > 7 and e[7] else None
            line.service_date = line.service_date_end = line.line_control_number = line.allowed_amount = None
            line.adjustments = []
            line.remarks = []
            line.references = []
            lines.append(line)
        elif t == "DTM":
            q = e[1]
            if line is not None:
                if q == "472" or q == "150":
                    line.service_date = _d8_or_none(e[2])
                elif q == "151":
                    line.service_date_end = _d8_or_none(e[2])
            elif q == "232":
                statement_from = _d8_or_none(e[2])
            elif q == "233":
                statement_to = _d8_or_none(e[2])
            elif q == "050":
                received_date = _d8_or_none(e[2])
        elif t == "REF":
            if line is not None:
                if e[1] == "6R":
                    line.line_control_number = e[2]
                else:
                    line.references.append((e[1], e[2] if len(e) > 2 else ""))
            else:
                references.append((e[1], e[2] if len(e) > 2 else ""))
        elif t == "NM1":
            if e[1] == "QC" and line is None:
                n = len(e)
                last_name = e[3] if n > 3 else None
                first_name = (e[4] or None) if n > 4 else None
                patient_id = (e[9] or None) if n > 9 else None
        elif t == "LQ":
            if line is not None and len(e) > 2:
                line.remarks.append(e[2])
        elif t == "AMT":
            if line is not None and e[1] == "B6":
                line.allowed_amount = D(e[2])
        elif t == "MOA" or t == "MIA":
            # Remark codes: MOA03-07, MIA05 and MIA20-23.
            idxs = (3, 4, 5, 6, 7) if t == "MOA" else (5, 20, 21, 22, 23)
            for k in idxs:
                if k < len(e) and e[k]:
                    remarks.append(e[k])
    e = raw[0]
    n = len(e)
    c = claim
    c.patient_control_number = e[1]
    c.status_code = e[2]
    c.charge = D(e[3])
    c.paid = D(e[4])
    c.patient_responsibility = D(e[5]) if n > 5 and e[5] else None
    c.filing_indicator = (e[6] or None) if n > 6 else None
    c.payer_claim_number = (e[7] or None) if n > 7 else None
    c.facility_code = (e[8] or None) if n > 8 else None
    c.frequency_code = (e[9] or None) if n > 9 else None
    c.patient_last_name = last_name
    c.patient_first_name = first_name
    c.patient_id = patient_id
    c.statement_from = statement_from
    c.statement_to = statement_to
    c.received_date = received_date
    c.adjustments = adjustments
    c.remarks = remarks
    c.lines = lines
    c.references = references
    c.header_number = header_number


def _start(tx, payment, payer, payee, production_date, receiver_id, balance) -> Remittance:
    if payment is None:
        raise X12ContentError("835 has no BPR segment")
    return Remittance(
        tx.control_number, payment, payer, payee, production_date, receiver_id,
        balance=balance, envelope=tx.envelope,
    )
