"""The CSV layout for encounter intake, and reading a file safely.

One row per service line (the shape of an EHR "charge export"); rows with the
same ``encounter_ref`` form one encounter. Encounter-level columns (patient,
provider, location, place of service) repeat on every row of the encounter.
``docs/intake-csv.md`` documents the layout; :data:`COLUMNS` is the source.

File-level problems (encoding, delimiter, header) raise :class:`CsvFileError`
with one plain-language sentence; nothing is stored then. Row-level problems
are the import's business (``agency.intake.rows``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 250_000
MAX_FIELD_CHARS = 100_000


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    level: str       # "encounter" (same on every row of an encounter) or "line"
    example: str
    help: str


COLUMNS: tuple[Column, ...] = (
    Column("encounter_ref", True, "encounter", "V-20260114-0001",
           "The EHR's visit/encounter id. Rows with the same value form one encounter; stored as the "
           "encounter's external id, so an encounter is never imported twice."),
    Column("patient_mrn", False, "encounter", "MRN-000123", "The practice's medical record number."),
    Column("patient_last_name", True, "encounter", "Doe", "Patient last name."),
    Column("patient_first_name", True, "encounter", "Jane", "Patient first name."),
    Column("patient_date_of_birth", True, "encounter", "1980-04-02", "YYYY-MM-DD or MM/DD/YYYY."),
    Column("patient_sex", False, "encounter", "F", "M, F or U."),
    Column("payer_code", False, "encounter", "87726",
           "Payer id from the agency's payer directory; used when the patient is new (primary coverage)."),
    Column("member_id", False, "encounter", "W123456789", "Member id at that payer (required with payer_code)."),
    Column("rendering_npi", True, "encounter", "1245319599", "NPI of the rendering provider (practice setup)."),
    Column("location_code", False, "encounter", "MAIN", "Service location code (practice setup)."),
    Column("place_of_service", False, "encounter", "11",
           "2-digit CMS place of service; defaults to the location's."),
    Column("date_of_service", True, "line", "2026-01-14", "Date of service of this line."),
    Column("procedure_code", True, "line", "99213", "CPT or HCPCS Level II code."),
    Column("modifier_1", False, "line", "25", "Modifier (up to four: modifier_1 .. modifier_4)."),
    Column("modifier_2", False, "line", "", ""),
    Column("modifier_3", False, "line", "", ""),
    Column("modifier_4", False, "line", "", ""),
    Column("units", False, "line", "1", "Units of service (default 1)."),
    Column("charge", False, "line", "125.00", "Billed charge; empty = from the fee schedule at coding."),
    Column("diagnosis_1", True, "line", "E11.9",
           "ICD-10-CM code this line is for; up to four (diagnosis_1 .. diagnosis_4). The encounter's "
           "diagnosis list is built in order of first appearance (at most 12)."),
    Column("diagnosis_2", False, "line", "I10", ""),
    Column("diagnosis_3", False, "line", "", ""),
    Column("diagnosis_4", False, "line", "", ""),
    Column("ndc", False, "line", "", "11-digit NDC for drug lines (00409-4888-02 or 00409488802)."),
    Column("ndc_unit", False, "line", "", "F2, GR, ME, ML or UN (with an NDC)."),
    Column("ndc_quantity", False, "line", "", "Drug quantity (with an NDC)."),
    Column("note", False, "encounter", "", "Clinical note text (stored encrypted)."),
)
NAMES = tuple(c.name for c in COLUMNS)
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
BY_NAME = {c.name: c for c in COLUMNS}


class CsvFileError(ValueError):
    """The whole file is refused; the message is safe to show (no row values)."""


@dataclass
class CsvRow:
    number: int            # as a spreadsheet shows it: the header is row 1
    values: dict[str, str] | None  # None when the field count is wrong
    field_count: int


@dataclass
class CsvFile:
    header: list[str]
    rows: list[CsvRow]

    @property
    def rows_total(self) -> int:
        return len(self.rows)


def template_csv() -> bytes:
    """Header plus one example row (UTF-8, comma, CRLF like spreadsheets write)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(NAMES)
    w.writerow([c.example for c in COLUMNS])
    return out.getvalue().encode("utf-8")


def _decode(data: bytes) -> str:
    if not data.strip():
        raise CsvFileError("The file is empty.")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        raise CsvFileError("The file is encoded as UTF-16 (or is not a text file); save it as 'CSV UTF-8' "
                           "and upload again.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        byte = data[exc.start]
        raise CsvFileError(f"The file is not UTF-8: line {line} has the byte 0x{byte:02X}, which is not valid "
                           "UTF-8 (the file looks like Windows-1252/Latin-1). Save it as 'CSV UTF-8' and upload "
                           "again.") from None


def _check_header(first_line: str) -> None:
    if "," in first_line:
        return
    if ";" in first_line:
        raise CsvFileError("The file is separated by semicolons; use commas (in Excel: 'Save As' → "
                           "'CSV UTF-8 (Comma delimited)').")
    if "\t" in first_line:
        raise CsvFileError("The file is separated by tabs; use commas (save as 'CSV UTF-8 (Comma delimited)').")
    if "|" in first_line:
        raise CsvFileError("The file is separated by '|'; use commas (save as 'CSV UTF-8 (Comma delimited)').")
    raise CsvFileError("The header row has a single column; the file must be comma-separated with the columns "
                       "of the template (GET .../intake/template.csv).")


def read_csv(data: bytes) -> CsvFile:
    """Decode and split the file; refuse wrong encodings, delimiters and headers."""
    if len(data) > MAX_FILE_BYTES:
        raise CsvFileError(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it.")
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    _check_header(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header_raw = next(reader)
    except (csv.Error, StopIteration):
        raise CsvFileError("The header row cannot be read; use the template's header.") from None
    header = [h.strip().lower() for h in header_raw]
    known = [h for h in header if h in BY_NAME]
    if not known:
        raise CsvFileError("The first row is not the header row of the template; it must name the columns "
                           f"(required: {', '.join(REQUIRED)}).")
    unknown = [h for h in header if h not in BY_NAME]
    if unknown:
        shown = ", ".join(repr(h[:40]) for h in unknown[:10])
        raise CsvFileError(f"Unknown column(s) in the header: {shown}. Allowed columns are those of the template "
                           "(see docs/intake-csv.md).")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise CsvFileError(f"Column(s) appear twice in the header: {', '.join(dupes)}.")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvFileError(f"Required column(s) missing from the header: {', '.join(missing)}.")
    rows: list[CsvRow] = []
    number = 1
    try:
        for record in reader:
            number += 1
            if not record or all(not f.strip() for f in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise CsvFileError(f"The file has more than {MAX_ROWS} rows; split it.")
            if any(len(f) > MAX_FIELD_CHARS for f in record):
                raise CsvFileError(f"Row {number} has a value longer than {MAX_FIELD_CHARS} characters "
                                   "(an unclosed quote?).")
            if len(record) != len(header):
                rows.append(CsvRow(number, None, len(record)))
            else:
                rows.append(CsvRow(number, {h: v.strip() for h, v in zip(header, record)}, len(record)))
    except csv.Error:
        raise CsvFileError(f"Row {number + 1} cannot be read as CSV (an unbalanced double quote?); "
                           "nothing was imported.") from None
    if not rows:
        raise CsvFileError("The file has a header but no data rows.")
    return CsvFile(header, rows)


def iter_error_report(errors: Iterator[tuple[int, str | None, str]]) -> Iterator[bytes]:
    """errors.csv: row, column, reason."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["row", "column", "reason"])
    yield out.getvalue().encode()
    for row, column, reason in errors:
        out.seek(0)
        out.truncate()
        w.writerow([row, column or "", reason])
        yield out.getvalue().encode()
