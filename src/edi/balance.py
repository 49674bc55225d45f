"""835 balancing (guide section 10; SNIP type 3), 5010 sign conventions.

Line:        SVC02 - sum(2110 CAS) = SVC03
Claim:       CLP03 - sum(2100 CAS + all 2110 CAS) = CLP04
Transaction: sum(CLP04) - sum(PLB amounts) = BPR02

A positive CAS/PLB amount reduces the payment, a negative one increases it.
AMT and CLP05 are informational and never enter an equation. Reversals
(CLP02 = 22) carry negated amounts and balance with the same equations.
"""

from __future__ import annotations

from decimal import Decimal

from edi.model.remit835 import BalanceProblem, ClaimPayment, Remittance

ZERO = Decimal(0)


def check_claim(claim: ClaimPayment, index: int, out: list[BalanceProblem]) -> None:
    """Append line- and claim-level problems of one claim to `out`."""
    total_adj = ZERO
    for a in claim.adjustments:
        total_adj += a.amount
    for li, line in enumerate(claim.lines):
        line_adj = ZERO
        for a in line.adjustments:
            line_adj += a.amount
        total_adj += line_adj
        expected = line.charge - line_adj
        if expected != line.paid:
            out.append(
                BalanceProblem(
                    "line",
                    f"claim {index + 1} line {li + 1}: charge {line.charge} - adjustments {line_adj}"
                    f" = {expected}, but paid is {line.paid}",
                    index, li, claim.patient_control_number, expected, line.paid,
                )
            )
    expected = claim.charge - total_adj
    if expected != claim.paid:
        out.append(
            BalanceProblem(
                "claim",
                f"claim {index + 1}: charge {claim.charge} - adjustments {total_adj} = {expected},"
                f" but paid is {claim.paid}",
                index, None, claim.patient_control_number, expected, claim.paid,
            )
        )


def check_transaction(total_paid: Decimal, plb_total: Decimal, bpr_amount: Decimal, out: list[BalanceProblem]) -> None:
    expected = total_paid - plb_total
    if expected != bpr_amount:
        out.append(
            BalanceProblem(
                "transaction",
                f"sum of claim payments {total_paid} - provider adjustments {plb_total} = {expected},"
                f" but BPR02 is {bpr_amount}",
                None, None, None, expected, bpr_amount,
            )
        )


def check_remittance(rem: Remittance) -> list[BalanceProblem]:
    """Recompute all three equations for a materialised remittance."""
    out: list[BalanceProblem] = []
    paid = ZERO
    for i, c in enumerate(rem.claims):
        check_claim(c, i, out)
        paid += c.paid
    plb = sum((p.amount for p in rem.provider_adjustments), ZERO)
    check_transaction(paid, plb, rem.payment.amount, out)
    return out
