"""Tokenizer tolerance and fuzzing: nothing but X12ParseError ever escapes."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi_samples import sample_files
from edi.envelope import sanitize
from edi.errors import X12ParseError
from edi.r837 import read_837
from edi.reader import read_file
from edi.validate import validate_file
from edi.w837 import write_837p
from edi_factories import batch, interchange, simple_claim

BASE = write_837p(batch([simple_claim()]), interchange())


def _claims(text):
    (tx,) = read_837(text)
    return tx.batch


def test_tolerated_layouts() -> None:
    want = _claims(BASE)
    compact = BASE.replace("~\n", "~")
    variants = {
        "bom-bytes": b"\xef\xbb\xbf" + compact.encode(),
        "utf16": compact.encode("utf-16"),
        "utf16le-nobom": compact.encode("utf-16-le"),
        "crlf": compact.replace("~", "~\r\n"),
        "indent": compact.replace("~", "~\n    "),
        "leading-ws": "\n\n  " + compact,
        "term-cr": compact.replace("~", "\r"),
        "term-lf": compact.replace("~", "\n"),
        "term-crlf": compact.replace("~", "\r\n"),
        "term-1d": compact.replace("~", "\x1d"),
        "term-underscore": compact.replace("~", "_"),
    }
    for name, data in variants.items():
        src = io.BytesIO(data) if isinstance(data, bytes) else data
        assert _claims(src) == want, name


def test_chunk_boundaries_do_not_matter() -> None:
    from edi.tokenizer import Tokenizer

    text = BASE * 3
    want = [s for b in Tokenizer(text).batches() for s in b]
    for size in (1, 2, 7, 105, 106, 107, 333):
        got = [s for b in Tokenizer(io.StringIO(text), chunk_size=size).batches() for s in b]
        assert got == want, size


def test_multiple_interchanges_with_different_delimiters() -> None:
    other = BASE.replace("*", "|").replace("~", "!")  # element |, terminator !
    f = read_file(BASE + other)
    assert [t.type for t in f.transactions] == ["837P", "837P"]
    assert not f.all_issues


def test_isa11_equals_isa16_warns() -> None:
    text = BASE.replace("*^*00501*", "*:*00501*", 1)
    f = read_file(text)
    assert any("repetition" in i.message and i.severity == "warning" for i in f.all_issues)


def test_short_isa_is_a_clean_error() -> None:
    text = BASE.replace("*00*          *", "*00*         *", 1)
    with pytest.raises(X12ParseError) as ei:
        read_file(text)
    assert ei.value.segment_number == 1 and ei.value.position is not None


def test_envelope_errors_are_specific() -> None:
    bad = BASE.replace("GE*1*1~", "GE*2*9~").replace("IEA*1*000000001", "IEA*3*000000002")
    bad = bad.replace("\nSE*", "\nSE*9", 1)
    msgs = " | ".join(i.message for i in read_file(bad).all_issues)
    for frag in ("SE01", "GE01", "GE02", "IEA01", "IEA02"):
        assert frag in msgs


@settings(max_examples=80, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_sanitised_values_never_reparse_differently(value: str) -> None:
    from dataclasses import replace

    c = simple_claim()
    person = replace(c.subscriber.person, last_name=value or "X", first_name="A" + value)
    c = replace(c, subscriber=replace(c.subscriber, person=person))
    try:
        text = write_837p(batch([c]), interchange())
    except X12ParseError:
        return
    got = next(_claims(text).claims()).subscriber.person
    assert got.last_name == sanitize(value or "X", "*:^~\r\n")
    assert got.first_name == sanitize("A" + value, "*:^~\r\n")


def _must_be_clean(data) -> None:
    try:
        read_file(data)
        validate_file(data)
    except X12ParseError:
        pass


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data: bytes) -> None:
    _must_be_clean(data)
    _must_be_clean(b"ISA" + data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mutated_generated_file(data) -> None:
    text = BASE
    for _ in range(data.draw(st.integers(1, 5))):
        i = data.draw(st.integers(0, len(text) - 1))
        op = data.draw(st.sampled_from(["del", "ins", "rep"]))
        ch = data.draw(st.sampled_from(list("*:^~\n0A-.9 ") + ["", "ISA", "SE*", "CLM*", "\x00", "é"]))
        if op == "del":
            text = text[:i] + text[i + 1 :]
        elif op == "ins":
            text = text[:i] + ch + text[i:]
        else:
            text = text[:i] + ch + text[i + 1 :]
    _must_be_clean(text)


def test_fuzz_corpus_mutations() -> None:
    rng = random.Random(1234)
    files = [p for p in sample_files() if p.stat().st_size < 20000]
    if not files:
        pytest.skip("corpus not available")
    alphabet = "*:^~|>\n0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.- "
    for _ in range(400):
        text = rng.choice(files).read_bytes().decode("utf-8", "replace")
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(text))
            r = rng.random()
            if r < 0.3:
                text = text[:i] + text[i + rng.randint(1, 20):]
            elif r < 0.6:
                text = text[:i] + rng.choice(alphabet) + text[i:]
            elif r < 0.8:
                text = text[:i] + rng.choice(alphabet) + text[i + 1:]
            else:
                j = rng.randrange(len(text))
                text = text[:i] + text[j:j + 50] + text[i:]
        _must_be_clean(text)
