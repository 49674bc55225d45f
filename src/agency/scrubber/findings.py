"""What a scrub produces: findings with a severity, a plain-language message and
the field they concern. Messages never contain PHI values (names, dates of
birth, member ids, dates of service): they say *what* is wrong, not the value."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """``error`` blocks submission; ``warning`` needs a biller's acknowledgement;
    ``info`` is advisory."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @classmethod
    def parse(cls, value: "str | Severity") -> "Severity":
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"severity must be one of error, warning, info (got {value!r})") from None


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found on a claim.

    ``field`` is a path into the claim object (``edi.model.claim837``) with
    0-based indexes, e.g. ``billing_provider.npi``, ``diagnoses[1]``,
    ``lines[2].diagnosis_pointers[0]``; ``line_number`` is the 1-based service
    line number (LX) when the finding concerns one line, else ``None``.
    """

    rule_id: str
    severity: Severity
    message: str
    field: str | None = None
    line_number: int | None = None
    rule_version: int = 1

    @property
    def blocks(self) -> bool:
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict:
        return {"rule_id": self.rule_id, "rule_version": self.rule_version, "severity": self.severity.value,
                "message": self.message, "field": self.field, "line_number": self.line_number}


def has_errors(findings) -> bool:
    """True when any finding is an error (the claim may not be submitted).
    Whether every warning was acknowledged is a question for the stored results
    (:func:`agency.scrubber.service.claim_status`)."""
    return any(f.severity is Severity.ERROR for f in findings)
