"""Code-set loading and validation by date of service. Services never commit:
the caller's unit of work does (loads: the CLI, as the owner role).

Validation API (every check is ``(code, date_of_service)``)::

    validate_diagnosis(session, code, dos) -> CodeCheck
    validate_procedure(session, code, dos) -> CodeCheck      # CPT or HCPCS Level II
    validate_modifier(session, modifier, dos) -> CodeCheck
    validate_place_of_service(session, pos, dos) -> CodeCheck
    CodeSetCache(session).validate_*(code, dos)            # bulk: one query per release touched
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy.orm import Session

from agency.codesets.loaders import bundled, cpt, hcpcs, icd10cm, reference
from agency.codesets.loaders.common import CodeFileError, ParsedCode
from agency.codesets.models import SYSTEMS, CodeSetRelease
from agency.codesets.repository import CodeSetRepository, EntryInfo, ReleaseInfo
from agency.errors import UserFacingError

SYSTEM_NAMES = {"icd10cm": "ICD-10-CM", "hcpcs": "HCPCS Level II", "cpt": "CPT", "pos": "place of service",
                "modifier": "modifier"}
PUBLIC_DOMAIN = "public domain (CMS/NCHS)"

# ---------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------
ICD10CM_FORMAT = re.compile(r"^[A-Z][0-9A-Z][0-9A-Z][0-9A-Z]{0,4}$")  # QA0 (FY2026) has a letter 2nd
CPT_FORMAT = cpt.CPT_FORMAT                     # ^[0-9]{4}[0-9FTUM]$
HCPCS_FORMAT = re.compile(r"^[A-V][0-9]{4}$")
MODIFIER_FORMAT = re.compile(r"^[0-9A-Z]{2}$")
POS_FORMAT = re.compile(r"^[0-9]{2}$")
CPT_CATEGORIES = {"F": "CPT Category II", "T": "CPT Category III", "U": "CPT PLA", "M": "CPT MAAA"}


class CodeSetError(UserFacingError):
    """A code-set operation was refused (bad arguments, manifest mismatch)."""


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """Outcome of one validation. ``reason`` is plain language for coders and
    billers; it is set when refused and, when accepted, for caveats (CPT checked
    by format only)."""

    ok: bool
    code: str
    system: str | None = None
    reason: str | None = None
    release: str | None = None

    def __bool__(self) -> bool:
        return self.ok


def normalize_icd10(code: str) -> str:
    """Strip blanks and the dot, uppercase: ``' e11.9 '`` -> ``'E119'``."""
    return code.strip().upper().replace(".", "", 1)


def icd10_display(code: str) -> str:
    """``E119`` -> ``E11.9`` (codes of 3 characters have no dot)."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def fiscal_year(dos: date) -> int:
    """ICD-10-CM fiscal year covering a date: FY n runs 1 Oct (n-1) .. 30 Sep n."""
    return dos.year + 1 if dos.month >= 10 else dos.year


def quarter_start(label: str) -> date:
    m = re.fullmatch(r"(\d{4})Q([1-4])", label.strip().upper())
    if not m:
        raise CodeSetError(f"quarter {label!r} must look like 2026Q1")
    return date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)


# ---------------------------------------------------------------------------
# Lookups: one per call (DB) or preloaded (cache); the rules below use either.
# ---------------------------------------------------------------------------
class _Lookup:
    def covering(self, system: str, code: str, dos: date) -> tuple[ReleaseInfo | None, EntryInfo | None]:
        raise NotImplementedError

    def elsewhere(self, system: str, code: str) -> list[tuple[ReleaseInfo, EntryInfo]]:
        raise NotImplementedError

    def billable_descendants(self, release: ReleaseInfo, prefix: str) -> list[str]:
        raise NotImplementedError


class _DbLookup(_Lookup):
    def __init__(self, session: Session) -> None:
        self.repo = CodeSetRepository(session)

    def covering(self, system, code, dos):  # noqa: ANN001
        return self.repo.covering_entry(system, code, dos)

    def elsewhere(self, system, code):  # noqa: ANN001
        return self.repo.releases_containing(system, code)

    def billable_descendants(self, release, prefix):  # noqa: ANN001
        return self.repo.billable_descendants(release.id, prefix)


@dataclass
class SharedEntries:
    """Release entries loaded by one cache, reusable by the next (keyed by release id)."""

    entries: dict = field(default_factory=dict)
    billable_sorted: dict = field(default_factory=dict)


class CodeSetCache(_Lookup):
    """Validation for many rows: release metadata is read once, each release's
    entries once on first use (or eagerly with :meth:`preload`), so validating
    50,000 rows costs a handful of queries, not 50,000. Refusal messages that
    mention other years query the database at most once per distinct code.

    Use it within the life of ``session`` (one import, one batch). A long-lived
    process that validates batch after batch (the claim scrubber) can pass the
    same ``shared`` :class:`SharedEntries` to every cache: a release's entries
    never change under its id, so they are loaded once per process."""

    def __init__(self, session: Session, systems: Sequence[str] = SYSTEMS,
                 shared: "SharedEntries | None" = None) -> None:
        self.repo = CodeSetRepository(session)
        self._releases: dict[str, list[ReleaseInfo]] = {s: [] for s in systems}
        for info in self.repo.release_infos(systems):  # newest effective_from first
            self._releases[info.system].append(info)
        shared = shared or SharedEntries()
        self._entries: dict[object, dict[str, EntryInfo]] = shared.entries
        self._billable_sorted: dict[object, list[str]] = shared.billable_sorted
        self._elsewhere: dict[tuple[str, str], list[tuple[ReleaseInfo, EntryInfo]]] = {}

    def preload(self, start: date, end: date) -> "CodeSetCache":
        """Load the entries of every release overlapping ``start`` .. ``end``."""
        for infos in self._releases.values():
            for r in infos:
                if r.effective_from <= end and (r.effective_to is None or r.effective_to >= start):
                    self._entries_of(r)
        return self

    def _entries_of(self, release: ReleaseInfo) -> dict[str, EntryInfo]:
        entries = self._entries.get(release.id)
        if entries is None:
            entries = {e.code: e for e in self.repo.entries_of(release.id)}
            self._entries[release.id] = entries
        return entries

    def release_for(self, system: str, dos: date) -> ReleaseInfo | None:
        for r in self._releases.get(system, ()):
            if r.covers(dos):
                return r
        return None

    def covering(self, system, code, dos):  # noqa: ANN001
        release = self.release_for(system, dos)
        if release is None:
            return None, None
        return release, self._entries_of(release).get(code)

    def elsewhere(self, system, code):  # noqa: ANN001
        key = (system, code)
        if key not in self._elsewhere:
            self._elsewhere[key] = self.repo.releases_containing(system, code)
        return self._elsewhere[key]

    def billable_descendants(self, release, prefix):  # noqa: ANN001
        codes = self._billable_sorted.get(release.id)
        if codes is None:
            codes = sorted(c for c, e in self._entries_of(release).items() if e.billable)
            self._billable_sorted[release.id] = codes
        i = bisect.bisect_left(codes, prefix)
        out = []
        while i < len(codes) and codes[i].startswith(prefix) and len(out) < 200:
            if codes[i] != prefix:
                out.append(codes[i])
            i += 1
        return out

    def validate_diagnosis(self, code: str, dos: date) -> CodeCheck:
        return _diagnosis(self, code, dos)

    def validate_procedure(self, code: str, dos: date) -> CodeCheck:
        return _procedure(self, code, dos)

    def validate_modifier(self, modifier: str, dos: date) -> CodeCheck:
        return _modifier(self, modifier, dos)

    def validate_place_of_service(self, pos: str, dos: date) -> CodeCheck:
        return _place_of_service(self, pos, dos)


# ---------------------------------------------------------------------------
# Public single-call API
# ---------------------------------------------------------------------------
def validate_diagnosis(session: Session, code: str, date_of_service: date) -> CodeCheck:
    """An ICD-10-CM diagnosis for a claim on ``date_of_service`` (inpatient: the
    discharge date): it must exist in the fiscal-year release covering that date
    and be billable (a leaf, with any required 7th character)."""
    return _diagnosis(_DbLookup(session), code, date_of_service)


def validate_procedure(session: Session, code: str, date_of_service: date) -> CodeCheck:
    """A CPT or HCPCS Level II code. HCPCS: in the loaded quarterly release covering
    the date, within its add/termination dates. CPT: format rules (Category I
    ``\\d{5}``, II ``\\d{4}F``, III ``\\d{4}T``, PLA ``\\d{4}U``, MAAA ``\\d{4}M``) and,
    when a licensed CPT file was loaded for the period, membership."""
    return _procedure(_DbLookup(session), code, date_of_service)


def validate_modifier(session: Session, modifier: str, date_of_service: date) -> CodeCheck:
    return _modifier(_DbLookup(session), modifier, date_of_service)


def validate_place_of_service(session: Session, pos: str, date_of_service: date) -> CodeCheck:
    return _place_of_service(_DbLookup(session), pos, date_of_service)


def _window(r: ReleaseInfo) -> str:
    return f"{r.effective_from} to {r.effective_to or 'until superseded'}"


def _not_in_release(lookup: _Lookup, system: str, code: str, shown: str, dos: date,
                    release: ReleaseInfo) -> str:
    name = SYSTEM_NAMES[system]
    others = lookup.elsewhere(system, code)
    later = [(r, e) for r, e in others if r.effective_from > dos]
    earlier = [(r, e) for r, e in others if r.effective_to is not None and r.effective_to < dos]
    if later:
        r, e = min(later, key=lambda pair: pair[0].effective_from)
        start = max(r.effective_from, e.valid_from) if e.valid_from else r.effective_from
        return f"{shown} is not valid for dates of service before {start} ({name} {r.version})"
    if earlier:
        r, _ = max(earlier, key=lambda pair: pair[0].effective_from)
        return (f"{shown} is not valid for dates of service after {r.effective_to} "
                f"(last in {name} {r.version}; deleted since)")
    return f"{shown} is not a code in {name} {release.version} (dates of service {_window(release)})"


def _outside_entry_dates(entry: EntryInfo, shown: str, dos: date, name: str, release: ReleaseInfo) -> str:
    if entry.valid_from and dos < entry.valid_from:
        return f"{shown} is not valid for dates of service before {entry.valid_from} ({name} {release.version})"
    return f"{shown} was terminated: not valid for dates of service after {entry.valid_to} ({name} {release.version})"


def _diagnosis(lookup: _Lookup, raw: str, dos: date) -> CodeCheck:
    text = (raw or "").strip().upper()
    if "." in text and text.index(".") != 3:
        return CodeCheck(False, text, "icd10cm", f"{raw.strip()!r} is not an ICD-10-CM code: "
                         "the dot belongs after the third character (e.g. E11.9)")
    code = normalize_icd10(text)
    if not ICD10CM_FORMAT.match(code):
        return CodeCheck(False, code, "icd10cm", f"{raw.strip()!r} is not an ICD-10-CM code: expected 3-7 "
                         "letters or digits starting with a letter (e.g. E11.9, S52.521A)")
    shown = icd10_display(code)
    release, entry = lookup.covering("icd10cm", code, dos)
    if release is None:
        fy = fiscal_year(dos)
        return CodeCheck(False, code, "icd10cm", f"no ICD-10-CM code set is loaded for date of service {dos} "
                         f"(FY{fy}); an operator can load it with "
                         f"`agency codes load icd10cm icd10cm_order_{fy}.txt --year {fy}`")
    if entry is None:
        return CodeCheck(False, code, "icd10cm", _not_in_release(lookup, "icd10cm", code, shown, dos, release),
                         release.version)
    if not entry.covers(dos):
        return CodeCheck(False, code, "icd10cm", _outside_entry_dates(entry, shown, dos, "ICD-10-CM", release),
                         release.version)
    if not entry.billable:
        return CodeCheck(False, code, "icd10cm", _header_reason(lookup, release, code, shown), release.version)
    return CodeCheck(True, code, "icd10cm", None, release.version)


def _header_reason(lookup: _Lookup, release: ReleaseInfo, code: str, shown: str) -> str:
    kind = "a category header" if len(code) == 3 else "a subcategory header"
    children = lookup.billable_descendants(release, code)
    if not children:
        return f"{shown} is {kind}, not billable; use a more specific code"
    if len(code) == 6 and all(len(c) == 7 for c in children):
        return (f"{shown} needs a 7th character, it is not billable alone; use e.g. "
                f"{icd10_display(children[0])}")
    # Prefer the shortest child, and among those one ending in 9 ("unspecified").
    best = min(children, key=lambda c: (len(c), not c.endswith("9"), c))
    return f"{shown} is {kind}, not billable; use a more specific code such as {icd10_display(best)}"


def _procedure(lookup: _Lookup, raw: str, dos: date) -> CodeCheck:
    code = (raw or "").strip().upper()
    if len(code) != 5:
        return CodeCheck(False, code, None, f"{raw.strip()!r} has {len(code)} characters; CPT and HCPCS Level II "
                         "codes have 5 (CPT: 4 digits then a digit, F, T, U or M; HCPCS: a letter A-V then 4 digits)")
    if code[:4].isdigit():
        if not CPT_FORMAT.match(code):
            return CodeCheck(False, code, "cpt", f"{code} is not a CPT code: the 5th character must be a digit "
                             "(Category I), F (Category II), T (Category III), U (PLA) or M (MAAA)")
        kind = CPT_CATEGORIES.get(code[4], "CPT Category I")
        release, entry = lookup.covering("cpt", code, dos)
        if release is None:
            return CodeCheck(True, code, "cpt", f"{kind} format is valid; no licensed CPT file is loaded for "
                             f"{dos}, so whether the code exists was not checked")
        if entry is None:
            return CodeCheck(False, code, "cpt", _not_in_release(lookup, "cpt", code, code, dos, release),
                             release.version)
        if not entry.covers(dos):
            return CodeCheck(False, code, "cpt", _outside_entry_dates(entry, code, dos, "CPT", release),
                             release.version)
        return CodeCheck(True, code, "cpt", None, release.version)
    if not HCPCS_FORMAT.match(code):
        return CodeCheck(False, code, None, f"{code} is neither CPT (4 digits then a digit, F, T, U or M) nor "
                         "HCPCS Level II (a letter A-V then 4 digits)")
    release, entry = lookup.covering("hcpcs", code, dos)
    if release is None:
        return CodeCheck(False, code, "hcpcs", f"no HCPCS Level II release is loaded for date of service {dos}; "
                         "an operator can load the CMS quarterly file with "
                         "`agency codes load hcpcs FILE --quarter YYYYQn`")
    if entry is None:
        if code.startswith("D"):
            return CodeCheck(False, code, "hcpcs", f"{code} is a CDT dental code (ADA), not in the HCPCS Level II "
                             "file; dental claims are not supported", release.version)
        return CodeCheck(False, code, "hcpcs", _not_in_release(lookup, "hcpcs", code, code, dos, release),
                         release.version)
    if not entry.covers(dos):
        return CodeCheck(False, code, "hcpcs", _outside_entry_dates(entry, code, dos, "HCPCS", release),
                         release.version)
    if not entry.billable:
        return CodeCheck(False, code, "hcpcs", f"{code} is a modifier, not a procedure code", release.version)
    return CodeCheck(True, code, "hcpcs", None, release.version)


def _modifier(lookup: _Lookup, raw: str, dos: date) -> CodeCheck:
    code = (raw or "").strip().upper()
    if not MODIFIER_FORMAT.match(code):
        return CodeCheck(False, code, "modifier", f"{raw.strip()!r} is not a modifier: modifiers are 2 letters "
                         "or digits")
    release, entry = lookup.covering("modifier", code, dos)
    if entry is not None and entry.covers(dos):
        return CodeCheck(True, code, "modifier", None, release.version)
    h_release, h_entry = lookup.covering("hcpcs", code, dos)  # Level II modifiers from the CMS file
    if h_entry is not None and h_entry.covers(dos):
        return CodeCheck(True, code, "modifier", None, h_release.version)
    if entry is not None:
        return CodeCheck(False, code, "modifier", _outside_entry_dates(entry, code, dos, "modifier", release),
                         release.version)
    if release is None and h_release is None:
        return CodeCheck(False, code, "modifier", f"no modifier table is loaded for {dos}; "
                         "an operator can load it with `agency codes load-bundled`")
    return CodeCheck(False, code, "modifier", f"{code} is not a known modifier for dates of service on {dos}")


def _place_of_service(lookup: _Lookup, raw: str, dos: date) -> CodeCheck:
    code = (raw or "").strip()
    if not POS_FORMAT.match(code):
        return CodeCheck(False, code, "pos", f"{raw.strip()!r} is not a place-of-service code: 2 digits (e.g. 11)")
    release, entry = lookup.covering("pos", code, dos)
    if release is None:
        return CodeCheck(False, code, "pos", f"no place-of-service table is loaded for {dos}; "
                         "an operator can load it with `agency codes load-bundled`")
    if entry is None:
        return CodeCheck(False, code, "pos", f"POS {code} is not assigned in the CMS place-of-service code set",
                         release.version)
    if not entry.covers(dos):
        return CodeCheck(False, code, "pos", _outside_entry_dates(entry, f"POS {code}", dos, "POS", release),
                         release.version)
    return CodeCheck(True, code, "pos", None, release.version)


# ---------------------------------------------------------------------------
# Loading (as the owner role; one transaction: the caller commits or rolls back)
# ---------------------------------------------------------------------------
@dataclass
class LoadResult:
    system: str
    version: str
    effective_from: date
    effective_to: date | None
    rows: int
    billable: int
    status: str               # "loaded", "replaced", "unchanged"
    skipped: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        window = f"{self.effective_from} to {self.effective_to or 'until superseded'}"
        text = (f"{SYSTEM_NAMES[self.system]} {self.version} ({window}): {self.status}, "
                f"{self.rows:,} codes, {self.billable:,} billable")
        if self.skipped:
            text += f", {self.skipped:,} skipped"
        return text


Progress = Callable[[int], None] | None


def load_release(session: Session, *, system: str, version: str, effective_from: date,
                 effective_to: date | None, source: str, sha256: str | None, licence: str,
                 rows: Sequence[ParsedCode], bundled_data: bool = False, notes: str | None = None,
                 expect_rows: int | None = None, expect_billable: int | None = None,
                 progress: Progress = None) -> LoadResult:
    """Create or replace release ``(system, version)`` with ``rows``. Idempotent:
    the same file again is a no-op; a different file for the same version replaces
    the entries. Never commits."""
    if system not in SYSTEMS:
        raise CodeSetError(f"unknown code system {system!r} (one of {', '.join(SYSTEMS)})")
    if effective_to is not None and effective_to < effective_from:
        raise CodeSetError(f"effective-to {effective_to} is before effective-from {effective_from}")
    billable = sum(1 for r in rows if r.billable)
    if expect_rows is not None and len(rows) != expect_rows:
        raise CodeSetError(f"{source}: {len(rows):,} codes, expected {expect_rows:,}; nothing was loaded")
    if expect_billable is not None and billable != expect_billable:
        raise CodeSetError(f"{source}: {billable:,} billable codes, expected {expect_billable:,}; "
                           "nothing was loaded")
    repo = CodeSetRepository(session)
    existing = repo.release(system, version)
    if (existing is not None and sha256 and existing.sha256 == sha256
            and existing.effective_from == effective_from and existing.effective_to == effective_to):
        return LoadResult(system, version, effective_from, effective_to, existing.row_count,
                          existing.billable_count, "unchanged")
    if existing is None:
        release = CodeSetRelease(system=system, version=version)
        status = "loaded"
    else:
        release = existing
        repo.delete_entries(existing.id)
        status = "replaced"
    release.effective_from, release.effective_to = effective_from, effective_to
    release.source, release.sha256, release.licence = source, sha256, licence
    release.bundled, release.notes = bundled_data, notes
    release.row_count, release.billable_count = len(rows), billable
    release.loaded_at = datetime.now(timezone.utc)
    repo.add_release(release)
    n = repo.copy_entries(release.id, system, rows, progress=progress)
    if progress is not None:
        progress(n)
    return LoadResult(system, version, effective_from, effective_to, n, billable, status)


def _read(path: Path) -> tuple[bytes, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CodeSetError(f"cannot read {path}: {exc.strerror or exc}") from None
    return data, hashlib.sha256(data).hexdigest()


def _check_sha(path: Path, actual: str, expected: str | None) -> None:
    if expected and expected.lower() != actual:
        raise CodeSetError(f"{path.name}: SHA-256 is {actual}, expected {expected.lower()}; nothing was loaded")


def load_icd10cm_file(session: Session, path: Path, *, year: int, encoding: str = "utf-8",
                      sha256: str | None = None, expect_billable: int | None = None,
                      progress: Progress = None) -> LoadResult:
    """Load a CMS ICD-10-CM order file as fiscal year ``year`` (1 Oct year-1 .. 30 Sep year)."""
    if not 2015 <= year <= 2100:
        raise CodeSetError(f"--year {year}: ICD-10-CM fiscal years start with FY2016 (2015-10-01)")
    data, digest = _read(path)
    _check_sha(path, digest, sha256)
    rows = icd10cm.parse_order_file(data, source=path.name, encoding=encoding)
    return load_release(session, system="icd10cm", version=f"FY{year}", effective_from=date(year - 1, 10, 1),
                        effective_to=date(year, 9, 30), source=f"CMS order file {path.name}", sha256=digest,
                        licence=PUBLIC_DOMAIN, rows=rows, expect_billable=expect_billable, progress=progress)


def load_hcpcs_file(session: Session, path: Path, *, effective_from: date, version: str | None = None,
                    encoding: str = "utf-8", sha256: str | None = None, progress: Progress = None) -> LoadResult:
    """Load a CMS HCPCS Level II quarterly file, effective from the quarter start
    until a newer release is loaded (the file is cumulative, with add and
    termination dates per code)."""
    data, digest = _read(path)
    _check_sha(path, digest, sha256)
    rows, skipped = hcpcs.parse_quarterly_file(data, source=path.name, encoding=encoding)
    label = version or f"{effective_from.year}Q{(effective_from.month - 1) // 3 + 1}"
    result = load_release(session, system="hcpcs", version=label, effective_from=effective_from, effective_to=None,
                          source=f"CMS HCPCS quarterly file {path.name}", sha256=digest, licence=PUBLIC_DOMAIN,
                          rows=rows, notes=f"{skipped} CDT (D) codes skipped" if skipped else None,
                          progress=progress)
    result.skipped = skipped
    return result


def load_cpt_file(session: Session, path: Path, *, effective_from: date, effective_to: date | None,
                  licensee: str, encoding: str = "utf-8", progress: Progress = None) -> LoadResult:
    """Load the CPT codes (numbers only) of a licensed AMA file the agency owns."""
    if not licensee.strip():
        raise CodeSetError("--licensee must name the holder of the AMA CPT licence for this file")
    data, digest = _read(path)
    rows = cpt.parse_cpt_file(data, source=path.name, encoding=encoding)
    version = f"{effective_from}..{effective_to or 'open'}"
    return load_release(session, system="cpt", version=version, effective_from=effective_from,
                        effective_to=effective_to, source=f"licensed file {path.name}", sha256=digest,
                        licence=f"AMA CPT licence held by {licensee.strip()} (BYO; codes only stored)",
                        rows=rows, notes="descriptors not stored", progress=progress)


def load_bundled(session: Session, progress: Progress = None) -> list[LoadResult]:
    """ICD-10-CM from the bundled PyPI package, plus the POS and modifier tables.
    Idempotent; safe to call on every first start."""
    info = bundled.describe()
    results = []
    repo = CodeSetRepository(session)
    existing = repo.release("icd10cm", info.version)
    if existing is not None and existing.sha256 == info.sha256:
        results.append(LoadResult("icd10cm", info.version, info.effective_from, info.effective_to,
                                  existing.row_count, existing.billable_count, "unchanged"))
    elif existing is not None and not existing.bundled:
        results.append(LoadResult("icd10cm", info.version, existing.effective_from, existing.effective_to,
                                  existing.row_count, existing.billable_count, "unchanged",
                                  notes=[f"{info.version} was loaded from {existing.source}; kept"]))
    else:
        results.append(load_release(
            session, system="icd10cm", version=info.version, effective_from=info.effective_from,
            effective_to=info.effective_to, source=info.source, sha256=info.sha256, licence=PUBLIC_DOMAIN,
            rows=bundled.read_codes(), bundled_data=True,
            notes=f"{info.version} as of the {info.update}", progress=progress))
    ref_digest = hashlib.sha256(repr((reference.POS, reference.MODIFIERS)).encode()).hexdigest()
    results.append(load_release(session, system="pos", version=reference.POS_VERSION,
                                effective_from=reference.REFERENCE_START, effective_to=None,
                                source="agency.codesets.loaders.reference (CMS POS code set)", sha256=ref_digest,
                                licence=PUBLIC_DOMAIN, rows=reference.pos_rows(), bundled_data=True))
    results.append(load_release(session, system="modifier", version=reference.MODIFIER_VERSION,
                                effective_from=reference.REFERENCE_START, effective_to=None,
                                source="agency.codesets.loaders.reference", sha256=ref_digest,
                                licence="HCPCS Level II: public domain; CPT modifier labels: our own wording",
                                rows=reference.modifier_rows(), bundled_data=True))
    return results


def releases(session: Session, system: str | None = None) -> list[CodeSetRelease]:
    return CodeSetRepository(session).releases(system)


def describe_code(session: Session, system: str, code: str, dos: date) -> str | None:
    """The stored description of ``code`` in the release covering ``dos`` (never CPT text)."""
    repo = CodeSetRepository(session)
    release = repo.covering_release(system, dos)
    return repo.description(release.id, code) if release else None


__all__ = [
    "CodeCheck", "CodeFileError", "CodeSetCache", "CodeSetError", "LoadResult", "fiscal_year", "icd10_display",
    "load_bundled", "load_cpt_file", "load_hcpcs_file", "load_icd10cm_file", "load_release", "normalize_icd10",
    "quarter_start", "releases", "validate_diagnosis", "validate_modifier", "validate_place_of_service",
    "validate_procedure",
]
