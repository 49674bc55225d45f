"""837P (005010X222A1) and 837I (005010X223A2) claim objects.

Plain frozen dataclasses so the application can build them from its database
and tests can compare them after a write/read round trip. Tuples, not lists,
so instances are hashable and immutable. The writer derives everything that
can be derived (CLM02 = sum of lines, HL numbering, counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from edi.model.common import Address


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str | None = None  # digits only
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Submitter:
    """1000A."""

    name: str
    id: str  # NM109 (ETIN from the clearinghouse)
    contact: Contact
    is_person: bool = False
    first_name: str | None = None


@dataclass(frozen=True, slots=True)
class Receiver:
    """1000B."""

    name: str
    id: str


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider: billing, pay-to, rendering, referring, attending, facility ..."""

    last_or_org_name: str
    npi: str | None = None
    is_person: bool = False  # NM102 1 (person) / 2 (organisation)
    first_name: str | None = None
    middle_name: str | None = None
    address: Address | None = None
    taxonomy: str | None = None  # PRV03
    tax_id: str | None = None  # REF*EI (billing provider)
    tax_id_qualifier: str = "EI"  # EI (EIN) or SY (SSN)


@dataclass(frozen=True, slots=True)
class Payer:
    name: str
    id: str  # NM109 with qualifier PI
    address: Address | None = None


@dataclass(frozen=True, slots=True)
class Person:
    last_name: str
    first_name: str | None = None
    middle_name: str | None = None
    address: Address | None = None
    birth_date: date | None = None
    sex: str | None = None  # M, F, U


@dataclass(frozen=True, slots=True)
class Subscriber:
    """2000B/2010BA/2010BB."""

    person: Person
    member_id: str
    payer: Payer
    payer_responsibility: str = "P"  # SBR01 P/S/T/A-H/U
    group_number: str | None = None  # SBR03
    group_name: str | None = None  # SBR04
    filing_indicator: str = "CI"  # SBR09


@dataclass(frozen=True, slots=True)
class Patient:
    """2000C/2010CA: only when the patient is not the subscriber."""

    person: Person
    relationship: str = "19"  # PAT01: 01 spouse, 19 child, 20 employee, 21 unknown, ...


@dataclass(frozen=True, slots=True)
class CasAdjustment:
    """CAS in 2320 (claim level) or 2430 (line level) of a prior payer's adjudication."""

    group: str  # CO, PR, OA, PI (never CR)
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class LineAdjudication:
    """2430: a prior payer's adjudication of one service line."""

    payer_id: str  # SVD01 = 2330B NM109 of that payer
    paid: Decimal  # SVD02
    procedure_code: str  # SVD03-2 (HC)
    units: Decimal  # SVD05
    adjudication_date: date  # DTP*573
    modifiers: tuple[str, ...] = ()
    adjustments: tuple[CasAdjustment, ...] = ()
    remaining_patient_liability: Decimal | None = None  # AMT*EAF


@dataclass(frozen=True, slots=True)
class OtherPayer:
    """2320/2330A/2330B: another payer of this claim (COB)."""

    subscriber: Person  # 2330A
    member_id: str
    payer: Payer  # 2330B
    payer_responsibility: str = "P"  # SBR01 of that payer
    relationship: str = "18"  # SBR02: patient's relationship to that subscriber
    group_number: str | None = None
    filing_indicator: str = "CI"
    paid: Decimal | None = None  # AMT*D, claim-level adjudication
    adjustments: tuple[CasAdjustment, ...] = ()  # claim-level CAS (2320) - never together with line level
    remaining_patient_liability: Decimal | None = None  # AMT*EAF
    adjudication_date: date | None = None  # 2330B DTP*573
    benefits_assignment: str = "Y"  # OI03
    release_of_information: str = "Y"  # OI06


@dataclass(frozen=True, slots=True)
class DrugDetail:
    """2410: NDC for a drug line."""

    ndc: str  # 11 digits
    quantity: Decimal
    unit: str = "UN"  # F2, GR, ME, ML, UN


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """2400 of an 837P."""

    procedure_code: str
    charge: Decimal
    units: Decimal
    service_date: date
    diagnosis_pointers: tuple[int, ...] = (1,)  # 1-based positions in Claim.diagnoses, max 4
    modifiers: tuple[str, ...] = ()
    unit_basis: str = "UN"  # UN units / MJ minutes
    place_of_service: str | None = None  # only when different from the claim's
    service_date_end: date | None = None  # -> DTP*472*RD8
    line_control_number: str | None = None  # REF*6R, <= 30, unique within the claim
    emergency: bool = False
    drug: DrugDetail | None = None
    rendering: Provider | None = None  # 2420A when different from the claim
    adjudications: tuple[LineAdjudication, ...] = ()


@dataclass(frozen=True, slots=True)
class InstitutionalLine:
    """2400 of an 837I (SV2)."""

    revenue_code: str  # 4 digits
    charge: Decimal
    units: Decimal
    service_date: date | None = None
    procedure_code: str | None = None  # HCPCS (HC) when required
    modifiers: tuple[str, ...] = ()
    unit_basis: str = "UN"  # UN or DA (days)
    non_covered: Decimal | None = None  # SV207
    service_date_end: date | None = None
    line_control_number: str | None = None
    adjudications: tuple[LineAdjudication, ...] = ()


@dataclass(frozen=True, slots=True)
class Claim:
    """2300 of an 837P with its subscriber/patient and lines."""

    patient_control_number: str  # CLM01, <= 20 (keep <= 17 and PHI-free)
    subscriber: Subscriber
    place_of_service: str  # CLM05-1
    diagnoses: tuple[str, ...]  # ICD-10-CM without the dot; first is principal (ABK), rest ABF; <= 12
    lines: tuple[ServiceLine, ...]
    patient: Patient | None = None
    frequency: str = "1"  # CLM05-3: 1 original, 7 replacement, 8 void
    payer_claim_number: str | None = None  # REF*F8, required iff frequency is 7 or 8
    provider_signature: str = "Y"  # CLM06
    assignment: str = "A"  # CLM07
    benefits_assigned: str = "Y"  # CLM08
    release_of_information: str = "Y"  # CLM09
    related_causes: tuple[str, ...] = ()  # CLM11: AA, EM, OA
    accident_state: str | None = None  # CLM11-4 when AA
    delay_reason: str | None = None  # CLM20
    onset_date: date | None = None  # DTP*431
    accident_date: date | None = None  # DTP*439
    prior_authorization: str | None = None  # REF*G1
    referral_number: str | None = None  # REF*9F
    medical_record_number: str | None = None  # REF*EA
    clearinghouse_trace: str | None = None  # REF*D9
    note: str | None = None  # NTE*ADD
    rendering: Provider | None = None  # 2310B, only when it differs from the billing provider
    referring: Provider | None = None  # 2310A
    service_facility: Provider | None = None  # 2310C
    other_payers: tuple[OtherPayer, ...] = ()  # 2320, <= 10

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal(0))


@dataclass(frozen=True, slots=True)
class InstitutionalClaim:
    """2300 of an 837I."""

    patient_control_number: str
    subscriber: Subscriber
    facility_type: str  # CLM05-1, two digits (e.g. 13 hospital outpatient)
    statement_from: date  # DTP*434 RD8
    statement_to: date
    admission_type: str  # CL101
    admission_source: str | None  # CL102
    patient_status: str  # CL103
    principal_diagnosis: str  # ABK
    lines: tuple[InstitutionalLine, ...]
    attending: Provider  # 2310A (required when any line is not ...; we always send it)
    patient: Patient | None = None
    frequency: str = "1"  # CLM05-3
    payer_claim_number: str | None = None  # REF*F8 for 7/8
    admitting_diagnosis: str | None = None  # ABJ
    reason_for_visit: tuple[str, ...] = ()  # APR, <= 3
    other_diagnoses: tuple[str, ...] = ()  # ABF, <= 24
    present_on_admission: tuple[str, ...] = ()  # POA per diagnosis: principal then others ('' = none)
    admission_date: date | None = None  # DTP*435 (D8)
    admission_hour: str | None = None
    discharge_hour: str | None = None  # DTP*096
    condition_codes: tuple[str, ...] = ()  # BG
    value_codes: tuple[tuple[str, Decimal], ...] = ()  # BE
    occurrence_codes: tuple[tuple[str, date], ...] = ()  # BH
    principal_procedure: tuple[str, date] | None = None  # BBR (ICD-10-PCS, date)
    other_procedures: tuple[tuple[str, date], ...] = ()  # BBQ
    drg: str | None = None  # DR
    assignment: str = "A"
    benefits_assigned: str = "Y"
    release_of_information: str = "Y"
    prior_authorization: str | None = None
    medical_record_number: str | None = None
    patient_estimated_amount_due: Decimal | None = None  # AMT*F3
    operating: Provider | None = None  # 2310B
    rendering: Provider | None = None  # 2310D
    service_facility: Provider | None = None  # 2310E
    referring: Provider | None = None  # 2310F
    other_payers: tuple[OtherPayer, ...] = ()

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal(0))

    @property
    def type_of_bill(self) -> str:
        return f"{self.facility_type}{self.frequency}"


@dataclass(frozen=True, slots=True)
class BillingGroup:
    """2000A: one billing provider and its claims."""

    billing_provider: Provider
    claims: tuple[Claim, ...] | tuple[InstitutionalClaim, ...]
    pay_to: Provider | None = None  # 2010AB, address only (name/address)


@dataclass(frozen=True, slots=True)
class ClaimBatch:
    """One 837 transaction set: submitter, receiver, billing groups, control numbers.

    Control numbers are the caller's (persisted sequences); the writer never makes them up.
    """

    submitter: Submitter
    receiver: Receiver
    groups: tuple[BillingGroup, ...]
    transaction_control_number: str  # ST02, 4-9 characters
    batch_id: str  # BHT03, unique per ST
    created: date  # BHT04
    created_time: str = "1200"  # BHT05 HHMM
    transaction_type: str = "CH"  # BHT06: CH chargeable, RP reporting/encounter
    kind: str = field(default="837P")  # "837P" or "837I"

    def claims(self):
        for g in self.groups:
            yield from g.claims
