"""After the primary pays, the secondary 837P carries the primary's adjudication
(2320/2430) that balances, and pyx12 accepts the file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from agency.claims.edi_build import ClaimAssembler
from agency.claims.models import Claim
from agency.keys.runtime import cipher_for
from agency.remittance.models import LedgerEntry
from edi.envelope import Interchange
from edi.model.claim837 import BillingGroup, ClaimBatch, Contact, Receiver, Submitter
from edi.pyx12_oracle import validate_with_pyx12
from edi.w837 import write_837p
from remit_support import Line, clp, era_text, make_claim, make_ctx, new_pcn, post_text, svc

D = Decimal


def _secondary_837(db, scope, secondary_id):
    cipher = cipher_for(db)
    with db.sessions.tenant_unit(scope) as s:
        claim = s.get(Claim, (scope.tenant_id, secondary_id))
        asm = ClaimAssembler(s, cipher, scope.tenant_id)
        # The assembler (what a submission run uses) adds the prior payers' loops itself.
        typed, billing = asm.assemble(claim, asm.lines_by_claim([claim.id])[claim.id])
    batch = ClaimBatch(submitter=Submitter(name="AGENCY", id="AGENCY01", contact=Contact(name="EDI", phone="8005551212")),
                       receiver=Receiver(name="CLEARINGHOUSE", id="CH01"),
                       groups=(BillingGroup(billing, (typed,)),), transaction_control_number="0001",
                       batch_id="000000001", created=date(2026, 3, 20))
    ic = Interchange(sender_id="AGENCY01", receiver_id="CH01", interchange_control_number=1, group_control_number=1,
                     date=date(2026, 3, 20), usage="T")
    return typed, write_837p(batch, ic)


def _post_primary(db, scope, ctx, pcn, claim_level: bool):
    lines = [svc("99213", "100.00", "60.00", lcn=f"{pcn}-1", cas=["CAS*CO*45*15.00", "CAS*PR*1*20.00**2*5.00"]),
             svc("81002", "20.00", "12.00", lcn=f"{pcn}-2", cas=["CAS*CO*45*4.00", "CAS*PR*3*4.00"])]
    if claim_level:  # the payer reduced the claim by a claim-level CO-253 (sequestration) of 1.44
        c = clp(pcn, "1", "120.00", "70.56", "29.00", icn="ICN-P", cas="CAS*CO*253*1.44", lines=lines)
        amount = "70.56"
    else:
        c = clp(pcn, "1", "120.00", "72.00", "29.00", icn="ICN-P", lines=lines)
        amount = "72.00"
    [res] = post_text(db, scope, era_text(trn=f"SEC{pcn}", payer_code=ctx.payer_code, amount=amount, claims=[c]))
    assert res.status == "posted", res
    with db.sessions.tenant_unit(scope) as s:
        [transfer] = s.scalars(sa.select(LedgerEntry).where(LedgerEntry.tenant_id == scope.tenant_id,
                                                            LedgerEntry.kind == "transfer",
                                                            LedgerEntry.era_id == res.era_id))
    assert transfer.transfer_to == "next_payer" and transfer.amount == D("29.00")
    return transfer.target_claim_id


def test_secondary_claim_line_level_cob_balances_and_pyx12_accepts(db, tenancy):
    scope = tenancy.a1
    ctx = make_ctx(db, scope, secondary=True)
    pcn = new_pcn()
    make_claim(db, ctx, pcn, [Line("99213", "100.00"), Line("81002", "20.00")])
    sec = _post_primary(db, scope, ctx, pcn, claim_level=False)
    typed, text = _secondary_837(db, scope, sec)
    assert typed.subscriber.payer_responsibility == "S"
    [op] = typed.other_payers
    assert op.paid == D("72.00") and op.adjustments == () and op.remaining_patient_liability == D("29.00")
    for line in typed.lines:
        [adj] = line.adjudications
        assert line.charge == adj.paid + sum(c.amount for c in adj.adjustments)  # SV102 = SVD02 + Σ CAS
    assert {(c.group, c.reason, c.amount) for c in typed.lines[0].adjudications[0].adjustments} == {
        ("CO", "45", D("15.00")), ("PR", "1", D("20.00")), ("PR", "2", D("5.00"))}
    assert "SVD*" in text and "DTP*573*D8*20260310" in text and "AMT*D*72" in text
    result = validate_with_pyx12(text)
    assert result.ok and not result.crashed, result.errors


def test_secondary_claim_claim_level_cob_balances_and_pyx12_accepts(db, tenancy):
    scope = tenancy.a1
    ctx = make_ctx(db, scope, secondary=True)
    pcn = new_pcn()
    make_claim(db, ctx, pcn, [Line("99213", "100.00"), Line("81002", "20.00")])
    sec = _post_primary(db, scope, ctx, pcn, claim_level=True)
    typed, text = _secondary_837(db, scope, sec)
    [op] = typed.other_payers
    assert all(not ln.adjudications for ln in typed.lines)
    assert op.paid == D("70.56")
    assert typed.total_charge - op.paid == sum(c.amount for c in op.adjustments)  # CLM02 - AMT*D = Σ 2320 CAS
    result = validate_with_pyx12(text)
    assert result.ok and not result.crashed, result.errors
