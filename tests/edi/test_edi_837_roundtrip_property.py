"""Hypothesis: random 837P/837I claims survive write -> read unchanged, and pyx12 accepts them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi.model.claim837 import (
    CasAdjustment,
    Claim,
    DrugDetail,
    InstitutionalClaim,
    InstitutionalLine,
    LineAdjudication,
    OtherPayer,
    Patient,
    Payer,
    Person,
    Provider,
    ServiceLine,
    Subscriber,
)
from edi.model.common import Address
from edi.pyx12_oracle import validate_with_pyx12
from edi.r837 import read_837
from edi.w837 import write_837
from edi_factories import batch, interchange

# Values from the X12 basic set without leading/trailing/double spaces, so sanitising is a no-op.
word = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12)
name = st.lists(word, min_size=1, max_size=2).map(" ".join)
ident = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=2, max_size=15)
digits = lambda n: st.text("0123456789", min_size=n, max_size=n)  # noqa: E731
dates = st.dates(date(2016, 1, 1), date(2030, 12, 31))
money = st.decimals(Decimal("0.01"), Decimal("99999.99"), places=2)
units = st.decimals(Decimal("1"), Decimal("99"), places=0)
icd = st.builds(lambda a, b: a + b, st.sampled_from("ABCDEFGHIJKLMNOPRSTZ"), digits(2)) | st.builds(
    lambda a, b, c: a + b + c, st.sampled_from("EIJMRSZ"), digits(2), st.text("0123456789AX", min_size=1, max_size=4))
city = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=20)  # N401 min length 2
address = st.builds(Address, name, city, st.sampled_from(["IL", "NY", "CA", "TX"]), digits(9),
                    st.none() | name)
npi = st.sampled_from(["1234567893", "1497758544", "1245319599", "1003000126"])
person = st.builds(Person, name, name, st.none() | word, st.none() | address, st.none(), st.none())
person_dmg = st.builds(Person, name, name, st.none() | word, address, dates, st.sampled_from(["M", "F", "U"]))
payer = st.builds(Payer, name, ident, st.none() | address)
provider_person = st.builds(Provider, name, npi, st.just(True), name, st.none())
facility = st.builds(Provider, name, npi, st.just(False), st.none(), st.none(), address)
cas = st.builds(CasAdjustment, st.sampled_from(["CO", "PR", "OA", "PI"]), st.sampled_from(["45", "2", "1", "23"]), money)
# The writer emits one CAS per group code (guide section 13), in order of first appearance;
# a list already grouped that way is the canonical form that round-trips.
cas_list = lambda n: st.lists(cas, max_size=n).map(lambda xs: tuple(sorted(xs, key=lambda a: a.group)))  # noqa: E731
procs = st.sampled_from(["99213", "99214", "85025", "J3420", "97110"])
mods = st.lists(st.sampled_from(["25", "59", "GT", "RT", "LT"]), max_size=4, unique=True).map(tuple)


@st.composite
def professional_claim(draw, pcn: str):
    n_dx = draw(st.integers(1, 12))
    dx = tuple(draw(st.lists(icd, min_size=n_dx, max_size=n_dx, unique=True)))
    has_patient = draw(st.booleans())
    sub = Subscriber(draw(person if has_patient else person_dmg), draw(ident), draw(payer),
                     draw(st.sampled_from(["P", "S", "T"])), draw(st.none() | ident), None,
                     draw(st.sampled_from(["CI", "MB", "MC", "BL", "HM"])))
    line_level = draw(st.booleans())
    ops = ()
    if draw(st.booleans()):
        ops = (OtherPayer(draw(person), draw(ident), Payer(draw(name), "OP1"), "P", draw(st.sampled_from(["18", "01", "19"])),
                          None, draw(st.sampled_from(["CI", "MB"])), draw(st.none() | money),
                          () if line_level else draw(cas_list(3)), None,
                          draw(st.none() | dates)),)
    pos = draw(st.sampled_from(["11", "12", "22"]))
    # A line POS equal to the claim's is not sent (SV105 only when different), so draw a different one.
    line_pos = st.none() | st.sampled_from([p for p in ("11", "12", "22") if p != pos])
    n_lines = draw(st.integers(1, 6))
    lines = []
    for i in range(n_lines):
        ptrs = tuple(draw(st.lists(st.integers(1, n_dx), min_size=1, max_size=min(4, n_dx), unique=True)))
        adjs = ()
        if ops and line_level and draw(st.booleans()):
            adjs = (LineAdjudication("OP1", draw(money), draw(procs), draw(units), draw(dates),
                                     draw(mods), draw(cas_list(2))),)
        lines.append(ServiceLine(
            draw(procs), draw(money), draw(units), draw(dates), ptrs, draw(mods), "UN",
            draw(line_pos), None, f"L{i + 1}{draw(ident)}",
            draw(st.booleans()), draw(st.none() | st.builds(DrugDetail, digits(11), units, st.sampled_from(["UN", "ML"]))),
            draw(st.none() | provider_person), adjs,
        ))
    freq = draw(st.sampled_from(["1", "7", "8"]))
    return Claim(
        pcn, sub, pos, dx, tuple(lines),
        Patient(draw(person_dmg), draw(st.sampled_from(["01", "19", "20", "21"]))) if has_patient else None,
        freq, draw(ident) if freq != "1" else None, "Y", draw(st.sampled_from(["A", "B", "C"])), "Y", "Y",
        (), None, None, draw(st.none() | dates), None, draw(st.none() | ident), draw(st.none() | ident),
        draw(st.none() | ident), None, draw(st.none() | name), draw(st.none() | provider_person),
        draw(st.none() | provider_person), draw(st.none() | facility), ops,
    )


@st.composite
def institutional_claim(draw, pcn: str):
    start = draw(dates)
    n_other = draw(st.integers(0, 5))
    others = tuple(draw(st.lists(icd, min_size=n_other, max_size=n_other)))
    lines = tuple(
        InstitutionalLine(draw(st.sampled_from(["0300", "0450", "0250", "0636"])), draw(money), draw(units),
                          draw(st.none() | dates), draw(st.none() | procs), (), "UN", None, None,
                          draw(st.none() | ident.map(lambda v, k=k: f"R{k}{v}")))
        for k in range(draw(st.integers(1, 5)))
    )
    return InstitutionalClaim(
        pcn, Subscriber(draw(person_dmg), draw(ident), draw(payer)), draw(st.sampled_from(["11", "13", "83"])),
        start, start, draw(st.sampled_from(["1", "2", "3"])), draw(st.sampled_from(["1", "7", None])),
        draw(st.sampled_from(["01", "02", "30"])), draw(icd), lines,
        Provider(draw(name), draw(npi), True, draw(name)),
        frequency="1", admitting_diagnosis=draw(st.none() | icd), other_diagnoses=others,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_837p_round_trip(data) -> None:
    claims = [data.draw(professional_claim(f"P{i}{data.draw(ident)}"[:17])) for i in range(data.draw(st.integers(1, 3)))]
    b = batch(claims)
    text = write_837(b, interchange())
    (tx,) = read_837(text)
    assert tx.batch == b
    assert not [i for i in tx.issues if i.severity == "error"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_837i_round_trip(data) -> None:
    claims = [data.draw(institutional_claim(f"I{i}")) for i in range(data.draw(st.integers(1, 3)))]
    b = batch(claims, "837I")
    (tx,) = read_837(write_837(b, interchange()))
    assert tx.batch == b


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_837_pass_pyx12(data) -> None:
    p = batch([data.draw(professional_claim("PX1")), data.draw(professional_claim("PX2"))])
    r = validate_with_pyx12(write_837(p, interchange()))
    assert r.ok, r.errors
    i = batch([data.draw(institutional_claim("IX1"))], "837I")
    r = validate_with_pyx12(write_837(i, interchange()))
    assert r.ok, r.errors
