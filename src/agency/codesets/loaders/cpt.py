"""A licensed CPT file the agency owns (BYO; CPT is the AMA's).

Documented format: UTF-8 (or ``--encoding``) text, one code per line,
``code<TAB>descriptor`` or ``code,descriptor`` (CSV quoting allowed); an optional
header line whose first field is ``code``; further columns are ignored. Only the
codes are stored: descriptors stay in the agency's licensed file.
"""

from __future__ import annotations

import csv
import io
import re

from agency.codesets.loaders.common import CodeFileError, Field, ParsedCode, text_lines

CPT_FORMAT = re.compile(r"^[0-9]{4}[0-9FTUM]$")
FIELDS = (Field("code", 0, None),)


def parse_cpt_file(data: bytes, *, source: str, encoding: str = "utf-8") -> list[ParsedCode]:
    rows: list[ParsedCode] = []
    seen: dict[str, int] = {}
    delimiter: str | None = None
    for number, line in text_lines(data, source=source, encoding=encoding, fields=FIELDS):
        if delimiter is None:
            delimiter = "\t" if "\t" in line else ","
        fields = next(csv.reader(io.StringIO(line), delimiter=delimiter))
        code = fields[0].strip().upper()
        if not rows and not seen and code.lower() == "code":
            continue  # header
        if len(fields) < 2 or not fields[1].strip():
            raise CodeFileError(source, number, "descriptor (field 2)",
                                "missing: each line is code, descriptor")
        if not CPT_FORMAT.match(code):
            raise CodeFileError(source, number, "code (field 1)",
                                f"{code!r} is not a CPT code (4 digits then a digit, F, T, U or M)")
        if code in seen:
            raise CodeFileError(source, number, "code (field 1)", f"{code} already appears on line {seen[code]}")
        seen[code] = number
        rows.append(ParsedCode(code=code, billable=True))
    if not rows:
        raise CodeFileError(source, None, None, "no CPT codes found")
    return rows
