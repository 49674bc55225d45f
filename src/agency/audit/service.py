"""Recording, and verifying, the audit trail.

Recording (from handlers, services and workers)::

    from agency.audit import service as audit
    audit.record(session, actor, "read", "patient", patient.id)   # sync Session
    await audit.arecord(asession, actor, "read", "patient", patient.id)

``session`` must be tenant-bound (the practice whose PHI was touched). The event
is buffered on the session and appended to the practice's hash chain just
before the unit of work commits, so the chain lock is held only during commit
and a rolled-back unit of work leaves no event for work that did not happen.
In a request, ``PracticeContext.audit(...)`` fills the actor for you.

Rows hold ids and types only, never PHI values.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from agency.audit.chain import GENESIS, record_hash
from agency.audit.models import AgencyAuditEvent, AuditEvent
from agency.audit.repository import AuditRepository, add_agency_event
from agency.db.base import new_id

ACTIONS = frozenset({"read", "list", "create", "update", "delete", "export", "print", "search"})
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_PENDING = "agency.audit.pending"


@dataclass(frozen=True)
class AuditActor:
    """Who acted, from where: user or token (or system for workers)."""

    actor_type: str
    actor_id: str
    role: str
    source_ip: str | None = None
    request_id: str | None = None

    @classmethod
    def of(cls, principal, source_ip: str | None = None, request_id: str | None = None) -> "AuditActor":  # noqa: ANN001
        return cls(principal.kind, str(principal.id), principal.role.value, source_ip, request_id)


SYSTEM = AuditActor("system", "system", "system")


@dataclass(frozen=True)
class _Pending:
    actor: AuditActor
    action: str
    resource_type: str
    resource_id: str | None
    occurred_at: datetime


def _check(action: str, resource_type: str, resource_id: object) -> str | None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if not _TYPE.match(resource_type):
        raise ValueError("resource_type must be a lowercase identifier")
    if resource_id is None:
        return None
    rid = str(resource_id)
    if not _ID.match(rid):
        # Ids only: anything with spaces or free text could be PHI.
        raise ValueError("resource_id must be an identifier (ids only, never PHI values)")
    return rid


def record(session: Session, actor: AuditActor, action: str, resource_type: str,
           resource_id: object = None) -> None:
    """Buffer one audit event on a tenant-bound session; written at commit."""
    if session.info.get("tenant_id") is None:
        raise RuntimeError("audit events are recorded on a tenant-bound session")
    rid = _check(action, resource_type, resource_id)
    session.info.setdefault(_PENDING, []).append(
        _Pending(actor, action, resource_type, rid, datetime.now(UTC)))


def record_many(session: Session, actor: AuditActor, action: str, resource_type: str,
                resource_ids: list[object]) -> None:
    for rid in resource_ids:
        record(session, actor, action, resource_type, rid)


async def arecord(session: AsyncSession, actor: AuditActor, action: str, resource_type: str,
                  resource_id: object = None) -> None:
    record(session.sync_session, actor, action, resource_type, resource_id)


def write_pending(session: Session) -> int:
    """Append the buffered events to the practice's chain (called before commit)."""
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    if not pending:
        return 0
    tenant_id, agency_id = session.info["tenant_id"], session.info.get("agency_id")
    repo = AuditRepository(session, tenant_id)
    head = repo.lock_head()
    seq, prev = head.seq, bytes(head.hash)
    for p in pending:
        seq += 1
        ev = AuditEvent(tenant_id=tenant_id, id=new_id(), seq=seq, agency_id=agency_id,
                        occurred_at=p.occurred_at, actor_type=p.actor.actor_type, actor_id=p.actor.actor_id,
                        role=p.actor.role, action=p.action, resource_type=p.resource_type,
                        resource_id=p.resource_id, source_ip=p.actor.source_ip, request_id=p.actor.request_id,
                        prev_hash=prev)
        ev.hash = record_hash(ev)
        prev = ev.hash
        repo.add(ev)
    head.seq, head.hash = seq, prev
    session.flush()
    return len(pending)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    if session.info.get(_PENDING):
        write_pending(session)


@event.listens_for(Session, "after_rollback")
def _drop_on_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def record_agency_event(session: Session, actor: AuditActor, action: str, resource_type: str,
                        resource_id: object = None) -> None:
    """PHI-free staff administration (users, assignments, tokens): agency-bound session."""
    agency_id = session.info.get("agency_id")
    if agency_id is None:
        raise RuntimeError("agency events are recorded on an agency-bound session")
    rid = _check(action, resource_type, resource_id)
    add_agency_event(session, AgencyAuditEvent(
        id=new_id(), agency_id=agency_id, occurred_at=datetime.now(UTC), actor_type=actor.actor_type,
        actor_id=actor.actor_id, role=actor.role, action=action, resource_type=resource_type, resource_id=rid,
        source_ip=actor.source_ip, request_id=actor.request_id))


# --- verification -------------------------------------------------------------------

@dataclass(frozen=True)
class ChainProblem:
    tenant_id: uuid.UUID
    kind: str          # altered | removed | head
    seq: int | None
    record_id: uuid.UUID | None
    detail: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" + (f" (id {self.record_id})" if self.record_id else "")
        return f"practice {self.tenant_id}: {self.kind}: {where}: {self.detail}"


def verify_chain(session: Session, tenant_id: uuid.UUID) -> tuple[int, list[ChainProblem]]:
    """Walk one practice's chain (tenant-bound session). Returns (records, problems)."""
    repo = AuditRepository(session, tenant_id)
    problems: list[ChainProblem] = []
    expected_seq, prev_hash, prev_row = 1, GENESIS, None
    count = 0
    for row in repo.chain():
        count += 1
        if row.seq > expected_seq:
            missing = (f"seq {expected_seq}" if row.seq - 1 == expected_seq
                       else f"seq {expected_seq}..{row.seq - 1}")
            problems.append(ChainProblem(tenant_id, "removed", expected_seq, None,
                                         f"record(s) {missing} removed before seq {row.seq} (id {row.id})"))
        if record_hash(row) != bytes(row.hash):
            problems.append(ChainProblem(tenant_id, "altered", row.seq, row.id,
                                         "record content does not match its hash"))
        elif bytes(row.prev_hash) != prev_hash and row.seq == expected_seq and prev_row is not None:
            problems.append(ChainProblem(tenant_id, "altered", prev_row.seq, prev_row.id,
                                         f"record was rewritten: seq {row.seq} chains to a different hash"))
        elif bytes(row.prev_hash) != prev_hash and row.seq == expected_seq:
            problems.append(ChainProblem(tenant_id, "altered", row.seq, row.id, "does not chain to genesis"))
        expected_seq, prev_hash, prev_row = row.seq + 1, bytes(row.hash), row
    head = repo.head()
    last_seq = expected_seq - 1
    if head is None:
        if count:
            problems.append(ChainProblem(tenant_id, "head", None, None, "chain head is missing"))
    elif head.seq > last_seq:
        missing = f"seq {last_seq + 1}" if head.seq == last_seq + 1 else f"seq {last_seq + 1}..{head.seq}"
        problems.append(ChainProblem(tenant_id, "removed", last_seq + 1, None,
                                     f"newest record(s) {missing} removed (chain head is at seq {head.seq})"))
    elif head.seq < last_seq:
        problems.append(ChainProblem(tenant_id, "head", head.seq, None,
                                     f"chain head at seq {head.seq} is behind the last record seq {last_seq}"))
    elif bytes(head.hash) != prev_hash and prev_row is not None:
        problems.append(ChainProblem(tenant_id, "altered", prev_row.seq, prev_row.id,
                                     "newest record was rewritten: it does not match the chain head"))
    return count, problems


# --- querying ------------------------------------------------------------------------

def query_practice(session: Session, tenant_id: uuid.UUID, flt, before: tuple[datetime, uuid.UUID] | None,  # noqa: ANN001
                   limit: int) -> list[AuditEvent]:
    """Newest first, within one practice (tenant-bound session)."""
    return AuditRepository(session, tenant_id).query(
        user_id=flt.user_id, resource_type=flt.resource_type, resource_id=flt.resource_id, since=flt.since,
        until=flt.until, before=before, limit=limit)
