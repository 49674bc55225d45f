"""The fast 835 path (integer cents, lazy claims, LF-layout tokenizing, SE found by the
reader) gives exactly what the eager Decimal reader it replaced gives.

`reference_r835.py` is that eager reader, kept verbatim as the oracle: on corpus
files, generated files and thousands of mutations of both, the two readers must
produce the same remittances (compared by repr, so Decimal exponents count), the
same balance problems and issues, or the same error at the same segment.

edi.r835 and edi.tokenizer run compiled when the install could build them
(setup.py); their sources are also loaded here as plain Python, and *both* forms
are held to the same oracles: the compiled 835 loop checks most claim segments in
place and the compiled tokenizer proves the one-segment-per-line layout in one C
pass, the interpreted ones do neither, and no form may differ from the oracle.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import reference_r835
from edi import r835
from edi.errors import X12Error
from edi import tokenizer
from edi_interpreted import interpreted
from edi.wacks import write_835
from edi_bigfiles import IC
from edi_remit_factories import balanced_claim, plb, remittance

R835_INTERPRETED = interpreted(r835)
# The installed modules, and their sources interpreted when the installed ones are compiled.
READERS = [r835] + ([R835_INTERPRETED] if r835.COMPILED else [])
SPLITTERS = [tokenizer._split_region] + ([interpreted(tokenizer)._split_region] if tokenizer.COMPILED else [])
from edi_samples import sample_files


def _decimal_or_none(s: str) -> Decimal | None:
    try:
        d = Decimal(s)
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


AMOUNT_CHARS = st.sampled_from(list("0123456789") + ["-", ".", "+", " ", "e", "E", "_", "²", "٣", "x"])


@settings(max_examples=600, deadline=None)
@given(st.text(AMOUNT_CHARS, max_size=12))
@example("")
@example("-")
@example(".")
@example("-.")
@example("5.")
@example(".5")
@example("-.05")
@example("-0")
@example("1.005")
@example("1e2")
@example("+5")
@example(" 5")
@example("1_000")
@example("²")
@example("٣.٣")
@example("12.3.45")
@example("--1.00")
def test_cents_agrees_with_decimal(s: str) -> None:
    d = _decimal_or_none(s)
    try:
        c = r835.cents(s)
    except ValueError:
        # Only for strings Decimal rejects too (e.g. superscript digits that isdigit() accepts).
        assert d is None, s
        return
    if c is not None:
        assert d is not None and d * 100 == c, s
    else:
        # None (the reader then uses Decimal) only for what is not a plain amount with <= 2 decimals.
        assert not re.fullmatch(r"-?(\d+\.?\d{0,2}|\.\d{1,2})", s, re.ASCII), s


@settings(max_examples=600, deadline=None)
@given(st.text(AMOUNT_CHARS, max_size=20))
@example("9" * 15)
@example("9" * 16)
@example("-99999999999999.9")
@example("12.")
@example("-0")
def test_plain_cents_is_cents_or_declines(s: str) -> None:
    # The compiled loop's in-place amount reader (run interpreted here): where it answers,
    # it answers what cents() does, and it answers for every plain amount of <= 15 digits.
    got = R835_INTERPRETED._plain_cents(s, 0, len(s))
    plain = re.fullmatch(r"-?(\d*)\.?(\d{0,2})", s, re.ASCII)
    if got == R835_INTERPRETED._NOFAST:
        assert not plain or not any(plain.groups()) or len("".join(plain.groups())) > 15, s
    else:
        assert got == r835.cents(s), s


# One segment of a balanced claim replaced by a shape a lenient in-place check would misread;
# each must come out unbalanced, flagged or refused, exactly as the reference says.
_CAREFUL = [
    ("CAS*CO*45*20~", "CAS*CO**20~"),  # no reason code: not an adjustment
    ("CAS*CO*45*20~", "CAS*CO*45*20.001~"),
    ("CAS*CO*45*20~", "CAS*CO*45*2O~"),
    ("CAS*CO*45*20~", "CAS*CO*45*20*X~"),
    ("CAS*CO*45*20~", "CAS*CO*45*19.999~"),
    ("CAS*CO*45*20~", "CAS*CO*45*-20~"),
    ("SVC*HC:99213*100*80**1~", "SVC*HC:99213*100.001*80**1~"),
    ("SVC*HC:99213*100*80**1~", "SVC*HC:99213*100*80.1**1~"),
    ("SVC*HC:99213*100*80**1~", "SVC*HC:99213*1OO*80**1~"),
    ("SVC*HC:99213*100*80**1~", "SVC*HC:99213*100*80**X~"),
    ("SVC*HC:99213*100*80**1~", "SVC*HC:99213*100*80**1*HC:1*Y~"),
    ("SVC*HC:99213*100*80**1~", "SVC*HC:99213*100~"),
    ("CLP*PCN0000001*1*150*120", "CLP*PCN0000001*1*150.01*120"),
    ("CLP*PCN0000001*1*150*120", "CLP*PCN0000001*1*150*120.5"),
    ("DTM*472*20240402~", "DTM*472*20240231~"),
    ("DTM*472*20240402~", "DTM*472~"),
    ("REF*6R*C1L1~", "REF*6R~"),
]


@pytest.mark.parametrize(("old", "new"), _CAREFUL)
def test_misreadable_shapes_are_read_like_the_reference(old: str, new: str) -> None:
    text = write_835(remittance([balanced_claim(1)]), IC)
    assert old in text
    bad = text.replace(old, new, 1)
    _same(bad)
    outcome = _outcome(reference_r835, bad)
    assert outcome[0] == "error" or "problems=[]" not in outcome[2] or "issues=[]" not in outcome[2], new


def test_a_second_interchange_with_other_separators_reads_identically() -> None:
    first = write_835(remittance([balanced_claim(i) for i in range(3)]), IC)
    # The same interchange with '|' as element separator: the new ISA declares it, and the
    # compiled loop must read every following segment with it.
    second = first.replace("*", "|")
    assert second[3] == "|"
    _same(first + second)
    _same(second + "\n" + first)


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2))
def test_cents_of_every_two_place_amount(d: Decimal) -> None:
    for s in (str(d), format(d, "f"), format(d.normalize(), "f")):
        assert r835.cents(s) == int(d * 100), s


@settings(max_examples=800, deadline=None)
@given(st.text(st.sampled_from(list("~\n \r\t\x0b\x0c\x1c\x1d\x1fAB*_")), max_size=30),
       st.sampled_from(["~", "\x1d", "_"]))
@example("A~\nB ~\nC", "~")
@example("\nA~\nB~\n", "~")
@example("A~\n B", "~")
@example("A~\nB~", "~")
@example("A~\n\nB", "~")
@example("A~~\nB", "~")
@example("A\x1d\nB", "\x1d")
@example("A~\nB\x1f~\nC", "~")
@example(" A~\nB", "~")
@example("A~\nB ", "~")
@example("", "~")
def test_split_region_equals_the_strip_rule(region: str, term: str) -> None:
    # The rule it speeds up: strip every segment when the region has layout whitespace.
    want = region.split(term)
    if "\n" in region or "\r" in region or "\t" in region or region[:1] == " ":
        want = [p.strip() for p in want]
    for split_region in SPLITTERS:
        assert split_region(region, term) == want


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.sampled_from(list("AB* ")), max_size=6), max_size=8), st.sampled_from(["~\n", "~"]))
def test_split_region_with_sparse_spaces(segments: list[str], joiner: str) -> None:
    # Long space-free segments around the random ones: the few-spaces branch looks at neighbours only.
    filler = "CLP*" + "9" * 300
    region = joiner.join([filler] + [s for seg in segments for s in (seg, filler)])
    want = region.split("~")
    if "\n" in region:
        want = [p.strip() for p in want]
    for split_region in SPLITTERS:
        assert split_region(region, "~") == want



def _outcome(reader, text: str):
    try:
        rems = reader.read_835(text)
    except X12Error as ex:
        return ("error", type(ex).__name__, str(ex))
    kinds = [k for k, _ in reader.iter_835(text)]
    return ("ok", kinds, repr(rems))


def _same(text: str) -> None:
    want = _outcome(reference_r835, text)
    for reader in READERS:
        assert _outcome(reader, text) == want, reader.__name__


def _generated() -> list[str]:
    rng = random.Random(835)
    texts = []
    for ratio, charges in ((Decimal("0.8"), (Decimal("100.00"), Decimal("50.00"))),
                           (Decimal("0.73"), (Decimal("123.45"), Decimal("0.99"), Decimal("1234.5"))),
                           (Decimal("0.333"), (Decimal("10.001"), Decimal("7"))),
                           (Decimal("1"), (Decimal("1E+2"),))):
        claims = [balanced_claim(i, charges, ratio, rng.choice(["1", "2", "22"])) for i in range(4)]
        texts.append(write_835(remittance(claims, plb=[plb("10.00"), plb("-2.5", "L6")]), IC))
    # Imbalances at every level, reversals, a claim-level CAS and a second transaction.
    c = balanced_claim(1)
    c.paid += 1
    c.lines[0].paid += Decimal("0.01")
    texts.append(write_835(remittance([c, balanced_claim(2, status="22")]), IC))
    return texts


def _corpus() -> list[str]:
    out = []
    for p in sample_files():
        if p.stat().st_size < 50_000:
            text = p.read_bytes().decode("utf-8", "replace")
            if "ST*835" in text or "ST|835" in text:
                out.append(text)
    return out


def test_generated_and_corpus_files_read_identically() -> None:
    texts = _generated() + _corpus()
    assert len(texts) >= 5
    for text in texts:
        _same(text)
        _same(text.replace("~\n", "~"))  # the other common layout


_MUTATIONS = ["*", ":", "~", "\n", " ", "0", "9", ".", "-", "E", "A", "", "CAS*", "SVC*", "CLP*", "DTM*472*",
              "DTM*232*2024", "REF*6R", "NM1", "AMT*B6*", "LX*1", "PLB*", "SE*", "ST*835*", "LQ*HE",
              "20240230", "1.005", "~CAS*CO*45*1.5~", "~SVC*HC>99213*10*10~", "~MOA***MA01~",
              # Shapes at the edges of the compiled loop's in-place checks.
              "~CAS*CO*45*-.5~", "~CAS*CO**5~", "~CAS*CO*45~", "~CAS*CO*45*5*1~", "~CAS*PR*1*12.~",
              "~CAS*CO*45*1234567890123456~", "~SVC*HC:1*1*1**1.5~", "~SVC*HC:1*1*1**٣~", "~SVC*HC:1*1~",
              "~SVC*HC:1*.5*-0**2*X*7~", "~SVC*HC*5*5~", "~SVC*AB>C*5*5~", "~DTM*472~", "~DTM*150*~",
              "~DTM*232*20241301~", "~DTM*050*20240101*X~", "~REF*6R~", "~REF~", "~NM1~", "~LQ~", "~LQ*HE~",
              "~CLP*X*1*12.*0.5~", "~CLP*X*1*+5*5~"]


@pytest.mark.parametrize("seed", range(4))
def test_mutated_files_read_identically(seed: int) -> None:
    rng = random.Random(seed)
    bases = _generated() + [t for t in _corpus() if len(t) < 20_000]
    for _ in range(300):
        text = rng.choice(bases)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(110, len(text))  # past the ISA: its own checks are tested elsewhere
            ch = rng.choice(_MUTATIONS)
            r = rng.random()
            if r < 0.3:
                text = text[:i] + text[i + rng.randint(1, 12):]
            elif r < 0.7:
                text = text[:i] + ch + text[i:]
            else:
                text = text[:i] + ch + text[i + 1:]
        try:
            _same(text)
        except AssertionError:
            Path("/tmp/edi_835_mismatch.x12").write_text(text)
            raise


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(
    st.lists(st.decimals(min_value=Decimal("-999.999"), max_value=Decimal("9999.99"), places=3), min_size=1, max_size=3),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=2),
    st.sampled_from(["1", "2", "22"])), min_size=1, max_size=5))
def test_random_amounts_read_identically(claims) -> None:
    built = [balanced_claim(i, tuple(ch), ratio, status) for i, (ch, ratio, status) in enumerate(claims)]
    text = write_835(remittance(built), IC)
    _same(text)
    (got,) = r835.read_835(text)
    assert got.balance.ok, got.balance.problems


def test_lazy_claim_behaves_like_a_built_one() -> None:
    from dataclasses import asdict, replace

    (got,) = r835.read_835(write_835(remittance([balanced_claim(1)]), IC))
    (ref,) = reference_r835.read_835(write_835(remittance([balanced_claim(1)]), IC))
    claim = got.claims[0]
    assert asdict(claim) == asdict(ref.claims[0])
    assert replace(claim, paid=Decimal("1")).paid == Decimal("1")
    assert claim == ref.claims[0] and repr(claim) == repr(ref.claims[0])
    with pytest.raises(AttributeError):
        claim.no_such_field  # noqa: B018


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(list("AZaz09 *:^~|!\r\n\t.-ÑéßÄ\x00\u2028")), max_size=20),
       st.sampled_from(["*:^~", "|>^!", "*:^\x1d"]))
@example("A  B", "*:^~")
@example(" A", "*:^~")
@example("", "*:^~")
def test_writer_clean_equals_sanitize(value: str, delims: str) -> None:
    from edi.envelope import SegmentWriter, sanitize

    w = SegmentWriter(delims[0], delims[1], delims[2], delims[3])
    want = sanitize(value, w._forbidden)
    assert w.clean(value) == want
    w.seg("X", value)
    assert w.out[-1] == ("X" + (delims[0] + want if want else "")) + delims[3] + "\n"


def test_lazy_claims_filled_from_several_threads_at_once() -> None:
    import sys
    import threading

    text = write_835(remittance([balanced_claim(i) for i in range(200)]), IC)
    want = repr(reference_r835.read_835(text)[0].claims)
    (got,) = r835.read_835(text)
    results: list[str] = []
    start = threading.Barrier(6)

    def read() -> None:
        start.wait()
        results.append(repr(got.claims))

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=read) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert results == [want] * 6


@pytest.mark.parametrize("module", [r835, tokenizer], ids=["r835", "tokenizer"])
def test_a_compiled_module_is_built_from_its_current_source(module) -> None:
    # An editable install keeps the extension beside the .py, and Python imports the
    # extension first: after an edit, the tests would otherwise run yesterday's code.
    source = Path(module.__file__).with_name(module.__name__.rsplit(".", 1)[1] + ".py")
    if not module.COMPILED:
        assert Path(module.__file__) == source
        return
    assert Path(module.__file__).stat().st_mtime >= source.stat().st_mtime, (
        f"{module.__name__} is older than {source.name}: reinstall (pip install --no-deps -e .)")
