"""The engine: per-payer configuration, severities, a crashing rule, no PHI in
messages, ICD-10-CM by date of service, timely-filing boundaries, NPI vectors."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest

from agency.scrubber import RuleSetting, ScrubConfig, Severity, has_errors, scrub
from agency.scrubber.context import PayerProfile
from agency.scrubber.rules import REGISTRY, Rule, register
from agency.scrubber.rules.providers import npi_ok
from edi.model.claim837 import OtherPayer, Patient, Payer
from scrub_support import (DOB, DOS, MEMBER_ID, PATIENT_FIRST, PATIENT_LAST, billing, full_context, good_claim,  # noqa: F401
                           line, lookups, owner_engine_scrub, person, reference_loaded, subscriber, with_lines)
from test_scrubber_rules import CASES, run


def test_npi_check_digit_vectors():
    assert npi_ok("1234567893") and npi_ok("1245319599")
    assert not npi_ok("1234567890") and not npi_ok("123456789") and not npi_ok("12345678A3")


def test_config_disables_a_rule_and_raises_a_warning_to_an_error(lookups):  # noqa: F811
    claim = good_claim(subscriber=subscriber(filing_indicator="MB"), rendering=None)
    ctx = full_context(*lookups)
    found = {f.rule_id: f for f in scrub(claim, ctx)}
    assert found["FILING-INDICATOR"].severity is Severity.WARNING and "NPI-ROLE" in found

    cfg = ScrubConfig({"NPI-ROLE": RuleSetting(enabled=False),
                       "FILING-INDICATOR": RuleSetting(severity=Severity.ERROR)})
    found = {f.rule_id: f for f in scrub(claim, ctx, cfg)}
    assert "NPI-ROLE" not in found
    assert found["FILING-INDICATOR"].severity is Severity.ERROR


def test_layers_payer_over_all_payers():
    all_payers = {"TIMELY-FILING": RuleSetting(params={"warn_fraction": 0.5}),
                  "NDC": RuleSetting(enabled=False)}
    payer = {"NDC": RuleSetting(enabled=True, params={"required": True})}
    cfg = ScrubConfig.layered([all_payers, payer])
    eff = cfg.effective(REGISTRY["NDC"])
    assert eff.enabled and eff.params["required"] is True and eff.params["drug_prefixes"] == ["J"]
    assert cfg.effective(REGISTRY["TIMELY-FILING"]).params["warn_fraction"] == 0.5


def test_timely_filing_window_and_warning(lookups):  # noqa: F811
    medicare = PayerProfile(timely_filing_days=365)
    claim = with_lines(line(service_date=date(2025, 3, 1)))

    def tf(submit, **params):
        cfg = ScrubConfig({"TIMELY-FILING": RuleSetting(params=params)}) if params else None
        return scrub(claim, full_context(*lookups, payer=medicare, submit_date=submit), cfg, only=["TIMELY-FILING"])

    assert tf(date(2025, 3, 1) + timedelta(days=365))[0].severity is Severity.WARNING  # last day: still allowed
    assert tf(date(2025, 3, 1) + timedelta(days=366))[0].severity is Severity.ERROR
    assert tf(date(2025, 3, 1) + timedelta(days=292))[0].severity is Severity.WARNING  # 80 % of 365 = 292 days
    assert tf(date(2025, 3, 1) + timedelta(days=291)) == []
    assert tf(date(2025, 3, 1) + timedelta(days=200)) == []
    assert tf(date(2025, 3, 1) + timedelta(days=200), warn_fraction=0.5)[0].severity is Severity.WARNING
    assert scrub(claim, full_context(*lookups, payer=PayerProfile(), submit_date=date(2030, 1, 1)),
                 only=["TIMELY-FILING"]) == []  # no limit known: skipped


def test_icd10_by_date_of_service_and_no_code_set(lookups):  # noqa: F811
    claim = good_claim(diagnoses=("E119",))
    ok = scrub(claim, full_context(*lookups), only=["DX-VALID-ON-DOS", "DX-CODE-SET-VERSION"])
    assert ok == []
    # No code-set checker supplied: the code-set edits skip instead of guessing.
    assert scrub(good_claim(diagnoses=("E11",)), full_context(None, None), only=["DX-VALID-ON-DOS"]) == []


def test_a_crashing_rule_becomes_an_error_finding(lookups):  # noqa: F811
    @register
    class Broken(Rule):
        rule_id = "TEST-BROKEN"
        title = "broken"
        field = "x"
        messages = {"default": "never"}

        def check(self, view, ctx, params):
            raise ZeroDivisionError(f"value {view.claim.subscriber.member_id}")
            yield

    try:
        found = scrub(good_claim(), full_context(*lookups))
        assert [(f.rule_id, f.severity) for f in found] == [("TEST-BROKEN", Severity.ERROR)]
        assert "TEST-BROKEN failed (ZeroDivisionError)" in found[0].message
        assert MEMBER_ID not in found[0].message and has_errors(found)
    finally:
        del REGISTRY["TEST-BROKEN"]


def _phi_claim():
    p = person(last_name="Zebulon-Fairweather", first_name="Philippa")
    return good_claim(subscriber=subscriber(person=p, member_id="MBR77441100"),
                      patient=Patient(person(last_name="Quintavalle", first_name="Ignatius", birth_date=DOB), "19"),
                      other_payers=(OtherPayer(p, "OTH55512", Payer("Other", "22222")),),
                      medical_record_number="MRN-661204")


def test_messages_never_contain_phi(lookups):  # noqa: F811
    """Every failing case, and a claim full of errors: no name, DOB, member id or DOS in any message."""
    messages = []
    for rule_id, (_, failing) in CASES.items():
        claim, changes = failing()
        found = scrub(claim, full_context(*lookups, **changes))
        messages += [(claim, f.message) for f in found]
    bad = dataclasses.replace(_phi_claim(), diagnoses=("E11", "W010XXA"), place_of_service="98",
                              lines=(line(procedure_code="9921X", modifiers=("Q9", "26", "TC"), units=Decimal(0),
                                          service_date=DOS + timedelta(days=60)),))
    messages += [(bad, f.message) for f in scrub(bad, full_context(*lookups, submit_date=DOS))]
    assert len(messages) > 45
    for claim, msg in messages:
        people = [claim.subscriber.person] + ([claim.patient.person] if claim.patient else [])
        people += [op.subscriber for op in claim.other_payers]
        forbidden = [claim.subscriber.member_id, DOB.isoformat(), DOB.strftime("%Y%m%d"),
                     *(op.member_id for op in claim.other_payers)]
        for p in people:
            forbidden += [p.last_name, p.first_name or "-"]
        for ln in claim.lines:
            forbidden += [ln.service_date.isoformat(), ln.service_date.strftime("%Y%m%d")]
        for value in (v for v in forbidden if v.strip()):
            assert value.lower() not in msg.lower(), (value, msg)


def test_redaction_is_a_last_line_of_defence(lookups):  # noqa: F811
    @register
    class Leaky(Rule):
        rule_id = "TEST-LEAKY"
        title = "leaky"
        field = "subscriber"
        messages = {"default": "Subscriber {name} born {dob} member {member} seen {dos}."}

        def check(self, view, ctx, params):
            s = view.claim.subscriber
            yield self.hit("subscriber", None, name=s.person.last_name.upper(), dob=s.person.birth_date,
                           member=s.member_id, dos=view.first_dos)

    try:
        (f,) = scrub(good_claim(), full_context(*lookups), only=["TEST-LEAKY"])
        assert f.message == "Subscriber [redacted] born [redacted] member [redacted] seen [redacted]."
    finally:
        del REGISTRY["TEST-LEAKY"]


@pytest.mark.parametrize("mods,expect", [(("XS",), []), ((), ["NCCI-PTP"])])
def test_ncci_indicator_1_bypass_and_9_not_applicable(lookups, mods, expect):  # noqa: F811
    claim = with_lines(line(procedure_code="11056"), line(procedure_code="11055", modifiers=mods),
                       line(procedure_code="36415"))  # 99213/36415 is indicator 9 in the fixture
    found = scrub(claim, full_context(*lookups), only=["NCCI-PTP"])
    assert [f.rule_id for f in found] == expect
    claim9 = with_lines(line(), line(procedure_code="36415"))
    assert scrub(claim9, full_context(*lookups), only=["NCCI-PTP"]) == []


def test_ncci_deleted_edit_applies_only_before_its_deletion(lookups):  # noqa: F811
    def pair(day):
        return with_lines(line(procedure_code="11042", service_date=day),
                          line(procedure_code="11045", service_date=day))
    assert scrub(pair(DOS), full_context(*lookups), only=["NCCI-PTP"]) == []
    assert [f.rule_id for f in scrub(pair(date(2019, 6, 3)), full_context(*lookups), only=["NCCI-PTP"])] == ["NCCI-PTP"]


def test_mue_adjudication_indicators(lookups):  # noqa: F811
    ctx = full_context(*lookups)
    mai1 = with_lines(line(procedure_code="11055", units=Decimal("2")))
    (f,) = scrub(mai1, ctx, only=["MUE"])
    assert f.severity is Severity.ERROR and "per line" in f.message
    split = with_lines(line(procedure_code="11055", modifiers=("RT",)), line(procedure_code="11055", modifiers=("LT",)))
    assert scrub(split, ctx, only=["MUE"]) == []  # MAI 1: anatomic modifiers make separate lines
    mai2 = with_lines(line(procedure_code="20610", units=Decimal("2")), line(procedure_code="20610", modifiers=("LT",)))
    (f,) = scrub(mai2, ctx, only=["MUE"])
    assert f.severity is Severity.ERROR and "per date of service" in f.message
    mai3 = with_lines(line(procedure_code="97110", units=Decimal("5")))
    (f,) = scrub(mai3, ctx, only=["MUE"])
    assert f.severity is Severity.WARNING and "appealed" in f.message
    assert scrub(with_lines(line(procedure_code="97110", units=Decimal("4"))), ctx, only=["MUE"]) == []


def test_rules_needing_caller_data_skip_without_it():
    """Eligibility, enrolment, global days, add-ons, LCD/NCD, NCCI/MUE: no lookup, no finding."""
    from agency.scrubber.context import ScrubContext

    ctx = ScrubContext(submit_date=date(2026, 3, 20), billing_provider=billing())
    ids = ["ELIGIBILITY", "PROVIDER-ENROLLED", "GLOBAL-PERIOD", "ADDON-PRIMARY", "MEDICAL-NECESSITY", "NCCI-PTP",
           "MUE", "DUPLICATE-CLAIM", "TIMELY-FILING", "DX-VALID-ON-DOS", "PROCEDURE-ACTIVE"]
    for rule_id, (_, failing) in CASES.items():
        if rule_id in ids:
            claim, _changes = failing()
            assert scrub(claim, ctx, only=[rule_id]) == [], rule_id
