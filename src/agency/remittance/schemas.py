"""Response and request shapes of the remittance routes (PHI-free except what the
caller may read with phi:read: ids, codes and amounts)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import msgspec


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class EraOut(msgspec.Struct):
    id: uuid.UUID
    status: str
    payer_code: str
    payer_name: str | None
    payer_id: uuid.UUID | None
    trace_number: str
    payment_amount: Decimal
    payment_method: str | None
    payment_date: date | None
    claim_count: int
    park_reason: str | None
    problems: list[str]
    attempts: int
    posted_at: datetime | None
    created_at: datetime


class EraClaimOut(msgspec.Struct):
    id: uuid.UUID
    claim_id: uuid.UUID
    clp_index: int
    pcn: str
    payer_claim_number: str | None
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    outcome: str
    category: str | None
    reverses_id: uuid.UUID | None
    reversed_by_id: uuid.UUID | None


class ProviderAdjustmentOut(msgspec.Struct):
    reason: str
    reference: str | None
    amount: Decimal
    fiscal_period_end: date | None


class ExceptionOut(msgspec.Struct):
    id: uuid.UUID
    era_id: uuid.UUID
    clp_index: int | None
    line_index: int | None
    pcn: str | None
    claim_id: uuid.UUID | None
    reason_code: str
    reason: str
    status: str
    resolved_claim_line_id: uuid.UUID | None
    created_at: datetime


class EraDetail(msgspec.Struct):
    era: EraOut
    claims: list[EraClaimOut]
    provider_adjustments: list[ProviderAdjustmentOut]
    exceptions: list[ExceptionOut]
    payments_posted: Decimal
    reconciles: bool


class EraPage(msgspec.Struct):
    items: list[EraOut]
    next_cursor: str | None


class RepostOut(msgspec.Struct):
    era_id: uuid.UUID
    status: str
    reason: str | None


class LedgerEntryOut(msgspec.Struct):
    id: uuid.UUID
    claim_line_id: uuid.UUID | None
    era_id: uuid.UUID | None
    kind: str
    group_code: str | None
    carc: str | None
    rarcs: list[str]
    category: str | None
    amount: Decimal
    reverses_entry_id: uuid.UUID | None
    reverses_kind: str | None
    transfer_to: str | None
    target_claim_id: uuid.UUID | None
    created_at: datetime


class LedgerOut(msgspec.Struct):
    claim_id: uuid.UUID
    entries: list[LedgerEntryOut]
    totals: dict[str, Decimal]


class ResolveIn(Strict):
    claim_line_id: uuid.UUID | None = None
    dismiss: bool = False
