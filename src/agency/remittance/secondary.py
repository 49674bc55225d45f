"""Secondary (and tertiary) 837P: the prior payer's adjudication from what we posted.

* :func:`prior_adjudication` — the posted, not reversed, adjudication of the claim
  for the previous coverage: per line paid + CAS (group, reason, amount), claim-level
  CAS, payment date, patient responsibility.
* :func:`other_payer_loops` — pure: that adjudication as ``edi.model.claim837``
  objects: line level (2430 SVD + CAS + DTP*573, AMT*D in 2320) when every posted
  amount belongs to a line, else claim level (2320 CAS + AMT*D). One CAS group per
  segment with at most 6 reasons is the writer's job; we keep signs as posted and
  never emit CR. Balances (guide edi-x12 §6): line charge = SVD02 + Σ line CAS;
  claim charge − AMT*D = Σ 2320 CAS. An adjudication that does not balance raises.
* :func:`with_prior_payers` — the typed claim of a sequence 2/3 claim (from
  ``agency.claims.edi_build.ClaimAssembler``) with its other-payer loops: call it
  before writing the 837 of a secondary claim.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.claims.models import Claim, ClaimLine
from agency.remittance.models import Era, EraClaim, LedgerEntry
from edi.model.claim837 import CasAdjustment, Claim as EdiClaim, LineAdjudication, OtherPayer, Payer as EdiPayer

ZERO = Decimal("0.00")


class CobError(Exception):
    """The prior adjudication cannot be sent (message is PHI-free)."""


@dataclass
class LineResult:
    line_number: int
    procedure_code: str
    modifiers: tuple[str, ...]
    units: Decimal
    charge: Decimal
    paid: Decimal = ZERO
    cas: "OrderedDict[tuple[str, str], Decimal]" = field(default_factory=OrderedDict)


@dataclass
class PriorAdjudication:
    claim_id: uuid.UUID
    payer_id: uuid.UUID
    adjudication_date: date
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    lines: list[LineResult]
    claim_cas: "OrderedDict[tuple[str, str], Decimal]"

    @property
    def line_level(self) -> bool:
        return not self.claim_cas and bool(self.lines)


def prior_adjudication(s: Session, tenant_id: uuid.UUID, prior_claim_id: uuid.UUID) -> PriorAdjudication:
    claim = s.get(Claim, (tenant_id, prior_claim_id))
    if claim is None:
        raise CobError("the prior payer's claim does not exist")
    ecs = list(s.scalars(sa.select(EraClaim).where(
        EraClaim.tenant_id == tenant_id, EraClaim.claim_id == prior_claim_id, EraClaim.status_code != "22",
        EraClaim.reversed_by_id.is_(None)).order_by(EraClaim.created_at)))
    if not ecs:
        raise CobError("the prior payer's adjudication is not posted")
    era_dates = [e.payment_date or e.production_date or e.created_at.date() for e in s.scalars(
        sa.select(Era).where(Era.tenant_id == tenant_id, Era.id.in_({ec.era_id for ec in ecs})))]
    lines = {ln.id: ln for ln in s.scalars(sa.select(ClaimLine).where(ClaimLine.tenant_id == tenant_id,
                                                                      ClaimLine.claim_id == prior_claim_id))}
    results = {lid: LineResult(ln.line_number, ln.procedure_code, tuple(ln.modifiers or ()), ln.units, ln.charge)
               for lid, ln in lines.items()}
    claim_cas: OrderedDict[tuple[str, str], Decimal] = OrderedDict()
    paid = pr = ZERO
    entries = s.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.tenant_id == tenant_id, LedgerEntry.era_claim_id.in_([ec.id for ec in ecs]),
        LedgerEntry.kind.in_(("payment", "adjustment", "patient_responsibility")))
        .order_by(LedgerEntry.created_at, LedgerEntry.id))
    for e in entries:
        target = results.get(e.claim_line_id) if e.claim_line_id else None
        if e.kind == "payment":
            paid += e.amount
            if target is not None:
                target.paid += e.amount
            elif e.amount != 0:
                claim_cas.setdefault(("__paid__", ""), ZERO)  # marks claim-level money
            continue
        if e.kind == "patient_responsibility":
            pr += e.amount
        key = (e.group_code or "OA", e.carc or "")
        bucket = target.cas if target is not None else claim_cas
        bucket[key] = bucket.get(key, ZERO) + e.amount
    return PriorAdjudication(prior_claim_id, claim.payer_id, max(era_dates), claim.total_charge, paid, pr,
                             sorted(results.values(), key=lambda r: r.line_number), claim_cas)


def _cas(bucket) -> tuple[CasAdjustment, ...]:
    out = []
    for (group, reason), amount in bucket.items():
        if group == "__paid__" or amount == 0:
            continue
        if group == "CR":
            raise CobError("a CR adjustment cannot be sent in an 837 (legacy payer code): adjust it by hand")
        out.append(CasAdjustment(group, reason, amount))
    return tuple(out)


def other_payer_loops(adj: PriorAdjudication, payer: EdiPayer, subscriber, member_id: str, relationship: str,
                      filing_indicator: str, sequence_code: str = "P"
                      ) -> tuple[OtherPayer, dict[int, LineAdjudication]]:
    """(2320/2330 loop, 2430 per line number) — the 2430 dict is empty at claim level."""
    line_level = adj.line_level and ("__paid__", "") not in adj.claim_cas
    if line_level:
        per_line: dict[int, LineAdjudication] = {}
        for r in adj.lines:
            cas = _cas(r.cas)
            if r.paid + sum((c.amount for c in cas), ZERO) != r.charge:
                raise CobError(f"line {r.line_number}: prior paid + adjustments do not equal the line charge")
            per_line[r.line_number] = LineAdjudication(payer_id=payer.id, paid=r.paid, procedure_code=r.procedure_code,
                                                       units=r.units, adjudication_date=adj.adjudication_date,
                                                       modifiers=r.modifiers, adjustments=cas)
        op = OtherPayer(subscriber=subscriber, member_id=member_id, payer=payer, payer_responsibility=sequence_code,
                        relationship=relationship, filing_indicator=filing_indicator, paid=adj.paid,
                        remaining_patient_liability=adj.patient_responsibility or None,
                        adjudication_date=adj.adjudication_date)
        return op, per_line
    total: OrderedDict[tuple[str, str], Decimal] = OrderedDict()
    for bucket in [adj.claim_cas] + [r.cas for r in adj.lines]:
        for k, v in bucket.items():
            total[k] = total.get(k, ZERO) + v
    cas = _cas(total)
    if adj.charge - adj.paid != sum((c.amount for c in cas), ZERO):
        raise CobError("claim charge - prior paid does not equal the prior adjustments")
    op = OtherPayer(subscriber=subscriber, member_id=member_id, payer=payer, payer_responsibility=sequence_code,
                    relationship=relationship, filing_indicator=filing_indicator, paid=adj.paid, adjustments=cas,
                    remaining_patient_liability=adj.patient_responsibility or None,
                    adjudication_date=adj.adjudication_date)
    return op, {}


def with_prior_payers(s: Session, cipher, tenant_id: uuid.UUID, claim: Claim, typed: EdiClaim) -> EdiClaim:  # noqa: ANN001
    """``typed`` (the secondary/tertiary claim as assembled) with one other-payer loop per
    earlier coverage, from the posted adjudications of those payers' claims."""
    from agency.claims.edi_build import SEQUENCE_CODE, ClaimAssembler

    if claim.sequence <= 1:
        return typed
    priors = list(s.scalars(sa.select(Claim).where(
        Claim.tenant_id == tenant_id, Claim.encounter_id == claim.encounter_id, Claim.sequence < claim.sequence)
        .order_by(Claim.sequence, Claim.revision.desc())))
    latest: dict[int, Claim] = {}
    for p in priors:
        if p.state not in ("replaced", "voided"):
            latest.setdefault(p.sequence, p)
    if len(latest) != claim.sequence - 1:
        raise CobError("an earlier payer's claim is missing")
    assembler = ClaimAssembler(s, cipher, tenant_id)
    others, line_adj = [], defaultdict(list)
    for seq in sorted(latest):
        prior = latest[seq]
        adj = prior_adjudication(s, tenant_id, prior.id)
        payer_row = assembler.payer(prior.payer_id)
        sub, patient = assembler._people(prior, payer_row)  # noqa: SLF001  (the claims module's PHI opener)
        op, per_line = other_payer_loops(adj, EdiPayer(name=payer_row.name, id=payer_row.payer_code),
                                         sub.person, sub.member_id, patient.relationship if patient else "18",
                                         sub.filing_indicator, SEQUENCE_CODE.get(seq, "P"))
        others.append(op)
        for n, la in per_line.items():
            line_adj[n].append(la)
    if any(op.adjustments for op in others) and line_adj:
        raise CobError("one earlier payer adjudicated at claim level and another at line level")
    lines = typed.lines
    if line_adj:
        if len(lines) != len(adj.lines):
            raise CobError("the secondary claim's lines differ from the prior payer's")
        lines = tuple(dataclasses.replace(ln, adjudications=tuple(line_adj.get(i, ())))
                      for i, ln in enumerate(lines, 1))
    return dataclasses.replace(typed, other_payers=tuple(others), lines=lines)
