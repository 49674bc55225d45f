"""835/999/277CA/TA1 writers and readers: round trips, balancing, reversals, outcomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi.envelope import Interchange
from edi.model.acks import Ack277CA, Ack999, ClaimStatus, ElementError, LineStatus, SegmentError, SetResponse, StatusInfo, Ta1
from edi.model.common import Adjustment
from edi.pyx12_oracle import validate_with_pyx12
from edi.r835 import read_835
from edi.racks import read_277ca, read_999, read_ta1
from edi.reader import read_file
from edi.wacks import write_277ca, write_835, write_999, write_ta1
from edi_remit_factories import balanced_claim, plb, remittance

IC = Interchange("PAYER1", "AGENCY1", 77, 77, date(2024, 5, 3), "0915", usage="T")


def _strip_env(objs):
    for o in objs:
        o.envelope = None
        o.issues = []
    return objs


def test_835_round_trip_balances_and_passes_pyx12() -> None:
    rem = remittance([balanced_claim(1), balanced_claim(2, status="2")], plb=[plb("10.00"), plb("-2.50", "L6")])
    text = write_835(rem, IC)
    assert validate_with_pyx12(text).ok
    (got,) = read_835(text)
    assert got.balance.ok, got.balance.problems
    assert not got.issues
    got.envelope = None
    rem.balance = got.balance
    assert got == rem


def test_reversal_and_correction_balance() -> None:
    orig = balanced_claim(5)
    rev = replace(
        orig, status_code="22", charge=-orig.charge, paid=-orig.paid, patient_responsibility=Decimal("0"),
        lines=[replace(ln, charge=-ln.charge, paid=-ln.paid,
                       adjustments=[replace(a, amount=-a.amount) for a in ln.adjustments]) for ln in orig.lines],
    )
    corr = balanced_claim(5, paid_ratio=Decimal("0.9"))
    (got,) = read_835(write_835(remittance([rev, corr]), IC))
    assert got.balance.ok, got.balance.problems
    assert [c.is_reversal for c in got.claims] == [True, False]
    assert got.claims[0].lines[0].adjustments[0].amount < 0


def test_imbalances_are_reported_at_each_level() -> None:
    c = balanced_claim(1)
    bad_line = replace(c.lines[0], paid=c.lines[0].paid + 1)
    # line paid +1 breaks the line equation only; claim paid +2 breaks the claim equation.
    rem = remittance([replace(c, lines=[bad_line, c.lines[1]], paid=c.paid + 2)])
    rem.payment.amount += Decimal("5")
    (got,) = read_835(write_835(rem, IC))
    levels = sorted(p.level for p in got.balance.problems)
    assert levels == ["claim", "line", "transaction"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2), min_size=1, max_size=4),
            st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=2),
            st.sampled_from(["1", "2", "3", "4", "19", "22"]),
        ),
        min_size=1, max_size=8,
    ),
    st.lists(st.decimals(min_value=Decimal("-500"), max_value=Decimal("500"), places=2).filter(lambda d: d != 0), max_size=3),
)
def test_written_835s_read_back_balanced(claims, plbs) -> None:
    built = [balanced_claim(i, tuple(ch), ratio, status) for i, (ch, ratio, status) in enumerate(claims)]
    rem = remittance(built, plb=[plb(str(a)) for a in plbs])
    (got,) = read_835(write_835(rem, IC))
    assert got.balance.ok, got.balance.problems
    assert [c.paid for c in got.claims] == [c.paid for c in built]
    assert got.payment.amount == rem.payment.amount


def test_999_with_errors_round_trip_and_pyx12() -> None:
    ack = Ack999("0001", "HC", "17", "005010X222A1", "P", 2, 2, 1, [
        SetResponse("837", "0001", "A", "005010X222A1"),
        SetResponse("837", "0002", "R", "005010X222A1", ["5"], [
            SegmentError("NM1", 17, "8", "2010", [ElementError("9", "7", "67", None)], ["SITUATIONAL TRIGGER*CLM*22**5:3"]),
        ]),
    ])
    text = write_999(ack, IC)
    result = validate_with_pyx12(text)
    assert result.ok, result.errors
    (got,) = _strip_env(read_999(text))
    assert got == ack
    assert [s.accepted for s in got.sets] == [True, False]


def test_277ca_round_trip_and_outcomes() -> None:
    created = date(2024, 5, 3)
    ack = Ack277CA("0001", "REF1", created, "CLEARINGHOUSE", "CH1", "BATCH1",
                   [StatusInfo("A1", "19", "PR", created, "WQ", Decimal("300"))], 1, 1, Decimal("100"), Decimal("200"), [
        ClaimStatus("PCN1", [StatusInfo("A2", "20", None, created, "WQ", Decimal("100"))], "ICN1", None, None,
                    date(2024, 4, 2), None, [], "DOE", "JOHN", "M1", "1234567893"),
        ClaimStatus("PCN2", [StatusInfo("A7", "562", "85", created, "U", Decimal("200"))], None, None, None,
                    date(2024, 4, 2), None,
                    [LineStatus("L1", "99213", Decimal("200"), [StatusInfo("A7", "453", None, created, "U")], date(2024, 4, 2))],
                    "ROE", "JANE", "M2", "1234567893"),
    ])
    text = write_277ca(ack, IC)
    result = validate_with_pyx12(text)
    assert result.ok, result.errors
    (got,) = _strip_env(read_277ca(text))
    assert got == ack
    assert [c.outcome for c in got.claims] == ["accepted", "rejected"]


def test_ta1_round_trip() -> None:
    ta1 = Ta1("000000042", "240503", "0915", "R", "025")
    text = write_ta1(ta1, IC)
    (got,) = read_ta1(text)
    assert (got.interchange_control_number, got.ack_code, got.note_code, got.accepted) == ("000000042", "R", "025", False)
    f = read_file(text)
    assert [t.type for t in f.transactions] == ["TA1"] and not f.all_issues


def test_corpus_acks(samples: Path) -> None:
    ims = samples / "imsweb__x12-parser/src/test/resources"
    (rej,) = read_999(ims / "837_5010/x12_999_rejected.txt")
    assert rej.status == "R" and rej.group_control_number == "28"
    (s,) = rej.sets
    assert (s.control_number, s.status, s.codes) == ("0028", "R", ["5"])
    assert s.segment_errors[0].segment_id == "NM" and s.segment_errors[0].code == "1"
    acks = read_999(samples / "azoner__pyx12/pyx12/tests/834_lui_id_5010.999.txt")
    assert all(a.status == "A" for a in acks)
    (ca,) = read_277ca(ims / "277_5010/x12_277CA_rejected.txt")
    (claim,) = ca.claims
    assert claim.outcome == "rejected" and claim.patient_control_number == "3920394930203"
    assert (claim.statuses[0].category, claim.statuses[0].code, claim.statuses[0].entity) == ("A7", "562", "85")
    (ok,) = read_277ca(ims / "277_5010/x12_277CA_accepted.txt")
    assert {c.outcome for c in ok.claims} == {"accepted"}
