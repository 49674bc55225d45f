"""Posting an ERA (835): one transaction per 835 transaction set, whole or nothing.

``post_file`` is what the actor ``remittance.post_era`` runs:

1. read the stored file (sealed ``edi_file``) and parse it (``edi.r835``);
2. per 835 transaction: take (insert, then ``SELECT … FOR UPDATE``) the ``era`` row
   keyed by (tenant, payer, TRN02). Already ``posted`` → nothing new (duplicate
   ingestion, or a second worker that waited on the lock);
3. refuse an unbalanced remittance with the exact problems (nothing posted);
4. park an ERA from an unknown payer, or with anything the plan could not match
   with certainty (``posting_exception`` rows say what);
5. otherwise post the plan (``agency.remittance.plan``): era_claim rows, ledger
   entries, PLB rows, verify Σ payments − Σ PLB = BPR02 on what was written,
   move claims (history events), open denial items, build next-payer claims.

Claim state moves go through ``agency.claims.lifecycle``; the edges the claims
state machine does not have (an 835 for a claim still ``submitted``/``accepted_ch``,
a reversal reopening an adjudicated claim, a second adjudication of a split claim)
are made here as conditional updates with a ``claim_event`` row each (see
:func:`move_claim`).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.audit import service as audit
from agency.claims import lifecycle
from agency.claims.models import Claim, ClaimLine
from agency.db.base import new_id
from agency.denials.deadlines import appeal_deadline, due_date, timely_filing_deadline
from agency.denials.models import DenialItem
from agency.patients.models import PatientCoverage
from agency.payers.models import Payer
from agency.remittance.models import Era, EraClaim, LedgerEntry, PostingException, ProviderLedgerEntry
from agency.remittance.plan import (ZERO, OurClaim, OurLine, PlannedClaim, PostingPlan, PriorEntry, PriorPosting,
                                    plan_remittance)
from agency.submissions.models import EDI_FILE
from edi.errors import X12Error
from edi.model.remit835 import Remittance
from edi.r835 import read_835
from tenants.crypto.keyring import PhiCipher
from tenants.scope import TenantScope

log = logging.getLogger(__name__)

CHUNK = 5000
ADJUDICATED = ("adjudicated_paid", "adjudicated_partial", "adjudicated_denied")
OPEN_DENIAL = ("new", "in_progress", "corrected", "appealed", "awaiting_payer")


class PostingRefused(Exception):
    """Raised inside the posting savepoint when the written entries do not reconcile."""


@dataclass
class EraResult:
    era_id: uuid.UUID | None
    status: str  # posted, parked, refused, duplicate
    reason: str | None = None
    claims_posted: int = 0
    problems: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- files

def store_835(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, data: bytes) -> uuid.UUID:
    """Keep an inbound 835 sealed in ``edi_file`` (the same content twice: the first row)."""
    digest = hashlib.sha256(data).digest()
    found = session.execute(sa.select(EDI_FILE.c.id).where(
        EDI_FILE.c.tenant_id == tenant_id, EDI_FILE.c.sha256 == digest, EDI_FILE.c.kind == "835",
        EDI_FILE.c.direction == "inbound")).scalar()
    if found is not None:
        return found
    file_id = new_id()
    session.execute(EDI_FILE.insert().values(tenant_id=tenant_id, id=file_id, kind="835", direction="inbound",
                                             sha256=digest, size_bytes=len(data),
                                             content=cipher.seal_file(tenant_id, file_id, data).blob))
    return file_id


def load_835(session: Session, cipher: PhiCipher, tenant_id: uuid.UUID, file_id: uuid.UUID) -> bytes | None:
    sealed = session.execute(sa.select(EDI_FILE.c.content).where(
        EDI_FILE.c.tenant_id == tenant_id, EDI_FILE.c.id == file_id)).scalar()
    return None if sealed is None else cipher.open_file(tenant_id, file_id, sealed)


# ----------------------------------------------------------------------------- lookup

class DbClaimLookup:
    """``plan.ClaimLookup`` over the claim and remittance tables (bulk queries)."""

    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.s, self.t = session, tenant_id

    def claims(self, pcns: Iterable[str]) -> dict[str, OurClaim]:
        pcns = sorted(set(pcns))
        rows: dict[str, Claim] = {}
        for i in range(0, len(pcns), CHUNK):
            for c in self.s.scalars(sa.select(Claim).where(Claim.tenant_id == self.t, Claim.pcn.in_(pcns[i:i + CHUNK]))):
                if c.pcn not in rows or c.revision > rows[c.pcn].revision:
                    rows[c.pcn] = c
        ids = [c.id for c in rows.values()]
        lines: dict[uuid.UUID, list[OurLine]] = defaultdict(list)
        for i in range(0, len(ids), CHUNK):
            for ln in self.s.execute(sa.select(
                    ClaimLine.claim_id, ClaimLine.id, ClaimLine.line_number, ClaimLine.line_control_number,
                    ClaimLine.procedure_code, ClaimLine.modifiers, ClaimLine.date_of_service, ClaimLine.charge)
                    .where(ClaimLine.tenant_id == self.t, ClaimLine.claim_id.in_(ids[i:i + CHUNK]))
                    .order_by(ClaimLine.claim_id, ClaimLine.line_number)):
                lines[ln.claim_id].append(OurLine(ln.id, ln.line_number, ln.line_control_number, ln.procedure_code,
                                                  tuple(ln.modifiers or ()), ln.date_of_service, ln.charge))
        ranks = self._coverage_ranks({c.patient_id for c in rows.values()})
        out = {}
        for pcn, c in rows.items():
            nxt = any(rank > c.sequence and (f is None or f <= c.date_of_service_from)
                      and (to is None or to >= c.date_of_service_from) for rank, f, to in ranks.get(c.patient_id, ()))
            out[pcn] = OurClaim(c.id, c.pcn, c.revision, c.sequence, c.state, c.payer_id, c.date_of_service_from,
                                c.date_of_service_to, c.total_charge, tuple(lines.get(c.id, ())), nxt)
        return out

    def _coverage_ranks(self, patient_ids: set[uuid.UUID]) -> dict[uuid.UUID, list[tuple]]:
        ids = sorted(patient_ids)
        out: dict[uuid.UUID, list[tuple]] = defaultdict(list)
        for i in range(0, len(ids), CHUNK):
            for r in self.s.execute(sa.select(PatientCoverage.patient_id, PatientCoverage.rank,
                                              PatientCoverage.effective_from, PatientCoverage.effective_to)
                                    .where(PatientCoverage.tenant_id == self.t,
                                           PatientCoverage.patient_id.in_(ids[i:i + CHUNK]),
                                           PatientCoverage.payer_id.is_not(None))):
                out[r.patient_id].append((r.rank, r.effective_from, r.effective_to))
        return out

    def prior_postings(self, keys: Iterable[tuple[str, str | None]]) -> dict[tuple[str, str | None], PriorPosting]:
        keys = set(keys)
        pcns = sorted({k[0] for k in keys})
        found: dict[tuple[str, str | None], EraClaim] = {}
        for i in range(0, len(pcns), CHUNK):
            for ec in self.s.scalars(sa.select(EraClaim).where(
                    EraClaim.tenant_id == self.t, EraClaim.pcn.in_(pcns[i:i + CHUNK]),
                    EraClaim.reversed_by_id.is_(None), EraClaim.status_code != "22")
                    .order_by(EraClaim.created_at, EraClaim.id)):
                key = (ec.pcn, ec.payer_claim_number)
                if key in keys:
                    found[key] = ec  # the latest wins
        if not found:
            return {}
        entries: dict[uuid.UUID, list[PriorEntry]] = defaultdict(list)
        ec_ids = [ec.id for ec in found.values()]
        for i in range(0, len(ec_ids), CHUNK):
            for e in self.s.scalars(sa.select(LedgerEntry).where(
                    LedgerEntry.tenant_id == self.t, LedgerEntry.era_claim_id.in_(ec_ids[i:i + CHUNK]))
                    .order_by(LedgerEntry.created_at, LedgerEntry.id)):
                entries[e.era_claim_id].append(PriorEntry(e.id, e.claim_line_id, e.kind, e.group_code, e.carc,
                                                          tuple(e.rarcs or ()), e.category, e.amount, e.transfer_to))
        return {k: PriorPosting(ec.id, ec.claim_id, ec.status_code, ec.paid, tuple(entries.get(ec.id, ())))
                for k, ec in found.items()}


# ----------------------------------------------------------------------------- payer

def payer_keys(rem: Remittance) -> list[str]:
    """Identifiers the ERA gives for its payer, most specific first: N1*PR N104,
    REF*2U, TRN03 (and TRN03 without the leading '1' of '1'+EIN)."""
    out: list[str] = []
    if rem.payer is not None:
        if rem.payer.id:
            out.append(rem.payer.id)
        out += [v for q, v in rem.payer.references if q == "2U" and v]
    trn03 = rem.payment.originator_id
    if trn03:
        out.append(trn03)
        if len(trn03) == 10 and trn03.startswith("1"):
            out.append(trn03[1:])
    return list(dict.fromkeys(k.strip() for k in out if k and k.strip()))


def resolve_payer(session: Session, agency_id: uuid.UUID, rem: Remittance) -> tuple[str, Payer | None]:
    keys = payer_keys(rem)
    if keys:
        payers = {p.payer_code: p for p in session.scalars(sa.select(Payer).where(
            Payer.agency_id == agency_id, Payer.payer_code.in_(keys)))}
        for k in keys:
            if k in payers:
                return k, payers[k]
    return (keys[0] if keys else "-"), None


# ----------------------------------------------------------------------------- claim states

def move_claim(session: Session, tenant_id: uuid.UUID, claim_id: uuid.UUID, current: str, to: str, *,
               reason_code: str, reason_text: str | None = None, inbound_file_id: uuid.UUID | None = None) -> bool:
    """One claim to ``to`` with a history event. The claims state machine's own edges go
    through ``lifecycle.transition``; the remittance-only edges (first 835 before a payer
    277CA, re-adjudication, reversal reopening) are conditional updates made here."""
    if current == to:
        return False
    if current in ("submitted", "accepted_ch") and to != "accepted_payer":
        if move_claim(session, tenant_id, claim_id, current, "accepted_payer", reason_code="era_received",
                      reason_text="835 received before a payer acknowledgement", inbound_file_id=inbound_file_id):
            current = "accepted_payer"
    if to in lifecycle.TRANSITIONS.get(current, ()):
        return lifecycle.transition(session, tenant_id, claim_id, to, actor=lifecycle.SYSTEM, expected=[current],
                                    reason_code=reason_code, reason_text=reason_text,
                                    inbound_file_id=inbound_file_id) is not None
    remittance_edges = (current in ADJUDICATED and (to in ADJUDICATED or to == "accepted_payer"))
    if not remittance_edges:
        return False
    t = Claim.__table__
    moved = session.execute(t.update().where(t.c.tenant_id == tenant_id, t.c.id == claim_id, t.c.state == current)
                            .values(state=to, updated_at=sa.func.now(), row_version=t.c.row_version + 1)).rowcount
    if moved:
        lifecycle.record_event(session, tenant_id, claim_id, current, to, lifecycle.SYSTEM, reason_code, reason_text,
                               None, inbound_file_id)
    return bool(moved)


_STATE_OF = {"paid": "adjudicated_paid", "partial": "adjudicated_partial", "denied": "adjudicated_denied",
             "reversed": "accepted_payer"}


def _target_state(pc: PlannedClaim) -> str | None:
    if pc.outcome == "forwarded":
        return "adjudicated_partial" if pc.denials else "adjudicated_paid"
    return _STATE_OF.get(pc.outcome)


# ----------------------------------------------------------------------------- posting

def post_file(session_factory, cipher: PhiCipher, scope: TenantScope, file_id: uuid.UUID,
              inbound_file_id: uuid.UUID | None = None, *, manual: bool = False) -> list[EraResult]:
    """Post every 835 transaction of a stored file, each in its own unit of work."""
    with session_factory.tenant_unit(scope) as s:
        data = load_835(s, cipher, scope.tenant_id, file_id)
    if data is None:
        return [EraResult(None, "refused", "the 835 file is not stored for this practice")]
    try:
        rems = read_835(data)
    except X12Error as exc:
        return [_refuse_unreadable(session_factory, scope, file_id, inbound_file_id, data, str(exc))]
    if not rems:
        return [_refuse_unreadable(session_factory, scope, file_id, inbound_file_id, data,
                                   "the file holds no 835 transaction")]
    results = []
    for index, rem in enumerate(rems):
        with session_factory.tenant_unit(scope) as s:
            results.append(post_remittance(s, cipher, scope, rem, file_id, index, inbound_file_id))
    return results


def _refuse_unreadable(session_factory, scope: TenantScope, file_id: uuid.UUID, inbound_file_id, data: bytes,
                       reason: str) -> EraResult:
    trn = "-" + hashlib.sha256(data).hexdigest()[:32]
    with session_factory.tenant_unit(scope) as s:
        era = _take_era(s, scope.tenant_id, "-", trn, dict(edi_file_id=file_id, inbound_file_id=inbound_file_id,
                                                            payment_amount=Decimal(0)))
        if era.status != "posted":
            _finish(s, era, "refused", f"not a readable 835: {reason}"[:500], [reason[:500]])
        return EraResult(era.id, era.status, era.park_reason, 0, list(era.problems or []))


def _take_era(s: Session, tenant_id: uuid.UUID, payer_code: str, trn02: str, values: dict) -> Era:
    """Insert-or-find the ERA row and lock it: two workers for the same ERA serialise here."""
    t = Era.__table__
    s.execute(sa.dialects.postgresql.insert(t).values(
        tenant_id=tenant_id, id=new_id(), payer_code=payer_code, trn02=trn02, status="posting", **values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "payer_code", "trn02"]))
    return s.scalars(sa.select(Era).where(Era.tenant_id == tenant_id, Era.payer_code == payer_code,
                                          Era.trn02 == trn02).with_for_update().execution_options(
        populate_existing=True)).one()


def _finish(s: Session, era: Era, status: str, reason: str | None, problems: list[str]) -> None:
    era.status, era.park_reason, era.problems = status, reason, problems
    era.attempts = (era.attempts or 0) + 1
    era.updated_at = datetime.now(timezone.utc)
    s.flush()
    audit.record(s, audit.SYSTEM, "update", "era", era.id)


def post_remittance(s: Session, cipher: PhiCipher, scope: TenantScope, rem: Remittance, file_id: uuid.UUID,
                    index: int = 0, inbound_file_id: uuid.UUID | None = None) -> EraResult:
    tenant_id = scope.tenant_id
    payer_code, payer = resolve_payer(s, scope.agency_id, rem)
    trn02 = (rem.payment.trace_number or "").strip() or f"-ST{rem.control_number}-{file_id}"
    era = _take_era(s, tenant_id, payer_code, trn02, dict(
        edi_file_id=file_id, inbound_file_id=inbound_file_id, transaction_index=index, st02=rem.control_number,
        payer_name=(rem.payer.name if rem.payer else None), payer_id=payer.id if payer else None,
        payment_amount=rem.payment.amount, credit_debit=rem.payment.credit_debit,
        payment_method=rem.payment.method, payment_date=rem.payment.date, production_date=rem.production_date,
        claim_count=len(rem.claims)))
    if era.status == "posted":
        return EraResult(era.id, "duplicate", "this ERA (payer, TRN02) is already posted")
    if era.status == "refused" and era.edi_file_id == file_id:
        return EraResult(era.id, "refused", era.park_reason, 0, list(era.problems or []))
    era.edi_file_id, era.inbound_file_id = file_id, inbound_file_id or era.inbound_file_id
    if not rem.balance.ok:
        problems = [p.message for p in rem.balance.problems]
        _finish(s, era, "refused", "the 835 does not balance: " + "; ".join(problems)[:450], problems)
        return EraResult(era.id, "refused", era.park_reason, 0, problems)
    if payer is None:
        _finish(s, era, "parked", "unknown payer: none of the ERA's payer identifiers (N1*PR, REF*2U, TRN03) is in "
                "the agency payer directory", [])
        return EraResult(era.id, "parked", era.park_reason)
    era.payer_id = payer.id
    # Earlier open exceptions are replaced by this attempt's; resolved ones are kept (manual matches).
    pe = PostingException.__table__
    manual = {(r.clp_index, r.line_index): r.resolved_claim_line_id for r in s.execute(
        sa.select(pe.c.clp_index, pe.c.line_index, pe.c.resolved_claim_line_id).where(
            pe.c.tenant_id == tenant_id, pe.c.era_id == era.id, pe.c.status == "resolved",
            pe.c.resolved_claim_line_id.is_not(None)))}
    s.execute(pe.update().where(pe.c.tenant_id == tenant_id, pe.c.era_id == era.id, pe.c.status == "open")
              .values(status="superseded"))
    plan = plan_remittance(rem, DbClaimLookup(s, tenant_id), manual)
    wrong_payer = [pc for pc in plan.claims if pc.claim.payer_id not in (None, payer.id)
                   and pc.status_code not in ("19", "20", "21", "23")]
    if plan.ok and wrong_payer:
        from agency.remittance.plan import PlanException
        plan.exceptions += [PlanException("wrong_payer", f"claim {pc.clp_index + 1}: our claim was sent to another "
                                          "payer", pc.clp_index, None, pc.pcn, pc.payer_claim_number, pc.claim.id)
                            for pc in wrong_payer]
    if not plan.ok:
        _park(s, tenant_id, era, plan)
        return EraResult(era.id, "parked", era.park_reason, 0, [e.reason for e in plan.exceptions])
    try:
        with s.begin_nested():
            _apply(s, cipher, scope, era, plan, payer, rem, inbound_file_id)
    except PostingRefused as exc:
        s.expire(era)
        era = s.get(Era, (tenant_id, era.id), with_for_update=True, populate_existing=True)
        _finish(s, era, "refused", str(exc)[:500], [str(exc)[:500]])
        return EraResult(era.id, "refused", era.park_reason, 0, [str(exc)])
    era.posted_at = datetime.now(timezone.utc)
    _finish(s, era, "posted", None, [])
    return EraResult(era.id, "posted", None, len(plan.claims))


def _park(s: Session, tenant_id: uuid.UUID, era: Era, plan: PostingPlan) -> None:
    rows = [dict(tenant_id=tenant_id, id=new_id(), era_id=era.id, clp_index=e.clp_index, line_index=e.line_index,
                 pcn=(e.pcn or None) and e.pcn[:40], payer_claim_number=e.payer_claim_number, claim_id=e.claim_id,
                 reason_code=e.reason_code, reason=e.reason[:500], status="open") for e in plan.exceptions]
    s.execute(PostingException.__table__.insert(), rows)
    codes = sorted({e.reason_code for e in plan.exceptions})
    _finish(s, era, "parked", f"{len(rows)} posting exception(s) ({', '.join(codes)}): nothing was posted; "
            "resolve them and post again", [e.reason for e in plan.exceptions][:200])


def _apply(s: Session, cipher: PhiCipher, scope: TenantScope, era: Era, plan: PostingPlan, payer: Payer,
           rem: Remittance, inbound_file_id: uuid.UUID | None) -> None:
    tenant_id = scope.tenant_id
    # Next-payer claims first: transfer entries point at them.
    targets: dict[uuid.UUID, uuid.UUID | None] = {}
    for pc in plan.claims:
        for e in pc.entries:
            if e.kind == "transfer" and e.transfer_to == "next_payer":
                if pc.claim.id not in targets:
                    targets[pc.claim.id] = _next_payer_claim(s, cipher, scope, pc.claim.id)
                if targets[pc.claim.id] is None:
                    e.transfer_to = "patient"  # the next coverage is gone: the patient owes it
    ec_rows, le_rows, reversed_pairs = [], [], []
    for pc in plan.claims:
        ec_rows.append(dict(tenant_id=tenant_id, id=pc.id, era_id=era.id, claim_id=pc.claim.id,
                            clp_index=pc.clp_index, pcn=pc.pcn, payer_claim_number=pc.payer_claim_number,
                            status_code=pc.status_code, charge=pc.charge, paid=pc.paid,
                            patient_responsibility=pc.patient_responsibility, outcome=pc.outcome,
                            category=pc.category, reverses_id=pc.reverses.era_claim_id if pc.reverses else None))
        if pc.reverses:
            reversed_pairs.append((pc.reverses.era_claim_id, pc.id))
        for e in pc.entries:
            le_rows.append(dict(tenant_id=tenant_id, id=e.id, claim_id=pc.claim.id, claim_line_id=e.claim_line_id,
                                era_id=era.id, era_claim_id=pc.id, kind=e.kind, group_code=e.group, carc=e.carc,
                                rarcs=list(e.rarcs), category=e.category, amount=e.amount,
                                reverses_entry_id=e.reverses_entry_id, reverses_kind=e.reverses_kind,
                                transfer_to=e.transfer_to,
                                target_claim_id=(targets.get(pc.claim.id) if e.transfer_to == "next_payer"
                                                 and targets.get(pc.claim.id) != _NOT_BUILT else None),
                                actor="system"))
    # era_claim rows can point at rows of the same ERA (original and reversal in one file):
    # insert them without the link, then set it.
    links = {r["id"]: r.pop("reverses_id") for r in ec_rows}
    if ec_rows:
        s.execute(EraClaim.__table__.insert(), ec_rows)
    ect = EraClaim.__table__
    for rid, rev in links.items():
        if rev is not None:
            s.execute(ect.update().where(ect.c.tenant_id == tenant_id, ect.c.id == rid).values(reverses_id=rev))
    for original, reversal in reversed_pairs:
        done = s.execute(ect.update().where(ect.c.tenant_id == tenant_id, ect.c.id == original,
                                            ect.c.reversed_by_id.is_(None)).values(reversed_by_id=reversal)).rowcount
        if not done:
            raise PostingRefused("the claim payment this reversal takes back was reversed meanwhile")
    if le_rows:
        s.execute(LedgerEntry.__table__.insert(), le_rows)
    if plan.provider_adjustments:
        s.execute(ProviderLedgerEntry.__table__.insert(), [
            dict(tenant_id=tenant_id, id=new_id(), era_id=era.id, position=p.position, provider_id=p.provider_id,
                 fiscal_period_end=p.fiscal_period_end, reason=p.reason, reference=p.reference, amount=p.amount)
            for p in plan.provider_adjustments])
    _verify_reconciliation(s, tenant_id, era)
    _move_claims(s, tenant_id, plan, inbound_file_id)
    _open_denials(s, tenant_id, era, plan, payer, rem)
    _settle_earlier_denials(s, tenant_id, era, plan)
    audit.record(s, audit.SYSTEM, "create", "era", era.id)
    audit.record_many(s, audit.SYSTEM, "update", "claim", list(dict.fromkeys(pc.claim.id for pc in plan.claims)))


def _verify_reconciliation(s: Session, tenant_id: uuid.UUID, era: Era) -> None:
    le, plb = LedgerEntry.__table__, ProviderLedgerEntry.__table__
    paid = s.execute(sa.select(sa.func.coalesce(sa.func.sum(le.c.amount), 0)).where(
        le.c.tenant_id == tenant_id, le.c.era_id == era.id,
        sa.or_(le.c.kind == "payment", le.c.reverses_kind == "payment"))).scalar_one()
    adj = s.execute(sa.select(sa.func.coalesce(sa.func.sum(plb.c.amount), 0)).where(
        plb.c.tenant_id == tenant_id, plb.c.era_id == era.id)).scalar_one()
    if Decimal(paid) - Decimal(adj) != era.payment_amount:
        raise PostingRefused(f"posted payments {paid} - provider adjustments {adj} do not reconcile to the payment "
                             f"amount (BPR02) {era.payment_amount}")


def _move_claims(s: Session, tenant_id: uuid.UUID, plan: PostingPlan, inbound_file_id) -> None:
    """Bulk conditional moves per (from, to); claims with several CLPs in this ERA (a split
    claim, a reversal and its correction) and the few that raced move one by one."""
    by_claim: dict[uuid.UUID, list[tuple[PlannedClaim, str]]] = defaultdict(list)
    for pc in plan.claims:
        to = _target_state(pc)
        if to is not None:
            by_claim[pc.claim.id].append((pc, to))
    groups: dict[tuple[str, str, str], list[uuid.UUID]] = defaultdict(list)
    for cid, steps in by_claim.items():
        if len(steps) == 1:
            pc, to = steps[0]
            if pc.claim.state != to:
                groups[(pc.claim.state, to, f"clp02_{pc.status_code}")].append(cid)
            continue
        current = steps[0][0].claim.state
        for pc, to in steps:
            if move_claim(s, tenant_id, cid, current, to, reason_code=f"clp02_{pc.status_code}",
                          inbound_file_id=inbound_file_id):
                current = to
    for (frm, to, reason), ids in groups.items():
        moved: set[uuid.UUID] = set()
        if to in lifecycle.TRANSITIONS.get(frm, ()):
            moved = set(lifecycle.transition_many(s, tenant_id, ids, frm, to, actor=lifecycle.SYSTEM,
                                                  reason_code=reason, inbound_file_id=inbound_file_id))
        for cid in ids:
            if cid not in moved:
                move_claim(s, tenant_id, cid, frm, to, reason_code=reason, inbound_file_id=inbound_file_id)


def _next_payer_claim(s: Session, cipher: PhiCipher, scope: TenantScope, claim_id: uuid.UUID) -> uuid.UUID | None:
    from agency.claims import service as claims_service

    try:
        with s.begin_nested():
            nxt = claims_service.build_next_sequence(s, cipher, scope.agency_id, scope.tenant_id, claim_id)
    except Exception as exc:  # noqa: BLE001  the balance still belongs to the next payer: rebill by hand
        log.warning("next-payer claim not built", extra={"error": type(exc).__name__})
        return _NOT_BUILT
    return nxt.id if nxt is not None else None


_NOT_BUILT = uuid.UUID(int=0)  # the next payer owes it but its claim could not be built: rebill by hand


def _open_denials(s: Session, tenant_id: uuid.UUID, era: Era, plan: PostingPlan, payer: Payer,
                  rem: Remittance) -> None:
    era_date = rem.payment.date or rem.production_date or date.today()
    rows = []
    for pc in plan.claims:
        for d in pc.denials:
            appeal = appeal_deadline(era_date)
            timely = timely_filing_deadline(d.date_of_service, payer.timely_filing_days)
            rows.append(dict(tenant_id=tenant_id, id=new_id(), claim_id=pc.claim.id, claim_line_id=d.claim_line_id,
                             era_id=era.id, era_claim_id=pc.id, payer_id=payer.id, kind=d.kind, category=d.category,
                             category_flagged=d.flagged, carc=d.carc, group_code=d.group, rarcs=list(d.rarcs),
                             amount_at_stake=d.amount, appeal_deadline=appeal, timely_filing_deadline=timely,
                             due_date=due_date(era_date, appeal, timely), status="new"))
    if rows:
        s.execute(DenialItem.__table__.insert(), rows)
        audit.record_many(s, audit.SYSTEM, "create", "denial_item", [r["id"] for r in rows])


def _settle_earlier_denials(s: Session, tenant_id: uuid.UUID, era: Era, plan: PostingPlan) -> None:
    """A later payment on a line (or claim) with an open work item from an earlier ERA
    settles it: overturned when nothing is denied any more, else partially paid."""
    paying = [pc for pc in plan.claims if pc.outcome in ("paid", "partial", "forwarded") and pc.paid > 0]
    if not paying:
        return
    di = DenialItem.__table__
    ids = sorted({pc.claim.id for pc in paying})
    items = []
    for i in range(0, len(ids), CHUNK):
        items += s.execute(sa.select(di.c.id, di.c.claim_id, di.c.claim_line_id).where(
            di.c.tenant_id == tenant_id, di.c.claim_id.in_(ids[i:i + CHUNK]), di.c.status.in_(OPEN_DENIAL),
            di.c.era_id != era.id)).all()
    if not items:
        return
    by_claim: dict[uuid.UUID, list[PlannedClaim]] = defaultdict(list)
    for pc in paying:
        by_claim[pc.claim.id].append(pc)
    for item_id, claim_id, line_id in items:
        pcs = by_claim[claim_id]
        if line_id is None:
            paid = any(pc.paid > 0 for pc in pcs)
            still = any(pc.denials for pc in pcs)
        else:
            paid = any(pc.line_payments.get(line_id, ZERO) > 0 for pc in pcs)
            still = any(d.claim_line_id == line_id for pc in pcs for d in pc.denials)
        if paid:
            s.execute(di.update().where(di.c.tenant_id == tenant_id, di.c.id == item_id).values(
                status="partially_paid" if still else "overturned", updated_at=sa.func.now(),
                row_version=di.c.row_version + 1))


# ----------------------------------------------------------------------------- reading

def claim_ledger(s: Session, tenant_id: uuid.UUID, claim_id: uuid.UUID) -> list[LedgerEntry]:
    return list(s.scalars(sa.select(LedgerEntry).where(LedgerEntry.tenant_id == tenant_id,
                                                       LedgerEntry.claim_id == claim_id)
                          .order_by(LedgerEntry.created_at, LedgerEntry.id)))


def ledger_totals(entries: list[LedgerEntry]) -> dict[str, Decimal]:
    """Totals per effective kind (a reversal counts against the kind it reverses)."""
    out: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for e in entries:
        kind = e.reverses_kind if e.kind == "reversal" else e.kind
        out[kind] += e.amount
        if kind in ("adjustment", "patient_responsibility") and e.group_code:
            out[f"{kind}:{e.group_code}"] += e.amount
    return dict(out)


def era_summary(s: Session, tenant_id: uuid.UUID, era_id: uuid.UUID) -> dict:
    le, plb = LedgerEntry.__table__, ProviderLedgerEntry.__table__
    paid = s.execute(sa.select(sa.func.coalesce(sa.func.sum(le.c.amount), 0)).where(
        le.c.tenant_id == tenant_id, le.c.era_id == era_id,
        sa.or_(le.c.kind == "payment", le.c.reverses_kind == "payment"))).scalar_one()
    adj = s.execute(sa.select(sa.func.coalesce(sa.func.sum(plb.c.amount), 0)).where(
        plb.c.tenant_id == tenant_id, plb.c.era_id == era_id)).scalar_one()
    return {"payments": Decimal(paid), "provider_adjustments": Decimal(adj)}


def resolve_exception(s: Session, tenant_id: uuid.UUID, exception_id: uuid.UUID, claim_line_id: uuid.UUID | None,
                      dismiss: bool, actor: str) -> PostingException:
    """A person's answer to an exception: the claim line a 2110 loop belongs to (used by
    the next posting attempt), or dismiss. Nothing is posted until the ERA is posted again."""
    from agency.api.problems import Conflict, NotFound, Unprocessable

    exc = s.get(PostingException, (tenant_id, exception_id), with_for_update=True)
    if exc is None:
        raise NotFound("The posting exception does not exist.")
    if exc.status != "open":
        raise Conflict(f"The exception is {exc.status}.")
    if not dismiss:
        if claim_line_id is None:
            raise Unprocessable("claim_line_id is required (or dismiss).")
        if exc.line_index is None or exc.claim_id is None:
            raise Unprocessable("Only line exceptions can be resolved with a claim line.")
        line = s.get(ClaimLine, (tenant_id, claim_line_id))
        if line is None or line.claim_id != exc.claim_id:
            raise Unprocessable("claim_line_id is not a line of the exception's claim.")
    exc.status = "dismissed" if dismiss else "resolved"
    exc.resolved_claim_line_id = None if dismiss else claim_line_id
    exc.resolved_by, exc.resolved_at = actor, datetime.now(timezone.utc)
    s.flush()
    return exc


def open_eras_of_file(s: Session, tenant_id: uuid.UUID, era_id: uuid.UUID) -> Era | None:
    return s.get(Era, (tenant_id, era_id))


def mapping_or_empty(m: Mapping | None) -> Mapping:
    return m or {}
