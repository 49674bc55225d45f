"""The library's one error family.

Every error names *where* (segment number, character offset, segment id,
element position) and *what*, never the element's value: values can be PHI.
"""

from __future__ import annotations


class X12Error(Exception):
    """Base class of every error the library raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        segment_number: int | None = None,
        position: int | None = None,
        segment_id: str | None = None,
        element: int | None = None,
    ) -> None:
        self.message = message
        self.segment_number = segment_number
        self.position = position
        self.segment_id = segment_id
        self.element = element
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.segment_number is not None:
            where.append(f"segment {self.segment_number}")
        if self.segment_id:
            where.append(self.segment_id + (f"{self.element:02d}" if self.element is not None else ""))
        if self.position is not None:
            where.append(f"char {self.position}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


class X12ParseError(X12Error):
    """The input cannot be read: either not X12 at all, or content a reader cannot use."""


class X12SyntaxError(X12ParseError):
    """The input is not readable as X12 (no/short ISA, bad delimiters, wrong encoding)."""


class X12ContentError(X12ParseError):
    """The X12 syntax is readable but a transaction's content is unusable
    (e.g. a non-numeric amount, an impossible date, a missing required segment)."""


class X12WriteError(X12Error):
    """A value given to a writer cannot be expressed in X12 (e.g. missing required data)."""
