"""The export offered before a practice is offboarded (returned to the practice per the BAA)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import sqlalchemy as sa

from agency.db.runtime import Database
from agency.keys.runtime import cipher_for
from agency.patients.models import Patient, PatientCoverage
from agency.patients.service import open_coverage, open_patient
from tenants.scope import TenantScope


def export_patients(db: Database, scope: TenantScope, directory: Path) -> tuple[Path, int]:
    """Write every patient with coverages as JSON lines to a 0600 file in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"practice-{scope.tenant_id}-patients.jsonl"
    cipher = cipher_for(db)
    count = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out, db.sessions.tenant_unit(scope) as session:
        coverages: dict = {}
        for c in session.scalars(sa.select(PatientCoverage).where(PatientCoverage.tenant_id == scope.tenant_id)):
            coverages.setdefault(c.patient_id, []).append(asdict(open_coverage(cipher, c)))
        for p in session.scalars(sa.select(Patient).where(Patient.tenant_id == scope.tenant_id)
                                 .order_by(Patient.id)):
            record = {"id": str(p.id), **asdict(open_patient(cipher, p)), "coverages": coverages.get(p.id, [])}
            out.write(json.dumps(record, default=str) + "\n")
            count += 1
    return path, count
