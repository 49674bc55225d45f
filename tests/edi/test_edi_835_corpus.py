"""835 corpus: exactly the imbalances SOURCES.md lists, and no others."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from edi.r835 import read_835

L4H = "LinuxForHealth__x12/src/tests/resources/835_005010X221A1/"
# file -> expected (level, claim index, line index) imbalances (SOURCES.md "our checks").
EXPECTED = {
    L4H + "cob-contractural-adjustment.835": [],
    L4H + "managed-care.835": [],
    L4H + "medicare-part-a.835": [],
    L4H + "secondary-payment.835": [],
    L4H + "tertiary-payment.835": [("line", 0, 0)],
    "azoner__pyx12/pyx12/tests/835_mult_loops.txt": [],
    "keironstoddart__edi-835-parser/tests/test_edi_835_files/emedny_sample.txt": [],
    "keironstoddart__edi-835-parser/tests/test_edi_835_files/united_healthcare_legacy_sample.txt": [],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_835_balancing(samples: Path, name: str) -> None:
    rems = read_835(samples / name)
    assert rems, "no 835 transaction read"
    got = [(p.level, p.claim_index, p.line_index) for r in rems for p in r.balance.problems]
    assert got == EXPECTED[name]


def test_medicare_part_a_plb_sign(samples: Path) -> None:
    (rem,) = read_835(samples / L4H / "medicare-part-a.835")
    assert rem.payment.amount == Decimal("150000.00")
    assert [c.paid for c in rem.claims] == [Decimal("138018.40"), Decimal("11980.33")]
    (plb,) = rem.provider_adjustments
    assert (plb.reason, plb.reference, plb.amount) == ("CV", "CP", Decimal("-1.27"))
    assert rem.balance.ok


def test_composite_separator_mismatch_reported(samples: Path) -> None:
    (rem,) = read_835(samples / L4H / "secondary-payment.835")
    assert any("composite separator" in i.message for i in rem.issues)
    assert all(line.qualifier == "HC" and line.procedure_code for c in rem.claims for line in c.lines)


def test_zero_payment_denial(samples: Path) -> None:
    (rem,) = read_835(samples / "azoner__pyx12/pyx12/tests/835_mult_loops.txt")
    assert rem.payment.amount == 0 and rem.payment.method == "NON"
    (claim,) = rem.claims
    assert claim.status_code == "4"
    assert len(claim.lines) == 3
    assert all(line.remarks for line in claim.lines)


def test_bad_date_is_an_issue_not_a_crash(samples: Path) -> None:
    (rem,) = read_835(samples / L4H / "managed-care.835")
    assert rem.payment.date is None
    assert any(i.segment_id == "BPR" for i in rem.issues)
