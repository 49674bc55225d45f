"""The posting plan: a pure function from a parsed 835 (``edi.r835``) and what we
know about our claims to the ledger entries, denial items and exceptions that
posting would write. No database here; ``agency.remittance.service`` applies a
plan in one transaction, or records why it cannot.

Matching (guide rcm-domain §11, edi-x12 §9):

* claims by CLP01 = our CLM01 (the current revision of that claim);
* lines by REF*6R (our line control number, echoed). A REF*6R we do not know is an
  exception, never a fallback;
* when the payer omitted REF*6R: procedure code (SVC01, or the original code in
  SVC06 when the payer changed it) + date of service + charge, modifier-insensitive;
  several candidates are narrowed by exact modifiers; still several -> exception;
* a reversal (CLP02 22) is paired with the earlier posting by CLP01 + CLP07 (also
  across ERAs) and posts the negation of every earlier entry; its CLP04 must be the
  negated earlier payment; the correction that follows posts fresh.

Nothing is guessed: anything uncertain becomes a :class:`PlanException` and the
whole ERA is parked.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from agency.db.base import new_id
from agency.denials.categories import categorise, is_denial
from edi.model.remit835 import ClaimPayment, Remittance, ServicePayment

ZERO = Decimal("0.00")
CROSSOVER = frozenset({"19", "20", "21"})
PROCESSED = frozenset({"1", "2", "3", "19", "20", "21"})
# Claim states in which an 835 may be posted against a claim we sent.
POSTABLE_STATES = frozenset({"submitted", "accepted_ch", "accepted_payer", "adjudicated_paid",
                             "adjudicated_partial", "adjudicated_denied"})


# ----------------------------------------------------------------------------- inputs

@dataclass(frozen=True, slots=True)
class OurLine:
    id: uuid.UUID
    line_number: int
    line_control_number: str
    procedure_code: str
    modifiers: tuple[str, ...]
    date_of_service: date
    charge: Decimal


@dataclass(frozen=True, slots=True)
class OurClaim:
    id: uuid.UUID
    pcn: str
    revision: int
    sequence: int
    state: str
    payer_id: uuid.UUID | None
    date_of_service_from: date
    date_of_service_to: date
    total_charge: Decimal
    lines: tuple[OurLine, ...]
    has_next_coverage: bool = False


@dataclass(frozen=True, slots=True)
class PriorEntry:
    id: uuid.UUID
    claim_line_id: uuid.UUID | None
    kind: str
    group: str | None
    carc: str | None
    rarcs: tuple[str, ...]
    category: str | None
    amount: Decimal
    transfer_to: str | None = None


@dataclass(frozen=True, slots=True)
class PriorPosting:
    """An earlier, not yet reversed, posting of one CLP (era_claim + its entries)."""

    era_claim_id: uuid.UUID
    claim_id: uuid.UUID
    status_code: str
    paid: Decimal
    entries: tuple[PriorEntry, ...]


class ClaimLookup(Protocol):
    """What the plan needs from the database (see ``service.DbClaimLookup``)."""

    def claims(self, pcns: Iterable[str]) -> Mapping[str, OurClaim]:
        """The current revision of each of our claims with that CLM01 (absent: never sent)."""

    def prior_postings(self, keys: Iterable[tuple[str, str | None]]) -> Mapping[tuple[str, str | None], PriorPosting]:
        """The latest non-reversed posting per (CLP01, CLP07)."""


# ----------------------------------------------------------------------------- outputs

@dataclass(frozen=True, slots=True)
class PlanException:
    reason_code: str  # unknown_claim, unknown_line, ambiguous_line, unmatched_line, reversal_unmatched, ...
    reason: str  # PHI-free: positions and codes, never names
    clp_index: int | None = None
    line_index: int | None = None
    pcn: str | None = None
    payer_claim_number: str | None = None
    claim_id: uuid.UUID | None = None


@dataclass(slots=True)
class PlannedEntry:
    claim_line_id: uuid.UUID | None
    kind: str
    amount: Decimal
    group: str | None = None
    carc: str | None = None
    rarcs: tuple[str, ...] = ()
    category: str | None = None
    reverses_entry_id: uuid.UUID | None = None
    reverses_kind: str | None = None
    transfer_to: str | None = None
    id: uuid.UUID = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class PlannedDenial:
    claim_line_id: uuid.UUID | None
    kind: str  # denied | underpaid
    category: str
    flagged: bool
    carc: str | None
    group: str | None
    rarcs: tuple[str, ...]
    amount: Decimal
    date_of_service: date


@dataclass(slots=True)
class PlannedClaim:
    clp_index: int
    claim: OurClaim
    pcn: str
    payer_claim_number: str | None
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    outcome: str  # paid, partial, denied, forwarded, reversed, predetermination
    category: str | None
    entries: list[PlannedEntry]
    denials: list[PlannedDenial]
    pr_total: Decimal = ZERO
    reverses: PriorPosting | None = None
    id: uuid.UUID = field(default_factory=new_id)
    line_payments: dict[uuid.UUID, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlannedPlb:
    position: int
    provider_id: str | None
    fiscal_period_end: date | None
    reason: str
    reference: str | None
    amount: Decimal


@dataclass(slots=True)
class PostingPlan:
    claims: list[PlannedClaim] = field(default_factory=list)
    provider_adjustments: list[PlannedPlb] = field(default_factory=list)
    exceptions: list[PlanException] = field(default_factory=list)
    payments_total: Decimal = ZERO
    plb_total: Decimal = ZERO
    payment_amount: Decimal = ZERO

    @property
    def ok(self) -> bool:
        return not self.exceptions

    @property
    def reconciles(self) -> bool:
        return self.payments_total - self.plb_total == self.payment_amount


# ----------------------------------------------------------------------------- matching

def _original(svc: ServicePayment) -> tuple[str | None, tuple[str, ...]]:
    """SVC06 (as received, composite joined with ':'): qualifier:code:mod1..."""
    if not svc.original_procedure:
        return None, ()
    parts = svc.original_procedure.split(":")
    if len(parts) == 1:
        return parts[0] or None, ()
    return parts[1] or None, tuple(p for p in parts[2:] if p)


def match_lines(claim: OurClaim, svcs: list[ServicePayment], clp_index: int,
                manual: Mapping[tuple[int, int], uuid.UUID] | None = None
                ) -> tuple[list[OurLine | None], list[PlanException]]:
    """One of our lines per 2110 loop, or exceptions. ``manual`` holds resolutions a
    person made for earlier exceptions ((clp_index, line_index) -> claim line id)."""
    by_lcn = {ln.line_control_number: ln for ln in claim.lines}
    by_id = {ln.id: ln for ln in claim.lines}
    out: list[OurLine | None] = [None] * len(svcs)
    used: set[uuid.UUID] = set()
    problems: list[PlanException] = []

    def fail(i: int, code: str, reason: str) -> None:
        problems.append(PlanException(code, reason, clp_index, i, claim.pcn, None, claim.id))

    pending: list[int] = []
    for i, svc in enumerate(svcs):
        chosen = (manual or {}).get((clp_index, i))
        if chosen is not None:
            ln = by_id.get(chosen)
            if ln is None:
                fail(i, "unknown_line", f"claim {clp_index + 1} line {i + 1}: the line chosen by hand is not on the claim")
            elif ln.id in used:
                fail(i, "ambiguous_line", f"claim {clp_index + 1} line {i + 1}: the line chosen by hand is already matched")
            else:
                out[i] = ln
                used.add(ln.id)
            continue
        lcn = (svc.line_control_number or "").strip()
        if lcn:
            ln = by_lcn.get(lcn)
            if ln is None:
                fail(i, "unknown_line", f"claim {clp_index + 1} line {i + 1}: line control number (REF*6R) is not "
                                        "one of this claim's lines")
            elif ln.id in used:
                fail(i, "ambiguous_line", f"claim {clp_index + 1} line {i + 1}: line control number (REF*6R) "
                                          "appears twice in the claim payment")
            else:
                out[i] = ln
                used.add(ln.id)
        else:
            pending.append(i)
    for i in pending:
        svc = svcs[i]
        codes = {svc.procedure_code}
        orig_code, orig_mods = _original(svc)
        if orig_code:
            codes = {orig_code}  # SVC06 is what we billed; SVC01 is what the payer adjudicated
        dos = svc.service_date
        cands = [ln for ln in claim.lines if ln.id not in used and ln.procedure_code in codes
                 and ln.charge == svc.charge and (dos is None or ln.date_of_service == dos)]
        if len(cands) > 1:
            mods = set(orig_mods if orig_code else svc.modifiers)
            exact = [ln for ln in cands if set(ln.modifiers) == mods]
            if len(exact) == 1:
                cands = exact
        if len(cands) == 1:
            out[i] = cands[0]
            used.add(cands[0].id)
        elif not cands:
            fail(i, "unmatched_line", f"claim {clp_index + 1} line {i + 1}: no line of the claim has this procedure "
                                      "code, date of service and charge (and no REF*6R was sent)")
        else:
            fail(i, "ambiguous_line", f"claim {clp_index + 1} line {i + 1}: {len(cands)} lines of the claim match "
                                      "code, date and charge; choose the line by hand")
    return out, problems


# ----------------------------------------------------------------------------- the plan

def _adjustment_entries(adjs, line_id: uuid.UUID | None, rarcs: tuple[str, ...]) -> list[PlannedEntry]:
    out = []
    for a in adjs:
        cat = categorise(a.group, a.reason, rarcs)
        kind = "patient_responsibility" if a.group == "PR" else "adjustment"
        out.append(PlannedEntry(line_id, kind, a.amount, a.group, a.reason, rarcs, cat.category))
    return out


def _denials_of(entries: list[PlannedEntry], line_id: uuid.UUID | None, paid: Decimal, dos: date,
                rarcs: tuple[str, ...]) -> PlannedDenial | None:
    denied = [e for e in entries if e.kind == "adjustment" and is_denial(e.group, e.carc, e.category or "other")
              and e.amount > 0]
    if not denied:
        return None
    top = max(denied, key=lambda e: e.amount)
    flagged = categorise(top.group, top.carc, rarcs).flagged
    return PlannedDenial(line_id, "underpaid" if paid > 0 else "denied", top.category or "other", flagged, top.carc,
                         top.group, rarcs, sum((e.amount for e in denied), ZERO), dos)


def _outcome(status: str, denial_total: Decimal, favourable: Decimal) -> str:
    if status == "22":
        return "reversed"
    if status == "25":
        return "predetermination"
    if status in CROSSOVER or status == "23":
        return "forwarded"
    if status == "4":
        return "denied"
    if denial_total == 0:
        return "paid"
    return "partial" if favourable > 0 else "denied"


def plan_remittance(rem: Remittance, lookup: ClaimLookup,
                    manual: Mapping[tuple[int, int], uuid.UUID] | None = None) -> PostingPlan:
    """The whole posting of one 835 transaction, or its exceptions. The caller has
    already refused an unbalanced remittance (``rem.balance``)."""
    plan = PostingPlan(payment_amount=rem.payment.amount)
    claims = list(rem.claims)
    ours = lookup.claims({c.patient_control_number for c in claims})
    priors = dict(lookup.prior_postings({(c.patient_control_number, c.payer_claim_number) for c in claims}))
    for idx, clp in enumerate(claims):
        pcn = clp.patient_control_number
        claim = ours.get(pcn)
        if claim is None:
            plan.exceptions.append(PlanException("unknown_claim", f"claim {idx + 1}: CLP01 is not a claim this "
                                                 "practice sent", idx, None, pcn, clp.payer_claim_number))
            continue
        key = (pcn, clp.payer_claim_number)
        if clp.status_code == "22":
            planned = _plan_reversal(idx, clp, claim, priors.get(key), plan)
            if planned is not None:
                priors.pop(key, None)
                plan.claims.append(planned)
                plan.payments_total += sum((e.amount for e in planned.entries if e.reverses_kind == "payment"), ZERO)
            continue
        prior = priors.get(key)
        if prior is not None and prior.status_code == clp.status_code:
            plan.exceptions.append(PlanException(
                "duplicate_claim", f"claim {idx + 1}: this claim payment (CLP01, CLP07, CLP02) is already posted "
                "and was not reversed", idx, None, pcn, clp.payer_claim_number, claim.id))
            continue
        if claim.state not in POSTABLE_STATES:
            plan.exceptions.append(PlanException(
                "claim_state", f"claim {idx + 1}: our claim is {claim.state}, not awaiting adjudication",
                idx, None, pcn, clp.payer_claim_number, claim.id))
            continue
        planned = _plan_claim(idx, clp, claim, manual, plan)
        if planned is None:
            continue
        plan.claims.append(planned)
        plan.payments_total += sum((e.amount for e in planned.entries if e.kind == "payment"), ZERO)
        priors[key] = PriorPosting(planned.id, claim.id, clp.status_code, clp.paid, tuple(
            PriorEntry(e.id, e.claim_line_id, e.kind, e.group, e.carc, e.rarcs, e.category, e.amount, e.transfer_to)
            for e in planned.entries))
    for pos, p in enumerate(rem.provider_adjustments):
        plan.provider_adjustments.append(PlannedPlb(pos, p.provider_id, p.fiscal_period_end, p.reason, p.reference,
                                                    p.amount))
        plan.plb_total += p.amount
    if plan.ok and not plan.reconciles:
        plan.exceptions.append(PlanException(
            "reconciliation", f"payments {plan.payments_total} - provider adjustments {plan.plb_total} "
            f"= {plan.payments_total - plan.plb_total}, but the payment amount (BPR02) is {plan.payment_amount}"))
    return plan


def _plan_reversal(idx: int, clp: ClaimPayment, claim: OurClaim, prior: PriorPosting | None,
                   plan: PostingPlan) -> PlannedClaim | None:
    if prior is None:
        plan.exceptions.append(PlanException(
            "reversal_unmatched", f"claim {idx + 1}: reversal (CLP02 22) without an earlier posting of the same "
            "CLP01 and payer claim number (CLP07)", idx, None, clp.patient_control_number, clp.payer_claim_number,
            claim.id))
        return None
    if prior.paid != -clp.paid:
        plan.exceptions.append(PlanException(
            "reversal_mismatch", f"claim {idx + 1}: reversal takes back {-clp.paid} but {prior.paid} was posted",
            idx, None, clp.patient_control_number, clp.payer_claim_number, claim.id))
        return None
    entries = [PlannedEntry(e.claim_line_id, "reversal", -e.amount, e.group, e.carc, e.rarcs, e.category,
                            reverses_entry_id=e.id, reverses_kind=e.kind, transfer_to=e.transfer_to)
               for e in prior.entries]
    return PlannedClaim(idx, claim, clp.patient_control_number, clp.payer_claim_number, clp.status_code, clp.charge,
                        clp.paid, clp.patient_responsibility, "reversed", None, entries, [], reverses=prior)


def _plan_claim(idx: int, clp: ClaimPayment, claim: OurClaim,
                manual: Mapping[tuple[int, int], uuid.UUID] | None, plan: PostingPlan) -> PlannedClaim | None:
    if clp.status_code == "25":  # predetermination: pricing only, nothing to post
        return PlannedClaim(idx, claim, clp.patient_control_number, clp.payer_claim_number, clp.status_code,
                            clp.charge, clp.paid, clp.patient_responsibility, "predetermination", None, [], [])
    lines = list(clp.lines)
    matched, problems = match_lines(claim, lines, idx, manual)
    if problems:
        plan.exceptions.extend(problems)
        return None
    claim_rarcs = tuple(clp.remarks)
    entries: list[PlannedEntry] = []
    denials: list[PlannedDenial] = []
    line_payments: dict[uuid.UUID, Decimal] = {}
    lines_paid = ZERO
    for svc, ours in zip(lines, matched):
        rarcs = tuple(dict.fromkeys(tuple(svc.remarks) + claim_rarcs))
        line_entries = []
        if svc.paid != 0:
            line_entries.append(PlannedEntry(ours.id, "payment", svc.paid))
        adj = _adjustment_entries(svc.adjustments, ours.id, rarcs)
        line_entries += adj
        entries += line_entries
        lines_paid += svc.paid
        line_payments[ours.id] = line_payments.get(ours.id, ZERO) + svc.paid
        d = _denials_of(adj, ours.id, svc.paid, svc.service_date or ours.date_of_service, rarcs)
        if d:
            denials.append(d)
    claim_adj = _adjustment_entries(clp.adjustments, None, claim_rarcs)
    entries += claim_adj
    remainder = clp.paid - lines_paid
    if remainder != 0:
        # CLP04 differs from the sum of SVC03 by the claim-level CAS (or the claim has no
        # 2110 detail): the claim-level share of the cash, so Σ payments = Σ CLP04.
        entries.append(PlannedEntry(None, "payment", remainder))
    d = _denials_of(claim_adj, None, clp.paid, claim.date_of_service_from, claim_rarcs)
    if d:
        denials.append(d)
    if clp.status_code == "4" and not denials:
        # Denied with no denial-category CAS (e.g. only PR or an unusual payer): still work it.
        amount = clp.charge - clp.paid
        if amount > 0:
            denials.append(PlannedDenial(None, "denied", "other", True, None, None, claim_rarcs, amount,
                                         claim.date_of_service_from))
    denial_total = sum((d.amount for d in denials), ZERO)
    pr_total = sum((e.amount for e in entries if e.kind == "patient_responsibility"), ZERO)
    favourable = clp.paid + pr_total
    outcome = _outcome(clp.status_code, denial_total, favourable)
    category = max(denials, key=lambda d: d.amount).category if denials else None
    if pr_total > 0:
        to = "crossover" if clp.status_code in CROSSOVER else ("next_payer" if claim.has_next_coverage else "patient")
        entries.append(PlannedEntry(None, "transfer", pr_total, "PR", transfer_to=to))
    return PlannedClaim(idx, claim, clp.patient_control_number, clp.payer_claim_number, clp.status_code, clp.charge,
                        clp.paid, clp.patient_responsibility, outcome, category, entries, denials, pr_total,
                        line_payments=line_payments)
