"""999 (005010X231A1), 277CA (005010X214) and TA1 objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from edi.envelope import EnvelopeInfo, Issue

REJECTED_CATEGORIES = {"A3", "A6", "A7", "A8"}
ACCEPTED_CATEGORIES = {"A2", "A5"}


# ------------------------------------------------------------------ 999
@dataclass(slots=True)
class ElementError:
    """IK4: IK401 position (element[:component[:repeat]]), IK402 reference, IK403 code, IK404 bad value."""

    position: str
    code: str
    reference: str | None = None
    bad_value: str | None = None


@dataclass(slots=True)
class SegmentError:
    """IK3 + its IK4s and CTXs."""

    segment_id: str
    position: int  # counted from ST = 1
    code: str  # IK304
    loop_id: str | None = None
    elements: list[ElementError] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)  # raw CTX content joined with '*'


@dataclass(slots=True)
class SetResponse:
    """AK2 ... IK5 for one acknowledged transaction set."""

    set_id: str  # AK201
    control_number: str  # AK202 = our ST02
    status: str  # IK501: A, E, R, M, W, X
    implementation: str | None = None  # AK203
    codes: list[str] = field(default_factory=list)  # IK502-506
    segment_errors: list[SegmentError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.status in ("A", "E")


@dataclass(slots=True)
class Ack999:
    control_number: str  # ST02 of the 999
    functional_id: str  # AK101 (HC for claims)
    group_control_number: str  # AK102 = our GS06
    group_version: str | None  # AK103
    status: str  # AK901: A, E, P, R, M, W, X
    sets_included: int
    sets_received: int
    sets_accepted: int
    sets: list[SetResponse] = field(default_factory=list)
    group_codes: list[str] = field(default_factory=list)  # AK905-909
    envelope: EnvelopeInfo | None = None
    issues: list[Issue] = field(default_factory=list)
    type: str = "999"


# ------------------------------------------------------------------ 277CA
@dataclass(slots=True)
class StatusInfo:
    """STC01 (and STC10/11) category:code:entity with STC02-04."""

    category: str
    code: str
    entity: str | None = None
    date: date | None = None  # STC02
    action: str | None = None  # STC03: WQ accept, U reject
    amount: Decimal | None = None  # STC04

    @property
    def rejected(self) -> bool:
        return self.category in REJECTED_CATEGORIES


@dataclass(slots=True)
class LineStatus:
    """2220D: a rejected service line, matched by REF*FJ = our REF*6R."""

    line_control_number: str | None
    procedure_code: str | None
    charge: Decimal | None
    statuses: list[StatusInfo] = field(default_factory=list)
    service_date: date | None = None


@dataclass(slots=True)
class ClaimStatus:
    """2200D: one claim; TRN02 = our CLM01."""

    patient_control_number: str
    statuses: list[StatusInfo] = field(default_factory=list)
    payer_claim_number: str | None = None  # REF*1K
    clearinghouse_trace: str | None = None  # REF*D9
    bill_type: str | None = None  # REF*BLT
    service_date: date | None = None
    service_date_end: date | None = None
    lines: list[LineStatus] = field(default_factory=list)
    patient_last_name: str | None = None
    patient_first_name: str | None = None
    patient_id: str | None = None
    provider_id: str | None = None  # 2100C NM109 of the enclosing provider

    @property
    def outcome(self) -> str:
        """accepted | rejected | pending | not_found | unknown (guide section 15)."""
        cats = {s.category for s in self.statuses}
        if cats & REJECTED_CATEGORIES:
            return "rejected"
        if cats & ACCEPTED_CATEGORIES:
            return "accepted"
        if "A4" in cats:
            return "not_found"
        if cats & {"A0", "A1"}:
            return "pending"
        return "unknown"


@dataclass(slots=True)
class Ack277CA:
    control_number: str
    reference: str  # BHT03
    created: date | None  # BHT04
    source_name: str | None = None  # 2100A NM103 (clearinghouse or payer)
    source_id: str | None = None
    receiver_batch: str | None = None  # 2200B TRN02 (our BHT03, commonly)
    receiver_statuses: list[StatusInfo] = field(default_factory=list)
    accepted_count: int | None = None  # QTY*90
    rejected_count: int | None = None  # QTY*AA
    accepted_amount: Decimal | None = None  # AMT*YU
    rejected_amount: Decimal | None = None  # AMT*YY
    claims: list[ClaimStatus] = field(default_factory=list)
    envelope: EnvelopeInfo | None = None
    issues: list[Issue] = field(default_factory=list)
    type: str = "277CA"


# ------------------------------------------------------------------ TA1
@dataclass(slots=True)
class Ta1:
    interchange_control_number: str  # TA101 = our ISA13
    interchange_date: str  # TA102 YYMMDD
    interchange_time: str  # TA103 HHMM
    ack_code: str  # TA104: A, E, R
    note_code: str  # TA105
    envelope: EnvelopeInfo | None = None
    issues: list[Issue] = field(default_factory=list)
    type: str = "TA1"

    @property
    def accepted(self) -> bool:
        return self.ack_code in ("A", "E")

    @property
    def control_number(self) -> str:
        return self.interchange_control_number
