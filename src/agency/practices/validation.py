"""Field checks for practice setup, payers and patients.

Each check returns an error message (``None`` when the value is fine), so a
service can collect every problem of a request and answer them together with
:class:`Problems` (a 422 naming each field, never echoing the value: it may be PHI).
"""
from __future__ import annotations

import re
from datetime import date

from agency.api.problems import Unprocessable

_DIGITS10 = re.compile(r"^[0-9]{10}$")
_TIN = re.compile(r"^[0-9]{9}$")
_TAXONOMY = re.compile(r"^[0-9A-Z]{9}X$")
_ZIP = re.compile(r"^[0-9]{5}([0-9]{4})?$")
_STATE = re.compile(r"^[A-Z]{2}$")
_PHONE = re.compile(r"^[0-9]{10}$")
_POS = re.compile(r"^[0-9]{2}$")
_PROCEDURE = re.compile(r"^[A-Z0-9]{5}$")
_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# SBR09 claim filing indicator codes (X12 5010 837).
FILING_INDICATORS = frozenset({"11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM",
                               "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC", "ZZ"})
# X12 individual relationship codes accepted for the patient-to-subscriber relationship.
RELATIONSHIP_CODES = frozenset({"01", "18", "19", "20", "21", "39", "40", "53", "G8"})
OLDEST_DATE = date(1875, 1, 1)  # age < 150 (scrubber edit 10)


def npi_ok(npi: str) -> bool:
    """10 digits whose last is the Luhn check digit over ``80840`` + the first 9 (CMS NPI spec)."""
    if not isinstance(npi, str) or not _DIGITS10.match(npi):
        return False
    total = 24  # contribution of the 80840 prefix
    for i, ch in enumerate(reversed(npi[:9])):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(npi[9])


def npi_problem(npi: str | None) -> str | None:
    if npi is None or not _DIGITS10.match(npi):
        return "must be 10 digits"
    if not npi_ok(npi):
        return "check digit is wrong (not a valid NPI)"
    return None


def tin_problem(tin: str | None) -> str | None:
    return None if tin and _TIN.match(tin) else "must be 9 digits (EIN without the dash)"


def taxonomy_problem(code: str | None) -> str | None:
    return None if code is None or _TAXONOMY.match(code) else "must be 10 characters ending in X"


def zip_problem(code: str | None) -> str | None:
    return None if code and _ZIP.match(code) else "must be 5 or 9 digits"


def state_problem(code: str | None) -> str | None:
    return None if code and _STATE.match(code) else "must be 2 capital letters"


def phone_problem(phone: str | None) -> str | None:
    return None if phone is None or _PHONE.match(phone) else "must be 10 digits"


def email_problem(email: str | None) -> str | None:
    return None if email is None or (len(email) <= 254 and _EMAIL.match(email)) else "is not an e-mail address"


def pos_problem(code: str | None) -> str | None:
    return None if code and _POS.match(code) else "must be a 2-digit place-of-service code"


def procedure_problem(code: str | None) -> str | None:
    return None if code and _PROCEDURE.match(code) else "must be a 5-character CPT/HCPCS code"


def modifier_problem(code: str | None) -> str | None:
    return None if code == "" or (code and _MODIFIER.match(code)) else "must be 2 characters or empty"


def text_problem(value: str | None, max_len: int = 200, *, required: bool = True) -> str | None:
    if value is None:
        return "is required" if required else None
    if not value.strip():
        return "must not be empty"
    if len(value) > max_len:
        return f"must be at most {max_len} characters"
    return None


def date_range_problem(start: date | None, end: date | None) -> str | None:
    if start is not None and end is not None and end < start:
        return "must not be before the start date"
    return None


def past_date_problem(value: date | None, today: date | None = None) -> str | None:
    """Birth dates: not in the future, not more than 150 years ago."""
    if value is None:
        return "is required"
    if value > (today or date.today()):
        return "must not be in the future"
    if value < OLDEST_DATE:
        return "is not a plausible date"
    return None


class Problems:
    """Collects ``(field, message)`` pairs; :meth:`raise_if_any` answers them as one 422."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def check(self, key: str, message: str | None) -> None:
        if message:
            self.items.append((key, message))

    def add(self, key: str, message: str) -> None:
        self.items.append((key, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise Unprocessable("; ".join(f"{k}: {m}" for k, m in self.items[:20]),
                                extra={"errors": [{"key": k, "source": "body", "message": m}
                                                  for k, m in self.items]})
