"""Request and response shapes of practice setup. Write shapes forbid unknown fields
(``tenant_id``, ``id``... are never accepted from a client); update shapes use
UNSET for "not sent" so ``null`` can clear an optional field; responses list
their fields explicitly."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import msgspec

from agency.practices.models import (BillingProvider, FeeScheduleEntry, PayerEnrollment, RenderingProvider,
                                     ServiceLocation)

UNSET = msgspec.UNSET
U = msgspec.UnsetType


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


# --- billing providers -------------------------------------------------------------

class BillingProviderIn(Strict, kw_only=True):
    name: str
    npi: str
    tin: str
    taxonomy: str | None = None
    address_line1: str
    address_line2: str | None = None
    city: str
    state: str
    zip: str
    phone: str | None = None
    is_default: bool = False


class BillingProviderUpdate(Strict, kw_only=True):
    name: str | U = UNSET
    npi: str | U = UNSET
    tin: str | U = UNSET
    taxonomy: str | None | U = UNSET
    address_line1: str | U = UNSET
    address_line2: str | None | U = UNSET
    city: str | U = UNSET
    state: str | U = UNSET
    zip: str | U = UNSET
    phone: str | None | U = UNSET
    is_default: bool | U = UNSET


class BillingProviderOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    npi: str
    tin: str
    taxonomy: str | None
    address_line1: str
    address_line2: str | None
    city: str
    state: str
    zip: str
    phone: str | None
    is_default: bool

    @classmethod
    def of(cls, x: BillingProvider) -> "BillingProviderOut":
        return cls(x.id, x.name, x.npi, x.tin, x.taxonomy, x.address_line1, x.address_line2, x.city, x.state,
                   x.zip, x.phone, x.is_default)


# --- service locations -------------------------------------------------------------

class LocationIn(Strict, kw_only=True):
    code: str
    name: str
    place_of_service: str
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    npi: str | None = None


class LocationUpdate(Strict, kw_only=True):
    code: str | U = UNSET
    name: str | U = UNSET
    place_of_service: str | U = UNSET
    address_line1: str | None | U = UNSET
    address_line2: str | None | U = UNSET
    city: str | None | U = UNSET
    state: str | None | U = UNSET
    zip: str | None | U = UNSET
    npi: str | None | U = UNSET


class LocationOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    name: str
    place_of_service: str
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    npi: str | None = None

    @classmethod
    def of(cls, x: ServiceLocation) -> "LocationOut":
        return cls(x.id, x.code, x.name, x.place_of_service, x.address_line1, x.address_line2, x.city, x.state,
                   x.zip, x.npi)


# --- rendering providers -----------------------------------------------------------

class ProviderIn(Strict, kw_only=True):
    npi: str
    first_name: str
    last_name: str
    taxonomy: str | None = None
    default_location_id: uuid.UUID | None = None


class ProviderUpdate(Strict, kw_only=True):
    npi: str | U = UNSET
    first_name: str | U = UNSET
    last_name: str | U = UNSET
    taxonomy: str | None | U = UNSET
    default_location_id: uuid.UUID | None | U = UNSET


class ProviderOut(msgspec.Struct):
    id: uuid.UUID
    npi: str
    first_name: str
    last_name: str
    taxonomy: str | None
    default_location_id: uuid.UUID | None = None

    @classmethod
    def of(cls, x: RenderingProvider) -> "ProviderOut":
        return cls(x.id, x.npi, x.first_name, x.last_name, x.taxonomy, x.default_location_id)


# --- payer enrollments -------------------------------------------------------------

class EnrollmentIn(Strict, kw_only=True):
    """The payer by id or X12 payer code (of the practice's agency)."""

    payer_id: uuid.UUID | None = None
    payer_code: str | None = None
    billing_provider_id: uuid.UUID
    status: str = "pending"
    effective_from: date | None = None
    effective_to: date | None = None
    era_enrolled: bool = False


class EnrollmentUpdate(Strict, kw_only=True):
    status: str | U = UNSET
    effective_from: date | None | U = UNSET
    effective_to: date | None | U = UNSET
    era_enrolled: bool | U = UNSET


class EnrollmentOut(msgspec.Struct):
    id: uuid.UUID
    payer_id: uuid.UUID
    billing_provider_id: uuid.UUID
    status: str
    effective_from: date | None
    effective_to: date | None
    era_enrolled: bool

    @classmethod
    def of(cls, x: PayerEnrollment) -> "EnrollmentOut":
        return cls(x.id, x.payer_id, x.billing_provider_id, x.status, x.effective_from, x.effective_to,
                   x.era_enrolled)


# --- fee schedule --------------------------------------------------------------------

class FeeIn(Strict, kw_only=True):
    procedure_code: str
    modifier: str = ""
    amount: Decimal
    effective_from: date
    effective_to: date | None = None


class FeeBulkIn(Strict, kw_only=True):
    entries: list[FeeIn]


class FeeOut(msgspec.Struct):
    id: uuid.UUID
    procedure_code: str
    modifier: str
    amount: Decimal
    effective_from: date
    effective_to: date | None

    @classmethod
    def of(cls, x: FeeScheduleEntry) -> "FeeOut":
        return cls(x.id, x.procedure_code, x.modifier, x.amount, x.effective_from, x.effective_to)


class FeeBulkOut(msgspec.Struct):
    created: int
    updated: int
    items: list[FeeOut]
