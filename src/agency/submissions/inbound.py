"""Inbound files: poll a connection, store each file once, route acknowledgements.

PHI-free routing (guide tenancy-and-phi §6): TA1 by our ISA13, 999 by our GS06
(AK102) and ST02 (AK202), 277CA by our CLM01 (TRN02, through ``claim_number``),
835 by the payee NPI/TIN against the practices' billing providers. The raw file
is sealed under the agency's own key in ``inbound_file`` (one row per content
hash); what each acknowledgement said about a claim goes to the practice's
``ack_outcome`` (codes and ids only).

Idempotency: ``UNIQUE (agency_id, sha256)`` stores a file once however often it is
downloaded; routing holds an advisory lock on the file, skips files already
``routed``, and ``UNIQUE (tenant_id, inbound_file_id, item)`` on ``ack_outcome``
makes a second pass (redelivery, a second worker) change nothing.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from edi.errors import X12Error
from edi.model.acks import Ack277CA, Ack999, Ta1
from edi.reader import read_file

from agency.claims import lifecycle
from agency.claims.models import Claim, ClaimNumber
from agency.clearinghouse.models import ClearinghouseConnection
from agency.clearinghouse.transport import TransportError
from agency.db.base import new_id
from agency.practices.models import BillingProvider
from agency.submissions.models import AckOutcome, InboundFile, Interchange, SubmissionClaim
from agency.submissions.transport import open_transport
from tenants.scope import AgencyScope, TenantScope

log = logging.getLogger("agency.submissions")
_T = "inbound_file"


class PollUnavailable(Exception):
    """The connection is down; dramatiq retries the poll with backoff."""


def agency_connections(db, agency_id: uuid.UUID) -> list[uuid.UUID]:  # noqa: ANN001
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        return [r[0] for r in s.execute(sa.select(ClearinghouseConnection.id).where(
            ClearinghouseConnection.agency_id == agency_id, ClearinghouseConnection.active.is_(True)))]


def _cipher(db, agency_id: uuid.UUID):  # noqa: ANN001
    from agency.keys.agency_keys import agency_cipher_for, ensure_agency_key

    ensure_agency_key(db, agency_id)
    return agency_cipher_for(db)


def store_inbound(db, agency_id: uuid.UUID, connection_id: uuid.UUID, name: str, data: bytes) -> tuple[uuid.UUID, bool]:  # noqa: ANN001
    """(inbound_file id, stored now?) — a file with a known hash is not stored again."""
    from agency.submissions import tasks
    from agency.worker.after_commit import enqueue_after_commit

    digest = hashlib.sha256(data).hexdigest()
    fid = new_id()
    sealed = _cipher(db, agency_id).seal_bytes(agency_id, _T, "content", fid, data)
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        row = s.execute(pg_insert(InboundFile.__table__).values(
            agency_id=agency_id, id=fid, connection_id=connection_id, remote_name=name[:200], sha256=digest,
            size_bytes=len(data), content=sealed.blob, status="received")
            .on_conflict_do_nothing(index_elements=["agency_id", "sha256"]).returning(InboundFile.id)).first()
        if row is None:
            existing = s.execute(sa.select(InboundFile.id, InboundFile.status).where(
                InboundFile.agency_id == agency_id, InboundFile.sha256 == digest)).one()
            if existing.status == "received":  # stored earlier but never routed (a crash): route it now
                enqueue_after_commit(s, tasks.route_ack, str(agency_id), str(existing.id))
            return existing.id, False
        enqueue_after_commit(s, tasks.route_ack, str(agency_id), str(fid))
    return fid, True


def poll(db, agency_id: uuid.UUID, connection_id: uuid.UUID, *, transport=None) -> list[uuid.UUID]:  # noqa: ANN001
    """Download every waiting file, store it (once), archive it remotely after the commit."""
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        conn = s.get(ClearinghouseConnection, connection_id)
        if conn is None or conn.agency_id != agency_id or not conn.active:
            return []
        s.expunge(conn)
    own = transport is None
    try:
        transport = transport or open_transport(db, conn)
        stored = []
        for f in transport.list_inbound():
            data = transport.download(f.name)
            fid, _new = store_inbound(db, agency_id, connection_id, f.name, data)
            stored.append(fid)
            transport.archive(f.name)  # only after the commit: a crash before it re-downloads (deduped)
        return stored
    except TransportError as exc:
        log.warning("inbound poll failed", extra={"retryable": bool(getattr(exc, "retryable", False))})
        if getattr(exc, "retryable", False):
            raise PollUnavailable(str(exc)) from None
        raise
    finally:
        if own and transport is not None:
            try:
                transport.close()
            except Exception:  # noqa: BLE001
                pass


# ------------------------------------------------------------------------------- routing

@dataclass
class Outcome:
    level: str
    result: str
    claim_id: uuid.UUID | None = None
    interchange_id: uuid.UUID | None = None
    codes: str | None = None
    payer_claim_number: str | None = None
    to_state: str | None = None
    expected: tuple[str, ...] = ()


@dataclass
class Plan:
    by_tenant: dict[uuid.UUID, list[Outcome]] = field(default_factory=lambda: defaultdict(list))
    interchange_acks: dict[uuid.UUID, str] = field(default_factory=dict)
    eras: set[uuid.UUID] = field(default_factory=set)
    unmatched: list[str] = field(default_factory=list)
    kind: str | None = None


def _claims_of(s, tenant_id: uuid.UUID, ic_id: uuid.UUID, st02: int | None = None) -> list[uuid.UUID]:  # noqa: ANN001
    q = sa.select(SubmissionClaim.claim_id).where(SubmissionClaim.tenant_id == tenant_id,
                                                  SubmissionClaim.interchange_id == ic_id)
    if st02 is not None:
        q = q.where(SubmissionClaim.st02 == st02)
    return [r[0] for r in s.execute(q.order_by(SubmissionClaim.claim_id))]


def _int(v: str | None) -> int | None:
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None


def _plan(db, agency_id: uuid.UUID, connection_id: uuid.UUID, transactions: list) -> Plan:  # noqa: ANN001
    plan = Plan()
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        def interchange(**where) -> Interchange | None:  # noqa: ANN003
            q = sa.select(Interchange).where(Interchange.agency_id == agency_id,
                                             Interchange.connection_id == connection_id)
            for k, v in where.items():
                q = q.where(getattr(Interchange, k) == v)
            return s.scalars(q.order_by(Interchange.created_at.desc())).first()

        for t in transactions:
            if isinstance(t, Ta1):
                plan.kind = plan.kind or "TA1"
                ic = interchange(isa13=_int(t.interchange_control_number) or -1)
                if ic is None:
                    plan.unmatched.append(f"TA1 for interchange {t.interchange_control_number}, which we never sent "
                                          "on this connection")
                    continue
                rejected = t.ack_code == "R"
                plan.interchange_acks[ic.id] = "rejected" if rejected else "accepted"
                plan.by_tenant[ic.practice_id].append(Outcome("TA1", "rejected" if rejected else "accepted",
                                                              None, ic.id, f"TA1 {t.ack_code} {t.note_code or ''}".strip()))
                if rejected:
                    with db.sessions.tenant_unit(TenantScope(agency_id, ic.practice_id)) as ts:
                        for cid in _claims_of(ts, ic.practice_id, ic.id):
                            plan.by_tenant[ic.practice_id].append(Outcome(
                                "TA1", "rejected", cid, ic.id, f"TA1 R note {t.note_code or ''}".strip(),
                                to_state="ack_rejected", expected=("queued", "submitted", "accepted_ch")))
            elif isinstance(t, Ack999):
                plan.kind = plan.kind or "999"
                ic = interchange(gs06=_int(t.group_control_number) or -1)
                if ic is None:
                    plan.unmatched.append(f"999 for group {t.group_control_number}, which we never sent on this "
                                          "connection")
                    continue
                states = {sr.status for sr in t.sets}
                plan.interchange_acks[ic.id] = ("rejected" if states <= {"R", "M", "W", "X"} and states else
                                                "partial" if states & {"R", "M", "W", "X"} else "accepted")
                with db.sessions.tenant_unit(TenantScope(agency_id, ic.practice_id)) as ts:
                    for sr in t.sets:
                        st02 = _int(sr.control_number)
                        claims = _claims_of(ts, ic.practice_id, ic.id, st02)
                        if not claims:
                            plan.unmatched.append(f"999 answers transaction {sr.control_number} of group "
                                                  f"{t.group_control_number}, which has no claims of ours")
                            continue
                        ok = sr.status in ("A", "E")
                        detail = ",".join(sr.codes)
                        segs = "; ".join(f"{e.segment_id} at {e.position} code {e.code}"
                                         for e in sr.segment_errors[:5])
                        codes = f"IK5 {sr.status}" + (f" {detail}" if detail else "") + (f"; {segs}" if segs else "")
                        for cid in claims:
                            plan.by_tenant[ic.practice_id].append(Outcome(
                                "999", "accepted" if ok else "rejected", cid, ic.id, codes,
                                to_state="accepted_ch" if ok else "ack_rejected",
                                expected=("queued", "submitted") if ok else ("queued", "submitted", "accepted_ch")))
            elif isinstance(t, Ack277CA):
                plan.kind = plan.kind or "277CA"
                for cs in t.claims:
                    pcn = (cs.patient_control_number or "").strip().upper()
                    owner = s.get(ClaimNumber, pcn) if pcn else None
                    if owner is None or owner.agency_id != agency_id:
                        plan.unmatched.append(f"277CA status for a claim number we did not issue ({pcn or 'empty'})")
                        continue
                    with db.sessions.tenant_unit(TenantScope(agency_id, owner.practice_id)) as ts:
                        claim = ts.scalars(sa.select(Claim).where(
                            Claim.tenant_id == owner.practice_id, Claim.pcn == pcn,
                            Claim.state.in_(("queued", "submitted", "accepted_ch", "accepted_payer")))
                            .order_by(Claim.revision.desc())).first()
                        if claim is None:
                            claim = ts.scalars(sa.select(Claim).where(Claim.tenant_id == owner.practice_id,
                                                                      Claim.pcn == pcn)
                                               .order_by(Claim.revision.desc())).first()
                    codes = "; ".join(f"{st.category}:{st.code}" + (f":{st.entity}" if st.entity else "")
                                      for st in cs.statuses[:5])
                    outcome = cs.outcome
                    if outcome == "accepted":
                        to = "accepted_payer" if cs.payer_claim_number else "accepted_ch"
                        exp = ("queued", "submitted", "accepted_ch") if to == "accepted_payer" else ("queued", "submitted")
                    elif outcome == "rejected":
                        to, exp = "rejected", ("queued", "submitted", "accepted_ch", "accepted_payer")
                    elif outcome == "pending":
                        to, exp = "accepted_ch", ("queued", "submitted")
                    else:
                        to, exp = None, ()
                    plan.by_tenant[owner.practice_id].append(Outcome(
                        "277CA", outcome, claim.id if claim else None, None, f"277CA {codes}".strip(),
                        cs.payer_claim_number, to, exp))
            else:
                kind = getattr(t, "type", None) or type(t).__name__
                if kind == "835":
                    plan.kind = plan.kind or "835"
                    tenants = _payee_tenants(db, agency_id, t)
                    if not tenants:
                        plan.unmatched.append("835 for a payee (NPI/TIN) that is none of our billing providers")
                    plan.eras.update(tenants)
                else:
                    plan.unmatched.append(f"transaction set {kind} is not an acknowledgement or remittance")
    return plan


def _payee_tenants(db, agency_id: uuid.UUID, rem) -> set[uuid.UUID]:  # noqa: ANN001
    from agency.submissions.service import agency_practices

    payee = getattr(rem, "payee", None)
    if payee is None:
        return set()
    npi = payee.id if (payee.id_qualifier or "").upper() == "XX" else None
    tins = {v for q, v in (payee.references or []) if q == "TJ"}
    if (payee.id_qualifier or "").upper() == "FI" and payee.id:
        tins.add(payee.id)
    found = set()
    for pid in agency_practices(db, agency_id):
        with db.sessions.tenant_unit(TenantScope(agency_id, pid)) as s:
            q = sa.select(BillingProvider.id).where(BillingProvider.tenant_id == pid)
            conds = []
            if npi:
                conds.append(BillingProvider.npi == npi)
            if tins:
                conds.append(BillingProvider.tin.in_(tins))
            if conds and s.execute(q.where(sa.or_(*conds)).limit(1)).first():
                found.add(pid)
    return found


def _park(db, agency_id: uuid.UUID, file_id: uuid.UUID, kind: str | None, reason: str) -> None:  # noqa: ANN001
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        s.execute(sa.update(InboundFile).where(InboundFile.id == file_id, InboundFile.status == "received")
                  .values(status="parked", kind=kind, park_reason=reason[:500], attempts=InboundFile.attempts + 1))
    log.warning("inbound file parked", extra={"kind": kind or "unknown"})


def route(db, agency_id: uuid.UUID, file_id: uuid.UUID) -> str:  # noqa: ANN001
    """Route one stored file; returns its final status (routed, parked, busy)."""
    from agency.submissions.tasks import post_era
    from agency.worker.after_commit import enqueue_after_commit

    with db.sessions.sync_engine.connect() as lock_conn:
        key = int.from_bytes(file_id.bytes[:8], "big", signed=True) ^ 0x5A5A
        if not lock_conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            return "busy"
        try:
            with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
                f = s.get(InboundFile, file_id)
                if f is None or f.agency_id != agency_id:
                    return "missing"
                if f.status != "received":
                    return f.status
                s.expunge(f)
            data = _cipher(db, agency_id).open_bytes(agency_id, _T, "content", f.id, f.content)
            try:
                parsed = read_file(data)
            except X12Error as exc:
                _park(db, agency_id, file_id, "unknown", f"Unreadable file: {exc}")
                return "parked"
            if not parsed.transactions:
                _park(db, agency_id, file_id, "unknown", "The file holds no transaction we can read.")
                return "parked"
            plan = _plan(db, agency_id, f.connection_id, parsed.transactions)
            if not plan.by_tenant and not plan.eras:
                _park(db, agency_id, file_id, plan.kind or "unknown",
                      "Nothing in this file matches what we sent: " + "; ".join(plan.unmatched[:3]))
                return "parked"
            for tenant_id, outcomes in plan.by_tenant.items():
                _apply(db, TenantScope(agency_id, tenant_id), file_id, outcomes, plan.interchange_acks)
            with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
                s.execute(sa.update(InboundFile).where(InboundFile.id == file_id, InboundFile.status == "received")
                          .values(status="routed", kind=plan.kind, routed_at=sa.func.now(),
                                  practice_ids=sorted(set(plan.by_tenant) | plan.eras),
                                  park_reason=("; ".join(plan.unmatched[:3]) or None)))
                for tenant_id in sorted(plan.eras):
                    enqueue_after_commit(s, post_era, str(tenant_id), str(file_id))
            return "routed"
        finally:
            lock_conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            lock_conn.commit()


def _apply(db, scope: TenantScope, file_id: uuid.UUID, outcomes: list[Outcome],  # noqa: ANN001
           interchange_acks: dict[uuid.UUID, str]) -> None:
    tenant_id = scope.tenant_id
    with db.sessions.tenant_unit(scope) as s:
        for item, o in enumerate(outcomes):
            new = s.execute(pg_insert(AckOutcome.__table__).values(
                tenant_id=tenant_id, id=new_id(), inbound_file_id=file_id, item=item, level=o.level,
                claim_id=o.claim_id, interchange_id=o.interchange_id, result=o.result, codes=(o.codes or "")[:500],
                payer_claim_number=o.payer_claim_number, applied=False)
                .on_conflict_do_nothing(index_elements=["tenant_id", "inbound_file_id", "item"])
                .returning(AckOutcome.id)).first()
            if new is None or o.claim_id is None or o.to_state is None:
                continue  # already applied by an earlier pass, or nothing to change
            values = {"last_reason": o.codes}
            if o.payer_claim_number:
                values["payer_claim_number"] = o.payer_claim_number
            if o.to_state in ("ack_rejected", "rejected"):
                values["hold_reasons"] = [{"rule_id": f"ack.{o.level}", "severity": "error",
                                           "message": f"Rejected by {o.level}: {o.codes}", "field": None,
                                           "line_number": None}]
            moved = lifecycle.transition(s, tenant_id, o.claim_id, o.to_state, actor=lifecycle.SYSTEM,
                                         expected=o.expected, reason_code=f"{o.level.lower()}_{o.result}",
                                         reason_text=o.codes, interchange_id=o.interchange_id,
                                         inbound_file_id=file_id, **values)
            if moved is not None:
                s.execute(sa.update(AckOutcome).where(AckOutcome.tenant_id == tenant_id,
                                                      AckOutcome.id == new[0]).values(applied=True))
        for ic_id, status in interchange_acks.items():
            s.execute(sa.update(Interchange).where(Interchange.id == ic_id, Interchange.practice_id == tenant_id)
                      .values(ack_status=status))


def list_inbound(db, agency_id: uuid.UUID, status: str | None, limit: int = 50,  # noqa: ANN001
                 after: uuid.UUID | None = None) -> list[InboundFile]:
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        q = sa.select(InboundFile).where(InboundFile.agency_id == agency_id)
        if status:
            q = q.where(InboundFile.status == status)
        if after is not None:
            q = q.where(InboundFile.id > after)
        rows = list(s.scalars(q.order_by(InboundFile.id).limit(limit + 1)))
        for r in rows:
            s.expunge(r)
        return rows
