"""A denial work item made the real way: a claim we sent, an 835 that denies it, posted."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "remittance"))

import sqlalchemy as sa  # noqa: E402

from remit_support import Line, clp, era_text, make_claim, make_ctx, new_pcn, post_text, svc  # noqa: E402,F401


def posted_denial(db, scope, *, secondary: bool = False, carc: str = "197", amount: str = "200.00"):
    """(item, ctx, claim_id, era_id): line 1 denied with CO-<carc>, line 2 paid."""
    from agency.denials.models import DenialItem

    ctx = make_ctx(db, scope, secondary=secondary)
    pcn = new_pcn()
    cid = make_claim(db, ctx, pcn, [Line("99214", amount), Line("81002", "20.00")])
    text = era_text(trn=f"D{pcn}", payer_code=ctx.payer_code, amount="15.00", claims=[clp(
        pcn, "1", f"{float(amount) + 20:.2f}", "15.00", icn=f"ICN{pcn}", lines=[
            svc("99214", amount, "0", lcn=f"{pcn}-1", cas=[f"CAS*CO*{carc}*{amount}"]),
            svc("81002", "20.00", "15.00", lcn=f"{pcn}-2", cas=["CAS*CO*45*5.00"])])])
    [res] = post_text(db, scope, text)
    assert res.status == "posted", res
    with db.sessions.tenant_unit(scope) as s:
        item = s.scalars(sa.select(DenialItem).where(DenialItem.tenant_id == scope.tenant_id,
                                                     DenialItem.claim_id == cid)).one()
        s.expunge(item)
    return item, ctx, cid, res.era_id


def parked_era(db, scope, *, ambiguous: bool = False):
    """A parked ERA: an unknown claim, or (ambiguous) two identical lines without REF*6R."""
    ctx = make_ctx(db, scope)
    pcn = new_pcn()
    cid = make_claim(db, ctx, pcn, [Line("97110", "40.00"), Line("97110", "40.00")])
    if ambiguous:
        claims = [clp(pcn, "1", "80.00", "60.00", icn="IA", lines=[
            svc("97110", "40.00", "30.00", cas=["CAS*CO*45*10.00"]),
            svc("97110", "40.00", "30.00", cas=["CAS*CO*45*10.00"])])]
    else:
        claims = [clp("NEVERSENT" + pcn[-6:], "1", "80.00", "60.00", icn="IA", lines=[
            svc("97110", "80.00", "60.00", cas=["CAS*CO*45*20.00"])])]
    [res] = post_text(db, scope, era_text(trn=f"P{pcn}", payer_code=ctx.payer_code, amount="60.00", claims=claims))
    assert res.status == "parked", res
    return res.era_id, cid
