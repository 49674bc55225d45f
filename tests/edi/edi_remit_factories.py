"""Builders of 835 remittances that balance by construction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from edi.model.common import Adjustment, Address
from edi.model.remit835 import ClaimPayment, Party, Payment, ProviderAdjustment, Remittance, ServicePayment


def balanced_claim(i: int, charges=(Decimal("100.00"), Decimal("50.00")), paid_ratio=Decimal("0.8"),
                   status: str = "1") -> ClaimPayment:
    lines = []
    for k, ch in enumerate(charges):
        paid = (ch * paid_ratio).quantize(Decimal("0.01"))
        co = ch - paid
        adjs = [Adjustment("CO", "45", co)] if co else []
        lines.append(ServicePayment("HC", "99213", ["25"] if k else [], ch, paid, None, Decimal("1"),
                                    service_date=date(2024, 4, 2), adjustments=adjs,
                                    remarks=["N130"] if k else [], line_control_number=f"C{i}L{k + 1}"))
    charge = sum(charges, Decimal(0))
    paid = sum((ln.paid for ln in lines), Decimal(0))
    return ClaimPayment(f"PCN{i:07d}", status, charge, paid, Decimal("0"), "12", f"ICN{i:09d}", "11", "1",
                        "DOE", "JOHN", "MEMBER1", lines=lines, header_number="1")


def remittance(claims, plb=(), control: str = "0001") -> Remittance:
    total = sum((c.paid for c in claims), Decimal(0)) - sum((p.amount for p in plb), Decimal(0))
    return Remittance(
        control,
        Payment("I", total, "C", "CHK", date(2024, 5, 3), "CHK12345", "1512345678"),
        Party("ACME HEALTH PLAN", None, None, Address("1 PAYER WAY", "HARTFORD", "CT", "06101"),
              contacts=[("BL", "EDI SUPPORT", "8005551212")]),
        Party("ACME CLINIC", "XX", "1234567893", Address("123 MAIN ST", "SPRINGFIELD", "IL", "62701")),
        date(2024, 5, 3),
        claims=list(claims),
        provider_adjustments=list(plb),
    )


def plb(amount: str, reason: str = "WO", ref: str | None = "ICN000000001") -> ProviderAdjustment:
    return ProviderAdjustment("1234567893", date(2024, 12, 31), reason, ref, Decimal(amount))
