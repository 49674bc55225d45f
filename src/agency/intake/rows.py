"""From CSV rows to encounter inputs, and from field problems back to (row, column).

Rows sharing an ``encounter_ref`` form one encounter, in order of first
appearance. Encounter-level columns must agree across the rows of an
encounter. Each line's ``diagnosis_1..4`` become the encounter's diagnosis list
(first appearance order, at most 12) and the line's pointers into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from agency.codesets.service import icd10_display, normalize_icd10
from agency.encounters.service import EncounterInput, FieldProblem, LineInput, PatientInput
from agency.intake.csvfile import COLUMNS, CsvRow

ENCOUNTER_COLUMNS = tuple(c.name for c in COLUMNS if c.level == "encounter" and c.name not in ("encounter_ref",
                                                                                                "note"))
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass
class RowError:
    row: int
    column: str | None
    reason: str


@dataclass
class Group:
    ref: str
    rows: list[CsvRow] = field(default_factory=list)


def group_rows(rows: list[CsvRow]) -> tuple[list[Group], list[RowError]]:
    """Groups in order of first appearance; rows that cannot be grouped are errors."""
    groups: dict[str, Group] = {}
    errors: list[RowError] = []
    for row in rows:
        if row.values is None:  # its encounter_ref cannot be trusted: a row error of its own
            errors.append(RowError(row.number, None, f"the row has {row.field_count} fields but the header has "
                                                     "a different number; a value containing a comma must be in "
                                                     "double quotes"))
            continue
        ref = row.values.get("encounter_ref", "")
        if not ref:
            errors.append(RowError(row.number, "encounter_ref", "encounter_ref is empty; every row needs the "
                                                                "EHR's encounter id"))
            continue
        if len(ref) > 80:
            errors.append(RowError(row.number, "encounter_ref", "encounter_ref is longer than 80 characters"))
            continue
        groups.setdefault(ref, Group(ref)).rows.append(row)
    return list(groups.values()), errors


def parse_date(raw: str) -> tuple[date | None, str | None]:
    """(date, None) or (None, reason). ISO YYYY-MM-DD or US MM/DD/YYYY."""
    text = raw.strip()
    if not text:
        return None, "is empty"
    m = _ISO_DATE.match(text)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _US_DATE.match(text)
        if not m:
            return None, "is not a date: use YYYY-MM-DD or MM/DD/YYYY"
        mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return date(y, mo, d), None
    except ValueError:
        return None, "is not a real calendar date (month 1-12, day within the month)"


@dataclass
class BuiltGroup:
    """The encounter and patient inputs of a group, plus how to map problems back."""

    encounter: EncounterInput
    patient: PatientInput
    first_row: int
    line_rows: list[int]
    dx_origin: list[tuple[int, str]]                   # per diagnosis index: (row, column)
    modifier_columns: list[list[str]]                  # per line: the columns of its non-empty modifiers

    def locate(self, problem: FieldProblem) -> RowError:
        path = problem.path
        m = re.match(r"^lines\[(\d+)\]\.?(\w*)(?:\[(\d+)\])?", path)
        if m:
            i = int(m.group(1))
            row = self.line_rows[i] if i < len(self.line_rows) else self.first_row
            name, sub = m.group(2), m.group(3)
            if name == "modifiers":
                cols = self.modifier_columns[i] if i < len(self.modifier_columns) else []
                column = cols[int(sub)] if sub is not None and int(sub) < len(cols) else "modifier_1"
            elif name == "diagnosis_pointers":
                column = "diagnosis_1"
            else:
                column = name or None
            return RowError(row, column, problem.message)
        m = re.match(r"^diagnoses\[(\d+)\]", path)
        if m:
            k = int(m.group(1))
            row, column = self.dx_origin[k] if k < len(self.dx_origin) else (self.first_row, "diagnosis_1")
            return RowError(row, column, problem.message)
        column = _PATH_COLUMNS.get(path) or _PATH_COLUMNS.get(path.split(".")[0])
        return RowError(self.first_row, column, problem.message)


_PATH_COLUMNS = {
    "date_of_service_from": "date_of_service", "date_of_service_to": "date_of_service",
    "rendering_provider": "rendering_npi", "rendering_provider.npi": "rendering_npi",
    "service_location": "location_code", "service_location.code": "location_code",
    "place_of_service": "place_of_service", "diagnoses": "diagnosis_1", "lines": "procedure_code",
    "note": "note", "external_id": "encounter_ref",
    "patient": "patient_last_name", "patient.mrn": "patient_mrn", "patient.sex": "patient_sex",
    "patient.payer_code": "payer_code", "patient.member_id": "member_id",
    "patient.date_of_birth": "patient_date_of_birth",
}


def build(group: Group, *, final_codes: bool) -> tuple[BuiltGroup | None, list[RowError]]:
    """Parse the group's rows; row-level problems found without the database."""
    errors: list[RowError] = []
    bad_shape = [r for r in group.rows if r.values is None]
    for r in bad_shape:
        errors.append(RowError(r.number, None, f"the row has {r.field_count} fields but the header has more or "
                                               "fewer; a value containing a comma must be in double quotes"))
    rows = [r for r in group.rows if r.values is not None]
    if not rows:
        return None, errors
    first = rows[0]
    fv = first.values
    assert fv is not None
    # encounter-level columns agree across rows
    for r in rows[1:]:
        for col in ENCOUNTER_COLUMNS:
            if (r.values or {}).get(col, "") != fv.get(col, ""):
                errors.append(RowError(r.number, col, f"{col} differs from row {first.number} of the same "
                                                      "encounter_ref; encounter-level columns must be the same on "
                                                      "every row of an encounter"))
    dob, why = parse_date(fv.get("patient_date_of_birth", ""))
    if why:
        errors.append(RowError(first.number, "patient_date_of_birth", f"patient_date_of_birth {why}"))
    for col in ("patient_last_name", "patient_first_name", "rendering_npi"):
        if not fv.get(col):
            errors.append(RowError(first.number, col, f"{col} is empty"))

    diagnoses: list[str] = []
    dx_origin: list[tuple[int, str]] = []
    lines: list[LineInput] = []
    line_rows: list[int] = []
    modifier_columns: list[list[str]] = []
    dates: list[date] = []
    notes = [r.values.get("note", "") for r in rows if r.values and r.values.get("note")]
    for r in rows:
        v = r.values or {}
        dos, why = parse_date(v.get("date_of_service", ""))
        if why:
            errors.append(RowError(r.number, "date_of_service", f"date_of_service {why}"))
        else:
            dates.append(dos)  # type: ignore[arg-type]
        pointers: list[int] = []
        for n in range(1, 5):
            col = f"diagnosis_{n}"
            raw = v.get(col, "")
            if not raw:
                continue
            code = normalize_icd10(raw)
            if code in diagnoses:
                idx = diagnoses.index(code) + 1
            else:
                if len(diagnoses) >= 12:
                    errors.append(RowError(r.number, col, "the encounter has more than 12 different diagnoses "
                                                          "(a claim holds 12)"))
                    continue
                diagnoses.append(code)
                dx_origin.append((r.number, col))
                idx = len(diagnoses)
            if idx in pointers:
                errors.append(RowError(r.number, col, f"{icd10_display(code)} is listed twice on this row"))
                continue
            pointers.append(idx)
        if not pointers:
            errors.append(RowError(r.number, "diagnosis_1", "each row needs at least one diagnosis (diagnosis_1)"))
        mods, mod_cols = [], []
        for n in range(1, 5):
            col = f"modifier_{n}"
            if v.get(col):
                mods.append(v[col])
                mod_cols.append(col)
        if not v.get("procedure_code"):
            errors.append(RowError(r.number, "procedure_code", "procedure_code is empty"))
        lines.append(LineInput(procedure_code=v.get("procedure_code", ""), units=v.get("units") or "1",
                               modifiers=mods, charge=v.get("charge") or None, diagnosis_pointers=pointers,
                               ndc=v.get("ndc") or None, ndc_unit=v.get("ndc_unit") or None,
                               ndc_quantity=v.get("ndc_quantity") or None, date_of_service=dos))
        line_rows.append(r.number)
        modifier_columns.append(mod_cols)
    if errors:
        return None, errors
    enc = EncounterInput(date_of_service_from=min(dates), date_of_service_to=max(dates), diagnoses=diagnoses,
                         lines=lines, rendering_provider_npi=fv.get("rendering_npi"),
                         service_location_code=fv.get("location_code") or None,
                         place_of_service=fv.get("place_of_service") or None,
                         note="\n\n".join(dict.fromkeys(notes)) or None, external_id=group.ref,
                         final_codes=final_codes)
    patient = PatientInput(mrn=fv.get("patient_mrn") or None, first_name=fv.get("patient_first_name"),
                           last_name=fv.get("patient_last_name"), date_of_birth=dob,
                           sex=fv.get("patient_sex") or None, payer_code=fv.get("payer_code") or None,
                           member_id=fv.get("member_id") or None)
    return BuiltGroup(enc, patient, first.number, line_rows, dx_origin, modifier_columns), []
