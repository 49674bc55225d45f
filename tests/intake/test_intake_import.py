"""CSV import through the service and the job function, against real PostgreSQL:
good rows imported, bad rows reported precisely, nothing half-saved, the same
file twice creates nothing, an interrupted job resumes without duplicates."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from agency.encounters.models import Encounter, EncounterDiagnosis, EncounterLine
from agency.intake import service as intake
from agency.intake.csvfile import CsvFileError
from agency.intake.models import IntakeBatch
from agency.keys.runtime import cipher_for
from agency.patients.models import Patient
from intake_support import ref, row, to_csv
from support import make_practice_setup


def upload(db, scope, data, name="visits.csv"):
    with db.sessions.tenant_unit(scope) as s:
        batch, created = intake.create_batch(s, cipher_for(db), scope, data, filename=name, created_by="user:test")
        return batch.id, created


def errors(db, scope, batch_id):
    with db.sessions.tenant_unit(scope) as s:
        return list(intake.error_rows(s, cipher_for(db), scope.tenant_id, batch_id))


def batch(db, scope, batch_id) -> IntakeBatch:
    with db.sessions.tenant_unit(scope) as s:
        return s.get(IntakeBatch, (scope.tenant_id, batch_id))


def count(db, scope, model, **where):
    with db.sessions.tenant_unit(scope) as s:
        stmt = sa.select(sa.func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return s.scalar(stmt)


def test_mixed_file_imports_exactly_the_good_encounters_and_reports_each_bad_row(db, tenancy, code_sets):
    scope = tenancy.a1
    setup = make_practice_setup(db, scope)
    good1, good2, bad_code, bad_date, bad_npi, bad_mod = (ref() for _ in range(6))
    rows = [
        row(setup, good1), row(setup, good1, procedure_code="J1100", units="2", diagnosis_1="I10", ndc="00409-4888-02",
                               ndc_unit="ML", ndc_quantity="1"),
        row(setup, good2, patient_mrn="", patient_last_name="Okonkwo-Bright", patient_date_of_birth="02/29/1988",
            payer_code="", member_id="", modifier_1="25", diagnosis_2="I10"),
        row(setup, bad_code, diagnosis_1="E11"),                                  # header code, not billable
        row(setup, bad_code),                                                     # held back by its sibling
        row(setup, bad_date, date_of_service="2026-02-30"),                      # impossible date
        row(setup, bad_npi, rendering_npi="1999999999"),                         # unknown provider
        row(setup, bad_mod, modifier_1="ZZ", payer_code="NOPE"),                  # bad modifier + unknown payer
    ]
    bid, created = upload(db, scope, to_csv(rows))
    assert created
    assert intake.run_import(db.sessions, cipher_for(db), scope.tenant_id, bid) == "completed"

    b = batch(db, scope, bid)
    assert (b.rows_total, b.rows_done, b.rows_imported, b.rows_failed) == (8, 8, 3, 5)
    assert (b.encounters_created, b.groups_total, b.groups_done) == (2, 6, 6)
    assert count(db, scope, Encounter, intake_batch_id=bid) == 2
    with db.sessions.tenant_unit(scope) as s:
        encs = {e.external_id: e for e in s.scalars(sa.select(Encounter).where(Encounter.intake_batch_id == bid))}
        assert set(encs) == {good1, good2}
        e1 = encs[good1]
        assert (e1.status, e1.source, e1.place_of_service) == ("to_code", "csv", "11")
        dx = [d.code for d in s.scalars(sa.select(EncounterDiagnosis).where(
            EncounterDiagnosis.encounter_id == e1.id).order_by(EncounterDiagnosis.position))]
        assert dx == ["E119", "I10"]
        lines = list(s.scalars(sa.select(EncounterLine).where(EncounterLine.encounter_id == e1.id)
                               .order_by(EncounterLine.line_number)))
        assert [(ln.procedure_code, ln.diagnosis_pointers, ln.ndc) for ln in lines] == [
            ("99213", [1], None), ("J1100", [2], "00409488802")]
    # rows are numbered as a spreadsheet shows them (header = row 1)
    got = errors(db, scope, bid)
    by_row = {}
    for r, col, reason in got:
        by_row.setdefault(r, []).append((col, reason))
    assert sorted(by_row) == [5, 6, 7, 8, 9]
    assert by_row[5] == [("diagnosis_1", "E11 is a category header, not billable; use a more specific code such as "
                                         "E11.9")]
    assert by_row[6][0][0] == "encounter_ref" and "row 5 of the same encounter has errors" in by_row[6][0][1]
    assert by_row[7] == [("date_of_service", "date_of_service is not a real calendar date (month 1-12, day within "
                                             "the month)")]
    assert by_row[8] == [("rendering_npi", "NPI 1999999999 is not a rendering provider of this practice; add it in "
                                           "practice setup")]
    assert sorted(by_row[9]) == [("modifier_1", "ZZ is not a known modifier for dates of service on 2026-03-02"),
                                 ("payer_code", "payer code 'NOPE' is not in the agency's payer directory")]


def test_same_file_twice_creates_nothing_new(db, tenancy, code_sets):
    scope = tenancy.a1
    setup = make_practice_setup(db, scope)
    data = to_csv([row(setup, ref()), row(setup, ref(), patient_mrn="", patient_last_name="Abernathy")])
    bid, created = upload(db, scope, data)
    intake.run_import(db.sessions, cipher_for(db), scope.tenant_id, bid)
    before = (count(db, scope, Encounter), count(db, scope, Patient), count(db, scope, IntakeBatch))
    again, created_again = upload(db, scope, data, name="visits (1).csv")
    assert again == bid and not created_again
    assert intake.run_import(db.sessions, cipher_for(db), scope.tenant_id, again) == "completed"
    assert (count(db, scope, Encounter), count(db, scope, Patient), count(db, scope, IntakeBatch)) == before


def test_same_encounters_in_a_new_file_are_reported_not_imported_again(db, tenancy, code_sets):
    scope = tenancy.a1
    setup = make_practice_setup(db, scope)
    r1 = row(setup, ref())
    bid, _ = upload(db, scope, to_csv([r1]))
    intake.run_import(db.sessions, cipher_for(db), scope.tenant_id, bid)
    r2 = row(setup, ref(), patient_mrn=r1["patient_mrn"], member_id=r1["member_id"])  # new ref, same patient, date and code: likely duplicate
    bid2, _ = upload(db, scope, to_csv([r1, r2]))
    intake.run_import(db.sessions, cipher_for(db), scope.tenant_id, bid2)
    errs = errors(db, scope, bid2)
    assert [(r, c) for r, c, _ in errs] == [(2, "encounter_ref")]
    assert "was already imported" in errs[0][2]
    with db.sessions.tenant_unit(scope) as s:
        dup = s.scalar(sa.select(Encounter).where(Encounter.external_id == r2["encounter_ref"]))
        first = s.scalar(sa.select(Encounter).where(Encounter.external_id == r1["encounter_ref"]))
    assert dup.duplicate_flag and dup.duplicate_of == first.id  # flagged, not merged
    assert not first.duplicate_flag


def test_interrupted_job_resumes_without_duplicates(db, tenancy, code_sets):
    scope = tenancy.a1
    setup = make_practice_setup(db, scope)
    rows = []
    for i in range(30):
        r = ref()
        rows += [row(setup, r, patient_mrn=f"MRN-R{i % 7}", patient_last_name=f"Resume{i % 7}"),
                 row(setup, r, procedure_code="G0439", patient_mrn=f"MRN-R{i % 7}",
                     patient_last_name=f"Resume{i % 7}")]
    bid, _ = upload(db, scope, to_csv(rows))

    class Crash(Exception):
        pass

    def crash_after_two(done):
        if done >= 10:
            raise Crash()

    with pytest.raises(Crash):
        intake.run_import(db.sessions, cipher_for(db), scope.tenant_id, bid, chunk_rows=10,
                          after_chunk=crash_after_two)
    b = batch(db, scope, bid)
    assert b.status == "running" and b.groups_done == 10 and b.rows_imported == 20
    assert count(db, scope, Encounter, intake_batch_id=bid) == 10
    assert intake.run_import(db.sessions, cipher_for(db), scope.tenant_id, bid, chunk_rows=10) == "completed"
    b = batch(db, scope, bid)
    assert (b.rows_imported, b.rows_failed, b.encounters_created) == (60, 0, 30)
    assert count(db, scope, Encounter, intake_batch_id=bid) == 30
    assert intake.run_import(db.sessions, cipher_for(db), scope.tenant_id, bid) == "completed"  # a redelivery
    assert count(db, scope, Encounter, intake_batch_id=bid) == 30
    with db.sessions.tenant_unit(scope) as s:
        assert s.scalar(sa.select(sa.func.count(sa.distinct(Encounter.patient_id))).where(
            Encounter.intake_batch_id == bid)) == 7


@pytest.mark.parametrize("data, message", [
    ("encounter_ref,patient_last_name\n".encode("utf-16"), "UTF-16"),
    ("encounter_ref,patient_last_name,x\nA,Müller,1\n".encode("latin-1"), "not UTF-8: line 2"),
    (b"encounter_ref;patient_last_name;date_of_service\nA;B;C\n", "semicolons"),
    (b"encounter_ref\tpatient_last_name\nA\tB\n", "tabs"),
    (b"", "empty"),
])
def test_file_level_problems_store_nothing(db, tenancy, data, message):
    scope = tenancy.a1
    with pytest.raises(CsvFileError, match=message):
        upload(db, scope, data)
    assert count(db, scope, IntakeBatch) == 0
