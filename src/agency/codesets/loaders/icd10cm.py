"""The CMS/NCHS ICD-10-CM order file (``icd10cm_order_YYYY.txt``).

Fixed width, one code per line (columns 1-based, inclusive)::

    1-5    order number, zero-padded
    6      blank
    7-13   code, no dot, left-justified
    14     blank
    15     0 = header (category/subcategory, not billable), 1 = valid for HIPAA-covered transactions
    16     blank
    17-76  short description (60 characters, padded)
    77     blank
    78-    long description (to end of line)
"""

from __future__ import annotations

import re

from agency.codesets.loaders.common import CodeFileError, Field, ParsedCode, text_lines

FIELDS = (
    Field("order number", 0, 5), Field("separator", 5, 6), Field("code", 6, 13), Field("separator", 13, 14),
    Field("billable flag", 14, 15), Field("separator", 15, 16), Field("short description", 16, 76),
    Field("separator", 76, 77), Field("long description", 77, None),
)
_CODE = re.compile(r"^[A-Z][0-9A-Z][0-9A-Z]{1,5}$")  # QA0 (FY2026) breaks letter-digit
MIN_LENGTH = 78


def parse_order_file(data: bytes, *, source: str, encoding: str = "utf-8") -> list[ParsedCode]:
    rows: list[ParsedCode] = []
    seen: dict[str, int] = {}
    f = {fld.name: fld for fld in FIELDS}
    for number, line in text_lines(data, source=source, encoding=encoding, fields=FIELDS):
        if len(line) < MIN_LENGTH:
            raise CodeFileError(source, number, None,
                                f"line has {len(line)} characters; the order-file layout needs at least "
                                f"{MIN_LENGTH} (long description starts at column 78)")
        order = line[0:5]
        if not order.strip().isdigit():
            raise CodeFileError(source, number, f["order number"].label(), f"{order!r} is not a number")
        for col in (5, 13, 15, 76):
            if line[col] != " ":
                raise CodeFileError(source, number, f"separator (column {col + 1})",
                                    f"expected a blank, found {line[col]!r}: not the order-file layout")
        code = line[6:13].rstrip()
        if not _CODE.match(code):
            raise CodeFileError(source, number, f["code"].label(),
                                f"{code!r} is not an ICD-10-CM code (3-7 letters/digits starting with a letter, no dot)")
        flag = line[14]
        if flag not in "01":
            raise CodeFileError(source, number, f["billable flag"].label(), f"{flag!r} must be 0 (header) or 1 (billable)")
        short = line[16:76].strip()
        long = line[77:].strip()
        if not short:
            raise CodeFileError(source, number, f["short description"].label(), "empty")
        if not long:
            raise CodeFileError(source, number, f["long description"].label(), "empty")
        if code in seen:
            raise CodeFileError(source, number, f["code"].label(), f"{code} already appears on line {seen[code]}")
        seen[code] = number
        rows.append(ParsedCode(code=code, billable=flag == "1", short_desc=short, long_desc=long))
    if not rows:
        raise CodeFileError(source, None, None, "no codes found")
    _check_leaves(rows, seen, source)
    return rows


def _check_leaves(rows: list[ParsedCode], lines: dict[str, int], source: str) -> None:
    """A billable code is a leaf: no other code in the file may extend it."""
    ordered = sorted(rows, key=lambda r: r.code)
    for here, nxt in zip(ordered, ordered[1:]):
        if here.billable and nxt.code.startswith(here.code):
            raise CodeFileError(source, lines[here.code], "billable flag (columns 15-15)",
                                f"{here.code} is marked billable but {nxt.code} (line {lines[nxt.code]}) "
                                "is more specific; only leaf codes are billable")
