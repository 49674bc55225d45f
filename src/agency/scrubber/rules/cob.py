"""Coordination of benefits (edit 23)."""

from __future__ import annotations

from decimal import Decimal

from agency.scrubber.rules.base import Rule, register

ORDER = "PSTABCDEFGH"  # SBR01: primary, secondary, tertiary, then payer responsibility 4-11


@register
class CoordinationOfBenefits(Rule):
    """A non-primary claim (SBR01 not P) carries each earlier payer (2320/2330B)
    with its adjudication: the amount paid and adjudication date, and its
    adjustments either at claim level (2320 CAS) or at line level (2430), never
    both. Balances: at claim level, total charge = paid + adjustments; at line
    level, each adjudicated line's charge = paid + its adjustments. Every line
    adjudication names one of the claim's other payers."""

    rule_id = "COB"
    edit = 23
    title = "Coordination of benefits"
    field = "other_payers[i]"
    messages = {
        "default": "This is a {seq} claim, but it names no earlier payer and its adjudication.",
        "no_adjudication": "Other payer {n} has no adjudication: give the amount it paid and its adjustments "
                           "(claim or line level).",
        "no_date": "Other payer {n} has no adjudication date.",
        "both_levels": "Other payer {n} has adjustments at claim level and at line level; send one level only.",
        "claim_balance": "Other payer {n}: the claim charge does not equal its paid amount plus its claim-level "
                         "adjustments.",
        "line_balance": "Line {line}: the charge does not equal other payer {n}'s paid amount plus its line "
                        "adjustments.",
        "unknown_payer": "Line {line} has an adjudication from a payer that is not among the claim's other payers.",
    }

    def check(self, view, ctx, params):
        claim = view.claim
        resp = claim.subscriber.payer_responsibility
        others = claim.other_payers
        if resp != "P" and resp in ORDER:
            earlier = [op for op in others if op.payer_responsibility in ORDER
                       and ORDER.index(op.payer_responsibility) < ORDER.index(resp)]
            if not earlier:
                seq = {"S": "secondary", "T": "tertiary"}.get(resp, "non-primary")
                yield self.hit("other_payers", None, seq=seq)
        ids = {op.payer.id: i for i, op in enumerate(others)}
        line_adj = {}
        for ln in view.lines:
            for k, adj in enumerate(ln.raw.adjudications):
                if adj.payer_id not in ids:
                    yield self.hit(f"{ln.path}.adjudications[{k}]", ln.number, "unknown_payer", line=ln.number)
                    continue
                line_adj.setdefault(adj.payer_id, []).append((ln, adj))
        for i, op in enumerate(others):
            n = i + 1
            path = f"other_payers[{i}]"
            lines = line_adj.get(op.payer.id, [])
            claim_level = op.paid is not None or bool(op.adjustments)
            is_earlier = resp in ORDER and op.payer_responsibility in ORDER and \
                ORDER.index(op.payer_responsibility) < ORDER.index(resp)
            if op.adjustments and lines:
                yield self.hit(f"{path}.adjustments", None, "both_levels", n=n)
                continue
            if is_earlier and not claim_level and not lines:
                yield self.hit(f"{path}.paid", None, "no_adjudication", n=n)
                continue
            if (claim_level or lines) and op.adjudication_date is None and not lines:
                yield self.hit(f"{path}.adjudication_date", None, "no_date", n=n)
            if op.adjustments and op.paid is not None:
                if op.paid + sum((a.amount for a in op.adjustments), Decimal(0)) != view.total_charge:
                    yield self.hit(f"{path}.adjustments", None, "claim_balance", n=n)
            for ln, adj in lines:
                if adj.paid + sum((a.amount for a in adj.adjustments), Decimal(0)) != ln.charge:
                    yield self.hit(f"{ln.path}.adjudications", ln.number, "line_balance", line=ln.number, n=n)
