"""CSV builders for the intake tests (imported by the test modules of this folder)."""

from __future__ import annotations

import csv
import io
import uuid

from agency.intake.csvfile import NAMES


def row(setup, ref: str, **over) -> dict[str, str]:
    base = {n: "" for n in NAMES}
    base.update(encounter_ref=ref, patient_mrn=f"MRN-{ref}", patient_last_name="Quinterra",
                patient_first_name="Wilhelmina", patient_date_of_birth="1970-05-17", patient_sex="F",
                payer_code=setup.payer_code, member_id=f"M{ref}", rendering_npi=setup.npi,
                location_code=setup.location_code, date_of_service="2026-03-02", procedure_code="99213",
                units="1", charge="125.00", diagnosis_1="E11.9")
    base.update(over)
    return base


def to_csv(rows: list[dict[str, str]], *, header=NAMES) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header])
    return out.getvalue().encode("utf-8")


def ref() -> str:
    return "V" + uuid.uuid4().hex[:10]
