"""Conversions of element values: money, dates, numbers. Errors never quote the value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from edi.errors import X12ContentError

_DIGITS = set("0123456789")


def money(s: str, where: tuple = ()) -> Decimal:
    """Parse an X12 R (decimal) value. No exponent, no NaN/Infinity."""
    try:
        d = Decimal(s)
    except (InvalidOperation, ValueError, TypeError):
        raise _err("invalid decimal number", where) from None
    if not d.is_finite() or "e" in s or "E" in s or " " in s or "_" in s:
        raise _err("invalid decimal number", where)
    return d


def money_or_none(s: str, where: tuple = ()) -> Decimal | None:
    return money(s, where) if s else None


def d8(s: str, where: tuple = ()) -> date:
    """CCYYMMDD -> date."""
    if len(s) != 8 or not set(s) <= _DIGITS:
        raise _err("invalid date (expected CCYYMMDD)", where)
    try:
        return date(int(s[:4]), int(s[4:6]), int(s[6:8]))
    except ValueError:
        raise _err("invalid date (expected CCYYMMDD)", where) from None


def d8_or_none(s: str, where: tuple = ()) -> date | None:
    return d8(s, where) if s else None


def rd8(s: str, where: tuple = ()) -> tuple[date, date]:
    a, sep, b = s.partition("-")
    if not sep:
        raise _err("invalid date range (expected CCYYMMDD-CCYYMMDD)", where)
    return d8(a, where), d8(b, where)


def fmt_date(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def fmt_money(d: Decimal) -> str:
    """X12 R amount: no trailing zeros beyond need, no exponent, no '+'."""
    if d == d.to_integral_value():
        s = str(d.quantize(Decimal(1)))
    else:
        s = format(d.normalize(), "f")
    return "0" if s in ("-0", "0") else s


def fmt_number(d: Decimal) -> str:
    return fmt_money(d)


def _err(msg: str, where: tuple) -> X12ContentError:
    # where = (segment_number, segment_id, element)
    n, sid, el = (tuple(where) + (None, None, None))[:3]
    return X12ContentError(msg, segment_number=n, segment_id=sid, element=el)
