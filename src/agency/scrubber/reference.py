"""NCCI PTP and MUE reference data: parsers for the CMS quarterly files, loaders
(owner role, one transaction: a bad line aborts and nothing is saved) and
:class:`NcciTables`, the :class:`~agency.scrubber.context.NcciLookup` the
scrubber uses (a handful of queries per batch, never one per claim).

**PTP files** (Medicare NCCI practitioner ``ccipra-v*-f*.txt`` / hospital
``ccioph-v*-f*.txt``; tab-separated text or CSV, copyright and header lines
first): Column 1 code, Column 2 code, "in existence prior to 1996" flag (``*``
or blank), Effective Date (YYYYMMDD), Deletion Date (YYYYMMDD, ``*`` = none; the edit no longer applies from that date),
Modifier indicator (0 not allowed, 1 allowed, 9 not applicable), PTP Edit
Rationale. Each quarter's edits come in several files split by column-1 range;
the files are cumulative and carry their own dates, so each row is upserted on
(kind, column 1, column 2, effective date) and loading files in any order is
safe. ``--effective`` names the quarter and is recorded with the source.

**MUE files** (``MCR_MUE_PractitionerServices_Eff_*.csv``, ``..._OutpatientHospital...``,
``..._DME...``; CSV or tab-separated, header lines first): HCPCS/CPT code, MUE
value, MUE Adjudication Indicator (text starting ``1``, ``2`` or ``3``, e.g.
``2 Date of Service Edit: Policy``), MUE Rationale. MUE rows carry no dates: a
file is in force from ``--effective`` until the next quarter loaded for the same
kind (earlier open rows are closed the day before).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.errors import UserFacingError
from agency.scrubber.context import MueLimit, PtpEdit

CODE = re.compile(r"^[0-9A-Z]{4}[0-9A-Z]$")
PTP_KINDS = ("practitioner", "hospital")
MUE_KINDS = ("practitioner", "hospital", "dme")


class ReferenceFileError(UserFacingError):
    """A PTP/MUE file or argument was refused; the message names file, line and field."""


@dataclass(frozen=True, slots=True)
class PtpRow:
    column1: str
    column2: str
    effective_date: date
    deletion_date: date | None
    modifier_indicator: str


@dataclass(frozen=True, slots=True)
class MueRow:
    code: str
    mue_value: int
    mai: int


@dataclass
class LoadSummary:
    what: str
    kind: str
    rows: int
    source: str
    effective: date

    def summary(self) -> str:
        return f"{self.what} ({self.kind}) from {self.source}, quarter from {self.effective}: {self.rows:,} rows loaded"


# ---------------------------------------------------------------------------- parsing

def _rows(data: bytes, name: str, encoding: str):
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ReferenceFileError(f"{name}, line {line}: byte 0x{data[exc.start]:02X} is not valid {encoding}; "
                                 "try --encoding cp1252; nothing was loaded") from None
    text = text.lstrip("\ufeff")
    sample = next((ln for ln in text.splitlines() if CODE.match(ln.strip()[:5] or "-")), "")
    delimiter = "\t" if "\t" in sample else ","
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [c.strip() for c in row]
        if not cells or not cells[0] or not CODE.match(cells[0].upper()):
            continue  # copyright notice, header or blank line
        yield number, cells


def _date(value: str, name: str, line: int, field: str, *, optional: bool = False) -> date | None:
    v = value.strip()
    if optional and v in ("", "*"):
        return None
    for fmt in ("%Y%m%d", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(v, fmt).date()
        except ValueError:
            continue
    raise ReferenceFileError(f"{name}, line {line}, field {field}: {v!r} is not a date (YYYYMMDD); "
                             "nothing was loaded")


def parse_ptp(data: bytes, name: str, encoding: str = "utf-8") -> list[PtpRow]:
    out = []
    for line, cells in _rows(data, name, encoding):
        if len(cells) < 6:
            raise ReferenceFileError(f"{name}, line {line}: expected at least 6 columns (column 1, column 2, "
                                     f"prior-1996 flag, effective date, deletion date, modifier indicator), found "
                                     f"{len(cells)}; nothing was loaded")
        col1, col2 = cells[0].upper(), cells[1].upper()
        if not CODE.match(col2):
            raise ReferenceFileError(f"{name}, line {line}, field column 2: {cells[1]!r} is not a 5-character "
                                     "procedure code; nothing was loaded")
        effective = _date(cells[3], name, line, "effective date")
        deletion = _date(cells[4], name, line, "deletion date", optional=True)
        if deletion is not None and deletion < effective:
            raise ReferenceFileError(f"{name}, line {line}, field deletion date: before the effective date; "
                                     "nothing was loaded")
        indicator = cells[5]
        if indicator not in ("0", "1", "9"):
            raise ReferenceFileError(f"{name}, line {line}, field modifier indicator: {indicator!r} must be 0, 1 "
                                     "or 9; nothing was loaded")
        out.append(PtpRow(col1, col2, effective, deletion, indicator))
    if not out:
        raise ReferenceFileError(f"{name}: no PTP edit rows found (expected lines starting with two procedure "
                                 "codes); nothing was loaded")
    return out


def parse_mue(data: bytes, name: str, encoding: str = "utf-8") -> list[MueRow]:
    out = []
    seen: dict[str, int] = {}
    for line, cells in _rows(data, name, encoding):
        if len(cells) < 3:
            raise ReferenceFileError(f"{name}, line {line}: expected at least 3 columns (code, MUE value, MUE "
                                     f"adjudication indicator), found {len(cells)}; nothing was loaded")
        code = cells[0].upper()
        try:
            value = int(cells[1])
            if value < 0:
                raise ValueError
        except ValueError:
            raise ReferenceFileError(f"{name}, line {line}, field MUE value: {cells[1]!r} is not a whole number "
                                     ">= 0; nothing was loaded") from None
        mai_text = cells[2].lstrip()
        if not mai_text or mai_text[0] not in "123":
            raise ReferenceFileError(f"{name}, line {line}, field MUE adjudication indicator: {cells[2]!r} must "
                                     "start with 1, 2 or 3; nothing was loaded")
        if code in seen:
            raise ReferenceFileError(f"{name}, line {line}: code {code} is listed twice (first on line "
                                     f"{seen[code]}); nothing was loaded")
        seen[code] = line
        out.append(MueRow(code, value, int(mai_text[0])))
    if not out:
        raise ReferenceFileError(f"{name}: no MUE rows found (expected lines starting with a procedure code); "
                                 "nothing was loaded")
    return out


# ---------------------------------------------------------------------------- loading (owner role)

def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ReferenceFileError(f"{path.name}: cannot be read ({exc.strerror}); nothing was loaded") from None


def _copy(session: Session, table: str, columns: tuple[str, ...], rows) -> None:
    """COPY rows into a temporary table (fast for the ~1M-row PTP files)."""
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load_ptp_file(session: Session, path: Path, *, kind: str, effective: date,
                  encoding: str = "utf-8") -> LoadSummary:
    if kind not in PTP_KINDS:
        raise ReferenceFileError(f"--kind must be one of {', '.join(PTP_KINDS)} (got {kind!r})")
    data = _read(path)
    rows = parse_ptp(data, path.name, encoding)
    source = f"{path.name} (quarter from {effective}; sha256 {hashlib.sha256(data).hexdigest()[:16]})"
    session.execute(sa.text("CREATE TEMP TABLE _ptp_load (column1 text, column2 text, effective_date date, "
                            "deletion_date date, modifier_indicator text) ON COMMIT DROP"))
    _copy(session, "_ptp_load", ("column1", "column2", "effective_date", "deletion_date", "modifier_indicator"),
          ((r.column1, r.column2, r.effective_date, r.deletion_date, r.modifier_indicator) for r in rows))
    session.execute(sa.text("""
        INSERT INTO ncci_ptp_edit (kind, column1, column2, effective_date, deletion_date, modifier_indicator, source)
        SELECT DISTINCT ON (column1, column2, effective_date)
               :kind, column1, column2, effective_date, deletion_date, modifier_indicator, :source
        FROM _ptp_load ORDER BY column1, column2, effective_date, deletion_date DESC NULLS FIRST
        ON CONFLICT (kind, column1, column2, effective_date) DO UPDATE
          SET deletion_date = EXCLUDED.deletion_date, modifier_indicator = EXCLUDED.modifier_indicator,
              source = EXCLUDED.source"""), {"kind": kind, "source": source})
    session.execute(sa.text("DROP TABLE _ptp_load"))
    return LoadSummary("NCCI PTP edits", kind, len(rows), path.name, effective)


def load_mue_file(session: Session, path: Path, *, kind: str = "practitioner", effective: date,
                  encoding: str = "utf-8") -> LoadSummary:
    if kind not in MUE_KINDS:
        raise ReferenceFileError(f"--kind must be one of {', '.join(MUE_KINDS)} (got {kind!r})")
    data = _read(path)
    rows = parse_mue(data, path.name, encoding)
    source = f"{path.name} (sha256 {hashlib.sha256(data).hexdigest()[:16]})"
    params = {"kind": kind, "eff": effective}
    # Reloading the same quarter replaces it; it ends where a later quarter starts.
    session.execute(sa.text("DELETE FROM mue_limit WHERE kind = :kind AND effective_from = :eff"), params)
    next_from = session.execute(sa.text("SELECT min(effective_from) FROM mue_limit WHERE kind = :kind "
                                        "AND effective_from > :eff"), params).scalar()
    until = next_from - timedelta(days=1) if next_from else None
    session.execute(sa.text("UPDATE mue_limit SET effective_to = :prev WHERE kind = :kind AND effective_from < :eff "
                            "AND (effective_to IS NULL OR effective_to >= :eff)"),
                    {**params, "prev": effective - timedelta(days=1)})
    _copy(session, "mue_limit", ("kind", "code", "effective_from", "effective_to", "mue_value", "mai", "source"),
          ((kind, r.code, effective, until, r.mue_value, r.mai, source) for r in rows))
    return LoadSummary("MUE limits", kind, len(rows), path.name, effective)


# ---------------------------------------------------------------------------- lookups (runtime role)

class NcciTables:
    """:class:`~agency.scrubber.context.NcciLookup` over the loaded tables.

    PTP edits are read per column-1 code on first use (or in bulk with
    :meth:`prefetch`), MUE limits of the kind once; answers are cached for the
    life of the object (one batch). ``ptp_kind``: practitioner (837P) or hospital
    (837I outpatient); ``mue_kind``: practitioner, hospital or dme."""

    def __init__(self, session: Session, ptp_kind: str = "practitioner", mue_kind: str = "practitioner") -> None:
        self.session = session
        self.ptp_kind = ptp_kind
        self.mue_kind = mue_kind
        self._ptp: dict[str, dict[str, list[tuple[date, date | None, str]]]] = {}
        self._mue: dict[str, list[tuple[date, date | None, int, int]]] | None = None
        self._ptp_loaded: bool | None = None

    def ptp_loaded(self) -> bool:
        if self._ptp_loaded is None:
            self._ptp_loaded = bool(self.session.execute(
                sa.text("SELECT EXISTS (SELECT 1 FROM ncci_ptp_edit WHERE kind = :k)"), {"k": self.ptp_kind}).scalar())
        return self._ptp_loaded

    def mue_loaded(self) -> bool:
        return bool(self._mue_rows())

    def prefetch(self, codes) -> "NcciTables":  # noqa: ANN001
        """Read the PTP edits of many column-1 codes in one query."""
        missing = sorted({c for c in codes if c and c not in self._ptp})
        if missing and self.ptp_loaded():
            for c in missing:
                self._ptp[c] = defaultdict(list)
            rows = self.session.execute(sa.text(
                "SELECT column1, column2, effective_date, deletion_date, modifier_indicator FROM ncci_ptp_edit "
                "WHERE kind = :k AND column1 = ANY(:codes)"), {"k": self.ptp_kind, "codes": missing})
            for c1, c2, eff, dele, ind in rows:
                self._ptp[c1][c2].append((eff, dele, ind))
        return self

    def ptp(self, column1: str, column2: str, dos: date) -> PtpEdit | None:
        by_col2 = self._ptp.get(column1)
        if by_col2 is None:
            self.prefetch([column1])
            by_col2 = self._ptp.get(column1, {})
        for eff, dele, ind in by_col2.get(column2, ()):
            if eff <= dos and (dele is None or dos < dele):
                return PtpEdit(column1, column2, ind)
        return None

    def _mue_rows(self):
        if self._mue is None:
            self._mue = defaultdict(list)
            for code, f, t, v, mai in self.session.execute(sa.text(
                    "SELECT code, effective_from, effective_to, mue_value, mai FROM mue_limit WHERE kind = :k"),
                    {"k": self.mue_kind}):
                self._mue[code].append((f, t, v, mai))
        return self._mue

    def mue(self, code: str, dos: date) -> MueLimit | None:
        for f, t, v, mai in self._mue_rows().get(code, ()):
            if f <= dos and (t is None or dos <= t):
                return MueLimit(code, v, mai)
        return None
