"""Generate large 835/837P files by streaming writes (shared by the RSS test and the benchmark)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from edi.envelope import Interchange
from edi.wacks import write_835
from edi.w837 import write_837
from edi_factories import batch, simple_claim
from edi_remit_factories import balanced_claim, remittance

IC = Interchange("PAYER1", "AGENCY1", 1, 1, date(2024, 5, 3), "0915", usage="T")


def write_big_835(path: Path, n_claims: int, charges: tuple[Decimal, ...] | None = None) -> None:
    """`charges` per line (default 100.00 and 50.00, which the writer prints as whole numbers);
    e.g. (Decimal("123.45"), Decimal("67.89")) gives amounts with cents everywhere."""
    kw = {"charges": charges} if charges else {}
    per_claim_paid = balanced_claim(0, **kw).paid
    rem = remittance([])
    rem.payment.amount = per_claim_paid * n_claims
    with open(path, "w", encoding="ascii", newline="") as fp:
        write_835(rem, IC, out=fp, claims_source=lambda r: (balanced_claim(i, **kw) for i in range(n_claims)))


def write_big_837p(path: Path, n_claims: int, per_st: int = 5000) -> None:
    """One GS, one ST per `per_st` claims (payers cap claims per ST to limit 999 blast radius)."""
    batches = []
    for s in range(0, n_claims, per_st):
        claims = [simple_claim(f"P{i:09d}") for i in range(s, min(n_claims, s + per_st))]
        batches.append(batch(claims, st02=f"{s // per_st + 1:04d}"))
    with open(path, "w", encoding="ascii", newline="") as fp:
        write_837(batches, IC, out=fp)
