"""Every scrubber rule: one claim that passes and one that fails it (rcm-domain §13),
against the real code-set and NCCI/MUE tables (fixtures loaded as the owner role)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest

from agency.scrubber import PayerProfile, Severity, scrub
from agency.scrubber.rules import REGISTRY
from edi.model.claim837 import (CasAdjustment, DrugDetail, LineAdjudication, OtherPayer, Patient, Payer,
                                Provider)
from edi.model.common import Address
from scrub_support import (DOS, INACTIVE_MEMBER, SUBMIT, billing, full_context, good_claim, good_institutional,
                           line, lookups, owner_engine_scrub, person, reference_loaded, rendering,  # noqa: F401
                           enrollment_for, submitter, subscriber, with_lines)


def C(claim, **ctx):  # noqa: N802 - a case: the claim and the context changes
    return claim, ctx


GOOD = lambda: C(good_claim())  # noqa: E731
GOOD_I = lambda: C(good_institutional())  # noqa: E731
PAYER = PayerProfile(payer_code="87726", timely_filing_days=365, filing_indicator="CI")


def _secondary(**op_changes):
    op = OtherPayer(person(), "PRIM123", Payer("First Payer", "11111"), payer_responsibility="P",
                    paid=Decimal("100.00"), adjustments=(CasAdjustment("CO", "45", Decimal("40.00")),),
                    adjudication_date=date(2026, 3, 10))
    op = dataclasses.replace(op, **op_changes)
    return good_claim(subscriber=subscriber(payer_responsibility="S"), other_payers=(op,))


def _line_level_secondary(paid: str):
    op = OtherPayer(person(), "PRIM123", Payer("First Payer", "11111"), payer_responsibility="P")
    adj = LineAdjudication("11111", Decimal(paid), "99213", Decimal("1"), date(2026, 3, 10),
                           adjustments=(CasAdjustment("CO", "45", Decimal("25.00")),))
    return with_lines(line(adjudications=(adj,)), subscriber=subscriber(payer_responsibility="S"),
                      other_payers=(op,))


CASES = {
    # 1-3 providers
    "NPI-CHECK-DIGIT": (GOOD, lambda: C(good_claim(rendering=rendering(npi="9876543210")))),
    "NPI-ROLE": (GOOD, lambda: C(good_claim(rendering=None))),
    "TAXONOMY-FORMAT": (GOOD, lambda: C(good_claim(rendering=rendering(taxonomy="207R0000")))),
    "TAX-ID-FORMAT": (GOOD, lambda: C(good_claim(), billing_provider=billing(tax_id="37-12345"))),
    "PHONE-AREA-CODE": (GOOD, lambda: C(good_claim(), submitter=submitter("0175550100"))),
    # 4-8 diagnoses
    "DX-VALID-ON-DOS": (GOOD, lambda: C(good_claim(diagnoses=("E11", "I10")))),
    "DX-CODE-SET-VERSION": (GOOD, lambda: C(with_lines(line(service_date=date(2015, 9, 30))))),
    "DX-POINTERS": (GOOD, lambda: C(with_lines(line(diagnosis_pointers=(1, 3))))),
    "DX-DUPLICATE": (GOOD, lambda: C(good_claim(diagnoses=("E119", "I10", "E119")))),
    "DX-PRIMARY-LIMITS": (GOOD, lambda: C(good_claim(diagnoses=("W010XXA", "S0990XA")))),
    # 9-13 patient, dates, filing, totals, required data
    "AGE-SEX": (GOOD, lambda: C(good_claim(diagnoses=("N401", "I10"), subscriber=subscriber(person=person(sex="F"))))),
    "DATES": (GOOD, lambda: C(good_claim(subscriber=subscriber(person=person(birth_date=DOS + timedelta(days=1)))))),
    "TIMELY-FILING": (GOOD, lambda: C(good_claim(), submit_date=DOS + timedelta(days=400))),
    "CLAIM-TOTAL": (GOOD, lambda: C(with_lines(line(units=Decimal("0"))))),
    "REQUIRED-SUBSCRIBER": (GOOD, lambda: C(good_claim(subscriber=subscriber(member_id=" ")))),
    "REQUIRED-PATIENT": (lambda: C(good_claim(patient=Patient(person(first_name="Kid"), "19"))),
                         lambda: C(good_claim(patient=Patient(person(birth_date=None), "19")))),
    "REQUIRED-PAYER": (GOOD, lambda: C(good_claim(subscriber=subscriber(payer=Payer("Acme Health", ""))))),
    "BILLING-ADDRESS": (GOOD, lambda: C(good_claim(), billing_provider=billing(
        address=Address("PO Box 77", "Springfield", "IL", "627011234")))),
    "NAME-LENGTH": (GOOD, lambda: C(good_claim(subscriber=subscriber(person=person(last_name="X" * 36))))),
    "ATTENDING-PROVIDER": (GOOD_I, lambda: C(good_institutional(attending=Provider("Welby", npi=None)))),
    "FILING-INDICATOR": (GOOD, lambda: C(good_claim(subscriber=subscriber(filing_indicator="MB")))),
    # 14-22 lines
    "POS": (GOOD, lambda: C(good_claim(place_of_service="98"))),
    "PROCEDURE-ACTIVE": (GOOD, lambda: C(with_lines(line(procedure_code="9921X")))),
    "MODIFIER-VALID": (lambda: C(with_lines(line(modifiers=("25",)))),
                       lambda: C(with_lines(line(modifiers=("Q9",))))),
    "MODIFIER-CONFLICT": (lambda: C(with_lines(line(procedure_code="20610", modifiers=("RT",)))),
                          lambda: C(with_lines(line(procedure_code="20610", modifiers=("59", "XS"))))),
    "NCCI-PTP": (lambda: C(with_lines(line(procedure_code="11056"),
                                      line(procedure_code="11055", modifiers=("XS",)))),
                 lambda: C(with_lines(line(procedure_code="20610"), line(procedure_code="20600")))),
    "MUE": (lambda: C(with_lines(line(procedure_code="20610", units=Decimal("2")))),
            lambda: C(with_lines(line(procedure_code="20610", units=Decimal("2")),
                                 line(procedure_code="20610", units=Decimal("1"), modifiers=("LT",))))),
    "ADDON-PRIMARY": (lambda: C(with_lines(line(procedure_code="11042"), line(procedure_code="11045"))),
                      lambda: C(with_lines(line(procedure_code="11045")))),
    "GLOBAL-PERIOD": (lambda: C(good_claim(), prior_procedures=(("27447", DOS - timedelta(days=100)),)),
                      lambda: C(good_claim(), prior_procedures=(("27447", DOS - timedelta(days=30)),))),
    "DUPLICATE-LINE": (GOOD, lambda: C(with_lines(line(), line()))),
    "DUPLICATE-CLAIM": (lambda: C(good_claim(), prior_fingerprints=frozenset({"0" * 64})),
                        lambda: C(good_claim(), prior_fingerprints=frozenset({_fingerprint(good_claim())}))),
    "NDC": (lambda: C(with_lines(line(procedure_code="J3301", drug=DrugDetail("00003029320", Decimal("1")))),
                      payer=dataclasses.replace(PAYER, requires_ndc=True)),
            lambda: C(with_lines(line(procedure_code="J3301")), payer=dataclasses.replace(PAYER, requires_ndc=True))),
    # 23-25
    "COB": (lambda: C(_secondary()), lambda: C(_secondary(paid=Decimal("90.00")))),
    "FREQUENCY": (lambda: C(good_claim(frequency="7", payer_claim_number="ICN123")),
                  lambda: C(good_claim(frequency="7"))),
    "ELIGIBILITY": (GOOD, lambda: C(good_claim(subscriber=subscriber(member_id=INACTIVE_MEMBER)))),
    "PROVIDER-ENROLLED": (GOOD, lambda: C(good_claim(), enrollment=enrollment_for(active=False))),
    "PRIOR-AUTH": (lambda: C(good_claim(prior_authorization="PA1", lines=(line(procedure_code="70553"),)),
                             payer=dataclasses.replace(PAYER, prior_auth_codes=frozenset({"70553"}))),
                   lambda: C(with_lines(line(procedure_code="70553")),
                             payer=dataclasses.replace(PAYER, prior_auth_codes=frozenset({"70553"})))),
    "MEDICAL-NECESSITY": (lambda: C(good_claim(diagnoses=("R300",), lines=(line(procedure_code="81002"),))),
                          lambda: C(with_lines(line(procedure_code="81002")))),
    # extras
    "PCN-LENGTH": (GOOD, lambda: C(good_claim(patient_control_number="PCN" + "9" * 15))),
    "LINE-CONTROL-NUMBER": (GOOD, lambda: C(with_lines(line(line_control_number="A"),
                                                       line(procedure_code="36415", line_control_number="A")))),
    "REVENUE-CODE": (GOOD_I, lambda: C(good_institutional(lines=(
        dataclasses.replace(good_institutional().lines[0], revenue_code="450"),)))),
}


def _fingerprint(claim):
    from agency.scrubber import claim_fingerprint

    return claim_fingerprint(claim, billing().npi)


def run(case, lookups, rule_id=None):  # noqa: F811
    claim, changes = case()
    ctx = full_context(*lookups, **changes)
    return scrub(claim, ctx, only=[rule_id] if rule_id else None)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_and_fails(rule_id, lookups):  # noqa: F811
    passing, failing = CASES[rule_id]
    assert run(passing, lookups, rule_id) == []
    found = run(failing, lookups, rule_id)
    assert found, f"{rule_id}: the failing claim produced no finding"
    assert {f.rule_id for f in found} == {rule_id}
    rule = REGISTRY[rule_id]
    for f in found:
        assert f.message and (f.message[0].isupper() or f.message[0].isdigit()) and f.message.endswith("."), f.message
        assert f.rule_version == rule.version
        assert f.severity in (rule.severity, Severity.WARNING, Severity.ERROR)
        assert f.field, f"{rule_id}: finding without a field"


def test_every_registered_rule_has_a_case():
    """Meta-test: a new rule must come with its passing and failing claims."""
    assert sorted(set(REGISTRY) - set(CASES)) == []
    assert sorted(set(CASES) - set(REGISTRY)) == []


def test_every_edit_of_the_guide_is_covered():
    assert {r.edit for r in REGISTRY.values() if r.edit} == set(range(1, 26))


def test_the_good_claims_pass_every_rule(lookups):  # noqa: F811
    assert run(GOOD, lookups) == []
    assert run(GOOD_I, lookups) == []

