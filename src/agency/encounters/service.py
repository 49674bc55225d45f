"""Encounter rules shared by the JSON API and the CSV import. Never commits.

The pieces:

* :class:`PracticeDirectory`: the practice's rendering providers (by NPI / id),
  service locations (by code / id) and the agency's payers (by payer code),
  read once per request or per import.
* :func:`check_encounter`: every field rule, returning :class:`FieldProblem`
  items (``path`` + plain-language ``message``) instead of raising, so the API
  can answer all problems at once and the CSV import can map them to columns.
  Codes are checked against the code set in force on each date of service.
* :class:`PatientResolver`: find-or-create the patient by id, MRN or
  demographics (blind indexes, exact re-check), with a per-import memo.
* :func:`insert_encounters`: bulk insert (Core ``executemany``) of checked
  drafts, flagging likely duplicates (same patient, dates and procedure codes)
  instead of merging them.

Messages never contain PHI values (names, dates of birth, member ids); they may
quote codes, which identify no one.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.codesets import service as codesets
from agency.codesets.service import CodeCheck
from agency.db.base import new_id
from agency.encounters.models import Encounter, EncounterAttachment, EncounterDiagnosis, EncounterLine
from agency.encounters.repository import EncounterRepository
from agency.patients import service as patients
from agency.patients.repository import PatientRepository
from agency.patients.schemas import CoverageData, PatientData
from agency.payers.models import Payer
from agency.practices.models import RenderingProvider, ServiceLocation
from tenants.crypto.keyring import PhiCipher

MAX_DIAGNOSES = 12
MAX_POINTERS = 4
MAX_MODIFIERS = 4
MAX_LINES = 50
MAX_UNITS = Decimal("9999")
MAX_CHARGE = Decimal("9999999999.99")
NDC_UNITS = ("F2", "GR", "ME", "ML", "UN")
EARLIEST_DOS = date(2015, 10, 1)  # ICD-10-CM era
MAX_NOTE_CHARS = 100_000
_NDC = re.compile(r"^[0-9]{11}$")
_NDC_542 = re.compile(r"^[0-9]{5}-[0-9]{4}-[0-9]{2}$")
_NPI = re.compile(r"^[0-9]{10}$")
_SEX = {"M": "M", "F": "F", "U": "U", "MALE": "M", "FEMALE": "F", "UNKNOWN": "U"}

_E = "encounter"


@dataclass(frozen=True)
class FieldProblem:
    path: str      # e.g. "lines[1].modifiers[0]" (API) -- mapped to a CSV column by intake
    message: str   # plain language, no PHI values

    def as_error(self) -> dict[str, str]:
        return {"key": self.path, "source": "body", "message": self.message}


class CodeValidator(Protocol):
    def validate_diagnosis(self, code: str, dos: date) -> CodeCheck: ...
    def validate_procedure(self, code: str, dos: date) -> CodeCheck: ...
    def validate_modifier(self, modifier: str, dos: date) -> CodeCheck: ...
    def validate_place_of_service(self, pos: str, dos: date) -> CodeCheck: ...


class DbCodes:
    """Code checks one query at a time (API requests); imports use CodeSetCache."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def validate_diagnosis(self, code: str, dos: date) -> CodeCheck:
        return codesets.validate_diagnosis(self.session, code, dos)

    def validate_procedure(self, code: str, dos: date) -> CodeCheck:
        return codesets.validate_procedure(self.session, code, dos)

    def validate_modifier(self, modifier: str, dos: date) -> CodeCheck:
        return codesets.validate_modifier(self.session, modifier, dos)

    def validate_place_of_service(self, pos: str, dos: date) -> CodeCheck:
        return codesets.validate_place_of_service(self.session, pos, dos)


# ---------------------------------------------------------------------------
# Input shapes (already parsed from JSON or CSV; strings not yet validated)
# ---------------------------------------------------------------------------
@dataclass
class LineInput:
    procedure_code: str
    units: str | Decimal | int | None = "1"
    modifiers: list[str] = field(default_factory=list)
    charge: str | Decimal | None = None
    diagnosis_pointers: list[int] | None = None  # 1-based into diagnoses
    ndc: str | None = None
    ndc_unit: str | None = None
    ndc_quantity: str | Decimal | None = None
    date_of_service: date | None = None


@dataclass
class EncounterInput:
    date_of_service_from: date
    date_of_service_to: date | None
    diagnoses: list[str]
    lines: list[LineInput]
    rendering_provider_id: uuid.UUID | None = None
    rendering_provider_npi: str | None = None
    service_location_id: uuid.UUID | None = None
    service_location_code: str | None = None
    place_of_service: str | None = None
    note: str | None = None
    external_id: str | None = None
    final_codes: bool = False


@dataclass
class LineDraft:
    procedure_code: str
    modifiers: list[str]
    units: Decimal
    charge: Decimal | None
    diagnosis_pointers: list[int]
    ndc: str | None
    ndc_unit: str | None
    ndc_quantity: Decimal | None
    date_of_service: date


@dataclass
class EncounterDraft:
    """Checked and normalised; ready to insert once the patient is known."""

    date_of_service_from: date
    date_of_service_to: date
    rendering_provider_id: uuid.UUID
    service_location_id: uuid.UUID | None
    place_of_service: str
    diagnoses: list[str]
    lines: list[LineDraft]
    note: str | None
    external_id: str | None
    status: str
    patient_id: uuid.UUID | None = None
    source: str = "api"
    intake_batch_id: uuid.UUID | None = None

    def dedup_key(self) -> str:
        codes = ",".join(sorted(line.procedure_code for line in self.lines))
        raw = f"{self.patient_id}|{self.date_of_service_from}|{self.date_of_service_to}|{codes}"
        return hashlib.sha256(raw.encode()).hexdigest()


# ---------------------------------------------------------------------------
# Practice directory
# ---------------------------------------------------------------------------
class PracticeDirectory:
    def __init__(self, session: Session, tenant_id: uuid.UUID, agency_id: uuid.UUID | None) -> None:
        repo = EncounterRepository(session, tenant_id)
        self.providers: dict[uuid.UUID, RenderingProvider] = {p.id: p for p in repo.providers()}
        self.by_npi = {p.npi: p for p in self.providers.values()}
        self.locations: dict[uuid.UUID, ServiceLocation] = {x.id: x for x in repo.locations()}
        self.by_code = {x.code.casefold(): x for x in self.locations.values()}
        self.payers: dict[str, Payer] = ({p.payer_code.upper(): p for p in repo.payers(agency_id)}
                                         if agency_id else {})


# ---------------------------------------------------------------------------
# Field rules
# ---------------------------------------------------------------------------
def parse_decimal(raw: object, path: str, what: str, problems: list[FieldProblem], *, places: int,
                  minimum: Decimal, maximum: Decimal, strictly_positive: bool = False) -> Decimal | None:
    if isinstance(raw, bool):
        problems.append(FieldProblem(path, f"{what} must be a number"))
        return None
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", "") if isinstance(
            raw, str) else str(raw))
    except (InvalidOperation, ValueError):
        problems.append(FieldProblem(path, f"{what} must be a number (e.g. 1 or 2.5)"))
        return None
    if not value.is_finite():
        problems.append(FieldProblem(path, f"{what} must be a number (e.g. 1 or 2.5)"))
        return None
    if strictly_positive and value <= 0:
        problems.append(FieldProblem(path, f"{what} must be greater than 0"))
        return None
    if value < minimum:
        problems.append(FieldProblem(path, f"{what} must not be negative"))
        return None
    if value > maximum:
        problems.append(FieldProblem(path, f"{what} must be at most {maximum}"))
        return None
    if -value.as_tuple().exponent > places:  # type: ignore[operator]
        problems.append(FieldProblem(path, f"{what} has more than {places} decimal places"))
        return None
    return value


def normalize_ndc(raw: str) -> str | None:
    text = raw.strip()
    if _NDC.match(text):
        return text
    if _NDC_542.match(text):
        return text.replace("-", "")
    return None


def check_encounter(inp: EncounterInput, directory: PracticeDirectory, codes: CodeValidator, *, today: date,
                    date_of_birth: date | None = None) -> tuple[EncounterDraft | None, list[FieldProblem]]:
    """All rules for one encounter. Returns the draft, or None and the problems."""
    problems: list[FieldProblem] = []
    p = problems.append

    # --- dates
    dos_from = inp.date_of_service_from
    dos_to = inp.date_of_service_to or dos_from
    dates_ok = True
    if dos_from > today:
        p(FieldProblem("date_of_service_from", f"date of service {dos_from} is in the future"))
        dates_ok = False
    if dos_to < dos_from:
        p(FieldProblem("date_of_service_to", "date of service 'to' is before 'from'"))
        dates_ok = False
    elif dos_to > today and dos_from <= today:
        p(FieldProblem("date_of_service_to", f"date of service {dos_to} is in the future"))
        dates_ok = False
    if dos_from < EARLIEST_DOS:
        p(FieldProblem("date_of_service_from", f"date of service {dos_from} is before ICD-10 (2015-10-01); "
                                               "such claims cannot be billed here"))
        dates_ok = False
    if date_of_birth is not None and dos_from < date_of_birth:
        p(FieldProblem("date_of_service_from", "date of service is before the patient's date of birth"))
        dates_ok = False
    if date_of_birth is not None and (dos_from.year - date_of_birth.year) > 150:
        p(FieldProblem("patient.date_of_birth", "the patient would be older than 150 on the date of service"))

    # --- provider and location
    provider = None
    if inp.rendering_provider_id is not None:
        provider = directory.providers.get(inp.rendering_provider_id)
        if provider is None:
            p(FieldProblem("rendering_provider.id", "no rendering provider with this id in this practice"))
    elif inp.rendering_provider_npi:
        npi = inp.rendering_provider_npi.strip()
        if not _NPI.match(npi):
            p(FieldProblem("rendering_provider.npi", "an NPI has exactly 10 digits"))
        else:
            provider = directory.by_npi.get(npi)
            if provider is None:
                p(FieldProblem("rendering_provider.npi",
                               f"NPI {npi} is not a rendering provider of this practice; add it in practice setup"))
    else:
        p(FieldProblem("rendering_provider", "a rendering provider is required (its NPI or id)"))

    location = None
    if inp.service_location_id is not None:
        location = directory.locations.get(inp.service_location_id)
        if location is None:
            p(FieldProblem("service_location.id", "no service location with this id in this practice"))
    elif inp.service_location_code:
        location = directory.by_code.get(inp.service_location_code.strip().casefold())
        if location is None:
            p(FieldProblem("service_location.code",
                           f"location code {inp.service_location_code.strip()!r} is not a service location of this "
                           "practice"))

    pos = (inp.place_of_service or "").strip() or (location.place_of_service if location else "")
    if not pos:
        p(FieldProblem("place_of_service", "a place of service is required (or a location that has one)"))
    elif dates_ok:
        check = codes.validate_place_of_service(pos, dos_from)
        if not check:
            p(FieldProblem("place_of_service", check.reason or "not a valid place of service"))

    # --- diagnoses
    diagnoses: list[str] = []
    if not inp.diagnoses:
        p(FieldProblem("diagnoses", "at least one diagnosis (ICD-10-CM) is required"))
    if len(inp.diagnoses) > MAX_DIAGNOSES:
        p(FieldProblem("diagnoses", f"at most {MAX_DIAGNOSES} diagnoses per encounter (a 837P claim holds 12)"))
    for i, raw in enumerate(inp.diagnoses[:MAX_DIAGNOSES]):
        path = f"diagnoses[{i}]"
        if not isinstance(raw, str) or not raw.strip():
            p(FieldProblem(path, "empty diagnosis code"))
            continue
        code = codesets.normalize_icd10(raw)
        if dates_ok:
            check = codes.validate_diagnosis(raw, dos_from)
            if not check:
                p(FieldProblem(path, check.reason or "not a valid ICD-10-CM code"))
                continue
            code = check.code
        if code in diagnoses:
            p(FieldProblem(path, f"{codesets.icd10_display(code)} is listed twice"))
            continue
        diagnoses.append(code)

    # --- lines
    lines: list[LineDraft] = []
    if not inp.lines:
        p(FieldProblem("lines", "at least one service line is required"))
    if len(inp.lines) > MAX_LINES:
        p(FieldProblem("lines", f"at most {MAX_LINES} service lines per encounter"))
    for i, line in enumerate(inp.lines[:MAX_LINES]):
        draft = _check_line(line, f"lines[{i}]", len(inp.diagnoses), dos_from, dos_to, dates_ok, codes, problems)
        if draft is not None:
            lines.append(draft)

    note = inp.note
    if note is not None and len(note) > MAX_NOTE_CHARS:
        p(FieldProblem("note", f"the note is longer than {MAX_NOTE_CHARS} characters"))
    if inp.external_id is not None and not (1 <= len(inp.external_id.strip()) <= 80):
        p(FieldProblem("external_id", "external_id must be 1-80 characters"))

    if problems:
        return None, problems
    assert provider is not None
    return EncounterDraft(
        date_of_service_from=dos_from, date_of_service_to=dos_to, rendering_provider_id=provider.id,
        service_location_id=location.id if location else None, place_of_service=pos, diagnoses=diagnoses,
        lines=lines, note=note or None, external_id=inp.external_id.strip() if inp.external_id else None,
        status="coded" if inp.final_codes else "to_code"), []


def _check_line(line: LineInput, path: str, n_dx: int, dos_from: date, dos_to: date, dates_ok: bool,
                codes: CodeValidator, problems: list[FieldProblem]) -> LineDraft | None:
    before = len(problems)
    p = problems.append
    dos = line.date_of_service or dos_from
    line_dates_ok = dates_ok
    if line.date_of_service is not None and not (dos_from <= line.date_of_service <= dos_to):
        p(FieldProblem(f"{path}.date_of_service", "the line's date of service is outside the encounter's dates"))
        line_dates_ok = False
    code = (line.procedure_code or "").strip().upper()
    if not code:
        p(FieldProblem(f"{path}.procedure_code", "a procedure code (CPT or HCPCS) is required"))
    elif line_dates_ok:
        check = codes.validate_procedure(code, dos)
        if not check:
            p(FieldProblem(f"{path}.procedure_code", check.reason or "not a valid procedure code"))
    modifiers = [m.strip().upper() for m in line.modifiers if m and m.strip()]
    if len(modifiers) > MAX_MODIFIERS:
        p(FieldProblem(f"{path}.modifiers", f"at most {MAX_MODIFIERS} modifiers per line"))
    elif len(set(modifiers)) != len(modifiers):
        p(FieldProblem(f"{path}.modifiers", "a modifier is listed twice"))
    elif line_dates_ok:
        for j, m in enumerate(modifiers):
            check = codes.validate_modifier(m, dos)
            if not check:
                p(FieldProblem(f"{path}.modifiers[{j}]", check.reason or "not a valid modifier"))
    units = parse_decimal(line.units if line.units not in (None, "") else "1", f"{path}.units", "units", problems,
                          places=3, minimum=Decimal(0), maximum=MAX_UNITS, strictly_positive=True)
    charge = None
    if line.charge not in (None, ""):
        charge = parse_decimal(line.charge, f"{path}.charge", "charge", problems, places=2, minimum=Decimal(0),
                               maximum=MAX_CHARGE)
    pointers = list(line.diagnosis_pointers) if line.diagnosis_pointers else ([1] if n_dx else [])
    if not pointers:
        p(FieldProblem(f"{path}.diagnosis_pointers", "each line points at 1 to 4 diagnoses"))
    elif len(pointers) > MAX_POINTERS:
        p(FieldProblem(f"{path}.diagnosis_pointers", f"at most {MAX_POINTERS} diagnosis pointers per line"))
    elif len(set(pointers)) != len(pointers):
        p(FieldProblem(f"{path}.diagnosis_pointers", "a diagnosis pointer is repeated"))
    else:
        for j, ptr in enumerate(pointers):
            if not isinstance(ptr, int) or isinstance(ptr, bool) or not 1 <= ptr <= max(n_dx, 1) or ptr > 12:
                p(FieldProblem(f"{path}.diagnosis_pointers[{j}]",
                               f"pointer must be between 1 and {min(max(n_dx, 1), 12)} (the diagnoses listed)"))
    ndc = ndc_unit = None
    ndc_qty = None
    if line.ndc not in (None, ""):
        ndc = normalize_ndc(str(line.ndc))
        if ndc is None:
            p(FieldProblem(f"{path}.ndc", "an NDC has 11 digits (5-4-2, e.g. 00409-4888-02 or 00409488802)"))
        ndc_unit = (line.ndc_unit or "").strip().upper() or None
        if ndc_unit not in NDC_UNITS:
            p(FieldProblem(f"{path}.ndc_unit", f"NDC unit must be one of {', '.join(NDC_UNITS)}"))
        if line.ndc_quantity in (None, ""):
            p(FieldProblem(f"{path}.ndc_quantity", "NDC quantity is required with an NDC"))
        else:
            ndc_qty = parse_decimal(line.ndc_quantity, f"{path}.ndc_quantity", "NDC quantity", problems, places=3,
                                    minimum=Decimal(0), maximum=Decimal("999999999"), strictly_positive=True)
    elif line.ndc_unit not in (None, "") or line.ndc_quantity not in (None, ""):
        p(FieldProblem(f"{path}.ndc", "NDC unit and quantity were given without an NDC"))
    if len(problems) > before:
        return None
    return LineDraft(code, modifiers, units, charge, pointers, ndc, ndc_unit, ndc_qty, dos)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Patients
# ---------------------------------------------------------------------------
@dataclass
class PatientInput:
    id: uuid.UUID | None = None
    mrn: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    sex: str | None = None
    payer_code: str | None = None
    member_id: str | None = None


@dataclass(frozen=True)
class ResolvedPatient:
    id: uuid.UUID
    date_of_birth: date
    created: bool = False


def _same(a: str | None, b: str | None) -> bool:
    from tenants.crypto.blind_index import normalize_text

    try:
        return bool(a and b and normalize_text(a) == normalize_text(b))
    except ValueError:
        return False


class PatientResolver:
    """Find-or-create patients; memoises within one request or one import (the
    memo is keyed by the input, held in memory only for the life of the job)."""

    def __init__(self, cipher: PhiCipher, tenant_id: uuid.UUID, directory: PracticeDirectory) -> None:
        self.cipher, self.tenant_id, self.directory = cipher, tenant_id, directory
        self._memo: dict[tuple, ResolvedPatient] = {}

    def forget_created(self) -> None:
        """After a rollback: patients created in it no longer exist."""
        self._memo = {k: v for k, v in self._memo.items() if not v.created}

    def settle(self) -> None:
        """After a commit: patients created so far exist for good."""
        self._memo = {k: ResolvedPatient(v.id, v.date_of_birth) if v.created else v for k, v in self._memo.items()}

    def precheck(self, inp: PatientInput, prefix: str = "patient") -> tuple[list[FieldProblem], Payer | None,
                                                                            str | None]:
        """The rules that need no query: identification, sex, payer and member id."""
        problems: list[FieldProblem] = []
        mrn = (inp.mrn or "").strip() or None
        has_demo = bool((inp.last_name or "").strip() and (inp.first_name or "").strip() and inp.date_of_birth)
        if not mrn and not has_demo:
            return [FieldProblem(prefix, "identify the patient by id, by MRN, or by first name, last name "
                                         "and date of birth")], None, None
        sex = None
        if inp.sex not in (None, ""):
            sex = _SEX.get(str(inp.sex).strip().upper())
            if sex is None:
                problems.append(FieldProblem(f"{prefix}.sex", "sex must be M, F or U"))
        payer = None
        if inp.payer_code not in (None, ""):
            payer = self.directory.payers.get(str(inp.payer_code).strip().upper())
            if payer is None:
                problems.append(FieldProblem(f"{prefix}.payer_code", f"payer code {str(inp.payer_code).strip()!r} "
                                             "is not in the agency's payer directory"))
            elif not payer.active:
                problems.append(FieldProblem(f"{prefix}.payer_code", f"payer {payer.payer_code} is inactive"))
            if not (inp.member_id or "").strip():
                problems.append(FieldProblem(f"{prefix}.member_id", "a member id is required with a payer"))
        elif (inp.member_id or "").strip():
            problems.append(FieldProblem(f"{prefix}.payer_code", "a payer code is required with a member id"))
        if has_demo and inp.date_of_birth is not None and inp.date_of_birth > date.today():
            problems.append(FieldProblem(f"{prefix}.date_of_birth", "the date of birth is in the future"))
        return problems, payer, sex

    def resolve(self, session: Session, inp: PatientInput,
                prefix: str = "patient") -> tuple[ResolvedPatient | None, list[FieldProblem]]:
        t, cipher = self.tenant_id, self.cipher
        if inp.id is not None:
            view = PatientRepository(session, t).get(inp.id)
            if view is None:
                return None, [FieldProblem(f"{prefix}.id", "no patient with this id in this practice")]
            return ResolvedPatient(view.id, patients.open_patient(cipher, view).date_of_birth), []
        problems, payer, sex = self.precheck(inp, prefix)
        if problems:
            return None, problems
        mrn = (inp.mrn or "").strip() or None
        has_demo = bool((inp.last_name or "").strip() and (inp.first_name or "").strip() and inp.date_of_birth)

        key = (mrn, (inp.last_name or "").strip().casefold(), (inp.first_name or "").strip().casefold(),
               inp.date_of_birth)
        hit = self._memo.get(key)
        if hit is not None:
            return hit, []

        found = None
        if mrn:
            matches = patients.find_by_mrn(session, cipher, t, mrn)
            if len(matches) > 1:
                return None, [FieldProblem(f"{prefix}.mrn", "several patients have this MRN; use the patient id")]
            if matches:
                found = matches[0]
                if has_demo and not (_same(found.data.last_name, inp.last_name)
                                     and found.data.date_of_birth == inp.date_of_birth):
                    return None, [FieldProblem(f"{prefix}.mrn", "the patient with this MRN has a different last "
                                                                "name or date of birth")]
            elif not has_demo:
                return None, [FieldProblem(f"{prefix}.mrn", "no patient with this MRN; send first name, last name "
                                                            "and date of birth to create one")]
        if found is None:
            assert inp.last_name and inp.date_of_birth and inp.first_name
            matches = [v for v in patients.find_by_name_dob(session, cipher, t, inp.last_name.strip(),
                                                            inp.date_of_birth)
                       if _same(v.data.first_name, inp.first_name) and (not mrn or not v.data.mrn)]
            if len(matches) > 1:
                return None, [FieldProblem(prefix, "several patients match this name and date of birth; "
                                                   "send the MRN or the patient id")]
            found = matches[0] if matches else None
        if found is not None:
            resolved = ResolvedPatient(found.id, found.data.date_of_birth)
        else:
            coverages = [CoverageData(rank=1, member_id=inp.member_id.strip(), payer_id=payer.id)] if payer else []
            pid = patients.create_patient(session, cipher, t, PatientData(
                first_name=inp.first_name.strip(), last_name=inp.last_name.strip(),  # type: ignore[union-attr]
                date_of_birth=inp.date_of_birth, mrn=mrn, sex=sex), coverages)  # type: ignore[arg-type]
            resolved = ResolvedPatient(pid, inp.date_of_birth, created=True)  # type: ignore[arg-type]
        self._memo[key] = resolved
        return resolved, []


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------
def insert_encounters(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID,
                      drafts: Sequence[EncounterDraft]) -> list[Encounter]:
    """Insert checked drafts (patients resolved) in bulk; flags likely duplicates:
    an earlier encounter (or an earlier draft of this call) with the same
    patient, dates and procedure codes. Returns lightweight Encounter objects
    (not attached to the session) with ids and flags."""
    if not drafts:
        return []
    repo = EncounterRepository(session, tenant_id)
    keys = [d.dedup_key() for d in drafts]
    seen = repo.first_by_dedup_keys(set(keys))
    enc_rows, dx_rows, line_rows, out = [], [], [], []
    for d, key in zip(drafts, keys):
        eid = new_id()
        dup_of = seen.get(key)
        if dup_of is None:
            seen[key] = eid
        row = dict(tenant_id=tenant_id, id=eid, patient_id=d.patient_id, rendering_provider_id=d.rendering_provider_id,
                   service_location_id=d.service_location_id, date_of_service_from=d.date_of_service_from,
                   date_of_service_to=d.date_of_service_to, place_of_service=d.place_of_service, status=d.status,
                   source=d.source, external_id=d.external_id, dedup_key=key, duplicate_flag=dup_of is not None,
                   duplicate_of=dup_of, intake_batch_id=d.intake_batch_id,
                   note=cipher.seal_text(tenant_id, _E, "note", eid, d.note), row_version=1)
        enc_rows.append(row)
        out.append(Encounter(**row))
        for pos, code in enumerate(d.diagnoses, 1):
            dx_rows.append(dict(tenant_id=tenant_id, id=new_id(), encounter_id=eid, position=pos, code=code))
        for n, ln in enumerate(d.lines, 1):
            line_rows.append(dict(tenant_id=tenant_id, id=new_id(), encounter_id=eid, line_number=n,
                                  procedure_code=ln.procedure_code, modifiers=ln.modifiers, units=ln.units,
                                  charge=ln.charge, diagnosis_pointers=ln.diagnosis_pointers, ndc=ln.ndc,
                                  ndc_unit=ln.ndc_unit, ndc_quantity=ln.ndc_quantity,
                                  date_of_service=ln.date_of_service))
    session.flush()  # patients created by the resolver first (composite FK)
    session.execute(sa.insert(Encounter), enc_rows)
    session.execute(sa.insert(EncounterDiagnosis), dx_rows)
    session.execute(sa.insert(EncounterLine), line_rows)
    return out


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
@dataclass
class EncounterView:
    encounter: Encounter
    diagnoses: list[EncounterDiagnosis]
    lines: list[EncounterLine]
    attachments: list[EncounterAttachment]
    note: str | None


def get_encounter(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID,
                  encounter_id: uuid.UUID) -> EncounterView | None:
    repo = EncounterRepository(session, tenant_id)
    enc = repo.get(encounter_id)
    if enc is None:
        return None
    return EncounterView(enc, repo.diagnoses(enc.id), repo.lines(enc.id), repo.attachments(enc.id),
                         cipher.open_text(tenant_id, _E, "note", enc.id, enc.note))


def existing_external_ids(session: Session, tenant_id: uuid.UUID,
                          external_ids: Iterable[str]) -> dict[str, tuple[uuid.UUID, uuid.UUID | None]]:
    return EncounterRepository(session, tenant_id).by_external_ids(set(external_ids))


# ---------------------------------------------------------------------------
# Attachments
# ---------------------------------------------------------------------------
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/tiff", "text/plain")
_A = "encounter_attachment"


def add_attachment(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, encounter_id: uuid.UUID,
                   filename: str, content_type: str, content: bytes) -> EncounterAttachment:
    aid = new_id()
    att = EncounterAttachment(
        tenant_id=tenant_id, id=aid, encounter_id=encounter_id,
        filename=cipher.seal_text(tenant_id, _A, "filename", aid, filename),
        content_type=content_type, size_bytes=len(content), sha256=hashlib.sha256(content).hexdigest(),
        content=cipher.seal_bytes(tenant_id, _A, "content", aid, content))
    EncounterRepository(session, tenant_id).add(att)
    session.flush()
    return att


def open_attachment(cipher: PhiCipher, att: EncounterAttachment) -> tuple[str, bytes]:
    t = att.tenant_id
    name = cipher.open_text(t, _A, "filename", att.id, att.filename) or "attachment"
    data = cipher.open_bytes(t, _A, "content", att.id, att.content) or b""
    return name, data


def attachment_filename(cipher: PhiCipher, att: EncounterAttachment) -> str:
    return cipher.open_text(att.tenant_id, _A, "filename", att.id, att.filename) or "attachment"


# ---------------------------------------------------------------------------
# JSON intake (one encounter per request)
# ---------------------------------------------------------------------------
def create_encounter(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, agency_id: uuid.UUID,
                     encounter: EncounterInput, patient: PatientInput, *, today: date) -> uuid.UUID:
    """Check everything, find or create the patient, insert. Raises a 422 problem
    listing every field problem, or 409 when ``external_id`` is already used."""
    from agency.api.problems import Conflict, Unprocessable

    directory = PracticeDirectory(session, tenant_id, agency_id)
    if encounter.external_id and encounter.external_id.strip():
        hit = existing_external_ids(session, tenant_id, [encounter.external_id.strip()])
        if hit:
            enc_id = next(iter(hit.values()))[0]
            raise Conflict("An encounter with this external_id already exists.",
                           extra={"encounter_id": str(enc_id)})
    resolver = PatientResolver(cipher, tenant_id, directory)
    found, patient_problems = resolver.resolve(session, patient)
    dob = found.date_of_birth if found else patient.date_of_birth
    draft, problems = check_encounter(encounter, directory, DbCodes(session), today=today, date_of_birth=dob)
    problems = patient_problems + problems
    if problems:
        raise Unprocessable("The encounter is not valid; nothing was saved.",
                            extra={"errors": [p.as_error() for p in problems]})
    assert draft is not None and found is not None
    draft.patient_id, draft.source = found.id, "api"
    return insert_encounters(session, cipher, tenant_id, [draft])[0].id
