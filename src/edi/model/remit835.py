"""835 remittance objects (005010X221A1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from edi.envelope import EnvelopeInfo, Issue
from edi.model.common import Adjustment, Address, LazyFields


@dataclass(slots=True)
class Party:
    """N1 loop: payer (PR) or payee (PE)."""

    name: str
    id_qualifier: str | None = None
    id: str | None = None
    address: Address | None = None
    references: list[tuple[str, str]] = field(default_factory=list)  # REF qualifier, value
    contacts: list[tuple[str, str, str]] = field(default_factory=list)  # PER01 function, name, first number


@dataclass(slots=True)
class Payment:
    """BPR + TRN."""

    handling_code: str  # BPR01: C, D, H, I, P, U, X
    amount: Decimal  # BPR02
    credit_debit: str  # BPR03
    method: str  # BPR04: ACH, CHK, BOP, FWT, NON
    date: date | None  # BPR16
    trace_number: str | None = None  # TRN02
    originator_id: str | None = None  # TRN03
    format_code: str | None = None  # BPR05


@dataclass(slots=True)
class ServicePayment:
    """2110 service line."""

    qualifier: str  # SVC01-1: HC, NU, AD, ...
    procedure_code: str  # SVC01-2
    modifiers: list[str]
    charge: Decimal  # SVC02
    paid: Decimal  # SVC03
    revenue_code: str | None = None  # SVC04
    units_paid: Decimal | None = None  # SVC05
    original_procedure: str | None = None  # SVC06 as received (composite joined with ':')
    original_units: Decimal | None = None  # SVC07
    service_date: date | None = None  # DTM*472 or DTM*150
    service_date_end: date | None = None  # DTM*151
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # LQ*HE RARCs
    line_control_number: str | None = None  # REF*6R, our REF*6R echoed
    allowed_amount: Decimal | None = None  # AMT*B6 (informational)
    references: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class ClaimPayment(LazyFields):
    """2100 claim payment information.

    `edi.r835` creates these lazily: the claim is balance-checked while reading
    (in integer cents), and its fields other than the patient control number and
    status code are converted (Decimal, dates, lines, adjustments) on first access.
    """

    patient_control_number: str  # CLP01 = our CLM01
    status_code: str  # CLP02
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal | None  # CLP05 (informational, not a balancing term)
    filing_indicator: str | None = None  # CLP06
    payer_claim_number: str | None = None  # CLP07 (ICN/DCN)
    facility_code: str | None = None  # CLP08
    frequency_code: str | None = None  # CLP09
    patient_last_name: str | None = None  # NM1*QC
    patient_first_name: str | None = None
    patient_id: str | None = None
    statement_from: date | None = None  # DTM*232
    statement_to: date | None = None  # DTM*233
    received_date: date | None = None  # DTM*050
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # MIA/MOA remark codes
    lines: list[ServicePayment] = field(default_factory=list)
    references: list[tuple[str, str]] = field(default_factory=list)
    header_number: str | None = None  # LX01 of the enclosing 2000 loop

    @property
    def is_reversal(self) -> bool:
        return self.status_code == "22"


@dataclass(slots=True)
class ProviderAdjustment:
    """One PLB reason/amount pair. Positive reduces the payment."""

    provider_id: str
    fiscal_period_end: date | None
    reason: str  # PLB03-1 e.g. WO, L6, FB, CV
    reference: str | None  # PLB03-2 (often a claim/ICN)
    amount: Decimal


@dataclass(frozen=True, slots=True)
class BalanceProblem:
    level: str  # "line", "claim", "transaction"
    message: str
    claim_index: int | None = None  # 0-based within the transaction
    line_index: int | None = None
    patient_control_number: str | None = None
    expected: Decimal | None = None
    actual: Decimal | None = None

    def __str__(self) -> str:
        return self.message


@dataclass(slots=True)
class BalanceResult:
    problems: list[BalanceProblem] = field(default_factory=list)
    claims_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class Remittance:
    """One 835 transaction set."""

    control_number: str
    payment: Payment
    payer: Party | None = None
    payee: Party | None = None
    production_date: date | None = None  # DTM*405
    receiver_id: str | None = None  # REF*EV
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    balance: BalanceResult = field(default_factory=BalanceResult)
    envelope: EnvelopeInfo | None = None
    issues: list[Issue] = field(default_factory=list)
    type: str = "835"
