"""The per-practice hash chain: canonical encoding and hashing of one record.

``hash = SHA-256(prev_hash || canonical(record))`` where canonical is compact JSON
with sorted keys over every stored column except ``hash`` itself. The first
record of a practice chains to ``GENESIS`` (32 zero bytes).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = bytes(32)
FIELDS = ("tenant_id", "id", "seq", "agency_id", "occurred_at", "actor_type", "actor_id", "role", "action",
          "resource_type", "resource_id", "source_ip", "request_id", "prev_hash")


def _value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "occurred_at":
        assert isinstance(value, datetime)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if name == "prev_hash":
        return bytes(value).hex()
    if name == "seq":
        return int(value)
    return str(value)


def canonical(record: Any) -> bytes:
    data = {name: _value(name, getattr(record, name)) for name in FIELDS}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def record_hash(record: Any) -> bytes:
    return hashlib.sha256(bytes(record.prev_hash) + canonical(record)).digest()
