"""Acceptance: every 835 of the public sample corpus that balances posts and reconciles
to its payment amount; the ones that do not balance are refused with the exact problem
and nothing is posted.

Our claims carry our own CLM01 (opaque, ``[0-9A-Z]{1,17}``): each sample CLP01 is
replaced by one of ours (one claim per CLP), nothing else in the file changes. The
claims are created "as sent" with the lines the file adjudicates."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from agency.remittance.models import Era, LedgerEntry, ProviderLedgerEntry
from agency.remittance.service import payer_keys
from edi.r835 import read_835
from remit_support import Line, make_claim, make_ctx

SAMPLES = [
    "LinuxForHealth__x12/src/tests/resources/835_005010X221A1/managed-care.835",
    "LinuxForHealth__x12/src/tests/resources/835_005010X221A1/medicare-part-a.835",
    "LinuxForHealth__x12/src/tests/resources/835_005010X221A1/secondary-payment.835",
    "LinuxForHealth__x12/src/tests/resources/835_005010X221A1/cob-contractural-adjustment.835",
    "LinuxForHealth__x12/src/tests/resources/835_005010X221A1/tertiary-payment.835",
    "azoner__pyx12/pyx12/tests/835_mult_loops.txt",
    "keironstoddart__edi-835-parser/tests/test_edi_835_files/emedny_sample.txt",
    "keironstoddart__edi-835-parser/tests/test_edi_835_files/united_healthcare_legacy_sample.txt",
]


def rewrite_clp01(text: str, tag: str) -> tuple[str, list[str]]:
    """Replace every CLP01 with our own claim number (one per CLP)."""
    start = text.index("ISA")
    elem, term = text[start + 3], text[start + 105]
    segs = text.split(term)
    pcns = []
    for i, seg in enumerate(segs):
        if seg.strip().startswith("CLP" + elem):
            lead = seg[:len(seg) - len(seg.lstrip())]
            parts = seg.strip().split(elem)
            parts[1] = f"S{tag}C{len(pcns)}"
            pcns.append(parts[1])
            segs[i] = lead + elem.join(parts)
    return term.join(segs), pcns


def _our_code(ln) -> str:
    parts = (ln.original_procedure or "").split(":")
    code = parts[1] if len(parts) > 1 else ln.procedure_code
    return code or "99499"  # tertiary-payment.835 sends SVC01 "HC" without a code


@pytest.mark.parametrize("name", SAMPLES, ids=lambda n: n.rsplit("/", 1)[-1])
def test_sample_835_posts_and_reconciles_or_is_refused(db, tenancy, samples, name):
    from remit_support import post_text

    scope = tenancy.a1
    raw = (samples / name).read_text()
    tag = f"{SAMPLES.index(name)}{scope.tenant_id.hex[:6].upper()}"
    text, pcns = rewrite_clp01(raw, tag)
    [rem] = read_835(text)
    ctx = make_ctx(db, scope, payer_code=payer_keys(rem)[0])
    for pcn, c in zip(pcns, rem.claims):
        lines = [Line(_our_code(ln),
                      str(ln.charge), tuple(ln.modifiers), ln.service_date or c.statement_from or
                      rem.production_date, lcn=ln.line_control_number) for ln in c.lines]
        if not lines:  # claim-level adjudication only (institutional samples)
            lines = [Line("99222", str(c.charge), dos=c.statement_from or rem.production_date)]
        make_claim(db, ctx, pcn, lines)
    [res] = post_text(db, scope, text)
    with db.sessions.tenant_unit(scope) as s:
        entries = list(s.scalars(sa.select(LedgerEntry).where(LedgerEntry.tenant_id == scope.tenant_id,
                                                              LedgerEntry.era_id == res.era_id)))
        plb = list(s.scalars(sa.select(ProviderLedgerEntry).where(
            ProviderLedgerEntry.tenant_id == scope.tenant_id, ProviderLedgerEntry.era_id == res.era_id)))
        era = s.get(Era, (scope.tenant_id, res.era_id))
    if rem.balance.ok:
        assert res.status == "posted", res
        paid = sum((e.amount for e in entries if e.kind == "payment"), Decimal(0))
        assert paid - sum((p.amount for p in plb), Decimal(0)) == rem.payment.amount == era.payment_amount
        # every claim payment's entries add up to its charge (payments + adjustments + PR)
        money = sum((e.amount for e in entries if e.kind in ("payment", "adjustment", "patient_responsibility")),
                    Decimal(0))
        assert money == sum((c.charge for c in rem.claims), Decimal(0))
    else:
        assert res.status == "refused"
        assert res.problems == [p.message for p in rem.balance.problems]
        assert "claim 1 line 1: charge 24599.00 - adjustments 1579.00 = 23020.00, but paid is 1766.50" in era.park_reason
        assert entries == [] and plb == []


def test_envelope_less_sample_is_refused_as_unreadable(db, tenancy, samples):
    from remit_support import post_text

    raw = (samples / "keironstoddart__edi-835-parser/tests/test_edi_835_files/blue_cross_nc_sample.txt").read_text()
    [res] = post_text(db, tenancy.a1, raw)
    assert res.status == "refused" and res.reason.startswith("not a readable 835")
