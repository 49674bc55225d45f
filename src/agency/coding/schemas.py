"""Request and response shapes of the coding workflow. Write shapes forbid unknown fields."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import msgspec


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class LineCodesIn(Strict, kw_only=True):
    line_number: int
    procedure_code: str
    modifiers: list[str] = []
    units: Decimal | None = None
    diagnosis_pointers: list[int] = msgspec.field(default_factory=lambda: [1])


class CodesIn(Strict, kw_only=True):
    diagnoses: list[str]
    lines: list[LineCodesIn] = []
    reason: str


class QuestionIn(Strict, kw_only=True):
    question: str


class MessageIn(Strict, kw_only=True):
    body: str


class QueueItem(msgspec.Struct):
    encounter_id: uuid.UUID
    practice_id: uuid.UUID
    date_of_service: date
    place_of_service: str
    status: str
    duplicate_flag: bool
    open_queries: int


class QueuePage(msgspec.Struct):
    items: list[QueueItem]
    next_cursor: str | None


class ChangeOut(msgspec.Struct):
    seq: int
    actor: str
    actor_role: str
    changed_at: datetime
    reason: str
    before: dict
    after: dict


class HistoryOut(msgspec.Struct):
    encounter_id: uuid.UUID
    status: str
    original: dict
    current: dict
    changes: list[ChangeOut]


class CodedOut(msgspec.Struct):
    encounter_id: uuid.UUID
    status: str
    priced_lines: list[int]


class MessageOut(msgspec.Struct):
    id: uuid.UUID
    author: str
    author_role: str
    created_at: datetime
    body: str


class QueryOut(msgspec.Struct):
    id: uuid.UUID
    encounter_id: uuid.UUID
    status: str
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    messages: list[MessageOut] | None = None
