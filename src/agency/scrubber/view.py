"""A uniform, precomputed view of an 837P ``Claim`` or 837I ``InstitutionalClaim``
so that every rule reads lines, diagnoses and dates the same way and nothing is
recomputed per rule.

Field paths use the attribute names of ``edi.model.claim837`` with 0-based
indexes (``lines[2].modifiers[0]``); line numbers are 1-based (LX).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from edi.model.claim837 import Claim, InstitutionalClaim, Person, Provider

PROFESSIONAL = "837P"
INSTITUTIONAL = "837I"


@dataclass(frozen=True, slots=True)
class LineView:
    index: int  # 0-based
    number: int  # 1-based (LX)
    procedure_code: str | None
    modifiers: tuple[str, ...]
    units: Decimal
    charge: Decimal
    dos: date  # line From (837I without a line date: statement from)
    dos_end: date | None
    pointers: tuple[int, ...]
    place_of_service: str | None  # effective POS (line's or claim's), 837P only
    revenue_code: str | None
    raw: object

    @property
    def path(self) -> str:
        return f"lines[{self.index}]"

    @property
    def last_dos(self) -> date:
        return self.dos_end or self.dos


class ClaimView:
    """Read-only helpers over one claim; built once per scrub."""

    __slots__ = ("claim", "kind", "lines", "diagnoses", "patient_person", "patient_path", "first_dos",
                 "last_dos", "diagnosis_dos", "total_charge", "billing_provider")

    def __init__(self, claim: Claim | InstitutionalClaim, billing_provider: Provider | None) -> None:
        self.claim = claim
        self.billing_provider = billing_provider
        if isinstance(claim, InstitutionalClaim):
            self.kind = INSTITUTIONAL
            dx: list[tuple[str, str]] = [("principal_diagnosis", claim.principal_diagnosis)]
            if claim.admitting_diagnosis:
                dx.append(("admitting_diagnosis", claim.admitting_diagnosis))
            dx += [(f"reason_for_visit[{i}]", c) for i, c in enumerate(claim.reason_for_visit)]
            dx += [(f"other_diagnoses[{i}]", c) for i, c in enumerate(claim.other_diagnoses)]
            lines = []
            for i, ln in enumerate(claim.lines):
                lines.append(LineView(i, i + 1, ln.procedure_code, tuple(ln.modifiers), ln.units, ln.charge,
                                      ln.service_date or claim.statement_from, ln.service_date_end, (),
                                      None, ln.revenue_code, ln))
            # Inpatient and outpatient institutional diagnoses are coded for the discharge/through date.
            self.diagnosis_dos = claim.statement_to
        elif isinstance(claim, Claim):
            self.kind = PROFESSIONAL
            dx = [(f"diagnoses[{i}]", c) for i, c in enumerate(claim.diagnoses)]
            lines = [LineView(i, i + 1, ln.procedure_code, tuple(ln.modifiers), ln.units, ln.charge,
                              ln.service_date, ln.service_date_end, tuple(ln.diagnosis_pointers),
                              ln.place_of_service or claim.place_of_service, None, ln)
                     for i, ln in enumerate(claim.lines)]
            self.diagnosis_dos = None
        else:
            raise TypeError(f"cannot scrub a {type(claim).__name__}; expected an 837P Claim or 837I "
                            "InstitutionalClaim")
        self.diagnoses = tuple((path, (code or "").strip().upper().replace(".", "")) for path, code in dx)
        self.lines = tuple(lines)
        if claim.patient is not None:
            self.patient_person: Person = claim.patient.person
            self.patient_path = "patient.person"
        else:
            self.patient_person = claim.subscriber.person
            self.patient_path = "subscriber.person"
        if self.kind == INSTITUTIONAL:
            self.first_dos = claim.statement_from
            self.last_dos = claim.statement_to
        elif self.lines:
            self.first_dos = min(ln.dos for ln in self.lines)
            self.last_dos = max(ln.last_dos for ln in self.lines)
        else:
            self.first_dos = self.last_dos = None
        if self.diagnosis_dos is None:
            self.diagnosis_dos = self.first_dos
        self.total_charge = sum((ln.charge for ln in self.lines), Decimal(0))

    @property
    def is_professional(self) -> bool:
        return self.kind == PROFESSIONAL

    def providers(self):
        """(path, Provider) of every provider on the claim that carries an NPI slot."""
        c = self.claim
        out = []
        if self.billing_provider is not None:
            out.append(("billing_provider", self.billing_provider))
        for name in ("rendering", "referring", "service_facility", "attending", "operating"):
            p = getattr(c, name, None)
            if p is not None:
                out.append((name, p))
        if self.kind == PROFESSIONAL:
            for ln in self.lines:
                if ln.raw.rendering is not None:
                    out.append((f"{ln.path}.rendering", ln.raw.rendering))
        return out

    def patient_age_on(self, day: date) -> int | None:
        dob = self.patient_person.birth_date
        if dob is None or day is None:
            return None
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
