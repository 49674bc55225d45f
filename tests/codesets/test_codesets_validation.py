"""Validation by date of service against real PostgreSQL, as the runtime role;
releases loaded as the owner role (see codesets_support.loaded)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from agency.codesets import service
from agency.codesets.service import (CodeSetCache, validate_diagnosis, validate_modifier,
                                     validate_place_of_service, validate_procedure)
from codesets_support import loaded, owner_engine, rt  # noqa: F401  (fixtures)

D = date.fromisoformat


def test_bundled_icd10cm_is_fy2026_and_labelled_so(loaded, rt):
    icd = next(r for r in loaded["bundled"] if r.system == "icd10cm")
    assert icd.version == "FY2026"
    assert (icd.effective_from, icd.effective_to) == (D("2025-10-01"), D("2026-09-30"))
    release = service.releases(rt, "icd10cm")
    fy26 = next(r for r in release if r.version == "FY2026")
    assert fy26.bundled and fy26.billable_count == 74_719
    assert "simple-icd-10-cm 1.5.0" in fy26.source and "April 1, 2026 update" in fy26.notes


def test_code_added_in_a_later_year_is_refused_for_an_earlier_date(rt):
    before = validate_diagnosis(rt, "E11.B", D("2026-09-30"))
    assert not before.ok
    assert before.reason == "E11.B is not valid for dates of service before 2026-10-01 (ICD-10-CM FY2027)"
    after = validate_diagnosis(rt, "E11.B", D("2026-10-01"))
    assert after.ok and after.release == "FY2027"


def test_code_absent_from_the_later_year_is_refused_after_it(rt):
    assert validate_diagnosis(rt, "F32.A", D("2026-09-30")).ok
    check = validate_diagnosis(rt, "F32.A", D("2026-10-01"))
    assert not check.ok
    assert check.reason == ("F32.A is not valid for dates of service after 2026-09-30 "
                            "(last in ICD-10-CM FY2026; deleted since)")


def test_header_codes_are_not_billable(rt):
    check = validate_diagnosis(rt, "E11", D("2026-03-01"))
    assert not check.ok
    assert check.reason == "E11 is a category header, not billable; use a more specific code such as E11.9"
    sub = validate_diagnosis(rt, "J45.90", D("2026-03-01"))
    assert sub.reason == ("J45.90 is a subcategory header, not billable; use a more specific code such as "
                          "J45.909")
    seventh = validate_diagnosis(rt, "S52.521", D("2026-03-01"))
    assert seventh.reason.startswith("S52.521 needs a 7th character, it is not billable alone; use e.g. S52.521")
    assert validate_diagnosis(rt, "S52.521A", D("2026-03-01")).ok
    assert not validate_diagnosis(rt, "E11", D("2026-10-02")).ok  # FY2027 fixture says header too


def test_normalisation_and_format(rt):
    ok = validate_diagnosis(rt, " e11.9 ", D("2026-03-01"))
    assert ok.ok and ok.code == "E119"
    assert validate_diagnosis(rt, "E119", D("2026-03-01")).ok
    assert "the dot belongs after the third character" in validate_diagnosis(rt, "E1.19", D("2026-03-01")).reason
    assert "is not an ICD-10-CM code" in validate_diagnosis(rt, "1E19", D("2026-03-01")).reason
    unknown = validate_diagnosis(rt, "E11.99", D("2026-03-01"))
    assert unknown.reason == ("E11.99 is not a code in ICD-10-CM FY2026 "
                              "(dates of service 2025-10-01 to 2026-09-30)")


def test_april_2026_additions_are_valid_only_from_april(rt):
    assert validate_diagnosis(rt, "QA0.0101", D("2026-04-01")).ok
    check = validate_diagnosis(rt, "QA0.0101", D("2026-03-31"))
    assert check.reason == "QA0.0101 is not valid for dates of service before 2026-04-01 (ICD-10-CM FY2026)"


def test_no_release_for_the_date(rt):
    check = validate_diagnosis(rt, "I10", D("2015-11-01"))
    assert not check.ok and "no ICD-10-CM code set is loaded for date of service 2015-11-01 (FY2016)" in check.reason
    assert "--year 2016" in check.reason


def test_cpt_format_rules_without_a_licensed_file(rt):
    dos = D("2026-05-01")
    for code, kind in (("99213", "CPT Category I"), ("0001F", "CPT Category II"), ("0042T", "CPT Category III"),
                       ("0001U", "CPT PLA")):
        check = validate_procedure(rt, code, dos)
        assert check.ok and check.system == "cpt" and check.reason.startswith(f"{kind} format is valid")
    assert "has 4 characters" in validate_procedure(rt, "9921", dos).reason
    assert "the 5th character must be" in validate_procedure(rt, "9921X", dos).reason
    assert "neither CPT" in validate_procedure(rt, "Z1234", dos).reason
    assert "neither CPT" in validate_procedure(rt, "A12B4", dos).reason


def test_cpt_membership_when_a_licensed_file_covers_the_date(owner_engine, rt):
    from codesets_support import CPT_FILE

    with Session(owner_engine) as s, s.begin():
        result = service.load_cpt_file(s, CPT_FILE, effective_from=D("2030-01-01"), effective_to=D("2030-12-31"),
                                       licensee="Fixture Billing LLC")
    assert result.rows == 6
    assert validate_procedure(rt, "99213", D("2030-06-01")).ok
    refused = validate_procedure(rt, "99215", D("2030-06-01"))
    assert not refused.ok and refused.reason.startswith("99215 is not a code in CPT 2030-01-01..2030-12-31")
    assert validate_procedure(rt, "99215", D("2031-01-01")).ok  # outside the licensed period: format only
    with pytest.raises(service.CodeSetError, match="licensee"):
        with Session(owner_engine) as s, s.begin():
            service.load_cpt_file(s, CPT_FILE, effective_from=D("2031-01-01"), effective_to=None, licensee=" ")


def test_hcpcs_against_the_quarterly_release(rt):
    dos = D("2026-02-10")
    assert validate_procedure(rt, "J1100", dos).ok
    assert validate_procedure(rt, "j1100", dos).release == "2026Q1"
    term = validate_procedure(rt, "G2012", dos)
    assert term.reason == ("G2012 was terminated: not valid for dates of service after 2024-12-31 "
                           "(HCPCS 2026Q1)")
    assert validate_procedure(rt, "G0560", D("2026-01-01")).ok
    assert "CDT dental code" in validate_procedure(rt, "D0120", dos).reason
    assert "is not a code in HCPCS Level II 2026Q1" in validate_procedure(rt, "J9999", dos).reason
    none = validate_procedure(rt, "J1100", D("2025-06-01"))
    assert not none.ok and "no HCPCS Level II release is loaded for date of service 2025-06-01" in none.reason


def test_modifiers_and_place_of_service(rt):
    dos = D("2026-02-10")
    for m in ("25", "59", "XE", "XS", "XP", "XU", "26", "TC", "LT", "RT", "50", "51", "76", "77", "91",
              "GA", "GY", "GZ", "KX"):
        assert validate_modifier(rt, m, dos).ok, m
    assert validate_modifier(rt, "jw", dos).ok  # from the HCPCS file's modifier records
    assert "not valid for dates of service before 2015-01-01" in validate_modifier(rt, "XU", D("2014-06-01")).reason
    assert "is not a known modifier" in validate_modifier(rt, "Z9", dos).reason
    assert "2 letters or digits" in validate_modifier(rt, "5", dos).reason
    assert validate_place_of_service(rt, "11", dos).ok
    assert validate_place_of_service(rt, "10", D("2022-01-01")).ok
    assert "before 2022-01-01" in validate_place_of_service(rt, "10", D("2021-12-31")).reason
    assert validate_place_of_service(rt, "40", dos).reason == ("POS 40 is not assigned in the CMS "
                                                              "place-of-service code set")
    assert "2 digits" in validate_place_of_service(rt, "1", dos).reason


def test_cache_matches_single_calls_with_few_queries(db, rt):
    cases = [("dx", "E11.9", "2026-03-01"), ("dx", "E11", "2026-03-01"), ("dx", "E11.B", "2026-09-30"),
             ("dx", "E11.B", "2026-10-01"), ("dx", "F32.A", "2026-10-01"), ("dx", "E1.19", "2026-03-01"),
             ("dx", "S52.521", "2026-03-01"), ("px", "J1100", "2026-02-10"), ("px", "G2012", "2026-02-10"),
             ("px", "99213", "2026-02-10"), ("mod", "XS", "2026-02-10"), ("mod", "JW", "2026-02-10"),
             ("pos", "10", "2021-12-31"), ("pos", "11", "2026-02-10"), ("dx", "I10", "2015-11-01")]
    single = {"dx": validate_diagnosis, "px": validate_procedure, "mod": validate_modifier,
              "pos": validate_place_of_service}
    statements = []
    with Session(db.sync_engine) as session:
        conn = session.connection()
        event.listen(conn, "before_cursor_execute", lambda *a, **k: statements.append(a[2]))
        cache = CodeSetCache(session).preload(D("2026-01-01"), D("2026-12-31"))
        bulk = {"dx": cache.validate_diagnosis, "px": cache.validate_procedure, "mod": cache.validate_modifier,
                "pos": cache.validate_place_of_service}
        for _ in range(2000):  # 30,000 validations
            for kind, code, dos in cases:
                bulk[kind](code, D(dos))
        for kind, code, dos in cases:
            assert bulk[kind](code, D(dos)) == single[kind](rt, code, D(dos)), (kind, code, dos)
    # release list + one entries query per release touched + a few per distinct refused code
    assert len(statements) < 25, len(statements)


def test_runtime_role_cannot_change_code_sets(db, loaded):
    with Session(db.sync_engine) as session:
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            session.execute(sa.text("UPDATE code_set_entry SET billable = true WHERE code = 'E11'"))
        session.rollback()
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            session.execute(sa.text("DELETE FROM code_set_release"))
        session.rollback()
        assert session.scalar(sa.text("SELECT count(*) FROM code_set_release")) >= 4


def test_reload_is_idempotent_and_a_bad_file_loads_nothing(owner_engine, rt, tmp_path):
    from codesets_support import ICD_2027

    copy = tmp_path / "icd10cm_order_2029.txt"
    copy.write_bytes(ICD_2027.read_bytes())
    with Session(owner_engine) as s, s.begin():
        first = service.load_icd10cm_file(s, copy, year=2029, expect_billable=17)
    with Session(owner_engine) as s, s.begin():
        again = service.load_icd10cm_file(s, copy, year=2029)
    assert (first.status, again.status) == ("loaded", "unchanged")
    assert again.rows == first.rows == 31
    # a changed file replaces the release whole; a broken one changes nothing
    lines = ICD_2027.read_bytes().split(b"\n")
    copy.write_bytes(b"\n".join(lines[:-3]) + b"\n")
    with Session(owner_engine) as s, s.begin():
        assert service.load_icd10cm_file(s, copy, year=2029).status == "replaced"
    assert not validate_diagnosis(rt, "Z00.01", D("2029-01-01")).ok
    lines[20] = lines[20][:14] + b"7" + lines[20][15:]
    copy.write_bytes(b"\n".join(lines))
    with pytest.raises(service.CodeFileError, match="line 21, field billable flag"):
        with Session(owner_engine) as s, s.begin():
            service.load_icd10cm_file(s, copy, year=2029)
    assert not validate_diagnosis(rt, "Z00.01", D("2029-01-01")).ok  # still the replaced release
    bad_new = tmp_path / "icd10cm_order_2030.txt"
    bad_new.write_bytes(b"\n".join(lines))
    with pytest.raises(service.CodeFileError):
        with Session(owner_engine) as s, s.begin():
            service.load_icd10cm_file(s, bad_new, year=2030)
    assert [r for r in service.releases(rt, "icd10cm") if r.version == "FY2030"] == []
    with pytest.raises(service.CodeSetError, match="SHA-256"):
        with Session(owner_engine) as s, s.begin():
            service.load_icd10cm_file(s, copy, year=2029, sha256="0" * 64)
    with pytest.raises(service.CodeSetError, match="expected 99"):
        with Session(owner_engine) as s, s.begin():
            service.load_icd10cm_file(s, ICD_2027, year=2028, expect_billable=99)


def test_load_bundled_twice_is_a_no_op(owner_engine, loaded):
    with Session(owner_engine) as s, s.begin():
        results = service.load_bundled(s)
    assert [r.status for r in results] == ["unchanged", "unchanged", "unchanged"]
