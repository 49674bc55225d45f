"""Streaming segment reader: constant memory, tolerant of real-world layout.

The tokenizer reads the input in chunks (1 MiB by default), so a file of any
size is processed with a bounded buffer. It yields *batches*: lists of segment
strings (whitespace between segments removed, empty segments dropped). Batches
rather than single segments keep the per-segment cost in C (`str.split`), which
is what makes the 835 reader fast; `iter_segments` offers the one-at-a-time view.

Tolerated (guide section 3): UTF-8 BOM, UTF-16 with BOM or NUL bytes, leading
whitespace, CR/LF/indentation between segments, any terminator ISA declares
(`~`, CR, LF, 0x1D, `_`, ...), several interchanges with different delimiters.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Union

from edi.delimiters import ISA_LEN, Delimiters, detect
from edi.errors import X12SyntaxError

try:
    # Compiled with Cython by setup.py when it can be, like edi.r835 (pure-Python mode).
    import cython
except ModuleNotFoundError:
    from edi import _cython_shim as cython

COMPILED: bool = cython.compiled

Source = Union[str, bytes, os.PathLike, IO[str], IO[bytes]]

CHUNK = 1 << 20


@dataclass(slots=True)
class Segment:
    """One segment with its location; used by the non-hot-path readers."""

    elements: list[str]
    number: int  # 1-based segment number in the file
    position: int  # 0-based character offset of the segment in the decoded text

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, n: int, default: str = "") -> str:
        e = self.elements
        return e[n] if n < len(e) else default


def _open(source: Source) -> tuple[IO, bool]:
    """Return (file object, should_close). str is X12 text, PathLike is a path."""
    if isinstance(source, os.PathLike):
        return open(source, "rb"), True
    if isinstance(source, str):
        return io.StringIO(source), False
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), False
    return source, False


class Tokenizer:
    def __init__(self, source: Source, chunk_size: int = CHUNK) -> None:
        self._fp, self._close = _open(source)
        self._chunk = chunk_size
        self._decoder = None
        self._binary: bool | None = None
        self._eof = False
        self.delimiters: Delimiters | None = None
        self.warnings: list[str] = []
        # Location bookkeeping for the batch most recently yielded.
        self.batch_first_number = 1  # segment number of batch[0]
        self._batch_base_pos = 0
        self._batch_raw: str = ""
        self._consumed = 0  # decoded characters handed out before the current buffer

    # -- input -------------------------------------------------------------
    def _read(self) -> str:
        if self._eof:
            return ""
        data = self._fp.read(self._chunk)
        if not data:
            self._eof = True
            if self._decoder is not None:
                return self._decoder.decode(b"", final=True)
            return ""
        if self._binary is None:
            self._binary = isinstance(data, (bytes, bytearray))
            if self._binary:
                enc = "utf-8"
                if data.startswith(codecs.BOM_UTF8):
                    data = data[3:]
                elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    enc = "utf-16"
                elif b"\x00" in data[:200]:
                    # UTF-16 without BOM: the NUL sits after (LE) or before (BE) each ASCII byte.
                    enc = "utf-16-le" if data[:1] != b"\x00" else "utf-16-be"
                self._decoder = codecs.getincrementaldecoder(enc)(errors="replace")
            else:
                data = data.lstrip("\ufeff")
        if self._decoder is not None:
            return self._decoder.decode(data)
        return data

    def close(self) -> None:
        if self._close:
            self._fp.close()

    # -- location of a segment for error messages ---------------------------
    def locate(self, index: int) -> tuple[int, int]:
        """(segment number, char offset) of batch[index] of the current batch."""
        term = self.delimiters.segment if self.delimiters else "~"
        pos = self._batch_base_pos
        k = -1
        for part in self._batch_raw.split(term):
            stripped = part.strip()
            if stripped:
                k += 1
                if k == index:
                    return self.batch_first_number + index, pos + (len(part) - len(part.lstrip()))
            pos += len(part) + 1
        return self.batch_first_number + index, pos

    # -- batches --------------------------------------------------------------
    def batches(self) -> Iterator[list[str]]:
        buf = self._read()
        pos = 0  # char offset of buf[0]
        number = 1
        expect_isa = True
        try:
            while True:
                if expect_isa:
                    stripped = buf.lstrip()
                    while not stripped and not self._eof:
                        pos += len(buf)
                        buf = self._read()
                        stripped = buf.lstrip()
                    pos += len(buf) - len(stripped)
                    buf = stripped
                    while len(buf) < ISA_LEN and not self._eof:
                        buf += self._read()
                    if not buf:
                        if number == 1:
                            raise X12SyntaxError("empty input: no ISA segment", segment_number=1, position=0)
                        return
                    if not buf.startswith("ISA"):
                        raise X12SyntaxError(
                            "not an X12 interchange: expected ISA" + (" at start of file" if number == 1 else " after IEA"),
                            segment_number=number,
                            position=pos,
                        )
                    self.delimiters, warns = detect(buf[:ISA_LEN], pos)
                    self.warnings.extend(warns)
                    self.batch_first_number = number
                    self._batch_base_pos = pos
                    self._batch_raw = buf[: ISA_LEN - 1]
                    yield [buf[: ISA_LEN - 1]]
                    number += 1
                    pos += ISA_LEN
                    buf = buf[ISA_LEN:]
                    expect_isa = False
                    continue
                term = self.delimiters.segment
                elem = self.delimiters.element
                if term == "\n":
                    buf = buf.replace("\r\n", "\n").replace("\r", "\n")
                # Find the end of the region we can hand out: either the start of the next
                # interchange (re-detect delimiters there) or the last complete segment.
                nxt = self._next_isa(buf, term, elem)
                while nxt < 0 and buf.rfind(term) < 0 and not self._eof:
                    more = self._read()
                    if term == "\n":
                        more = more.replace("\r\n", "\n").replace("\r", "\n")
                    buf += more
                    nxt = self._next_isa(buf, term, elem)
                if nxt >= 0:
                    region, rest, expect_isa = buf[:nxt], buf[nxt:], True
                elif self._eof:
                    region, rest = buf, ""
                else:
                    cut = buf.rfind(term)
                    region, rest = buf[:cut], buf[cut + 1 :]
                if region:
                    parts = _split_region(region, term)
                    if "" in parts:
                        parts = [p for p in parts if p]
                    if parts:
                        self.batch_first_number = number
                        self._batch_base_pos = pos
                        self._batch_raw = region
                        yield parts
                        number += len(parts)
                    pos += len(region) + (0 if expect_isa else 1)
                buf = rest
                if not expect_isa and not buf:
                    if self._eof:
                        return
                    buf = self._read()
                    if not buf and self._eof:
                        return
                elif not expect_isa and self._eof and not buf.strip():
                    return
        finally:
            self.close()

    @staticmethod
    def _next_isa(buf: str, term: str, elem: str) -> int:
        """Offset of an ISA that starts a new interchange, or -1.

        "ISA" inside data (a name like "LISA") is not a segment start: it must be
        preceded by the terminator (plus optional whitespace).
        """
        start = 0
        while True:
            i = buf.find("ISA", start)
            if i < 0:
                return -1
            j = i - 1
            while j >= 0 and buf[j] in " \r\n\t":
                j -= 1
            if (j < 0 or buf[j] == term) and buf[i + 3 : i + 4] not in ("",) and not buf[i + 3].isalnum():
                # Need the segment start to be the first thing after the terminator.
                return (j + 1) if j >= 0 else 0
            if i + 3 >= len(buf) and (j < 0 or buf[j] == term):
                return -1  # cannot decide yet; caller reads more only if no terminator found
            start = i + 1


# ASCII whitespace that str.strip removes, other than space, TAB, CR and LF.
_RARE_WS = "\x0b\x0c\x1c\x1d\x1e\x1f"


def _split_region(region: str, term: str) -> list[str]:
    """Segments of `region`, each stripped of surrounding whitespace.

    Equivalent to `[p.strip() for p in region.split(term)]` when the region holds
    layout whitespace, but the common layout "one segment per line" (every
    terminator followed by exactly one LF and no other whitespace at segment
    edges) is recognised with a few C-level scans and split on terminator+LF
    directly, without a strip per segment.
    """
    if not ("\n" in region or "\r" in region or "\t" in region or region[:1] == " "):
        return region.split(term)
    if term != "\n" and "\r" not in region and "\t" not in region and region.isascii():
        r = region[1:] if region[:1] == "\n" else region
        if COMPILED:
            # One C pass instead of the counts and finds below (~5 full passes over the text).
            return r.split(term + "\n") if _lf_layout(r, term) else [p.strip() for p in region.split(term)]
        n = r.count(term)
        if n == r.count("\n") and r[:1] != " " and r[-1:] != " " and not any(c in r for c in _RARE_WS):
            pat = term + "\n"
            parts = r.split(pat)
            # n + 1 parts: every terminator is followed by the LF, and there is no other LF.
            if len(parts) == n + 1 and not _space_at_edge(r, term):
                return parts
    return [p.strip() for p in region.split(term)]


@cython.cfunc
def _lf_layout(r: str, term: cython.Py_UCS4) -> cython.bint:
    """Compiled only: is splitting `r` (ASCII, no CR or TAB) on terminator+LF the strip rule?

    True only when every terminator is followed by an LF, every LF follows a terminator,
    no other whitespace `str.strip` removes is present, and no space sits at a segment
    edge. Sound, not complete: anything else takes the strip path.
    """
    if term == " " or term == "\x0b" or term == "\x0c" or "\x1c" <= term <= "\x1f":
        return False
    n: cython.Py_ssize_t = len(r)
    if n and (r[0] == " " or r[n - 1] == " "):
        return False
    # One forward pass (Cython turns `for c in r` into a C loop over the string's buffer).
    expect_lf: cython.bint = False
    prev: cython.Py_UCS4 = "x"
    c: cython.Py_UCS4
    for c in r:
        if expect_lf:
            if c != "\n":
                return False
            expect_lf = False
        elif c == term:
            if prev == " ":
                return False
            expect_lf = True
        elif c == " ":
            if prev == "\n":
                return False
        elif c == "\n" or c == "\x0b" or c == "\x0c" or "\x1c" <= c <= "\x1f":
            return False
        prev = c
    return not expect_lf


def _space_at_edge(r: str, term: str) -> bool:
    """Is there a space right before a terminator or right after terminator+LF?"""
    spaces = r.count(" ")  # one fast C pass
    if spaces * 64 > len(r):
        return " " + term in r or term + "\n " in r
    # Few spaces (names, addresses): look only at their neighbours.
    i = r.find(" ")
    while i >= 0:
        if r[i + 1 : i + 2] == term or (i >= 2 and r[i - 2 : i] == term + "\n"):
            return True
        i = r.find(" ", i + 1)
    return False


def iter_segments(source: Source | Tokenizer) -> Iterator[Segment]:
    """Yield Segment objects one at a time (convenient, slower than batches)."""
    tok = source if isinstance(source, Tokenizer) else Tokenizer(source)
    for batch in tok.batches():
        sep = tok.delimiters.element
        first = tok.batch_first_number
        for i, raw in enumerate(batch):
            yield Segment(raw.split(sep), first + i, -1 if i else tok._batch_base_pos)
