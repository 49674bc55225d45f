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


def test_denial_opens_work_item_with_category_and_deadlines(db, tenancy):
    from datetime import date

    scope = tenancy.a1
    ctx = make_ctx(db, scope, timely_filing_days=90)
    pcn = new_pcn()
    cid = make_claim(db, ctx, pcn, [Line("99214", "200.00"), Line("36415", "15.00")])
    text = era_text(trn="T200", payer_code=ctx.payer_code, amount="0", pay_date="20260310", claims=[clp(
        pcn, "4", "215.00", "0", icn="ICN-D", lines=[
            svc("99214", "200.00", "0", lcn=f"{pcn}-1", cas=["CAS*CO*197*200.00"], remarks=["N54"]),
            svc("36415", "15.00", "0", lcn=f"{pcn}-2", cas=["CAS*CO*97*15.00"])])])
    [res] = post_text(db, scope, text)
    assert res.status == "posted", res
    assert _claim(db, scope, cid).state == "adjudicated_denied"
    items = sorted(_rows(db, scope, DenialItem, claim_id=cid), key=lambda i: -i.amount_at_stake)
    assert [(i.category, i.carc, i.group_code, i.amount_at_stake, i.kind) for i in items] == [
        ("authorization", "197", "CO", D("200.00"), "denied"), ("bundling", "97", "CO", D("15.00"), "denied")]
    assert items[0].rarcs == ["N54"]
    # appeal: ERA date + 5 days presumed receipt + 120; timely filing: DOS + payer's 90 days
    assert items[0].appeal_deadline == date(2026, 7, 13)
    assert items[0].timely_filing_deadline == date(2026, 5, 31)
    assert items[0].due_date == date(2026, 5, 17)
    assert items[0].status == "new" and not items[0].category_flagged
    [ec] = _rows(db, scope, EraClaim, claim_id=cid)
    assert ec.outcome == "denied" and ec.category == "authorization"


def test_unknown_carc_posts_flagged_as_other(db, tenancy):
    scope = tenancy.a1
    ctx = make_ctx(db, scope)
    pcn = new_pcn()
    cid = make_claim(db, ctx, pcn, [Line("99213", "100.00")])
    text = era_text(trn="T201", payer_code=ctx.payer_code, amount="60.00", claims=[clp(
        pcn, "1", "100.00", "60.00", icn="ICN-U", lines=[
            svc("99213", "100.00", "60.00", lcn=f"{pcn}-1", cas=["CAS*CO*Z99*40.00"])])])
    [res] = post_text(db, scope, text)
    assert res.status == "posted"
    [item] = _rows(db, scope, DenialItem, claim_id=cid)
    assert (item.category, item.category_flagged, item.kind) == ("other", True, "underpaid")
    assert _claim(db, scope, cid).state == "adjudicated_partial"


def test_payer_dropped_modifier_is_matched_by_code_date_charge(db, tenancy):
    scope = tenancy.a1
    ctx = make_ctx(db, scope)
    pcn = new_pcn()
    cid = make_claim(db, ctx, pcn, [Line("99213", "120.00", ("25",)), Line("20610", "180.00", ("RT",))])
    # no REF*6R, modifiers dropped; the second line's code was changed by the payer (SVC06 = ours)
    text = era_text(trn="T300", payer_code=ctx.payer_code, amount="200.00", claims=[clp(
        pcn, "1", "300.00", "200.00", icn="ICN-M", lines=[
            svc("99213", "120.00", "80.00", cas=["CAS*CO*45*40.00"]),
            svc("20611", "180.00", "120.00", cas=["CAS*CO*45*60.00"], original="HC:20610:RT")])])
    [res] = post_text(db, scope, text)
    assert res.status == "posted", res
    rows, _ = _ledger(db, scope, cid)
    with db.sessions.tenant_unit(scope) as s:
        from agency.claims.models import ClaimLine
        lines = {ln.id: ln.procedure_code for ln in s.scalars(sa.select(ClaimLine).where(
            ClaimLine.tenant_id == scope.tenant_id, ClaimLine.claim_id == cid))}
    paid = {lines[e.claim_line_id]: e.amount for e in rows if e.kind == "payment"}
    assert paid == {"99213": D("80.00"), "20610": D("120.00")}


def test_ambiguous_or_unknown_lines_park_the_whole_era(db, tenancy):
    scope = tenancy.a1
    ctx = make_ctx(db, scope)
    good, twin = new_pcn(), new_pcn()
    gid = make_claim(db, ctx, good, [Line("99213", "100.00")])
    make_claim(db, ctx, twin, [Line("97110", "40.00", ("GP",)), Line("97110", "40.00", ("GP",))])
    text = era_text(trn="T301", payer_code=ctx.payer_code, amount="130.00", claims=[
        clp(good, "1", "100.00", "70.00", icn="ICN-G", lines=[
            svc("99213", "100.00", "70.00", lcn=f"{good}-1", cas=["CAS*CO*45*30.00"])]),
        clp(twin, "1", "80.00", "60.00", icn="ICN-T", lines=[
            svc("97110", "40.00", "30.00", cas=["CAS*CO*45*10.00"]),
            svc("97110", "40.00", "30.00", lcn="NOT-OURS", cas=["CAS*CO*45*10.00"])])])
    [res] = post_text(db, scope, text)
    assert res.status == "parked"
    exc = _rows(db, scope, PostingException, era_id=res.era_id)
    assert sorted(e.reason_code for e in exc) == ["ambiguous_line", "unknown_line"]
    assert all("claim 2" in e.reason for e in exc)
    assert not _rows(db, scope, LedgerEntry, era_id=res.era_id)  # nothing partially posted
    assert _claim(db, scope, gid).state == "accepted_payer"


def test_reversal_then_correction_in_one_era(db, tenancy):
    scope = tenancy.a1
    ctx = make_ctx(db, scope)
    pcn = new_pcn()
    cid = make_claim(db, ctx, pcn, [Line("99213", "100.00")])
    first = era_text(trn="T400", payer_code=ctx.payer_code, amount="80.00", claims=[clp(
        pcn, "1", "100.00", "80.00", icn="ICN-R", lines=[
            svc("99213", "100.00", "80.00", lcn=f"{pcn}-1", cas=["CAS*CO*45*20.00"])])])
    assert post_text(db, scope, first)[0].status == "posted"
    # the payer takes the 80.00 back and pays 65.00 with 10.00 coinsurance
    second = era_text(trn="T401", payer_code=ctx.payer_code, amount="-15.00", control=2, claims=[
        clp(pcn, "22", "-100.00", "-80.00", icn="ICN-R", lines=[
            svc("99213", "-100.00", "-80.00", lcn=f"{pcn}-1", cas=["CAS*CO*45*-20.00"])]),
        clp(pcn, "1", "100.00", "65.00", "10.00", icn="ICN-R", lines=[
            svc("99213", "100.00", "65.00", lcn=f"{pcn}-1", cas=["CAS*CO*45*25.00", "CAS*PR*2*10.00"])])])
    [res] = post_text(db, scope, second)
    assert res.status == "posted", res
    rows, totals = _ledger(db, scope, cid)
    assert totals["payment"] == D("65.00")
    assert totals["adjustment:CO"] == D("25.00")
    assert totals["patient_responsibility"] == D("10.00")
    rev = [e for e in rows if e.kind == "reversal"]
    assert sorted((e.reverses_kind, e.amount) for e in rev) == [("adjustment", D("-20.00")), ("payment", D("-80.00"))]
    ecs = {e.status_code: e for e in _rows(db, scope, EraClaim, claim_id=cid)}
    assert ecs["22"].reverses_id is not None
    assert _claim(db, scope, cid).state == "adjudicated_paid"
    with db.sessions.tenant_unit(scope) as s:
        moves = [(e.from_state, e.to_state) for e in s.scalars(sa.select(ClaimEvent).where(
            ClaimEvent.tenant_id == scope.tenant_id, ClaimEvent.claim_id == cid).order_by(ClaimEvent.at))]
    assert moves == [("accepted_payer", "adjudicated_paid"), ("adjudicated_paid", "accepted_payer"),
                     ("accepted_payer", "adjudicated_paid")]


def test_reversal_and_correction_across_two_eras_with_plb_recoupment_and_interest(db, tenancy):
    scope = tenancy.a1
    ctx = make_ctx(db, scope)
    pcn, other = new_pcn(), new_pcn()
    cid = make_claim(db, ctx, pcn, [Line("99213", "100.00")])
    oid = make_claim(db, ctx, other, [Line("99212", "70.00")])
    assert post_text(db, scope, era_text(trn="T500", payer_code=ctx.payer_code, amount="80.00", claims=[clp(
        pcn, "1", "100.00", "80.00", icn="ICN-X", lines=[
            svc("99213", "100.00", "80.00", lcn=f"{pcn}-1", cas=["CAS*CO*45*20.00"])])]))[0].status == "posted"
    # ERA 2: the reversal alone (recouped), another claim paid 50.00, interest 1.25:
    # 50.00 + (-80.00) - (-1.25 interest) = -28.75 -> the payer recovers the rest with PLB WO
    era2 = era_text(trn="T501", payer_code=ctx.payer_code, amount="0", control=2, claims=[
        clp(pcn, "22", "-100.00", "-80.00", icn="ICN-X", lines=[
            svc("99213", "-100.00", "-80.00", lcn=f"{pcn}-1", cas=["CAS*CO*45*-20.00"])]),
        clp(other, "1", "70.00", "50.00", icn="ICN-O", lines=[
            svc("99212", "70.00", "50.00", lcn=f"{other}-1", cas=["CAS*CO*45*20.00"])])],
        plb=["PLB*1234567893*20261231*L6:ICN-O*-1.25*WO:ICN-X*-28.75"])
    [r2] = post_text(db, scope, era2)
    assert r2.status == "posted", r2
    assert _claim(db, scope, cid).state == "accepted_payer"  # reopened, waiting for the correction
    plb = sorted((p.reason, p.reference, p.amount) for p in _rows(db, scope, ProviderLedgerEntry, era_id=r2.era_id))
    assert plb == [("L6", "ICN-O", D("-1.25")), ("WO", "ICN-X", D("-28.75"))]
    _, totals = _ledger(db, scope, cid)
    assert totals["payment"] == D("0.00") and totals["adjustment"] == D("0.00")
    # ERA 3: the correction, posted fresh
    [r3] = post_text(db, scope, era_text(trn="T502", payer_code=ctx.payer_code, amount="90.00", control=3, claims=[
        clp(pcn, "1", "100.00", "90.00", icn="ICN-X2", lines=[
            svc("99213", "100.00", "90.00", lcn=f"{pcn}-1", cas=["CAS*CO*45*10.00"])])]))
    assert r3.status == "posted", r3
    _, totals = _ledger(db, scope, cid)
    assert totals["payment"] == D("90.00") and totals["adjustment"] == D("10.00")
    assert _claim(db, scope, cid).state == "adjudicated_paid"
    assert _claim(db, scope, oid).state == "adjudicated_paid"


def test_reversal_without_earlier_posting_is_an_exception(db, tenancy):
    scope = tenancy.a1
    ctx = make_ctx(db, scope)
    pcn = new_pcn()
    make_claim(db, ctx, pcn, [Line("99213", "100.00")])
    [res] = post_text(db, scope, era_text(trn="T600", payer_code=ctx.payer_code, amount="-80.00", claims=[clp(
        pcn, "22", "-100.00", "-80.00", icn="ICN-N", lines=[
            svc("99213", "-100.00", "-80.00", lcn=f"{pcn}-1", cas=["CAS*CO*45*-20.00"])])]))
    assert res.status == "parked"
    [exc] = _rows(db, scope, PostingException, era_id=res.era_id)
    assert exc.reason_code == "reversal_unmatched"


def test_bad_input_is_parked_or_refused_with_a_reason(db, tenancy):
    scope = tenancy.a1
    ctx = make_ctx(db, scope)
    pcn = new_pcn()
    cid = make_claim(db, ctx, pcn, [Line("99213", "100.00")])
    line = [svc("99213", "100.00", "80.00", lcn=f"{pcn}-1", cas=["CAS*CO*45*20.00"])]
    # unknown payer
    [r] = post_text(db, scope, era_text(trn="T700", payer_code="NOSUCHPAYER", amount="80.00",
                                        claims=[clp(pcn, "1", "100.00", "80.00", lines=line)]))
    assert r.status == "parked" and "unknown payer" in r.reason
    # a claim we never sent
    [r] = post_text(db, scope, era_text(trn="T701", payer_code=ctx.payer_code, amount="160.00", claims=[
        clp(pcn, "1", "100.00", "80.00", lines=line),
        clp("NEVERSENT1", "1", "100.00", "80.00", icn="ICN-Z", lines=[
            svc("99213", "100.00", "80.00", cas=["CAS*CO*45*20.00"])])]))
    assert r.status == "parked" and "unknown_claim" in r.reason
    # amounts that do not balance (BPR02 says 90.00)
    [r] = post_text(db, scope, era_text(trn="T702", payer_code=ctx.payer_code, amount="90.00",
                                        claims=[clp(pcn, "1", "100.00", "80.00", lines=line)]))
    assert r.status == "refused" and "does not balance" in r.reason and "90.00" in r.reason
    assert not _rows(db, scope, LedgerEntry, claim_id=cid)
    assert _claim(db, scope, cid).state == "accepted_payer"
    # not X12 at all
    [r] = post_text(db, scope, "this is not an 835")
    assert r.status == "refused" and "not a readable 835" in r.reason


def test_same_era_twice_posts_nothing_new(db, tenancy):
    scope = tenancy.a1
    ctx = make_ctx(db, scope)
    pcn = new_pcn()
    cid = make_claim(db, ctx, pcn, [Line("99213", "100.00")])
    text = era_text(trn="T800", payer_code=ctx.payer_code, amount="80.00", claims=[clp(
        pcn, "1", "100.00", "80.00", lines=[svc("99213", "100.00", "80.00", lcn=f"{pcn}-1",
                                                cas=["CAS*CO*45*20.00"])])])
    assert post_text(db, scope, text)[0].status == "posted"
    assert post_text(db, scope, text)[0].status == "duplicate"
    # the same ERA in a different file (other ISA control number): still the same (payer, TRN02)
    assert post_text(db, scope, text.replace("000000001", "000000009"))[0].status == "duplicate"
    assert len([e for e in _rows(db, scope, LedgerEntry, claim_id=cid) if e.kind == "payment"]) == 1
    # a different ERA repeating a claim payment that was never reversed: exception, not a double posting
    [r] = post_text(db, scope, text.replace("T800", "T801"))
    assert r.status == "parked" and "duplicate_claim" in r.reason


def test_concurrent_ingestion_posts_exactly_once(db, tenancy):
    import threading

    from agency.keys.runtime import cipher_for
    from agency.remittance import service

    scope = tenancy.a1
    ctx = make_ctx(db, scope)
    pcns = [new_pcn() for _ in range(20)]
    for p in pcns:
        make_claim(db, ctx, p, [Line("99213", "100.00")])
    text = era_text(trn="T900", payer_code=ctx.payer_code, amount=f"{80 * len(pcns)}.00", claims=[clp(
        p, "1", "100.00", "80.00", icn=f"I{i}", lines=[svc("99213", "100.00", "80.00", lcn=f"{p}-1",
                                                          cas=["CAS*CO*45*20.00"])]) for i, p in enumerate(pcns)])
    cipher = cipher_for(db)
    with db.sessions.tenant_unit(scope) as s:
        file_id = service.store_835(s, cipher, scope.tenant_id, text.encode())
    results, barrier = [], threading.Barrier(2)

    def worker():
        barrier.wait()
        results.extend(service.post_file(db.sessions, cipher, scope, file_id))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == ["duplicate", "posted"]
    [era] = _rows(db, scope, Era, trn02="T900")
    payments = [e for e in _rows(db, scope, LedgerEntry, era_id=era.id) if e.kind == "payment"]
    assert len(payments) == 20 and sum(e.amount for e in payments) == D("1600.00")


def test_remaining_balance_moves_to_the_next_payer(db, tenancy):
    scope = tenancy.a1
    ctx = make_ctx(db, scope, secondary=True)
    pcn = new_pcn()
    cid = make_claim(db, ctx, pcn, [Line("99213", "100.00")])
    [res] = post_text(db, scope, era_text(trn="T950", payer_code=ctx.payer_code, amount="60.00", claims=[clp(
        pcn, "1", "100.00", "60.00", "25.00", icn="ICN-S", lines=[
            svc("99213", "100.00", "60.00", lcn=f"{pcn}-1", cas=["CAS*CO*45*15.00", "CAS*PR*2*25.00"])])]))
    assert res.status == "posted", res
    [transfer] = [e for e in _rows(db, scope, LedgerEntry, claim_id=cid) if e.kind == "transfer"]
    assert transfer.transfer_to == "next_payer" and transfer.amount == D("25.00")
    nxt = _claim(db, scope, transfer.target_claim_id)
    assert nxt.sequence == 2 and nxt.payer_id == ctx.secondary_payer_id
