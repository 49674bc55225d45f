"""The CMS HCPCS Level II quarterly file (``HCPC{YYYY}_{MON}_ANWEB*.txt``),
alpha-numeric record layout, fixed width, 320 characters per record.

Columns used (1-based, inclusive), per the CMS "HCPCS record layout":

    1-5      HCPCS code (modifiers: 2 characters, left-justified)
    6-10     sequence number
    11       record identification code: 3 = procedure, first line;
             4 = procedure, continuation of the long description;
             7 = modifier, first line; 8 = modifier, continuation
    12-91    long description (80 characters per record)
    92-119   short description (28 characters; first line only)
    269-276  code added date (YYYYMMDD)
    277-284  action effective date (YYYYMMDD)
    285-292  termination date (YYYYMMDD; last date the code may be reported)
    293      action code (A add, B/C/F/P/S changes, D discontinued, N no change, ...)

Everything else in the record (pricing, coverage, BETOS, TOS, ASC group, ...)
is ignored. D-codes (CDT, owned by the ADA) are skipped; rows whose code starts
with a digit (never in the alpha-numeric file) are refused.
"""

from __future__ import annotations

import re
from datetime import date

from agency.codesets.loaders.common import CodeFileError, Field, ParsedCode, text_lines

FIELDS = (
    Field("HCPCS code", 0, 5), Field("sequence number", 5, 10), Field("record identification code", 10, 11),
    Field("long description", 11, 91), Field("short description", 91, 119),
    Field("pricing and coverage fields", 119, 268),
    Field("code added date", 268, 276), Field("action effective date", 276, 284),
    Field("termination date", 284, 292), Field("action code", 292, 293), Field("filler", 293, None),
)
_F = {f.name: f for f in FIELDS}
_PROCEDURE = re.compile(r"^[A-Z][0-9]{4}$")
_MODIFIER = re.compile(r"^[0-9A-Z]{2}$")


def _date(text: str, *, source: str, number: int, name: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    if len(text) != 8 or not text.isdigit():
        raise CodeFileError(source, number, _F[name].label(), f"{text!r} is not a date YYYYMMDD")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise CodeFileError(source, number, _F[name].label(), f"{text!r} is not a calendar date") from None


def parse_quarterly_file(data: bytes, *, source: str, encoding: str = "utf-8") -> tuple[list[ParsedCode], int]:
    """Return (rows, number of skipped D-code rows)."""
    rows: dict[str, ParsedCode] = {}
    lines: dict[str, int] = {}
    skipped: set[str] = set()
    last: ParsedCode | None = None
    for number, line in text_lines(data, source=source, encoding=encoding, fields=FIELDS):
        if len(line) < 92:
            raise CodeFileError(source, number, None, f"record has {len(line)} characters; the HCPCS layout "
                                "needs at least 91 (code, sequence, record id, long description)")
        line = line.ljust(320)
        raw_code = line[0:5].rstrip()
        recid = line[10]
        if recid not in "3478":
            raise CodeFileError(source, number, _F["record identification code"].label(),
                                f"{recid!r} must be 3, 4 (procedure) or 7, 8 (modifier)")
        modifier = recid in "78"
        pattern = _MODIFIER if modifier else _PROCEDURE
        if not pattern.match(raw_code):
            kind = "a 2-character modifier" if modifier else "a letter and 4 digits"
            raise CodeFileError(source, number, _F["HCPCS code"].label(),
                                f"{raw_code!r} is not {kind}")
        if not line[5:10].strip().isdigit():
            raise CodeFileError(source, number, _F["sequence number"].label(),
                                f"{line[5:10]!r} is not a number")
        long_part = line[11:91].strip()
        if not modifier and raw_code.startswith("D"):
            skipped.add(raw_code)  # CDT (ADA): not ours to ship or load from this file
            last = None
            continue
        if recid in "48":
            if last is None or last.code != raw_code:
                raise CodeFileError(source, number, _F["record identification code"].label(),
                                    f"continuation record for {raw_code} does not follow its first line")
            last.long_desc = f"{last.long_desc} {long_part}".strip()
            continue
        if raw_code in rows:
            raise CodeFileError(source, number, _F["HCPCS code"].label(),
                                f"{raw_code} already has a first-line record on line {lines[raw_code]}")
        short = line[91:119].strip()
        if not long_part and not short:
            raise CodeFileError(source, number, _F["long description"].label(), "empty")
        added = _date(line[268:276], source=source, number=number, name="code added date")
        action_eff = _date(line[276:284], source=source, number=number, name="action effective date")
        term = _date(line[284:292], source=source, number=number, name="termination date")
        action = line[292].strip()
        if action and not action.isalpha():
            raise CodeFileError(source, number, _F["action code"].label(), f"{action!r} is not an action code")
        if added and term and term < added:
            raise CodeFileError(source, number, _F["termination date"].label(),
                                f"{term} is before the code added date {added}")
        attrs: dict = {"action": action} if action else {}
        if action_eff:
            attrs["action_effective"] = action_eff.isoformat()
        if modifier:
            attrs["kind"] = "modifier"
        last = ParsedCode(code=raw_code, billable=not modifier, short_desc=short or None,
                          long_desc=long_part or None, valid_from=added, valid_to=term, attrs=attrs or None)
        rows[raw_code] = last
        lines[raw_code] = number
    if not rows:
        raise CodeFileError(source, None, None, "no HCPCS records found")
    return list(rows.values()), len(skipped)
