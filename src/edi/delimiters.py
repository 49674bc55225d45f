"""Delimiter detection from the fixed-width ISA segment (guide section 2)."""

from __future__ import annotations

from dataclasses import dataclass

from edi.errors import X12SyntaxError

ISA_LEN = 106
# 0-based offsets of the 16 element separators inside the 106-character ISA.
ISA_SEPARATOR_OFFSETS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str | None = "^"
    segment: str = "~"

    def active(self) -> tuple[str, ...]:
        return tuple(d for d in (self.element, self.component, self.repetition, self.segment) if d)


DEFAULT = Delimiters()


def detect(isa: str, position: int = 0) -> tuple[Delimiters, list[str]]:
    """Read delimiters from the first 106 characters of an interchange.

    Returns the delimiters and warnings (e.g. ISA11 equal to ISA16). Raises
    X12SyntaxError when the ISA is not the fixed 106-character layout, because a
    short ISA shifts every delimiter and guessing would misread the whole file.
    """
    if not isa.startswith("ISA"):
        raise X12SyntaxError("interchange does not start with ISA", segment_number=1, position=position, segment_id="ISA")
    if len(isa) < ISA_LEN:
        raise X12SyntaxError(
            f"ISA segment truncated: {len(isa)} of 106 characters", segment_number=1, position=position, segment_id="ISA"
        )
    element = isa[3]
    if element.isalnum() or element in " \r\n":
        raise X12SyntaxError("invalid element separator in ISA", segment_number=1, position=position + 3, segment_id="ISA")
    for n, off in enumerate(ISA_SEPARATOR_OFFSETS, start=1):
        if isa[off] != element:
            raise X12SyntaxError(
                f"ISA is not the fixed 106-character layout: separator before ISA{n:02d} expected at offset {off}",
                segment_number=1,
                position=position + off,
                segment_id="ISA",
                element=n,
            )
    component = isa[104]
    terminator = isa[105]
    if terminator in "\r\n":
        terminator = "\n"  # CR, LF and CRLF are normalised to LF by the tokenizer
    warnings: list[str] = []
    repetition: str | None = isa[82]
    version = isa[84:89]
    if version < "00403" or repetition.isalnum() or repetition == " ":
        repetition = None
    elif repetition == component:
        repetition = None
        warnings.append("ISA11 repetition separator equals ISA16 component separator; repetition separator ignored")
    if component.isalnum() or component == " ":
        raise X12SyntaxError("invalid component separator in ISA16", segment_number=1, position=position + 104, segment_id="ISA", element=16)
    if terminator.isalnum() or terminator == " ":
        raise X12SyntaxError("invalid segment terminator after ISA16", segment_number=1, position=position + 105, segment_id="ISA")
    active = [element, component, terminator] + ([repetition] if repetition else [])
    if len(set(active)) != len(active):
        raise X12SyntaxError("ISA delimiters are not pairwise distinct", segment_number=1, position=position, segment_id="ISA")
    return Delimiters(element, component, repetition, terminator), warnings
