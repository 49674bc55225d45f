"""Shapes of the denial work-queue routes. Write shapes forbid unknown fields."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import msgspec


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class DenialOut(msgspec.Struct):
    id: uuid.UUID
    practice_id: uuid.UUID
    claim_id: uuid.UUID
    claim_line_id: uuid.UUID | None
    era_id: uuid.UUID | None
    payer_id: uuid.UUID | None
    kind: str
    category: str
    category_label: str
    category_flagged: bool
    group_code: str | None
    carc: str | None
    rarcs: list[str]
    amount_at_stake: Decimal
    assignee_id: uuid.UUID | None
    due_date: date | None
    appeal_deadline: date | None
    timely_filing_deadline: date | None
    status: str
    created_at: datetime
    updated_at: datetime
    row_version: int


class NoteOut(msgspec.Struct):
    at: str
    by: str
    text: str


class AppealOut(msgspec.Struct):
    id: uuid.UUID
    denial_item_id: uuid.UUID
    level: int
    letter_size: int
    created_by: str
    created_at: datetime


class DenialDetail(msgspec.Struct):
    item: DenialOut
    notes: list[NoteOut]
    appeals: list[AppealOut]


class DenialPage(msgspec.Struct):
    items: list[DenialOut]
    next_cursor: str | None


class DenialPatch(Strict):
    assignee_id: uuid.UUID | None = None
    unassign: bool = False
    status: str | None = None


class NoteIn(Strict):
    text: str


class CorrectedIn(Strict):
    frequency: str = "7"


class ClaimRef(msgspec.Struct):
    claim_id: uuid.UUID
    frequency: str
    sequence: int
    state: str
    denial_status: str


class AppealIn(Strict):
    argument: str
    signer: str


class WriteOffIn(Strict):
    reason_code: str
    note: str | None = None
    amount: Decimal | None = None


class WriteOffOut(msgspec.Struct):
    id: uuid.UUID
    denial_item_id: uuid.UUID
    amount: Decimal
    reason_code: str
