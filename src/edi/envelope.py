"""Envelopes: integrity checks on read, counted writing on output (guide section 5).

Reading: `SegmentStream` turns tokenizer batches into element lists while
remembering the current segment number; `iter_transactions` walks ISA/GS/ST
envelopes, hands each ST...SE body to the caller as an iterator and records
envelope problems (control-number mismatches, wrong counts, missing trailers)
as `Issue`s instead of raising: a file with a wrong SE01 is still readable.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from edi.errors import X12ContentError
from edi.tokenizer import Source, Tokenizer


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found while reading; names location, never element values."""

    message: str
    segment_number: int | None = None
    segment_id: str | None = None
    element: int | None = None
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        loc = []
        if self.segment_number is not None:
            loc.append(f"segment {self.segment_number}")
        if self.segment_id:
            loc.append(self.segment_id + (f"{self.element:02d}" if self.element is not None else ""))
        return f"{self.severity}: {self.message}" + (f" ({', '.join(loc)})" if loc else "")


@dataclass(frozen=True, slots=True)
class EnvelopeInfo:
    """Identifiers of the interchange/group around a transaction (for matching acks)."""

    sender_qualifier: str = ""
    sender_id: str = ""
    receiver_qualifier: str = ""
    receiver_id: str = ""
    interchange_control_number: str = ""
    usage: str = ""
    functional_id: str = ""
    group_sender: str = ""
    group_receiver: str = ""
    group_control_number: str = ""
    version: str = ""


class SegmentStream:
    """Batches of element lists from a tokenizer, with segment numbers.

    Work is done per batch (list comprehensions, `in`/`index` scans in C) so the
    per-segment Python overhead stays in the consumer's own loop.
    """

    def __init__(self, source: Source | Tokenizer) -> None:
        self.tok = source if isinstance(source, Tokenizer) else Tokenizer(source)
        # A batch handed back (`push`): segment strings not split yet, or element lists.
        self._pending: tuple[int, list] | None = None
        self._raw = self._iter_raw()
        self.number = 0  # segment number of the segment most recently handed out one at a time

    def _iter_raw(self) -> Iterator[tuple[int, list[str]]]:
        tok = self.tok
        for batch in tok.batches():
            first = tok.batch_first_number
            # Slices: a small live set of lists keeps the cyclic GC cheap.
            for k in range(0, len(batch), 512):
                yield first + k, batch[k : k + 512]

    def position_of(self, number: int) -> int | None:
        """Character offset of segment `number` if it is in the tokenizer's current batch."""
        i = number - self.tok.batch_first_number
        if 0 <= i < 1 << 30:
            try:
                return self.tok.locate(i)[1]
            except Exception:  # noqa: BLE001 - location is best effort
                return None
        return None

    @property
    def delimiters(self):
        return self.tok.delimiters

    def next_batch(self) -> tuple[int, list[list[str]]] | None:
        """The next batch as element lists."""
        item = self.next_raw_batch()
        if item is not None and type(item[1][0]) is str:
            sep = self.tok.delimiters.element
            return item[0], [r.split(sep) for r in item[1]]
        return item

    def next_raw_batch(self) -> tuple[int, list] | None:
        """The next batch as it is: either segment strings not split yet (split them on
        `delimiters.element`, read after this call) or element lists (a batch handed back
        after splitting). Lets the walker and the compiled 835 loop split only the
        segments they need as lists."""
        if self._pending is not None:
            p, self._pending = self._pending, None
            return p
        return next(self._raw, None)

    def push(self, first: int, segs: list) -> None:
        """Hand back the unread rest of a batch: all strings or all element lists."""
        if segs:
            self._pending = (first, segs)


@dataclass(slots=True)
class RawTransaction:
    """One ST...SE set as the walker hands it out. `body` yields element lists
    from the segment after ST up to (excluding) SE; consume it before asking
    the walker for the next transaction."""

    set_id: str
    control_number: str
    implementation: str  # ST03, or GS08 when ST03 is absent
    envelope: EnvelopeInfo
    st_number: int
    batches: Iterator[tuple[int, list[list[str]]]]  # (first segment number, element lists)
    stream: SegmentStream
    _flat: Iterator[list[str]] | None = None
    _st: list[str] | None = None  # the ST segment (for the SE02 check of raw_batches/end_at)
    _chk: EnvelopeChecker | None = None

    def raw_batches(self, split: bool = True) -> Iterator[tuple[int, list]]:
        """Batches as the stream has them, *not* cut at SE: for a hot loop that spots
        the end itself. Its segment-id dispatch must treat every id in `STOP_IDS` as
        the end of the body and call `end_at(first, segs, index)` there; the walker
        then checks SE and continues after it. Use either this or `batches`/`body`.

        With `split=False` the segments the stream has not split yet come as `str`
        (`SegmentStream.next_raw_batch`); `end_at` then needs segs[cut:] as lists."""
        self.batches = iter(())  # the walker's drain has nothing left to do
        next_batch = self.stream.next_batch if split else self.stream.next_raw_batch
        while True:
            item = next_batch()
            if item is None:
                self._chk.error("file ends inside a transaction set (no SE)", None)
                return
            yield item

    def end_at(self, first: int, segs: list[list[str]], cut: int) -> None:
        """The body ended at segs[cut] (an id in STOP_IDS) of the batch numbered from `first`."""
        _finish_body(self.stream, self._st, self.st_number, self._chk, first, segs, cut)

    @property
    def body(self) -> Iterator[list[str]]:
        """Segments one at a time; `stream.number` follows along (for non-hot-path readers)."""
        if self._flat is None:
            self._flat = self._flatten()
        return self._flat

    def _flatten(self) -> Iterator[list[str]]:
        stream = self.stream
        for first, segs in self.batches:
            for i, e in enumerate(segs):
                stream.number = first + i
                yield e


@dataclass(slots=True)
class _Group:
    gs: list[str]
    number: int
    st_count: int = 0


class EnvelopeChecker:
    """Collects envelope problems while walking a file."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def error(self, msg: str, number: int | None, sid: str | None = None, el: int | None = None) -> None:
        self.issues.append(Issue(msg, number, sid, el))

    def warn(self, msg: str, number: int | None = None, sid: str | None = None, el: int | None = None) -> None:
        self.issues.append(Issue(msg, number, sid, el, "warning"))


def _g(els: list[str], n: int) -> str:
    return els[n] if n < len(els) else ""


def _int(s: str) -> int | None:
    s = s.strip()
    return int(s) if s.isdigit() else None


def iter_transactions(
    source: Source | Tokenizer, checker: EnvelopeChecker | None = None, ta1_sink: list | None = None
) -> Iterator[RawTransaction]:
    """Walk envelopes and yield each transaction set; record envelope issues.

    TA1 segments (interchange acknowledgements, outside any GS) are appended to
    `ta1_sink` as (element list, segment number, EnvelopeInfo).
    """
    chk = checker if checker is not None else EnvelopeChecker()
    stream = SegmentStream(source)
    st = _WalkState()
    while True:
        # Raw batches: the walker splits only the envelope segments it reads, and hands
        # a transaction body on unsplit (to the compiled 835 loop; others split it).
        item = stream.next_raw_batch()
        if item is None:
            break
        first, segs = item
        sep = stream.delimiters.element
        for i, els in enumerate(segs):
            if type(els) is str:
                els = els.split(sep)
            n = first + i
            stream.number = n
            if els[0] == "ST":
                stream.push(n + 1, segs[i + 1 :])
                tx = _start_transaction(stream, st, els, n, chk)
                yield tx
                for _ in tx.batches:  # drain whatever the consumer left
                    pass
                break
            _envelope_segment(stream, st, els, n, chk, ta1_sink)
    if st.group is not None:
        chk.error("file ends inside a functional group (no GE)", None)
    if st.isa is not None:
        chk.error("file ends inside an interchange (no IEA)", None)


@dataclass(slots=True)
class _WalkState:
    isa: list[str] | None = None
    gs_count: int = 0
    group: _Group | None = None
    info: EnvelopeInfo = field(default_factory=EnvelopeInfo)
    seen_st: set = field(default_factory=set)


def _start_transaction(stream: SegmentStream, st: _WalkState, els: list[str], n: int, chk: EnvelopeChecker):
    if st.group is None:
        chk.error("ST outside a functional group", n, "ST")
    else:
        st.group.st_count += 1
    ctl = _g(els, 2)
    if ctl in st.seen_st:
        chk.error("duplicate ST02 within the functional group", n, "ST", 2)
    st.seen_st.add(ctl)
    info = st.info
    impl = _g(els, 3) or info.version
    if _g(els, 3) and info.version and _g(els, 3) != info.version:
        chk.error("ST03 differs from GS08", n, "ST", 3)
    return RawTransaction(_g(els, 1), ctl, impl, info, n, _body(stream, els, n, chk), stream, None, els, chk)


def _envelope_segment(stream, st: _WalkState, els: list[str], n: int, chk: EnvelopeChecker, ta1_sink) -> None:
    tag = els[0]
    if tag == "ISA":
        if st.isa is not None:
            chk.error("interchange has no IEA trailer", n, "ISA")
        for w in stream.tok.warnings:
            chk.warn(w, n, "ISA")
        stream.tok.warnings.clear()
        st.isa, st.gs_count, st.group = els, 0, None
        if len(els) != 17:
            chk.error(f"ISA has {len(els) - 1} elements, expected 16", n, "ISA")
        ctl = _g(els, 13)
        if not (len(ctl) == 9 and ctl.isdigit()):
            chk.error("ISA13 must be exactly 9 digits", n, "ISA", 13)
        if _g(els, 12) != "00501":
            chk.warn("ISA12 is not 00501", n, "ISA", 12)
        st.info = EnvelopeInfo(_g(els, 5).strip(), _g(els, 6).strip(), _g(els, 7).strip(), _g(els, 8).strip(),
                               ctl, _g(els, 15))
    elif tag == "GS":
        if st.isa is None:
            chk.error("GS outside an interchange", n, "GS")
        if st.group is not None:
            chk.error("functional group has no GE trailer", n, "GS")
        st.gs_count += 1
        st.group = _Group(els, n)
        st.seen_st = set()
        if not _g(els, 6).isdigit() or len(_g(els, 6)) > 9:
            chk.error("GS06 must be 1-9 digits", n, "GS", 6)
        i = st.info
        st.info = EnvelopeInfo(i.sender_qualifier, i.sender_id, i.receiver_qualifier, i.receiver_id,
                               i.interchange_control_number, i.usage,
                               _g(els, 1), _g(els, 2), _g(els, 3), _g(els, 6), _g(els, 8))
    elif tag == "GE":
        group = st.group
        if group is None:
            chk.error("GE without GS", n, "GE")
        else:
            if _int(_g(els, 1)) != group.st_count:
                chk.error(f"GE01 says {_g(els, 1) or 'nothing'} transaction sets, group has {group.st_count}",
                          n, "GE", 1)
            if _g(els, 2) != _g(group.gs, 6):
                chk.error("GE02 does not match GS06", n, "GE", 2)
        st.group = None
    elif tag == "IEA":
        if st.isa is None:
            chk.error("IEA without ISA", n, "IEA")
        else:
            if st.group is not None:
                chk.error("functional group has no GE trailer", n, "IEA")
                st.group = None
            if _int(_g(els, 1)) != st.gs_count:
                chk.error(f"IEA01 says {_g(els, 1) or 'nothing'} groups, interchange has {st.gs_count}", n, "IEA", 1)
            if _g(els, 2) != _g(st.isa, 13):
                chk.error("IEA02 does not match ISA13", n, "IEA", 2)
        st.isa = None
    elif tag == "TA1":
        if st.group is not None:
            chk.error("TA1 inside a functional group", n, "TA1")
        if ta1_sink is not None:
            ta1_sink.append((els, n, st.info))
    else:
        chk.error("segment outside a transaction set", n, tag[:3])


_STOP = ("ST", "GE", "IEA", "ISA", "GS")
STOP_IDS = frozenset(("SE",) + _STOP)  # segment ids that end a transaction body


def _body(stream: SegmentStream, st: list[str], st_no: int, chk: EnvelopeChecker):
    """Yield (first number, element lists) up to SE; checks SE01/SE02; pushes the rest back."""
    while True:
        item = stream.next_batch()
        if item is None:
            chk.error("file ends inside a transaction set (no SE)", None)
            return
        first, segs = item
        ids = [e[0] for e in segs]
        cut = ids.index("SE") if "SE" in ids else len(ids)
        missing_se = False
        for t in _STOP:
            if t in ids:
                k = ids.index(t)
                if k < cut:
                    cut, missing_se = k, True
        if cut == len(ids):
            yield first, segs
            continue
        if cut:
            yield first, segs[:cut]
        _finish_body(stream, st, st_no, chk, first, segs, cut)
        return


def _finish_body(stream: SegmentStream, st: list[str], st_no: int, chk: EnvelopeChecker,
                 first: int, segs: list[list[str]], cut: int) -> None:
    """segs[cut] ends the body: check SE (or report it missing) and push the rest back."""
    n = first + cut
    stream.number = n
    tag = segs[cut][0]
    if tag != "SE":
        chk.error("transaction set has no SE trailer", n, tag)
        stream.push(n, segs[cut:])
        return
    se = segs[cut]
    count = n - st_no + 1
    if _int(_g(se, 1)) != count:
        chk.error(f"SE01 says {_g(se, 1) or 'nothing'} segments, transaction has {count}", n, "SE", 1)
    if _g(se, 2) != _g(st, 2):
        chk.error("SE02 does not match ST02", n, "SE", 2)
    stream.push(n + 1, segs[cut + 1 :])


# ---------------------------------------------------------------- writing

# X12 basic + extended character set (guide section 4), minus delimiters at use time.
_ALLOWED = set(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 !\"&'()*+,-./:;?=%@[]_{}\\|<>~#$^`"
)
_TRANSLIT = str.maketrans({"Ñ": "N", "ñ": "n", "É": "E", "é": "e", "È": "E", "è": "e", "Á": "A", "á": "a",
                           "Í": "I", "í": "i", "Ó": "O", "ó": "o", "Ú": "U", "ú": "u", "Ü": "U", "ü": "u",
                           "Ç": "C", "ç": "c", "ß": "SS"})


def sanitize(value: str, forbidden: str) -> str:
    """Make a value safe to embed: transliterate, drop delimiters/CR/LF/non-X12
    characters (X12 has no escape character), collapse spaces, trim.

    Transliteration happens only here so there is one place to audit it.
    """
    v = value.translate(_TRANSLIT)
    out = []
    for ch in v:
        if ch in forbidden or ch not in _ALLOWED:
            out.append(" " if ch in "\r\n\t" else "")
        else:
            out.append(ch)
    return " ".join("".join(out).split())


@functools.lru_cache(maxsize=16)
def _plain_matcher(forbidden: str):
    """fullmatch of values `sanitize` returns unchanged: allowed characters only, none of
    `forbidden`, single spaces between words, no space at either end (or empty)."""
    word = "[" + "".join(re.escape(c) for c in sorted(_ALLOWED - set(forbidden) - {" "})) + "]+"
    return re.compile(f"(?:{word}(?: {word})*)?").fullmatch


@dataclass(slots=True)
class Interchange:
    """ISA/GS envelope parameters for a writer. Control numbers come from the caller
    (persisted sequences, guide section 5); the writer never invents them."""

    sender_id: str
    receiver_id: str
    interchange_control_number: int | str  # ISA13 -> zero padded to 9 digits
    group_control_number: int | str  # GS06
    date: "object"  # datetime.date
    time: str = "1200"  # HHMM
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    usage: str = "P"  # ISA15 T/P
    ack_requested: str = "0"  # ISA14
    group_sender: str | None = None  # GS02, defaults to sender_id
    group_receiver: str | None = None  # GS03


@dataclass(slots=True)
class SegmentWriter:
    """Builds segments from element lists, counts them, sanitises values.

    Elements may be str, None (empty) or tuples/lists (composites). Trailing
    empty elements and components are dropped (guide section 4)."""

    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    terminator: str = "~"
    newline: bool = True
    out: list[str] = field(default_factory=list)
    count: int = 0  # segments since the last reset (for SE01)
    _forbidden: str = ""
    _plain: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._forbidden = self.element + self.component + self.repetition + self.terminator + "\r\n"
        self._plain = _plain_matcher(self._forbidden)

    def clean(self, v) -> str:
        if v is None:
            return ""
        v = str(v)
        # Most values are already clean: one regex match instead of a loop per character.
        if self._plain(v):
            return v
        return sanitize(v, self._forbidden)

    def seg(self, *elements) -> None:
        parts = []
        plain = self._plain
        for e in elements:
            if type(e) is str:  # the common case, clean() inlined
                parts.append(e if plain(e) else sanitize(e, self._forbidden))
            elif e is None:
                parts.append("")
            elif isinstance(e, (tuple, list)):
                comps = [self.clean(c) for c in e]
                while comps and not comps[-1]:
                    comps.pop()
                parts.append(self.component.join(comps))
            else:
                parts.append(self.clean(e))
        while parts and not parts[-1]:
            parts.pop()
        self.out.append(self.element.join(parts) + self.terminator + ("\n" if self.newline else ""))
        self.count += 1

    def raw(self, text: str) -> None:
        self.out.append(text + self.terminator + ("\n" if self.newline else ""))
        self.count += 1

    def text(self) -> str:
        return "".join(self.out)


def isa_segment(w: SegmentWriter, ic: Interchange) -> None:
    from edi.values import fmt_date

    ctl = str(ic.interchange_control_number)
    if not ctl.isdigit() or len(ctl) > 9:
        from edi.errors import X12WriteError

        raise X12WriteError("interchange control number must be 1-9 digits", segment_id="ISA", element=13)
    d = fmt_date(ic.date)[2:]

    def pad(v: str, n: int) -> str:
        v = w.clean(v)[:n]
        return v.ljust(n)

    fields = [
        "ISA", "00", " " * 10, "00", " " * 10,
        pad(ic.sender_qualifier, 2), pad(ic.sender_id, 15), pad(ic.receiver_qualifier, 2), pad(ic.receiver_id, 15),
        d, ic.time[:4].rjust(4, "0"), w.repetition, "00501", ctl.zfill(9), ic.ack_requested, ic.usage, w.component,
    ]
    w.raw(w.element.join(fields))


def gs_segment(w: SegmentWriter, ic: Interchange, functional_id: str, version: str) -> None:
    from edi.values import fmt_date

    ctl = str(ic.group_control_number)
    if not ctl.isdigit() or len(ctl) > 9:
        from edi.errors import X12WriteError

        raise X12WriteError("group control number must be 1-9 digits", segment_id="GS", element=6)
    w.seg("GS", functional_id, ic.group_sender or ic.sender_id, ic.group_receiver or ic.receiver_id,
          fmt_date(ic.date), ic.time[:4], ctl, "X", version)


def trailers(w: SegmentWriter, ic: Interchange, n_sets: int) -> None:
    w.seg("GE", str(n_sets), str(ic.group_control_number))
    w.seg("IEA", "1", str(ic.interchange_control_number).zfill(9))


class TransactionWriter:
    """ST ... SE with SE01 computed while writing."""

    def __init__(self, w: SegmentWriter, set_id: str, control_number: str, implementation: str | None) -> None:
        ctl = str(control_number)
        if not (4 <= len(ctl) <= 9):
            from edi.errors import X12WriteError

            raise X12WriteError("ST02 must be 4-9 characters", segment_id="ST", element=2)
        self.w, self.ctl = w, ctl
        self.start = w.count
        w.seg("ST", set_id, ctl, implementation)

    def close(self) -> None:
        n = self.w.count - self.start + 1
        self.w.seg("SE", str(n), self.ctl)
