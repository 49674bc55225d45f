"""CSV intake: accept a file (batch), import it in chunks, report bad rows.

* :func:`create_batch` (request): size/encoding/delimiter/header checks, then
  the file is stored sealed as an ``intake_batch``. The same bytes uploaded
  again return the existing batch (``UNIQUE (tenant_id, sha256)``).
* :func:`run_import` (job ``intake.import_csv``): groups rows into encounters and
  imports them in chunks of about ``chunk_rows`` rows. Each chunk is one
  transaction holding its encounters, its patients, its row errors **and** the
  batch's progress counters, so a crash loses at most the chunk in flight and a
  rerun resumes after the last committed chunk. The batch row is locked per
  chunk, so a redelivered message running beside the first cannot import a
  chunk twice; ``UNIQUE (tenant_id, external_id)`` (the ``encounter_ref``) is
  the last line of defence.
* An encounter (all rows of one ``encounter_ref``) is imported whole or not at
  all. Each refused row gets its reasons; the other rows of a refused encounter
  say which row held it back.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from agency.codesets.service import CodeSetCache
from agency.db.base import new_id
from agency.encounters import service as encounters
from agency.encounters.service import EncounterDraft, PatientResolver, PracticeDirectory
from agency.intake.csvfile import CsvFileError, read_csv
from agency.intake.models import IntakeBatch, IntakeError
from agency.intake.repository import IntakeRepository
from agency.intake.rows import BuiltGroup, Group, RowError, build, group_rows
from tenants.crypto.keyring import PhiCipher
from tenants.scope import TenantScope
from tenants.sessions import SessionFactory

_B, _ERR = "intake_batch", "intake_error"
DEFAULT_CHUNK_ROWS = 500


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def create_batch(session: Session, cipher: PhiCipher, scope: TenantScope, data: bytes, *, filename: str | None,
                 created_by: str, final_codes: bool = False) -> tuple[IntakeBatch, bool]:
    """(batch, created). Raises CsvFileError for a file refused as a whole."""
    t = scope.tenant_id
    repo = IntakeRepository(session, t)
    digest = sha256_hex(data)
    existing = repo.by_sha256(digest)
    if existing is not None:
        return existing, False
    parsed = read_csv(data)
    bid = new_id()
    batch = IntakeBatch(tenant_id=t, id=bid, agency_id=scope.agency_id, sha256=digest, size_bytes=len(data),
                        filename=cipher.seal_text(t, _B, "filename", bid, (filename or "")[:255] or None),
                        content=cipher.seal_bytes(t, _B, "content", bid, data), final_codes=final_codes,
                        status="queued", rows_total=parsed.rows_total, created_by=created_by)
    try:
        with session.begin_nested():
            repo.add(batch)
            session.flush()
    except sa_exc.IntegrityError:  # the same file uploaded concurrently
        existing = repo.by_sha256(digest)
        if existing is None:
            raise
        return existing, False
    return batch, True


def batch_filename(cipher: PhiCipher, batch: IntakeBatch) -> str | None:
    return cipher.open_text(batch.tenant_id, _B, "filename", batch.id, batch.filename)


def error_rows(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID,
               batch_id: uuid.UUID) -> Iterator[tuple[int, str | None, str]]:
    for e in IntakeRepository(session, tenant_id).errors(batch_id):
        yield e.row_number, e.column_name, cipher.open_text(tenant_id, _ERR, "reason", e.id, e.reason) or ""


# ---------------------------------------------------------------------------
# The import job
# ---------------------------------------------------------------------------
@dataclass
class ChunkResult:
    rows_imported: int = 0
    rows_failed: int = 0
    encounters: int = 0
    duplicates: int = 0


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _fail(sessions: SessionFactory, tenant_id: uuid.UUID, batch_id: uuid.UUID, reason: str) -> None:
    with sessions.tenant_unit_for(tenant_id) as s:
        b = IntakeRepository(s, tenant_id).lock(batch_id)
        if b is not None and b.status in ("queued", "running"):
            b.status, b.failure, b.finished_at = "failed", reason, _now()


def run_import(sessions: SessionFactory, cipher: PhiCipher, tenant_id: uuid.UUID, batch_id: uuid.UUID, *,
               chunk_rows: int = DEFAULT_CHUNK_ROWS, today: date | None = None,
               after_chunk: Callable[[int], None] | None = None) -> str | None:
    """Import (or resume) a batch. Returns its final status (None if unknown).
    Safe to run twice, concurrently or after a crash."""
    with sessions.tenant_unit_for(tenant_id) as s:
        b = IntakeRepository(s, tenant_id).get(batch_id)
        if b is None:
            return None
        if b.status in ("completed", "failed"):
            return b.status
        scope = TenantScope(b.agency_id, tenant_id)
        data = cipher.open_bytes(tenant_id, _B, "content", b.id, b.content) or b""
        final_codes = b.final_codes
    today = today or date.today()
    try:
        parsed = read_csv(data)
    except CsvFileError as exc:  # accepted at upload, so only if the rules changed since
        _fail(sessions, tenant_id, batch_id, str(exc))
        return "failed"
    del data
    groups, ungrouped = group_rows(parsed.rows)

    with sessions.tenant_unit(scope) as s:
        repo = IntakeRepository(s, tenant_id)
        b = repo.lock(batch_id)
        if b is None or b.status not in ("queued", "running"):
            return b.status if b else None
        if b.status == "queued":
            _write_errors(s, cipher, tenant_id, batch_id, ungrouped)
            failed_rows = len({e.row for e in ungrouped})
            b.rows_done += failed_rows
            b.rows_failed += failed_rows
            b.groups_total = len(groups)
            b.status, b.started_at = "running", _now()

    lookup_session = sessions.tenant(scope)
    try:
        codes = CodeSetCache(lookup_session)
        directory = PracticeDirectory(lookup_session, tenant_id, scope.agency_id)
        lookup_session.expunge_all()
        lookup_session.rollback()
        resolver = PatientResolver(cipher, tenant_id, directory)
        while True:
            try:
                done = _next_chunk(sessions, cipher, scope, batch_id, groups, chunk_rows, codes, directory, resolver,
                                   final_codes, today, isolate=False)
            except (sa_exc.IntegrityError, sa_exc.DataError):
                # Someone saved conflicting data meanwhile (e.g. the same encounter_ref through
                # the API): redo this chunk one encounter per savepoint.
                resolver.forget_created()
                done = _next_chunk(sessions, cipher, scope, batch_id, groups, chunk_rows, codes, directory,
                                   resolver, final_codes, today, isolate=True)
            except BaseException:
                resolver.forget_created()
                raise
            finally:
                lookup_session.rollback()  # never hold a transaction open between chunks
            resolver.settle()
            if done is None:
                break
            if after_chunk is not None:
                after_chunk(done)
    finally:
        lookup_session.close()
    with sessions.tenant_unit_for(tenant_id) as s:
        b = IntakeRepository(s, tenant_id).get(batch_id)
        return b.status if b else None


def _next_chunk(sessions: SessionFactory, cipher: PhiCipher, scope: TenantScope, batch_id: uuid.UUID,
                groups: list[Group], chunk_rows: int, codes: CodeSetCache, directory: PracticeDirectory,
                resolver: PatientResolver, final_codes: bool, today: date, *, isolate: bool) -> int | None:
    """Import the next chunk in one transaction; the group index reached, or None when finished."""
    t = scope.tenant_id
    with sessions.tenant_unit(scope) as s:
        repo = IntakeRepository(s, t)
        b = repo.lock(batch_id)
        if b is None or b.status != "running":
            return None
        start = b.groups_done
        if start >= len(groups):
            b.status, b.finished_at = "completed", _now()
            return None
        end, rows = start, 0
        while end < len(groups) and rows < chunk_rows:
            rows += len(groups[end].rows)
            end += 1
        result = _import_groups(s, cipher, scope, batch_id, groups[start:end], codes, directory, resolver,
                                final_codes, today, isolate=isolate)
        b.groups_done = end
        b.rows_done += rows
        b.rows_imported += result.rows_imported
        b.rows_failed += result.rows_failed
        b.encounters_created += result.encounters
        b.duplicates_flagged += result.duplicates
        if end >= len(groups):
            b.status, b.finished_at = "completed", _now()
        return end


def _import_groups(s: Session, cipher: PhiCipher, scope: TenantScope, batch_id: uuid.UUID, groups: list[Group],
                   codes: CodeSetCache, directory: PracticeDirectory, resolver: PatientResolver, final_codes: bool,
                   today: date, *, isolate: bool) -> ChunkResult:
    t = scope.tenant_id
    result = ChunkResult()
    errors: list[RowError] = []
    existing = encounters.existing_external_ids(s, t, [g.ref for g in groups])
    ready: list[tuple[Group, EncounterDraft]] = []
    for g in groups:
        row_numbers = [r.number for r in g.rows]
        if g.ref in existing:
            enc_id, from_batch = existing[g.ref]
            if from_batch == batch_id:  # imported by an earlier run of this very batch
                result.rows_imported += len(row_numbers)
                continue
            errors += [RowError(n, "encounter_ref", f"encounter {g.ref!r} was already imported (encounter "
                                                    f"{enc_id}); it was not imported again") for n in row_numbers]
            result.rows_failed += len(row_numbers)
            continue
        draft, problems = _check_group(s, g, codes, directory, resolver, final_codes, today)
        if problems:
            errors += _with_held_back(g, problems)
            result.rows_failed += len(row_numbers)
            continue
        assert draft is not None
        draft.source, draft.intake_batch_id = "csv", batch_id
        ready.append((g, draft))

    if not isolate:
        created = encounters.insert_encounters(s, cipher, t, [d for _, d in ready])
        result.encounters += len(created)
        result.duplicates += sum(1 for e in created if e.duplicate_flag)
        result.rows_imported += sum(len(g.rows) for g, _ in ready)
    else:
        for g, draft in ready:
            try:
                with s.begin_nested():
                    created = encounters.insert_encounters(s, cipher, t, [draft])
            except (sa_exc.IntegrityError, sa_exc.DataError):
                errors += [RowError(r.number, "encounter_ref", "this encounter could not be saved because it "
                                                               "conflicts with data saved meanwhile (is "
                                                               "encounter_ref already used?)") for r in g.rows]
                result.rows_failed += len(g.rows)
                continue
            result.encounters += 1
            result.duplicates += int(created[0].duplicate_flag)
            result.rows_imported += len(g.rows)
    _write_errors(s, cipher, t, batch_id, errors)
    return result


def _check_group(s: Session, g: Group, codes: CodeSetCache, directory: PracticeDirectory,
                 resolver: PatientResolver, final_codes: bool,
                 today: date) -> tuple[EncounterDraft | None, list[RowError]]:
    built, errors = build(g, final_codes=final_codes)
    if built is None:
        return None, errors
    draft, problems = encounters.check_encounter(built.encounter, directory, codes, today=today,
                                                 date_of_birth=built.patient.date_of_birth)
    if problems:
        problems += resolver.precheck(built.patient)[0]
        return None, [built.locate(p) for p in problems]
    assert draft is not None
    patient, problems = resolver.resolve(s, built.patient)
    if problems:
        return None, [built.locate(p) for p in problems]
    assert patient is not None
    draft.patient_id = patient.id
    return draft, []


def _with_held_back(g: Group, problems: list[RowError]) -> list[RowError]:
    bad = sorted({p.row for p in problems})
    out = list(problems)
    shown = ", ".join(str(n) for n in bad[:10]) + (" ..." if len(bad) > 10 else "")
    for r in g.rows:
        if r.number not in bad:
            out.append(RowError(r.number, "encounter_ref", f"not imported: row {shown} of the same encounter has "
                                                           "errors (an encounter is imported whole or not at all)"))
    return out


def _write_errors(s: Session, cipher: PhiCipher, tenant_id: uuid.UUID, batch_id: uuid.UUID,
                  errors: list[RowError]) -> None:
    if not errors:
        return
    seq: dict[int, int] = {}
    rows = []
    for e in sorted(errors, key=lambda e: e.row):
        n = seq[e.row] = seq.get(e.row, 0) + 1
        eid = new_id()
        rows.append(dict(tenant_id=tenant_id, id=eid, batch_id=batch_id, row_number=e.row, seq=n,
                         column_name=e.column, reason=cipher.seal_text(tenant_id, _ERR, "reason", eid, e.reason)))
    s.execute(sa.insert(IntakeError), rows)


__all__ = ["BuiltGroup", "CsvFileError", "DEFAULT_CHUNK_ROWS", "batch_filename", "create_batch", "error_rows",
           "run_import", "sha256_hex"]
