"""Cursor pagination: opaque cursors, bounded page sizes.

A cursor is base64url(JSON) of the last row's sort key. It is opaque to clients
(they pass back ``next_cursor`` unchanged) but carries no authority: every page
query still runs under the caller's scope and RLS. A tampered or malformed
cursor is a 400 problem.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from agency.api.problems import BadRequest

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True, default=str).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str | None, fields: tuple[str, ...]) -> dict[str, str] | None:
    if not cursor:
        return None
    try:
        if len(cursor) > 512:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict) or set(data) != set(fields) or not all(
                isinstance(v, str) for v in data.values()):
            raise ValueError
        return data
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The cursor is not valid; pass back next_cursor unchanged.") from None


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}.")
    return limit


def page_of(rows: list[T], limit: int, key) -> Page[T]:  # noqa: ANN001
    """``rows`` fetched with ``limit + 1``; ``key(row)`` gives the cursor dict."""
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, encode_cursor(key(rows[-1])))
    return Page(rows, None)
