"""837P/837I writer: pyx12 accepts every file we produce; write -> read is identity."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from edi.errors import X12WriteError
from edi.model.claim837 import ServiceLine
from edi.pyx12_oracle import validate_with_pyx12
from edi.r837 import read_837
from edi.w837 import write_837, write_837i, write_837p
from edi_factories import batch, full_claim, institutional_claim, interchange, simple_claim


def _seg_ids(text: str) -> list[str]:
    return [s.strip().split("*")[0] for s in text.split("~") if s.strip()]


def test_837p_passes_pyx12_and_round_trips() -> None:
    b = batch([simple_claim(), full_claim()])
    text = write_837p(b, interchange())
    result = validate_with_pyx12(text)
    assert result.ok, result.errors
    (tx,) = read_837(text)
    assert tx.type == "837P" and not tx.issues
    assert tx.batch == b


def test_837i_passes_pyx12_and_round_trips() -> None:
    b = batch([institutional_claim(), institutional_claim("IPCN002")], "837I")
    text = write_837i(b, interchange())
    result = validate_with_pyx12(text)
    assert result.ok, result.errors
    (tx,) = read_837(text)
    assert tx.type == "837I" and not tx.issues
    assert tx.batch == b
    assert "CL1*1*7*01~" in text and "CLM*IPCN001*583.42***13:A:1" in text


def test_counts_and_hl_structure() -> None:
    text = write_837p(batch([simple_claim(), full_claim()]), interchange(isa13=42, gs06=7))
    segs = [s.strip() for s in text.split("~") if s.strip()]
    st = next(i for i, s in enumerate(segs) if s.startswith("ST*"))
    se = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
    assert segs[se] == f"SE*{se - st + 1}*0001"
    assert segs[-2] == "GE*1*7" and segs[-1] == "IEA*1*000000042"
    hls = [s for s in segs if s.startswith("HL*")]
    # billing, subscriber (no patient, HL04 0), subscriber (with patient, HL04 1), patient
    assert hls == ["HL*1**20*1", "HL*2*1*22*0", "HL*3*1*22*1", "HL*4*3*23*0"]
    assert len(segs[0]) == 105


def test_frequency_rules() -> None:
    with pytest.raises(X12WriteError):
        write_837p(batch([simple_claim(frequency="7")]), interchange())  # 7 without F8
    with pytest.raises(X12WriteError):
        write_837p(batch([simple_claim(payer_claim_number="X1")]), interchange())  # F8 on an original
    with pytest.raises(X12WriteError):
        write_837p(batch([simple_claim(frequency="3")]), interchange())  # interim: 837I only
    text = write_837p(batch([simple_claim(frequency="8", payer_claim_number="ICN9")]), interchange())
    assert "11:B:8" in text and "REF*F8*ICN9~" in text
    assert validate_with_pyx12(text).ok


def test_bad_pointer_and_cob_both_levels_rejected() -> None:
    bad = simple_claim(lines=(ServiceLine("99213", Decimal("1.00"), Decimal("1"), date(2024, 1, 1), (3,)),))
    with pytest.raises(X12WriteError):
        write_837p(batch([bad]), interchange())
    c = full_claim()
    op = replace(c.other_payers[0], adjustments=c.lines[0].adjudications[0].adjustments)
    with pytest.raises(X12WriteError):
        write_837p(batch([replace(c, other_payers=(op,))]), interchange())


def test_values_are_sanitised_against_delimiters() -> None:
    c = simple_claim()
    evil = replace(c.subscriber.person, last_name="SM*ITH~:^\nJR", first_name="NIÑA")
    c = replace(c, subscriber=replace(c.subscriber, person=evil))
    text = write_837p(batch([c]), interchange())
    assert "NM1*IL*1*SMITH JR*NINA****MI*MEMBER1~" in text
    assert validate_with_pyx12(text).ok
    (tx,) = read_837(text)
    got = next(tx.batch.claims()).subscriber.person
    assert (got.last_name, got.first_name) == ("SMITH JR", "NINA")


def test_many_lines_and_diagnoses_pyx12() -> None:
    lines = tuple(
        ServiceLine("99213", Decimal("10.00"), Decimal("1"), date(2024, 4, 2), (1 + i % 12,), line_control_number=f"L{i}")
        for i in range(50)
    )
    c = simple_claim(diagnoses=tuple(f"R{50 + i}" for i in range(12)), lines=lines)
    text = write_837p(batch([c]), interchange())
    result = validate_with_pyx12(text)
    assert result.ok, result.errors


def test_several_transactions_in_one_group() -> None:
    text = write_837([batch([simple_claim()], st02="0001"), batch([simple_claim("P2")], st02="0002")], interchange())
    assert "GE*2*1~" in text
    assert validate_with_pyx12(text).ok
    assert [t.control_number for t in read_837(text)] == ["0001", "0002"]
