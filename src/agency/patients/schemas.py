"""Plain (decrypted) shapes of patients, as services hand them to callers, and
the API's request/response shapes.

Write shapes forbid unknown fields (``tenant_id``, ``agency_id``, ``id``... are
never taken from a client: mass assignment is a 400 validation problem);
response shapes list their fields explicitly (an allow-list: a new column is
never exposed by accident)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

import msgspec


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str
    zip: str
    line2: str | None = None


@dataclass(frozen=True)
class PatientData:
    first_name: str
    last_name: str
    date_of_birth: date
    mrn: str | None = None
    middle_name: str | None = None
    sex: str | None = None  # M, F, U
    address: Address | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class CoverageData:
    rank: int
    member_id: str
    payer_id: uuid.UUID | None = None
    group_number: str | None = None
    relationship_code: str = "18"  # 18 = self (X12 individual relationship code)
    subscriber: dict | None = None
    effective_from: date | None = None
    effective_to: date | None = None


@dataclass(frozen=True)
class PatientView:
    id: uuid.UUID
    data: PatientData
    coverages: list[CoverageData] = field(default_factory=list)


# --- API shapes ------------------------------------------------------------------------

UNSET = msgspec.UNSET
U = msgspec.UnsetType


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class AddressIn(Strict, kw_only=True):
    line1: str
    line2: str | None = None
    city: str
    state: str
    zip: str


class SubscriberIn(Strict, kw_only=True):
    """The insured person when the patient is not the subscriber (relationship_code != 18)."""

    first_name: str
    last_name: str
    middle_name: str | None = None
    date_of_birth: date
    sex: str | None = None
    address: AddressIn | None = None


class CoverageIn(Strict, kw_only=True):
    """The payer by ``payer_id`` (uuid) or ``payer_code`` (X12 payer id) of the practice's agency."""

    rank: int
    payer_id: uuid.UUID | None = None
    payer_code: str | None = None
    member_id: str
    group_number: str | None = None
    relationship_code: str = "18"
    subscriber: SubscriberIn | None = None
    effective_from: date | None = None
    effective_to: date | None = None


class PatientIn(Strict, kw_only=True):
    first_name: str
    last_name: str
    middle_name: str | None = None
    date_of_birth: date
    mrn: str | None = None
    sex: str | None = None
    address: AddressIn | None = None
    phone: str | None = None
    email: str | None = None
    coverages: list[CoverageIn] = []


class PatientPatch(Strict, kw_only=True):
    """Only the fields sent change; ``null`` clears an optional one. ``row_version``
    (or the ``If-Match`` header) is the version the client last read."""

    first_name: str | U = UNSET
    last_name: str | U = UNSET
    middle_name: str | None | U = UNSET
    date_of_birth: date | U = UNSET
    mrn: str | None | U = UNSET
    sex: str | None | U = UNSET
    address: AddressIn | None | U = UNSET
    phone: str | None | U = UNSET
    email: str | None | U = UNSET
    row_version: int | U = UNSET


class CoveragesPut(Strict, kw_only=True):
    """The complete list of the patient's coverages (ranks not listed are removed)."""

    coverages: list[CoverageIn]
    row_version: int | U = UNSET


class SearchIn(Strict, kw_only=True):
    """Exactly one of: ``last_name`` + ``date_of_birth``, ``mrn``, ``member_id``."""

    last_name: str | None = None
    date_of_birth: date | None = None
    mrn: str | None = None
    member_id: str | None = None


class AddressOut(msgspec.Struct):
    line1: str
    line2: str | None
    city: str
    state: str
    zip: str


class SubscriberOut(msgspec.Struct):
    first_name: str
    last_name: str
    middle_name: str | None
    date_of_birth: date
    sex: str | None
    address: AddressOut | None


class CoverageOut(msgspec.Struct):
    id: uuid.UUID
    rank: int
    payer_id: uuid.UUID | None
    payer_code: str | None
    payer_name: str | None
    member_id: str
    group_number: str | None
    relationship_code: str
    subscriber: SubscriberOut | None
    effective_from: date | None
    effective_to: date | None


class PatientOut(msgspec.Struct):
    id: uuid.UUID
    row_version: int
    first_name: str
    middle_name: str | None
    last_name: str
    date_of_birth: date
    mrn: str | None
    sex: str | None
    address: AddressOut | None
    phone: str | None
    email: str | None
    coverages: list[CoverageOut]


class PatientSummaryOut(msgspec.Struct):
    id: uuid.UUID
    first_name: str
    last_name: str
    date_of_birth: date
    mrn: str | None
    sex: str | None


class SearchOut(msgspec.Struct):
    items: list[PatientSummaryOut]


class CoveragesOut(msgspec.Struct):
    patient_id: uuid.UUID
    row_version: int
    coverages: list[CoverageOut]
