"""Plain (decrypted) shapes of patients, as services hand them to callers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date


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


@dataclass(frozen=True)
class PatientView:
    id: uuid.UUID
    data: PatientData
    coverages: list[CoverageData] = field(default_factory=list)
