"""Small canonicalisation helpers shared by the kernel (no key material)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["canonical_json", "canonical_tenant_id", "canonical_row_id", "check_context"]


def canonical_json(obj: Mapping[str, Any]) -> bytes:
    """Deterministic JSON: sorted keys, no whitespace, ASCII only."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def canonical_tenant_id(tenant_id: Any) -> str:
    """Tenant ids are UUIDs; return the lowercase hyphenated form.

    Accepts ``uuid.UUID``, ``uuid_utils.UUID`` or any string ``uuid.UUID``
    parses.  Anything else is a ``ValueError`` (tenant ids also name KEK
    files and KMS aliases, so they must never be free text).
    """
    if isinstance(tenant_id, uuid.UUID):
        return str(tenant_id)
    if isinstance(tenant_id, (bool, int, float, bytes)) or tenant_id is None:
        raise ValueError("tenant_id must be a UUID")
    try:
        return str(uuid.UUID(str(tenant_id)))
    except ValueError:
        raise ValueError("tenant_id must be a UUID") from None


def canonical_row_id(row_id: Any) -> str:
    """Row/file ids as bound into AAD: UUIDs in canonical form, ints in
    decimal, other strings as given (non-empty)."""
    if isinstance(row_id, bool) or row_id is None:
        raise ValueError("row_id must be a UUID, int or non-empty str")
    if isinstance(row_id, int):
        return str(row_id)
    if isinstance(row_id, uuid.UUID):
        return str(row_id)
    if isinstance(row_id, (bytes, bytearray, memoryview, float)):
        raise ValueError("row_id must be a UUID, int or non-empty str")
    s = str(row_id)
    if not s:
        raise ValueError("row_id must be a UUID, int or non-empty str")
    try:
        return str(uuid.UUID(s))
    except ValueError:
        return s


def check_context(context: Mapping[str, str]) -> dict[str, str]:
    """Validate an encryption context (str -> str) and return a plain dict."""
    out: dict[str, str] = {}
    for k, v in context.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError("encryption context keys and values must be str")
        out[k] = v
    return out
