"""Shared pieces of the file readers: parsed rows, errors naming line and field,
strict decoding of fixed-width text."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from agency.errors import UserFacingError


@dataclass(slots=True)
class ParsedCode:
    code: str
    billable: bool
    short_desc: str | None = None
    long_desc: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    attrs: dict | None = None


class CodeFileError(UserFacingError):
    """A code-set file is malformed. The message names the file, line and field;
    nothing of the file is loaded."""

    def __init__(self, source: str, line: int | None, field: str | None, message: str) -> None:
        where = source
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field {field}"
        super().__init__(f"{where}: {message}; nothing was loaded")
        self.source, self.line, self.field = source, line, field


@dataclass(frozen=True)
class Field:
    """A fixed-width field: 0-based ``start``, exclusive ``end`` (None = to end of line)."""

    name: str
    start: int
    end: int | None

    def label(self) -> str:
        end = "end" if self.end is None else str(self.end)
        return f"{self.name} (columns {self.start + 1}-{end})"

    def covers(self, column: int) -> bool:
        return column >= self.start and (self.end is None or column < self.end)


def field_at(fields: Sequence[Field], column: int) -> str:
    for f in fields:
        if f.covers(column):
            return f.label()
    return f"column {column + 1}"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def text_lines(data: bytes, *, source: str, encoding: str, fields: Sequence[Field]) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text)`` for each non-blank line, decoding strictly.

    A byte that is not valid in ``encoding`` or a control character is reported
    with its line and the field it falls in."""
    head = data[:4096]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise CodeFileError(source, 1, None, "the file looks like UTF-16 (NUL bytes); "
                            "save it as plain text (ASCII/UTF-8) or pass the right --encoding")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw.strip():
            continue
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            column = len(raw[:exc.start].decode(encoding, errors="replace"))
            raise CodeFileError(
                source, number, field_at(fields, column),
                f"byte 0x{raw[exc.start]:02X} at column {column + 1} is not valid {encoding}; "
                "the file has another encoding (try --encoding cp1252) or is damaged") from None
        bad = _CONTROL.search(text)
        if bad:
            raise CodeFileError(source, number, field_at(fields, bad.start()),
                                f"control character 0x{ord(bad.group()):02X} at column {bad.start() + 1}: "
                                "the line is garbled")
        yield number, text
