"""Stored results (round trip, re-run replaces, acknowledgements, tenant
isolation), per-payer configuration in the database, NCCI/MUE loaders and the
``agency scrubber`` CLI, code-set version by fiscal year."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.scrubber import Severity, scrub, service
from agency.scrubber.context import CachedCodeSets
from agency.scrubber.findings import Finding
from agency.scrubber.reference import NcciTables, ReferenceFileError, load_mue_file, load_ptp_file
from agency.scrubber.service import AgencyScrubConfigs, ScrubberError
from scrub_support import (FIXTURES, MUE_FILE, PTP_FILE, full_context, good_claim, line, lookups,  # noqa: F401
                           owner_engine_scrub, reference_loaded, subscriber, with_lines)
from tenants.scope import AgencyScope


def _findings(*specs) -> list[Finding]:
    return [Finding(rule, Severity(sev), msg, field, ln) for rule, sev, msg, field, ln in specs]


def stored_claim(db, scope) -> uuid.UUID:
    """A real claim of ``scope`` (scrub results reference their claim by a composite FK)."""
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "claims"))
    from claims_support import build, make_encounter, make_patient, setup_practice

    b = _BILLING.get(scope.tenant_id) or _BILLING.setdefault(scope.tenant_id, setup_practice(db, scope=scope))
    (claim_id, _, _), = build(db, b, make_encounter(db, b, make_patient(db, b)))
    return claim_id


_BILLING: dict = {}


def test_results_round_trip_and_rerun_replaces(db, tenancy, lookups, code_sets):  # noqa: F811
    claim_id, user = stored_claim(db, tenancy.a1), uuid.uuid4()
    claim = good_claim(subscriber=subscriber(filing_indicator="MB"), diagnoses=("E11", "I10"))
    with db.sessions.tenant_unit(tenancy.a1) as s:
        status = service.scrub_and_store(s, tenancy.a1.tenant_id, claim_id, claim, full_context(*lookups))
        assert (status.errors, status.warnings, status.blocked, status.ready) == (1, 1, True, False)
    with db.sessions.tenant_unit(tenancy.a1) as s:
        rows = service.results_for(s, claim_id)
        assert sorted((r.rule_id, r.severity, r.field) for r in rows) == [
            ("DX-VALID-ON-DOS", "error", "diagnoses[0]"), ("FILING-INDICATOR", "warning", "subscriber.filing_indicator")]
        assert all(r.rule_version == 1 and r.run_at is not None for r in rows)
        warning = next(r for r in rows if r.severity == "warning")
        error = next(r for r in rows if r.severity == "error")
        with pytest.raises(ScrubberError, match="cannot be acknowledged"):
            service.acknowledge(s, claim_id, error.id, user)
        service.acknowledge(s, claim_id, warning.id, user)
    # Fix the error and re-run: the old results are replaced; the unchanged warning stays acknowledged.
    fixed = good_claim(subscriber=subscriber(filing_indicator="MB"))
    with db.sessions.tenant_unit(tenancy.a1) as s:
        status = service.scrub_and_store(s, tenancy.a1.tenant_id, claim_id, fixed, full_context(*lookups))
        assert (status.errors, status.warnings, status.unacknowledged_warnings, status.ready) == (0, 1, 0, True)
    with db.sessions.tenant_unit(tenancy.a1) as s:
        rows = service.results_for(s, claim_id)
        assert [(r.rule_id, r.acknowledged_by) for r in rows] == [("FILING-INDICATOR", user)]
        assert service.claim_status(s, claim_id).ready
    # A clean run leaves no rows; a different claim is untouched.
    other = stored_claim(db, tenancy.a1)
    with db.sessions.tenant_unit(tenancy.a1) as s:
        service.store_results(s, tenancy.a1.tenant_id, other, _findings(("PCN-LENGTH", "error", "Too long.", "x", None)))
        assert service.store_results(s, tenancy.a1.tenant_id, claim_id, []).ready
    with db.sessions.tenant_unit(tenancy.a1) as s:
        assert service.results_for(s, claim_id) == []
        assert [r.rule_id for r in service.results_for(s, other)] == ["PCN-LENGTH"]
        assert not service.claim_status(s, uuid.uuid4()).ready  # never scrubbed


def test_new_or_changed_warnings_need_a_new_acknowledgement(db, tenancy, code_sets):
    claim_id, user = stored_claim(db, tenancy.a1), uuid.uuid4()
    t = tenancy.a1.tenant_id
    with db.sessions.tenant_unit(tenancy.a1) as s:
        service.store_results(s, t, claim_id, _findings(("TIMELY-FILING", "warning", "80% used.", "f", 1),
                                                        ("DUPLICATE-CLAIM", "warning", "Dup.", "p", None)))
        assert service.acknowledge_warnings(s, claim_id, user) == 2
    with db.sessions.tenant_unit(tenancy.a1) as s:
        status = service.store_results(s, t, claim_id, _findings(("TIMELY-FILING", "warning", "85% used.", "f", 1),
                                                                 ("DUPLICATE-CLAIM", "warning", "Dup.", "p", None)))
        assert (status.warnings, status.unacknowledged_warnings) == (2, 1)
        with pytest.raises(ScrubberError, match="no such scrub result"):
            service.acknowledge(s, claim_id, uuid.uuid4(), user)


def test_results_are_isolated_per_practice(db, tenancy, code_sets):
    claim_id = stored_claim(db, tenancy.a1)
    with db.sessions.tenant_unit(tenancy.a1) as s:
        service.store_results(s, tenancy.a1.tenant_id, claim_id, _findings(("NPI-ROLE", "error", "Msg.", "f", None)))
    with db.sessions.tenant_unit(tenancy.a2) as s:
        assert service.results_for(s, claim_id) == []
        service.store_results(s, tenancy.a2.tenant_id, claim_id, [])  # deletes only its own rows (none)
    with db.sessions.tenant_unit(tenancy.b1) as s, pytest.raises(sa.exc.ProgrammingError):
        # Writing a row for another practice is refused by the RLS WITH CHECK.
        service.store_results(s, tenancy.a1.tenant_id, claim_id, _findings(("NPI-ROLE", "error", "X.", "f", None)))
    with db.sessions.tenant_unit(tenancy.a1) as s:
        assert len(service.results_for(s, claim_id)) == 1


def test_per_payer_configuration_in_the_database(db, tenancy, lookups):  # noqa: F811
    agency, payer = tenancy.agency_a, uuid.uuid4()
    with db.sessions.agency_unit(AgencyScope(agency)) as s:
        service.set_rule_config(s, agency, "FILING-INDICATOR", severity="error")
        service.set_rule_config(s, agency, "filing-indicator", severity="error")  # same row, not a duplicate
        service.set_rule_config(s, agency, "NPI-ROLE", payer_id=payer, enabled=False)
        service.set_rule_config(s, agency, "TIMELY-FILING", payer_id=payer, params={"warn_fraction": 0.5})
        for bad, match in ((dict(rule_id="NOPE"), "unknown scrubber rule"),
                           (dict(rule_id="NDC", severity="fatal"), "severity must be"),
                           (dict(rule_id="NDC", params={"x": 1}), "has no parameter 'x'"),
                           (dict(rule_id="NDC", params={"required": "yes"}), "must be true or false"),
                           (dict(rule_id="TIMELY-FILING", params={"warn_fraction": 3}), "between 0 and 1")):
            with pytest.raises(ScrubberError, match=match):
                service.set_rule_config(s, agency, **bad)
    with db.sessions.agency_unit(AgencyScope(agency)) as s:
        rows = s.execute(sa.text("SELECT rule_id, payer_id FROM scrubber_rule_config ORDER BY rule_id")).all()
        assert [(r[0], r[1]) for r in rows] == [("FILING-INDICATOR", None), ("NPI-ROLE", payer),
                                                ("TIMELY-FILING", payer)]
    claim = good_claim(subscriber=subscriber(filing_indicator="MB"), rendering=None)
    with db.sessions.tenant_unit(tenancy.a1) as s:  # a practice of the agency reads its agency's settings
        configs = AgencyScrubConfigs.load(s, agency)
        for_payer = {f.rule_id: f.severity for f in scrub(claim, full_context(*lookups), configs.for_payer(payer))}
        for_others = {f.rule_id: f.severity for f in scrub(claim, full_context(*lookups), configs.for_payer(None))}
        assert for_payer == {"FILING-INDICATOR": Severity.ERROR}
        assert for_others == {"FILING-INDICATOR": Severity.ERROR, "NPI-ROLE": Severity.ERROR}
        assert service.config_for_payer(s, agency, payer).effective(
            service.REGISTRY["TIMELY-FILING"]).params["warn_fraction"] == 0.5
    with db.sessions.agency_unit(AgencyScope(tenancy.agency_b)) as s:  # another agency sees none of it
        assert AgencyScrubConfigs.load(s, agency).for_payer(payer).as_dict() == {}
    with db.sessions.agency_unit(AgencyScope(agency)) as s:
        assert service.delete_rule_config(s, agency, "NPI-ROLE", payer_id=payer)
        assert not service.delete_rule_config(s, agency, "NPI-ROLE", payer_id=payer)


def test_loaders_load_the_fixtures_and_reload_safely(db, owner_engine_scrub, reference_loaded):  # noqa: F811
    ptp, mue = reference_loaded
    assert (ptp.rows, mue.rows) == (5, 5)
    with Session(owner_engine_scrub) as s, s.begin():  # same files again: upserts, nothing duplicated
        load_ptp_file(s, PTP_FILE, kind="practitioner", effective=date(2026, 1, 1))
        load_mue_file(s, MUE_FILE, kind="practitioner", effective=date(2026, 1, 1))
    with Session(db.sync_engine) as s:
        n = s.execute(sa.text("SELECT count(*) FROM ncci_ptp_edit WHERE kind = 'practitioner' "
                              "AND source LIKE 'ccipra-v321r0-f1.txt%'")).scalar()
        assert n == 5
        t = NcciTables(s)
        assert t.ptp("20610", "20600", date(2026, 3, 2)).modifier_indicator == "0"
        assert t.ptp("20600", "20610", date(2026, 3, 2)) is None
        assert t.ptp("11042", "11045", date(2020, 1, 1)) is None  # deleted from that date
        assert t.mue("97110", date(2026, 3, 2)).mai == 3 and t.mue("97110", date(2025, 12, 31)) is None
        # The runtime role only reads reference data.
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            s.execute(sa.text("DELETE FROM mue_limit"))


def test_a_new_mue_quarter_closes_the_previous_one(db, owner_engine_scrub, tmp_path):  # noqa: F811
    q1 = tmp_path / "MCR_MUE_DME_Q1.csv"
    q1.write_text("HCPCS/CPT Code,DME Supplier Services MUE Values,MUE Adjudication Indicator,MUE Rationale\n"
                  "E0114,1,2 Date of Service Edit: Policy,Nature of Equipment\n")
    q2 = tmp_path / "MCR_MUE_DME_Q2.csv"
    q2.write_text("E0114\t2\t3 Date of Service Edit: Clinical\tNature of Equipment\n")
    with Session(owner_engine_scrub) as s, s.begin():
        load_mue_file(s, q2, kind="dme", effective=date(2036, 4, 1))
        load_mue_file(s, q1, kind="dme", effective=date(2036, 1, 1))  # loaded out of order
    with Session(db.sync_engine) as s:
        t = NcciTables(s, mue_kind="dme")
        assert (t.mue("E0114", date(2036, 3, 31)).value, t.mue("E0114", date(2036, 4, 1)).value) == (1, 2)


@pytest.mark.parametrize("content,message", [
    ("11056\t11055\t\t2010-13-45\t*\t1\tx\n", "line 2, field effective date: '2010-13-45' is not a date"),
    ("Header\n11056\t11055\t\t20100101\t*\t5\tx\n", "line 3, field modifier indicator: '5' must be 0, 1 or 9"),
    ("11056\t110\t\t20100101\t*\t1\tx\n", "line 2, field column 2"),
    ("just a notice\n", "no PTP edit rows found"),
])
def test_bad_ptp_files_are_refused_whole(db, owner_engine_scrub, tmp_path, content, message):  # noqa: F811
    bad = tmp_path / "ccipra-bad.txt"
    bad.write_text("20610\t20611\t\t20100101\t*\t0\tfirst line is fine\n" * (not content.startswith("just")) + content)
    with Session(owner_engine_scrub) as s, s.begin(), pytest.raises(ReferenceFileError, match=message):
        load_ptp_file(s, bad, kind="practitioner", effective=date(2026, 1, 1))
    with Session(db.sync_engine) as s:
        assert s.execute(sa.text("SELECT count(*) FROM ncci_ptp_edit WHERE column2 = '20611'")).scalar() == 0


def test_cli_rules_and_loads(test_database, reference_loaded, monkeypatch, tmp_path, capsys):  # noqa: F811
    from agency.cli.main import main
    from agency.settings import get_settings

    monkeypatch.setenv("AGENCY_DATABASE_URL", test_database.app_url)
    monkeypatch.setenv("AGENCY_MIGRATOR_DATABASE_URL", test_database.owner_url)
    monkeypatch.setenv("AGENCY_SYSTEM_DATABASE_URL", test_database.system_url)
    monkeypatch.setenv("AGENCY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()

    def cli(*args):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        out = capsys.readouterr()
        return code, out.out, out.err

    try:
        code, out, _ = cli("scrubber", "rules")
        assert code == 0 and "NPI-CHECK-DIGIT" in out and "TIMELY-FILING          error    #11" in out
        hosp = tmp_path / "ccioph-v321r0-f1.txt"
        hosp.write_bytes(PTP_FILE.read_bytes())
        code, out, err = cli("scrubber", "load-ncci", str(hosp), "--kind", "hospital", "--effective", "2026-01-01")
        assert code == 0 and out.strip().startswith("NCCI PTP edits (hospital) from ccioph-v321r0-f1.txt"), err
        code, out, err = cli("scrubber", "load-mue", str(MUE_FILE), "--kind", "hospital", "--effective", "2031-01-01")
        assert code == 0 and "5 rows loaded" in out, err
        bad = tmp_path / "mue.csv"
        bad.write_text("97110,four,3 Date of Service Edit: Clinical,x\n")
        code, out, err = cli("scrubber", "load-mue", str(bad), "--effective", "2031-01-01")
        assert code == 1 and "Traceback" not in err
        assert err.strip() == ("error: mue.csv, line 1, field MUE value: 'four' is not a whole number >= 0; "
                               "nothing was loaded")
        code, _, err = cli("scrubber", "load-ncci", str(hosp), "--effective", "2026-01-01")
        assert code == 2 and "--kind" in err
    finally:
        get_settings.cache_clear()


def test_code_set_version_by_fiscal_year(db, owner_engine_scrub):  # noqa: F811
    """A code added in a later fiscal year is refused before that year starts (edit 5), and
    accepted from its first day; a header code fails edit 4 (own FY2040/FY2041 releases)."""
    from agency.codesets import service as codesets

    with Session(owner_engine_scrub) as s, s.begin():
        codesets.load_icd10cm_file(s, FIXTURES / "icd10cm_order_2040.txt", year=2040)
        codesets.load_icd10cm_file(s, FIXTURES / "icd10cm_order_2041.txt", year=2041)
    with Session(db.sync_engine) as s:
        checker = CachedCodeSets.for_session(s)
        ctx = full_context(checker, None, submit_date=date(2041, 1, 1))
        rules = ["DX-VALID-ON-DOS", "DX-CODE-SET-VERSION"]

        def found(dos, dx):
            return [(f.rule_id, f.field) for f in scrub(with_lines(line(service_date=dos), diagnoses=dx), ctx,
                                                       only=rules)]

        assert found(date(2040, 9, 30), ("E11B",)) == [("DX-CODE-SET-VERSION", "diagnoses[0]")]
        (f,) = scrub(with_lines(line(service_date=date(2040, 9, 30)), diagnoses=("E11B",)), ctx, only=rules)
        assert "not valid for dates of service before 2040-10-01" in f.message
        assert found(date(2040, 10, 1), ("E11B",)) == []
        assert found(date(2040, 10, 1), ("E11",)) == [("DX-VALID-ON-DOS", "diagnoses[0]")]


def test_fixture_files_follow_the_cms_layouts():
    header = PTP_FILE.read_text().splitlines()[1].split("\t")
    assert header[:6] == ["Column 1", "Column 2", "*=in existence prior to 1996", "Effective Date",
                          "Deletion Date *=no data", "Modifier 0=not allowed 1=allowed 9=not applicable"]
    assert Path(MUE_FILE).read_text().splitlines()[1].startswith("HCPCS/CPT Code,Practitioner Services MUE Values,")
