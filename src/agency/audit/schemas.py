"""Audit query shapes (ids and types only: no PHI)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import msgspec

from agency.audit.models import AuditEvent

CSV_COLUMNS = ("occurred_at", "practice_id", "seq", "id", "agency_id", "actor_type", "actor_id", "role",
               "action", "resource_type", "resource_id", "source_ip", "request_id", "hash")


@dataclass(frozen=True)
class AuditFilter:
    user_id: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditEventOut(msgspec.Struct):
    id: uuid.UUID
    practice_id: uuid.UUID
    seq: int
    agency_id: uuid.UUID
    occurred_at: datetime
    actor_type: str
    actor_id: str
    role: str
    action: str
    resource_type: str
    resource_id: str | None
    source_ip: str | None
    request_id: str | None
    hash: str

    @classmethod
    def of(cls, e: AuditEvent) -> "AuditEventOut":
        return cls(e.id, e.tenant_id, e.seq, e.agency_id, e.occurred_at, e.actor_type, e.actor_id, e.role,
                   e.action, e.resource_type, e.resource_id, e.source_ip, e.request_id, bytes(e.hash).hex())

    def csv_row(self) -> list[str]:
        d = {"practice_id": self.practice_id, **{f: getattr(self, f) for f in CSV_COLUMNS if f != "practice_id"}}
        return ["" if d[c] is None else (d[c].isoformat() if isinstance(d[c], datetime) else str(d[c]))
                for c in CSV_COLUMNS]


class AuditPage(msgspec.Struct):
    items: list[AuditEventOut]
    next_cursor: str | None
