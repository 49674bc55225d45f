"""The simulated payer: claim edits (277CA) and adjudication (835), both pure functions.

Amounts always balance by construction: for every line
``charge - (CO + PR + other CAS) = paid``, so the claim and the transaction balance too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from edi.model.acks import StatusInfo
from edi.model.claim837 import Claim, InstitutionalClaim
from edi.model.common import Adjustment
from edi.model.remit835 import ClaimPayment, ServicePayment

from agency.clearinghouse.simulator.rules import Rule, Rules, money

STATUS_BY_RESPONSIBILITY = {"P": "1", "S": "2", "T": "3"}
# CLP06 takes a narrower list than SBR09 (no CI, BL, 11): commercial plans report as 12.
CLP06_CODES = {"12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA", "MB", "MC", "OF", "TV",
               "VA", "WC", "ZZ"}


@dataclass(frozen=True)
class ClaimEdit:
    """Why the 277CA rejects a claim: STC01 category:status:entity."""

    category: str
    status: str
    entity: str | None
    reason: str  # for people (logs, docs): never PHI

    def status_info(self, when: date, charge: Decimal) -> StatusInfo:
        return StatusInfo(self.category, self.status, self.entity, when, "U", charge)


def npi_ok(npi: str | None) -> bool:
    """The NPI check digit (Luhn over '80840' + the first nine digits)."""
    if not npi or len(npi) != 10 or not npi.isdigit():
        return False
    digits = "80840" + npi[:9]
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def _diagnoses(claim: Claim | InstitutionalClaim) -> tuple[str, ...]:
    if isinstance(claim, Claim):
        return tuple(claim.diagnoses)
    return (claim.principal_diagnosis, *claim.other_diagnoses)


def _service_dates(claim: Claim | InstitutionalClaim) -> list[date]:
    out = [ln.service_date for ln in claim.lines if ln.service_date]
    if isinstance(claim, InstitutionalClaim):
        out.append(claim.statement_to)
    return out


def claim_edit(claim: Claim | InstitutionalClaim, billing_npi: str | None, rules: Rules,
               today: date) -> ClaimEdit | None:
    """The first reason to reject the claim at acceptance (277CA), or None."""
    payer_id = claim.subscriber.payer.id
    for r in rules.claim_rules():
        if r.reject and r.matches_claim(payer_id, _diagnoses(claim), claim.patient_control_number):
            return ClaimEdit(r.reject.category, r.reject.status, r.reject.entity, f"rule {r.index}")
    if rules.npi_check and not npi_ok(billing_npi):
        return ClaimEdit("A7", "562", "85", "billing provider NPI fails the check digit")
    if rules.member_id and not (claim.subscriber.member_id or "").strip():
        return ClaimEdit("A7", "164", "IL", "subscriber member id missing")
    if rules.future_dates and any(d > today for d in _service_dates(claim)):
        return ClaimEdit("A7", "187", None, "date of service in the future")
    return None


def _first(rules: list[Rule], pred) -> Rule | None:  # noqa: ANN001
    return next((r for r in rules if pred(r)), None)


def adjudicate(claim: Claim | InstitutionalClaim, rules: Rules, payer_claim_number: str) -> ClaimPayment:
    payer_id = claim.subscriber.payer.id
    dx = _diagnoses(claim)
    pcn = claim.patient_control_number
    claim_rule = _first([r for r in rules.claim_rules() if not r.reject],
                        lambda r: r.matches_claim(payer_id, dx, pcn))
    copay_left: dict[int, Decimal] = {}
    deductible_left: dict[int, Decimal] = {}
    lines: list[ServicePayment] = []
    denied = 0
    for ln in claim.lines:
        proc = ln.procedure_code
        mods = tuple(ln.modifiers)
        rule = _first(rules.line_rules(), lambda r: r.matches_claim(payer_id, dx, pcn)
                      and r.matches_line(proc, mods, ln.charge)) or claim_rule
        charge = ln.charge
        adjs: list[Adjustment] = []
        remarks: list[str] = []
        allowed: Decimal | None
        if rule is not None and rule.deny is not None:
            adjs.append(Adjustment(rule.deny.group, rule.deny.carc, charge))
            if rule.deny.rarc:
                remarks.append(rule.deny.rarc)
            paid, allowed = Decimal("0.00"), None
            denied += 1
        else:
            if rule is not None and rule.allowed_amount is not None:
                allowed = min(charge, rule.allowed_amount)
            else:
                pct = rule.pay_percent if rule is not None and rule.pay_percent is not None else rules.pay_percent
                allowed = money(charge * pct / 100)
            if charge - allowed:
                adjs.append(Adjustment("CO", "45", money(charge - allowed)))
            left = allowed
            share = rule.patient if rule is not None else None
            if share is not None:
                copay = min(copay_left.setdefault(rule.index, share.copay), left)
                copay_left[rule.index] -= copay
                left -= copay
                ded = min(deductible_left.setdefault(rule.index, share.deductible), left)
                deductible_left[rule.index] -= ded
                left -= ded
                coins = money(left * share.coinsurance_percent / 100)
                left -= coins
                for reason, amount in (("1", ded), ("2", coins), ("3", copay)):
                    if amount:
                        adjs.append(Adjustment("PR", reason, money(amount)))
            paid = money(left)
        if isinstance(claim, Claim):
            qual, code, revenue = "HC", proc, None
        elif proc:
            qual, code, revenue = "HC", proc, ln.revenue_code
        else:
            qual, code, revenue = "NU", ln.revenue_code, None
        lines.append(ServicePayment(
            qual, code, list(mods), charge, paid, revenue, ln.units, service_date=ln.service_date,
            service_date_end=ln.service_date_end, adjustments=adjs, remarks=remarks,
            line_control_number=ln.line_control_number, allowed_amount=allowed))
    charge = sum((ln.charge for ln in lines), Decimal(0))
    paid = sum((ln.paid for ln in lines), Decimal(0))
    patient = sum((a.amount for ln in lines for a in ln.adjustments if a.group == "PR"), Decimal(0))
    if lines and denied == len(lines):
        status = "4"
    else:
        status = STATUS_BY_RESPONSIBILITY.get(claim.subscriber.payer_responsibility, "1")
    person = claim.patient.person if claim.patient else claim.subscriber.person
    if isinstance(claim, Claim):
        facility, stmt_from, stmt_to = claim.place_of_service, None, None
    else:
        facility, stmt_from, stmt_to = claim.facility_type, claim.statement_from, claim.statement_to
    return ClaimPayment(
        pcn, status, money(charge), money(paid), money(patient),
        fi if (fi := claim.subscriber.filing_indicator) in CLP06_CODES else "12",
        payer_claim_number, facility, claim.frequency, person.last_name, person.first_name,
        claim.subscriber.member_id, statement_from=stmt_from, statement_to=stmt_to, lines=lines, header_number="1")
