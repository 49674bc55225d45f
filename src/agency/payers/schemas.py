"""Request and response shapes of the payer directory. Write shapes forbid unknown
fields (no ``agency_id``/``id`` mass assignment); responses list their fields."""
from __future__ import annotations

import uuid

import msgspec

from agency.payers.models import Payer


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class PayerCreate(Strict, kw_only=True):
    payer_code: str
    name: str
    claim_type: str = "professional"
    clearinghouse_route: str | None = None
    timely_filing_days: int = 365
    corrected_claim_needs_payer_claim_number: bool = True
    filing_indicator: str = "CI"
    active: bool = True


class PayerUpdate(Strict, kw_only=True):
    """Only the fields sent change; ``clearinghouse_route: null`` clears the route."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    claim_type: str | msgspec.UnsetType = msgspec.UNSET
    clearinghouse_route: str | None | msgspec.UnsetType = msgspec.UNSET
    timely_filing_days: int | msgspec.UnsetType = msgspec.UNSET
    corrected_claim_needs_payer_claim_number: bool | msgspec.UnsetType = msgspec.UNSET
    filing_indicator: str | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class PayerOut(msgspec.Struct):
    id: uuid.UUID
    payer_code: str
    name: str
    claim_type: str
    clearinghouse_route: str | None
    timely_filing_days: int
    corrected_claim_needs_payer_claim_number: bool
    filing_indicator: str
    active: bool

    @classmethod
    def of(cls, p: Payer) -> "PayerOut":
        return cls(p.id, p.payer_code, p.name, p.claim_type, p.clearinghouse_route, p.timely_filing_days,
                   p.corrected_claim_needs_payer_claim_number, p.filing_indicator, p.active)


class PayerPage(msgspec.Struct):
    items: list[PayerOut]
    next_cursor: str | None
