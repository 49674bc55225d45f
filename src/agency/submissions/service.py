"""Submission runs: ready claims -> validated, sealed 837 files -> the clearinghouse.

Guarantees (see docs/claims-and-submissions.md):

* **Build** (:func:`build_file`) is ONE tenant transaction per file: ready claims are
  taken with ``FOR UPDATE SKIP LOCKED``; ISA13/GS06/ST02 are allocated from the
  ``envelope_counter`` row of the envelope identity (sender, receiver) under
  ``FOR UPDATE``; the 837 is written, validated (``edi.validate.validate_file``),
  sealed into ``edi_file``; the ``interchange`` and ``submission_claim`` rows are
  inserted and the claims move ``ready -> queued``. Either all of that commits
  or none of it. ``UNIQUE (tenant_id, claim_id, attempt)`` makes a claim part of
  at most one file per submission attempt.
* **Transmit** (:func:`transmit`) runs after the commit. A PostgreSQL advisory lock
  (released by the server if the worker dies) keeps two live workers off one
  interchange. The interchange is marked ``transmitting`` (attempts + 1) and
  committed *before* the upload; after the upload a conditional update marks it
  ``transmitted`` and the claims ``queued -> submitted``. Found ``transmitting``
  again (the previous worker died between marking and committing), the remote
  outbound directory is listed: if the file is there it is not uploaded again.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from edi.envelope import Interchange as EnvelopeParams
from edi.model.claim837 import BillingGroup, ClaimBatch, Contact, Receiver, Submitter
from edi.validate import validate_file
from edi.w837 import write_837i, write_837p
from edi.errors import X12Error

from agency.claims import lifecycle
from agency.claims.edi_build import AssemblyError, ClaimAssembler
from agency.claims.models import Claim
from agency.clearinghouse.models import ClearinghouseConnection
from agency.clearinghouse.transport import TransportError
from agency.db.base import new_id
from agency.payers.models import Payer
from agency.practices.models import Agency, BillingProvider, Practice
from agency.submissions.models import EDI_FILE, EnvelopeCounter, Interchange, SubmissionClaim
from agency.submissions.transport import open_transport, outbound_names, remote_name, uploaded_before
from tenants.scope import AgencyScope, TenantScope

log = logging.getLogger("agency.submissions")

MAX_CLAIMS_PER_FILE = 500  # bounds the blast radius of a 999 IK5 R (one ST per file)
MAX_ISA13 = 999_999_999
BACKOFF_SECONDS = (30, 60, 120, 300, 600, 1800, 3600)


class RetryLater(Exception):
    """The transport is down; the interchange is recorded as ``failed`` with its reason
    and retried with backoff (dramatiq retries, and the scheduler's sweep)."""


# ------------------------------------------------------------------------------- routing

def active_connections(session: Session, agency_id: uuid.UUID) -> list[ClearinghouseConnection]:
    return list(session.scalars(sa.select(ClearinghouseConnection).where(
        ClearinghouseConnection.agency_id == agency_id, ClearinghouseConnection.active.is_(True))
        .order_by(ClearinghouseConnection.created_at, ClearinghouseConnection.id)))


def route_payers(session: Session, agency_id: uuid.UUID) -> dict[uuid.UUID, list[uuid.UUID]]:
    """connection id -> payer ids it carries: a payer whose ``clearinghouse_route`` names a
    connection goes there; every other payer goes to the agency's first active connection."""
    conns = active_connections(session, agency_id)
    if not conns:
        return {}
    by_name = {c.name: c.id for c in conns}
    out: dict[uuid.UUID, list[uuid.UUID]] = {c.id: [] for c in conns}
    for p in session.scalars(sa.select(Payer).where(Payer.agency_id == agency_id)):
        out[by_name.get(p.clearinghouse_route or "", conns[0].id)].append(p.id)
    return out


# ------------------------------------------------------------------------------- control numbers

@dataclass(frozen=True)
class ControlNumbers:
    isa13: int
    gs06: int
    st02: int


def allocate_control_numbers(session: Session, agency_id: uuid.UUID, sender_id: str,
                             receiver_id: str) -> ControlNumbers:
    """Next ISA13/GS06/ST02 of the envelope identity, locked until the caller's commit."""
    session.execute(sa.dialects.postgresql.insert(EnvelopeCounter.__table__).values(
        agency_id=agency_id, sender_id=sender_id, receiver_id=receiver_id).on_conflict_do_nothing())
    t = EnvelopeCounter.__table__
    row = session.execute(sa.select(t).where(t.c.agency_id == agency_id, t.c.sender_id == sender_id,
                                             t.c.receiver_id == receiver_id).with_for_update()).one()
    nxt = row.next_isa13 + 1 if row.next_isa13 < MAX_ISA13 else 1
    session.execute(t.update().where(t.c.agency_id == agency_id, t.c.sender_id == sender_id,
                                     t.c.receiver_id == receiver_id)
                    .values(next_isa13=nxt, next_gs06=row.next_gs06 % MAX_ISA13 + 1,
                            next_st02=row.next_st02 % MAX_ISA13 + 1))
    return ControlNumbers(row.next_isa13, row.next_gs06, row.next_st02)


# ------------------------------------------------------------------------------- building

def pending_work(session: Session, tenant_id: uuid.UUID, payer_ids: list[uuid.UUID]) -> list[str]:
    """Kinds (837P/837I) with ready claims for these payers."""
    if not payer_ids:
        return []
    return [r[0] for r in session.execute(sa.select(Claim.kind).where(
        Claim.tenant_id == tenant_id, Claim.state == "ready", Claim.payer_id.in_(payer_ids)).distinct())]


def build_file(db, cipher, scope: TenantScope, connection_id: uuid.UUID, kind: str,  # noqa: ANN001
               payer_ids: list[uuid.UUID] | None = None, *, limit: int = MAX_CLAIMS_PER_FILE,
               now: datetime | None = None) -> uuid.UUID | None:
    """Build, validate, seal and record one 837 file of up to ``limit`` ready claims
    (one transaction). Returns the interchange id, or None when nothing was ready."""
    from agency.submissions import tasks  # actor objects (enqueued after commit)

    tenant_id, agency_id = scope.tenant_id, scope.agency_id
    with db.sessions.tenant_unit(scope) as s:
        conn = s.get(ClearinghouseConnection, connection_id)
        if conn is None or not conn.active:
            return None
        if payer_ids is None:
            payer_ids = route_payers(s, agency_id).get(connection_id, [])
        claims = list(s.scalars(sa.select(Claim).where(
            Claim.tenant_id == tenant_id, Claim.state == "ready", Claim.kind == kind,
            Claim.payer_id.in_(payer_ids)).order_by(Claim.id).limit(limit)
            .with_for_update(skip_locked=True)))
        if not claims:
            return None
        assembler = ClaimAssembler(s, cipher, tenant_id)
        assembler.preload_people(claims)
        lines = assembler.lines_by_claim([c.id for c in claims])
        groups: OrderedDict[uuid.UUID, list] = OrderedDict()
        billing: dict[uuid.UUID, object] = {}
        included: list[Claim] = []
        for c in claims:
            try:
                typed, bp = assembler.assemble(c, lines.get(c.id, []))
            except (AssemblyError, KeyError, ValueError, TypeError) as exc:
                reason = str(exc) if isinstance(exc, AssemblyError) else "the stored patient data is incomplete"
                lifecycle.transition(s, tenant_id, c.id, "held", actor=lifecycle.SYSTEM, expected=("ready",),
                                     reason_code="build_failed", reason_text=f"The claim cannot be written: {reason}.",
                                     hold_reasons=[{"rule_id": "claims.assembly", "severity": "error",
                                                    "message": f"The claim cannot be written: {reason}.",
                                                    "field": None, "line_number": None}])
                continue
            groups.setdefault(c.billing_provider_id, []).append(typed)
            billing[c.billing_provider_id] = bp
            included.append(c)
        if not included:
            return None
        when = now or datetime.now(timezone.utc)
        cn = allocate_control_numbers(s, agency_id, conn.submitter_id, conn.receiver_id)
        agency = s.get(Agency, agency_id)
        first_bp = s.get(BillingProvider, (tenant_id, included[0].billing_provider_id))
        phone = "".join(ch for ch in (first_bp.phone or "") if ch.isdigit()) or None
        submitter = Submitter(name=(agency.name if agency else "BILLING AGENCY")[:60], id=conn.submitter_id,
                              contact=Contact(name=(agency.name if agency else "BILLING")[:60],
                                              phone=phone, email=None if phone else "edi@invalid.example"))
        batch = ClaimBatch(submitter=submitter, receiver=Receiver(name=conn.name[:60], id=conn.receiver_id),
                           groups=tuple(BillingGroup(billing[k], tuple(v)) for k, v in groups.items()),
                           transaction_control_number=f"{cn.st02:04d}", batch_id=f"{cn.isa13:09d}",
                           created=when.date(), created_time=when.strftime("%H%M"), kind=kind)
        params = EnvelopeParams(conn.submitter_id, conn.receiver_id, cn.isa13, cn.gs06, when.date(),
                                when.strftime("%H%M"), usage=conn.usage or "T")
        try:
            text = (write_837i if kind == "837I" else write_837p)(batch, params)
            report = validate_file(text)
            problem = report.fatal or (report.errors[0].message if report.errors else None)
        except X12Error as exc:
            problem = str(exc)
        if problem:
            # Nothing leaves: the claims go back to the work queue with the reason (no PHI:
            # validator messages name segments and elements, never values).
            moved = lifecycle.transition_many(s, tenant_id, [c.id for c in included], "ready", "held",
                                              actor=lifecycle.SYSTEM, reason_code="file_invalid",
                                              reason_text=f"The 837 file failed validation: {problem}"[:500])
            log.warning("837 file failed validation; claims held", extra={"count": len(moved)})
            return None
        data = text.encode("ascii")
        file_id, ic_id = new_id(), new_id()
        digest = hashlib.sha256(data)
        s.execute(EDI_FILE.insert().values(tenant_id=tenant_id, id=file_id, kind=kind, direction="outbound",
                                           sha256=digest.digest(), size_bytes=len(data),
                                           content=cipher.seal_file(tenant_id, file_id, data).blob))
        s.add(Interchange(agency_id=agency_id, id=ic_id, practice_id=tenant_id, connection_id=conn.id, kind=kind,
                          sender_id=conn.submitter_id, receiver_id=conn.receiver_id, isa13=cn.isa13, gs06=cn.gs06,
                          st02_first=cn.st02, st02_last=cn.st02, batch_id=f"{cn.isa13:09d}", edi_file_id=file_id,
                          sha256=digest.hexdigest(), claim_count=len(included), status="built", attempts=0))
        s.flush()
        s.execute(SubmissionClaim.__table__.insert(), [
            dict(tenant_id=tenant_id, id=new_id(), interchange_id=ic_id, edi_file_id=file_id, claim_id=c.id,
                 attempt=c.submission_attempt + 1, st02=cn.st02) for c in included])
        ct = Claim.__table__
        moved = lifecycle.transition_many(s, tenant_id, [c.id for c in included], "ready", "queued",
                                          actor=lifecycle.SYSTEM, reason_code="file_built",
                                          reason_text=f"In interchange {cn.isa13:09d}", interchange_id=ic_id,
                                          submission_attempt=ct.c.submission_attempt + 1)
        if len(moved) != len(included):  # cannot happen under FOR UPDATE; refuse a partial file
            raise RuntimeError("claims changed state while their file was built")
        from agency.worker.after_commit import enqueue_after_commit

        enqueue_after_commit(s, tasks.transmit, str(agency_id), str(tenant_id), str(ic_id))
    log.info("837 file built", extra={"claims": len(included)})
    return ic_id


def run_practice(db, cipher, scope: TenantScope, *, limit: int = MAX_CLAIMS_PER_FILE) -> list[uuid.UUID]:  # noqa: ANN001
    """Every ready claim of the practice into files (one transaction per file)."""
    with db.sessions.tenant_unit(scope) as s:
        routes = route_payers(s, scope.agency_id)
        work = [(cid, kind, payers) for cid, payers in routes.items()
                for kind in pending_work(s, scope.tenant_id, payers)]
    built = []
    for cid, kind, payers in work:
        while True:
            ic = build_file(db, cipher, scope, cid, kind, payers, limit=limit)
            if ic is None:
                break
            built.append(ic)
    return built


# ------------------------------------------------------------------------------- transmitting

def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1])


def _advisory_key(interchange_id: uuid.UUID) -> int:
    return int.from_bytes(interchange_id.bytes[:8], "big", signed=True)


def transmit(db, cipher, scope: TenantScope, interchange_id: uuid.UUID, *, transport_factory=None) -> str:  # noqa: ANN001
    """Upload one built interchange. Returns the final status (transmitted, failed,
    parked, or 'busy' when another live worker holds it). Raises :class:`RetryLater`
    after recording a transport outage."""
    tenant_id = scope.tenant_id
    factory = transport_factory or (lambda conn: open_transport(db, conn))
    with db.sessions.sync_engine.connect() as lock_conn:
        key = _advisory_key(interchange_id)
        if not lock_conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            return "busy"
        try:
            return _transmit_locked(db, cipher, scope, interchange_id, factory)
        finally:
            lock_conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            lock_conn.commit()


def _transmit_locked(db, cipher, scope: TenantScope, interchange_id: uuid.UUID, factory) -> str:  # noqa: ANN001
    tenant_id = scope.tenant_id
    it = Interchange.__table__
    with db.sessions.tenant_unit(scope) as s:
        ic = s.execute(sa.select(it).where(it.c.id == interchange_id, it.c.practice_id == tenant_id)
                       .with_for_update()).first()
        if ic is None or ic.status in ("transmitted", "parked"):
            return ic.status if ic else "missing"
        resumed = ic.status == "transmitting"
        attempt = ic.attempts if resumed else ic.attempts + 1
        name = remote_name(ic.kind, ic.sender_id, ic.isa13, attempt)
        if not resumed:
            s.execute(it.update().where(it.c.id == interchange_id).values(
                status="transmitting", attempts=attempt, remote_name=name))
        conn = s.get(ClearinghouseConnection, ic.connection_id)
        sealed = s.execute(sa.select(EDI_FILE.c.content).where(EDI_FILE.c.tenant_id == tenant_id,
                                                               EDI_FILE.c.id == ic.edi_file_id)).scalar_one()
    data = cipher.open_file(tenant_id, ic.edi_file_id, sealed)
    try:
        transport = factory(conn)
    except TransportError as exc:
        return _record_failure(db, scope, interchange_id, exc)
    try:
        already = uploaded_before(outbound_names(transport), ic.kind, ic.sender_id, ic.isa13) if resumed else None
        if already:
            name = already
        else:
            if resumed:  # the earlier attempt died before its upload finished (or the file was taken)
                with db.sessions.tenant_unit(scope) as s:
                    attempt = ic.attempts + 1
                    name = remote_name(ic.kind, ic.sender_id, ic.isa13, attempt)
                    s.execute(it.update().where(it.c.id == interchange_id, it.c.status == "transmitting")
                              .values(attempts=attempt, remote_name=name))
            transport.upload(name, data)
    except TransportError as exc:
        return _record_failure(db, scope, interchange_id, exc)
    finally:
        try:
            transport.close()
        except Exception:  # noqa: BLE001
            pass
    with db.sessions.tenant_unit(scope) as s:
        done = s.execute(it.update().where(it.c.id == interchange_id, it.c.status == "transmitting").values(
            status="transmitted", transmitted_at=sa.func.now(), remote_name=name, last_error=None,
            next_attempt_at=None).returning(it.c.id)).first()
        if done is None:
            return "transmitted"
        claim_ids = [r[0] for r in s.execute(sa.select(SubmissionClaim.claim_id).where(
            SubmissionClaim.tenant_id == tenant_id, SubmissionClaim.interchange_id == interchange_id))]
        lifecycle.transition_many(s, tenant_id, claim_ids, "queued", "submitted", actor=lifecycle.SYSTEM,
                                  reason_code="file_transmitted", reason_text=f"Sent as {name}",
                                  interchange_id=interchange_id)
    log.info("837 file transmitted", extra={"claims": len(claim_ids)})
    return "transmitted"


def _record_failure(db, scope: TenantScope, interchange_id: uuid.UUID, exc: TransportError) -> str:  # noqa: ANN001
    it = Interchange.__table__
    retryable = bool(getattr(exc, "retryable", False))
    with db.sessions.tenant_unit(scope) as s:
        ic = s.execute(sa.select(it.c.attempts).where(it.c.id == interchange_id)).scalar_one()
        status = "failed" if retryable else "parked"
        s.execute(it.update().where(it.c.id == interchange_id, it.c.status.in_(("transmitting", "built", "failed")))
                  .values(status=status, last_error=str(exc)[:500],
                          next_attempt_at=sa.func.now() + _backoff(ic) if retryable else None))
    log.warning("837 transmission failed", extra={"status": status})
    if retryable:
        raise RetryLater(f"transport unavailable; interchange {interchange_id} will be retried")
    return status


def retry_parked(db, scope: TenantScope, interchange_id: uuid.UUID) -> bool:  # noqa: ANN001
    """A person fixed the connection: put a parked interchange back to ``failed`` (due now)."""
    it = Interchange.__table__
    with db.sessions.tenant_unit(scope) as s:
        return s.execute(it.update().where(it.c.id == interchange_id, it.c.practice_id == scope.tenant_id,
                                           it.c.status == "parked")
                         .values(status="failed", next_attempt_at=sa.func.now()).returning(it.c.id)).first() is not None


# ------------------------------------------------------------------------------- sweeps

def due_interchanges(db, agency_id: uuid.UUID, *, stale_after: timedelta = timedelta(0)) -> list[tuple]:  # noqa: ANN001
    """(practice_id, interchange_id) to (re)transmit: built, failed and due, or
    transmitting (a live worker still uploading holds the advisory lock, so the
    duplicate message answers 'busy'; a dead worker's lock is gone)."""
    it = Interchange.__table__
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        rows = s.execute(sa.select(it.c.practice_id, it.c.id).where(
            it.c.agency_id == agency_id,
            sa.or_(it.c.status == "built",
                   sa.and_(it.c.status == "failed", sa.or_(it.c.next_attempt_at.is_(None),
                                                           it.c.next_attempt_at <= sa.func.now())),
                   sa.and_(it.c.status == "transmitting",
                           sa.literal(True) if stale_after.total_seconds() <= 0 else
                           it.c.created_at <= sa.func.now() - stale_after))).order_by(it.c.id))
        return [(r[0], r[1]) for r in rows]


def agency_practices(db, agency_id: uuid.UUID) -> list[uuid.UUID]:  # noqa: ANN001
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        return [r[0] for r in s.execute(sa.select(Practice.id).where(Practice.agency_id == agency_id,
                                                                     Practice.status == "active")
                                        .order_by(Practice.id))]
