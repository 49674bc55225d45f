"""Claim factories and fixtures for the scrubber tests.

``good_claim()`` is an 837P claim that passes every rule under ``full_context``;
each test case changes one thing. The test database is shared by the whole
session: code sets are loaded idempotently (bundled FY2026 ICD-10-CM, POS,
modifiers) and the NCCI/MUE fixtures under their own kinds/quarters.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, pool
from sqlalchemy.orm import Session

from edi.model.claim837 import (Claim, Contact, InstitutionalClaim, InstitutionalLine, Payer, Person, Provider,
                                ServiceLine, Submitter, Subscriber)
from edi.model.common import Address
from tenants.urls import sync_url

FIXTURES = Path(__file__).parent / "fixtures"
PTP_FILE = FIXTURES / "ccipra-v321r0-f1.txt"
MUE_FILE = FIXTURES / "MCR_MUE_PractitionerServices_Eff_2026-01-01.csv"

DOS = date(2026, 3, 2)
SUBMIT = date(2026, 3, 20)
BILLING_NPI = "1234567893"
RENDERING_NPI = "9876543213"
REFERRING_NPI = "1111111112"
DOB = date(1961, 7, 14)
MEMBER_ID = "ZXQ90817263"
PATIENT_LAST, PATIENT_FIRST = "Quillfeather", "Ottoline"


def billing(**changes) -> Provider:
    p = Provider("Harbor Family Medicine", npi=BILLING_NPI, is_person=False,
                 address=Address("100 Main St", "Springfield", "IL", "627011234"), taxonomy="207Q00000X",
                 tax_id="371234567")
    return dataclasses.replace(p, **changes)


def rendering(**changes) -> Provider:
    p = Provider("Welby", npi=RENDERING_NPI, is_person=True, first_name="Marcus", taxonomy="207R00000X")
    return dataclasses.replace(p, **changes)


def person(**changes) -> Person:
    p = Person(PATIENT_LAST, PATIENT_FIRST, address=Address("12 Elm Rd", "Springfield", "IL", "62701"),
               birth_date=DOB, sex="F")
    return dataclasses.replace(p, **changes)


def subscriber(**changes) -> Subscriber:
    s = Subscriber(person(), MEMBER_ID, Payer("Acme Health", "87726"), filing_indicator="CI")
    return dataclasses.replace(s, **changes)


def line(**changes) -> ServiceLine:
    ln = ServiceLine("99213", Decimal("125.00"), Decimal("1"), DOS, diagnosis_pointers=(1,),
                     line_control_number=None)
    return dataclasses.replace(ln, **changes)


def good_claim(**changes) -> Claim:
    c = Claim("PCN0001", subscriber(), "11", ("E119", "I10"),
              (line(line_control_number="L1"),
               line(procedure_code="36415", charge=Decimal("15.00"), diagnosis_pointers=(1, 2),
                    line_control_number="L2")),
              rendering=rendering())
    return dataclasses.replace(c, **changes)


def with_lines(*lines: ServiceLine, **changes) -> Claim:
    return good_claim(lines=tuple(lines), **changes)


def good_institutional(**changes) -> InstitutionalClaim:
    c = InstitutionalClaim(
        "PCN0002", subscriber(), "13", DOS, DOS, "3", "1", "01", "E119",
        (InstitutionalLine("0450", Decimal("300.00"), Decimal("1"), DOS, procedure_code="99283"),),
        attending=Provider("Welby", npi=RENDERING_NPI, is_person=True, first_name="Marcus"),
        other_diagnoses=("I10",))
    return dataclasses.replace(c, **changes)


def submitter(phone: str = "2175550100") -> Submitter:
    return Submitter("Agency LLC", "ETIN01", Contact("Billing desk", phone=phone))


# Lookups the caller supplies (test doubles of the caller's data, not of the scrubber).
INACTIVE_MEMBER = "INACTIVE01"
GLOBAL_DAYS = {"27447": 90, "11042": 0}
ADDONS = {"11045": {"11042"}, "99417": {"99205", "99215"}}
LCD = {("81002", "R300"): True}


def eligibility(sub, dos):  # noqa: ANN001
    return False if sub.member_id == INACTIVE_MEMBER else True


def medical_necessity(code, dx, dos):  # noqa: ANN001
    if code != "81002":
        return None
    return any(LCD.get((code, d)) for d in dx)


def enrollment_for(active: bool = True, era: bool = True):
    from agency.scrubber.context import Enrollment

    return lambda npi, payer: Enrollment(active=active, era_enrolled=era) if npi == BILLING_NPI else None


def full_context(code_sets, ncci, **changes):
    from agency.scrubber.context import PayerProfile, ScrubContext

    ctx = ScrubContext(
        submit_date=SUBMIT, billing_provider=billing(),
        payer=PayerProfile(payer_code="87726", timely_filing_days=365, filing_indicator="CI"),
        code_sets=code_sets, ncci=ncci, submitter=submitter(),
        eligibility=eligibility, enrollment=enrollment_for(), global_days=GLOBAL_DAYS.get,
        addon_primaries=ADDONS.get, medical_necessity=medical_necessity)
    return dataclasses.replace(ctx, **changes)


# --------------------------------------------------------------------------- DB fixtures

@pytest.fixture(scope="session")
def owner_engine_scrub(test_database):
    engine = create_engine(sync_url(test_database.owner_url), poolclass=pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def reference_loaded(owner_engine_scrub):
    """Bundled code sets (idempotent) and the NCCI/MUE fixtures, as the owner role."""
    from agency.codesets import service as codesets
    from agency.scrubber import reference

    with Session(owner_engine_scrub) as s, s.begin():
        codesets.load_bundled(s)
        ptp = reference.load_ptp_file(s, PTP_FILE, kind="practitioner", effective=date(2026, 1, 1))
        mue = reference.load_mue_file(s, MUE_FILE, kind="practitioner", effective=date(2026, 1, 1))
    return ptp, mue


@pytest.fixture(scope="session")
def lookups(db, reference_loaded):
    """(CachedCodeSets, NcciTables) over one runtime-role session, as a batch would hold them."""
    from agency.scrubber.context import CachedCodeSets
    from agency.scrubber.reference import NcciTables

    session = Session(db.sync_engine)
    code_sets = CachedCodeSets.for_session(session, date(2026, 1, 1), date(2026, 6, 30))
    ncci = NcciTables(session, "practitioner", "practitioner")
    yield code_sets, ncci
    session.close()

