"""Small value objects shared by several transactions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str | None = None
    country: str | None = None


@dataclass(slots=True)
class Adjustment:
    """One CAS reason/amount(/quantity). Positive amounts reduce payment (guide section 10)."""

    group: str  # CO, PR, OA, PI (CR only from legacy payers)
    reason: str  # CARC
    amount: Decimal
    quantity: Decimal | None = None
