"""All queries on code-set releases and entries."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.codesets.loaders.common import ParsedCode
from agency.codesets.models import CodeSetEntry, CodeSetRelease


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    id: uuid.UUID
    system: str
    version: str
    effective_from: date
    effective_to: date | None

    def covers(self, dos: date) -> bool:
        return self.effective_from <= dos and (self.effective_to is None or dos <= self.effective_to)


@dataclass(frozen=True, slots=True)
class EntryInfo:
    code: str
    billable: bool
    valid_from: date | None
    valid_to: date | None

    def covers(self, dos: date) -> bool:
        return (self.valid_from is None or self.valid_from <= dos) and (self.valid_to is None or dos <= self.valid_to)


_R = CodeSetRelease
_E = CodeSetEntry
_RELEASE_COLS = (_R.id, _R.system, _R.version, _R.effective_from, _R.effective_to)


def _covering(system: str, dos: date):
    return (sa.and_(_R.system == system, _R.effective_from <= dos,
                    sa.or_(_R.effective_to.is_(None), _R.effective_to >= dos)))


# The release that covers a date: the latest effective_from on or before it
# (a newer release supersedes an open-ended older one), then the latest loaded.
_ORDER = (_R.effective_from.desc(), _R.loaded_at.desc())

_COPY = ("COPY code_set_entry (release_id, code, system, billable, short_desc, long_desc, "
         "valid_from, valid_to, attrs) FROM STDIN")


class CodeSetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- releases ----------------------------------------------------------
    def release(self, system: str, version: str) -> CodeSetRelease | None:
        return self.session.scalar(sa.select(_R).where(_R.system == system, _R.version == version))

    def releases(self, system: str | None = None) -> list[CodeSetRelease]:
        stmt = sa.select(_R).order_by(_R.system, _R.effective_from, _R.version)
        if system is not None:
            stmt = stmt.where(_R.system == system)
        return list(self.session.scalars(stmt))

    def release_infos(self, systems: Iterable[str]) -> list[ReleaseInfo]:
        stmt = sa.select(*_RELEASE_COLS).where(_R.system.in_(list(systems))).order_by(*_ORDER)
        return [ReleaseInfo(*row) for row in self.session.execute(stmt)]

    def covering_release(self, system: str, dos: date) -> ReleaseInfo | None:
        row = self.session.execute(sa.select(*_RELEASE_COLS).where(_covering(system, dos))
                                   .order_by(*_ORDER).limit(1)).first()
        return ReleaseInfo(*row) if row else None

    def covering_entry(self, system: str, code: str, dos: date) -> tuple[ReleaseInfo | None, EntryInfo | None]:
        """The release covering ``dos`` and ``code``'s entry in it, in one query."""
        stmt = (sa.select(*_RELEASE_COLS, _E.code, _E.billable, _E.valid_from, _E.valid_to)
                .select_from(_R)
                .outerjoin(_E, sa.and_(_E.release_id == _R.id, _E.code == code))
                .where(_covering(system, dos)).order_by(*_ORDER).limit(1))
        row = self.session.execute(stmt).first()
        if row is None:
            return None, None
        release = ReleaseInfo(*row[:5])
        return release, (EntryInfo(*row[5:]) if row[5] is not None else None)

    def entry(self, release_id: uuid.UUID, code: str) -> EntryInfo | None:
        row = self.session.execute(sa.select(_E.code, _E.billable, _E.valid_from, _E.valid_to)
                                   .where(_E.release_id == release_id, _E.code == code)).first()
        return EntryInfo(*row) if row else None

    def entries_of(self, release_id: uuid.UUID) -> Iterator[EntryInfo]:
        stmt = (sa.select(_E.code, _E.billable, _E.valid_from, _E.valid_to)
                .where(_E.release_id == release_id).execution_options(yield_per=20_000))
        for row in self.session.execute(stmt):
            yield EntryInfo(*row)

    def releases_containing(self, system: str, code: str) -> list[tuple[ReleaseInfo, EntryInfo]]:
        stmt = (sa.select(*_RELEASE_COLS, _E.code, _E.billable, _E.valid_from, _E.valid_to)
                .join(_E, _E.release_id == _R.id)
                .where(_R.system == system, _E.code == code).order_by(_R.effective_from))
        return [(ReleaseInfo(*row[:5]), EntryInfo(*row[5:])) for row in self.session.execute(stmt)]

    def billable_descendants(self, release_id: uuid.UUID, prefix: str, limit: int = 200) -> list[str]:
        stmt = (sa.select(_E.code).where(_E.release_id == release_id, _E.billable,
                                         _E.code.startswith(prefix, autoescape=True), _E.code != prefix)
                .order_by(sa.func.length(_E.code), _E.code).limit(limit))
        return list(self.session.scalars(stmt))

    def description(self, release_id: uuid.UUID, code: str) -> str | None:
        return self.session.scalar(sa.select(sa.func.coalesce(_E.long_desc, _E.short_desc))
                                   .where(_E.release_id == release_id, _E.code == code))

    # --- writes (owner role only; the runtime role has SELECT only) ----------
    def add_release(self, release: CodeSetRelease) -> None:
        self.session.add(release)
        self.session.flush()

    def delete_entries(self, release_id: uuid.UUID) -> None:
        self.session.execute(sa.delete(_E).where(_E.release_id == release_id))

    def copy_entries(self, release_id: uuid.UUID, system: str, rows: Iterable[ParsedCode],
                     progress=None, every: int = 20_000) -> int:  # noqa: ANN001
        """COPY the rows in (one round trip per buffer, not per row)."""
        self.session.flush()
        raw = self.session.connection().connection.driver_connection
        n = 0
        with raw.cursor() as cur, cur.copy(_COPY) as copy:
            for r in rows:
                copy.write_row((release_id, r.code, system, r.billable, r.short_desc, r.long_desc,
                                r.valid_from, r.valid_to, json.dumps(r.attrs) if r.attrs else None))
                n += 1
                if progress is not None and n % every == 0:
                    progress(n)
        return n
