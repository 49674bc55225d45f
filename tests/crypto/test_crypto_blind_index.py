"""Blind indexes: normalisation, construction, collisions, sizing rule."""

from __future__ import annotations

import datetime as dt
import hmac
import math
import os
from hashlib import sha256

import pytest
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from tenants.crypto.blind_index import (
    BlindIndexSpec,
    IndexSizingError,
    check_index_bits,
    choose_index_bits,
    coincidence,
    compound,
    compute_blind_index,
    compute_slow_blind_index,
    index_bits_range,
    normalize_date,
    normalize_member_id,
    normalize_mrn,
    normalize_name,
    normalize_name_dob,
)

KEY = bytes(range(32))


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("O'Brien", "obrien"),
        ("  O’Brien-Smith  ", "obriensmith"),
        ("VAN DER BERG", "vanderberg"),
        ("ＭÜＬＬＥＲ", "müller"),  # fullwidth -> NFKC
        ("Müller", "müller"),
        ("Mu\u0308ller", "müller"),  # decomposed -> NFKC composes
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),  # casefold
        ("ﬁnn", "finn"),  # ligature
        ("Nguyễn", "nguyễn"),
        ("李小龍", "李小龍"),
        ("Smith Jr.", "smithjr"),
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


def test_normalize_name_keeps_diacritics_distinct() -> None:
    assert normalize_name("Müller") != normalize_name("Muller")


@pytest.mark.parametrize("raw", ["", "   ", "-'.", "\t\n"])
def test_empty_after_normalisation_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="NULL"):
        normalize_name(raw)
    with pytest.raises(ValueError):
        normalize_member_id(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (dt.date(1980, 2, 3), "1980-02-03"),
        ("1980-02-03", "1980-02-03"),
        (" 1980-02-03 ", "1980-02-03"),
        ("19800203", "1980-02-03"),  # X12 D8
        ("02/03/1980", "1980-02-03"),  # US
        ("2/3/1980", "1980-02-03"),
    ],
)
def test_normalize_date(raw: object, expected: str) -> None:
    assert normalize_date(raw) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["1980-02-30", "03.02.1980", "Feb 3 1980", ""])
def test_normalize_date_refuses(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_date(raw)


def test_normalize_date_refuses_datetime() -> None:
    with pytest.raises(TypeError):
        normalize_date(dt.datetime(1980, 2, 3, 0, 0))


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("abc-123 45", "ABC12345"),
        (" W123.456.789 ", "W123456789"),
        ("００１２３ａｂ", "00123AB"),  # fullwidth digits/letters
        ("0001234", "0001234"),  # leading zeros kept
    ],
)
def test_normalize_member_id_and_mrn(raw: str, expected: str) -> None:
    assert normalize_member_id(raw) == expected
    assert normalize_mrn(raw) == expected


def test_compound_is_unambiguous() -> None:
    assert compound("ab", "c") != compound("a", "bc")
    assert normalize_name_dob("O'Brien", "1980-02-03") == normalize_name_dob("obrien", dt.date(1980, 2, 3))
    assert normalize_name_dob("Lee", "1980-02-03") != normalize_name_dob("Lee", "1980-02-04")


def test_construction_matches_guide_formula() -> None:
    sub = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"bidx|patient|member_id|member_id").derive(KEY)
    mac = hmac.new(sub, b"ABC123", sha256).digest()
    expected = int.from_bytes(mac[:8], "big") >> (64 - 16)
    got = compute_blind_index(KEY, table="patient", column="member_id", name="member_id", normalized="ABC123", bits=16)
    assert got == expected


def test_index_is_domain_separated() -> None:
    kw = dict(normalized="ABC123", bits=32)
    base = compute_blind_index(KEY, table="patient", column="member_id", name="m", **kw)  # type: ignore[arg-type]
    assert base != compute_blind_index(KEY, table="patient", column="mrn", name="m", **kw)  # type: ignore[arg-type]
    assert base != compute_blind_index(KEY, table="subscriber", column="member_id", name="m", **kw)  # type: ignore[arg-type]
    assert base != compute_blind_index(KEY, table="patient", column="member_id", name="m2", **kw)  # type: ignore[arg-type]
    assert base != compute_blind_index(os.urandom(32), table="patient", column="member_id", name="m", **kw)  # type: ignore[arg-type]


def test_bits_bounds_and_input_checks() -> None:
    for bits in (1, 8, 63):
        v = compute_blind_index(KEY, table="t", column="c", name="n", normalized="x", bits=bits)
        assert 0 <= v < 2**bits
    for bad in (0, 64, -1, True):
        with pytest.raises(ValueError):
            compute_blind_index(KEY, table="t", column="c", name="n", normalized="x", bits=bad)
    with pytest.raises(ValueError):
        compute_blind_index(b"short", table="t", column="c", name="n", normalized="x", bits=8)
    with pytest.raises(ValueError):
        compute_blind_index(KEY, table="t|x", column="c", name="n", normalized="x", bits=8)
    with pytest.raises(ValueError):
        compute_blind_index(KEY, table="t", column="c", name="n", normalized="", bits=8)


def test_false_positives_are_resolved_by_exact_compare() -> None:
    """With L=4 there are only 16 buckets: a lookup returns many candidates,
    and decrypt-then-compare keeps exactly the right ones."""
    spec = BlindIndexSpec("patient", "last_name", "name_dob", normalize_name_dob)
    dob = dt.date(1980, 2, 3)
    names = [f"Patient{i}" for i in range(200)] + ["O'Brien", "OBRIEN"]
    table = [(n, dob, spec.compute(KEY, n, dob, bits=4)) for n in names]  # (decrypted columns, bidx)
    q = spec.compute(KEY, "o'brien", "02/03/1980", bits=4)
    candidates = [(n, d) for n, d, b in table if b == q]
    assert len(candidates) > 2  # collisions happened
    matches = [c for c in candidates if spec.matches(("o'brien", "02/03/1980"), c)]
    assert sorted(n for n, _ in matches) == ["O'Brien", "OBRIEN"]


def test_member_id_lookup_with_collisions() -> None:
    spec = BlindIndexSpec("coverage", "member_id", "member_id", normalize_member_id)
    ids = [f"W{i:09d}" for i in range(300)]
    q = spec.compute(KEY, "w000000042", bits=3)
    candidates = [m for m in ids if spec.compute(KEY, m, bits=3) == q]
    assert len(candidates) > 1
    assert [m for m in candidates if spec.matches("w-000000042", m)] == ["W000000042"]
    assert not spec.matches("W1", "   ")  # unnormalisable candidate never matches


def test_slow_index() -> None:
    kw = dict(table="p", column="ssn4", name="ssn4", bits=32, iterations=1000)
    a = compute_slow_blind_index(KEY, normalized="1234", **kw)  # type: ignore[arg-type]
    assert a == compute_slow_blind_index(KEY, normalized="1234", **kw)  # type: ignore[arg-type]
    assert 0 <= a < 2**32
    assert a != compute_slow_blind_index(KEY, normalized="1235", **kw)  # type: ignore[arg-type]
    assert a != compute_slow_blind_index(KEY, normalized="1234", **{**kw, "iterations": 1001})  # type: ignore[arg-type]
    # domain-separated from the fast construction over the same labels
    assert a != compute_blind_index(KEY, table="p", column="ssn4", name="ssn4", normalized="1234", bits=32)
    spec = BlindIndexSpec("p", "ssn4", "ssn4", lambda s: "".join(c for c in s if c.isdigit()), slow_iterations=1000)
    assert spec.compute(KEY, "12-34", bits=32) == a


# --- sizing ----------------------------------------------------------------------------


def test_guide_example_range() -> None:
    assert index_bits_range(100_000, 64) == (9, 15)
    L = choose_index_bits(100_000, 64)
    assert L == 12
    c = check_index_bits(100_000, [(L, 64)])
    assert 2 <= c < math.sqrt(100_000)


@settings(max_examples=300, deadline=None)
@given(rows=st.integers(8, 10**9), k=st.floats(1, 128))
def test_chosen_bits_always_satisfy_rule(rows: int, k: float) -> None:
    try:
        lo, hi = index_bits_range(rows, k)
    except IndexSizingError:
        # really impossible: no L in 1..63 satisfies the rule
        for L in range(1, 64):
            c = coincidence(rows, [(L, k)])
            assert not (2 <= c < math.sqrt(rows))
        return
    for L in (lo, hi, choose_index_bits(rows, k)):
        c = coincidence(rows, [(L, k)])
        assert 2 <= c < math.sqrt(rows), (rows, k, L, c)
    assert lo <= choose_index_bits(rows, k) <= hi
    if lo > 1:
        assert not (2 <= coincidence(rows, [(lo - 1, k)]) < math.sqrt(rows))


def test_tiny_keyspace_is_impossible() -> None:
    with pytest.raises(IndexSizingError, match="too small"):
        choose_index_bits(100_000, 1)  # sex alone
    with pytest.raises(IndexSizingError):
        choose_index_bits(100_000, math.log2(60))  # state alone
    with pytest.raises(IndexSizingError):
        choose_index_bits(4, 64)  # too few rows for any L


def test_other_indexes_on_same_plaintext_are_counted() -> None:
    alone = index_bits_range(1_000_000, 64)
    with_other = index_bits_range(1_000_000, 64, other_indexes=[(6, 64)])
    assert with_other == (alone[0] - 6, alone[1] - 6)
    with pytest.raises(IndexSizingError):
        index_bits_range(100_000, 64, other_indexes=[(16, 64)])  # already C < 2


def test_check_index_bits_rejects_bad_sizes() -> None:
    with pytest.raises(IndexSizingError):
        check_index_bits(100_000, [(20, 64)])  # C < 2: nearly unique -> full equality leak
    with pytest.raises(IndexSizingError):
        check_index_bits(100_000, [(4, 64)])  # C >= sqrt(R): useless index
    with pytest.raises(ValueError):
        choose_index_bits(0, 64)
