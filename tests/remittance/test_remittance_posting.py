"""Posting 835s against real PostgreSQL: payments, CAS per group, PR split, denials,
reversals (same ERA and across ERAs), PLB, modifier dropped by the payer, bad input."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from agency.claims.models import Claim, ClaimEvent
from agency.denials.models import DenialItem
from agency.remittance.models import Era, EraClaim, LedgerEntry, PostingException, ProviderLedgerEntry
from agency.remittance.service import ledger_totals
from remit_support import Line, clp, era_text, make_claim, make_ctx, new_pcn, post_text, svc

D = Decimal


def _rows(db, scope, model, **where):
    with db.sessions.tenant_unit(scope) as s:
        q = sa.select(model).where(model.tenant_id == scope.tenant_id)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return list(s.scalars(q))


def _claim(db, scope, cid):
    with db.sessions.tenant_unit(scope) as s:
        return s.get(Claim, (scope.tenant_id, cid))


def _ledger(db, scope, cid):
    rows = _rows(db, scope, LedgerEntry, claim_id=cid)
    return rows, ledger_totals(rows)


def test_partial_payment_leaves_patient_responsibility(db, tenancy):
    scope = tenancy.a1
    ctx = make_ctx(db, scope)
    pcn = new_pcn()
    cid = make_claim(db, ctx, pcn, [Line("99213", "150.00"), Line("81002", "20.00")])
    text = era_text(trn="T100", payer_code=ctx.payer_code, amount="70.00", claims=[clp(
        pcn, "1", "170.00", "70.00", "60.00", icn="ICN-A", lines=[
            svc("99213", "150.00", "70.00", lcn=f"{pcn}-1",
                cas=["CAS*CO*45*20.00", "CAS*PR*1*40.00**2*15.00**3*5.00"]),
            svc("81002", "20.00", "0", lcn=f"{pcn}-2", cas=["CAS*CO*45*20.00"])])])
    [res] = post_text(db, scope, text)
    assert res.status == "posted", res
    rows, totals = _ledger(db, scope, cid)
    assert totals["payment"] == D("70.00")
    assert totals["adjustment:CO"] == D("40.00")
    assert totals["patient_responsibility"] == D("60.00")
    pr = sorted((e.carc, e.amount) for e in rows if e.kind == "patient_responsibility")
    assert pr == [("1", D("40.00")), ("2", D("15.00")), ("3", D("5.00"))]  # deductible, coinsurance, copay
    transfer = [e for e in rows if e.kind == "transfer"]
    assert [(t.transfer_to, t.amount) for t in transfer] == [("patient", D("60.00"))]  # no further coverage
    assert _claim(db, scope, cid).state == "adjudicated_paid"
    assert not _rows(db, scope, DenialItem, claim_id=cid)  # contractual + PR: nothing to work
    [era] = _rows(db, scope, Era, id=res.era_id)
    assert era.status == "posted" and era.payment_amount == D("70.00")
