"""All queries on patients and coverages (tenant-filtered; RLS is the backstop)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.patients.models import Patient, PatientCoverage


class PatientRepository:
    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def add(self, obj: Patient | PatientCoverage) -> None:
        if obj.tenant_id != self.tenant_id:
            raise ValueError("object belongs to another practice")
        self.session.add(obj)

    def get(self, patient_id: uuid.UUID) -> Patient | None:
        return self.session.scalar(sa.select(Patient).where(Patient.tenant_id == self.tenant_id,
                                                            Patient.id == patient_id))

    def by_name_dob_index(self, bidx: int) -> list[Patient]:
        return list(self.session.scalars(sa.select(Patient).where(
            Patient.tenant_id == self.tenant_id, Patient.bidx_name_dob == bidx)))

    def by_mrn_index(self, bidx: int) -> list[Patient]:
        return list(self.session.scalars(sa.select(Patient).where(
            Patient.tenant_id == self.tenant_id, Patient.bidx_mrn == bidx)))

    def coverages_by_member_index(self, bidx: int) -> list[PatientCoverage]:
        return list(self.session.scalars(sa.select(PatientCoverage).where(
            PatientCoverage.tenant_id == self.tenant_id, PatientCoverage.bidx_member_id == bidx)))

    def coverages(self, patient_id: uuid.UUID) -> list[PatientCoverage]:
        return list(self.session.scalars(sa.select(PatientCoverage).where(
            PatientCoverage.tenant_id == self.tenant_id, PatientCoverage.patient_id == patient_id)
            .order_by(PatientCoverage.rank)))
