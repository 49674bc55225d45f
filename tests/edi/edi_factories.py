"""Builders of typed claims for the edi tests (deterministic and hypothesis-based)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from edi.envelope import Interchange
from edi.model.claim837 import (
    BillingGroup,
    CasAdjustment,
    Claim,
    ClaimBatch,
    Contact,
    DrugDetail,
    InstitutionalClaim,
    InstitutionalLine,
    LineAdjudication,
    OtherPayer,
    Patient,
    Payer,
    Person,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
)
from edi.model.common import Address

ADDR = Address("123 MAIN ST", "SPRINGFIELD", "IL", "627011234")
BILLING = Provider("ACME CLINIC", "1234567893", address=ADDR, taxonomy="207Q00000X", tax_id="123456789")
PAYER = Payer("ACME HEALTH PLAN", "12345")
SUBMITTER = Submitter("ACME BILLING AGENCY", "SUB123", Contact("JANE DOE", "5555551234"))
RECEIVER = Receiver("CLEARINGHOUSE", "CH999")


def interchange(isa13: int = 1, gs06: int = 1) -> Interchange:
    return Interchange("SUB123", "CH999", isa13, gs06, date(2024, 5, 1), "1030", usage="T")


def subscriber(demographics: bool = True, **kw) -> "object":
    """Subscriber DMG is only sent when the subscriber is the patient (TR3), so
    claims with a separate patient carry no subscriber birth date/sex."""
    from edi.model.claim837 import Subscriber

    person = Person("DOE", "JOHN", None, ADDR, date(1970, 1, 2) if demographics else None, "M" if demographics else None)
    return Subscriber(person, "MEMBER1", PAYER, **kw)


def simple_claim(pcn: str = "PCN0001", **kw) -> Claim:
    lines = kw.pop("lines", None) or (
        ServiceLine("99213", Decimal("125.00"), Decimal("1"), date(2024, 4, 2), (1,), line_control_number="L1"),
        ServiceLine("85025", Decimal("30.50"), Decimal("2"), date(2024, 4, 2), (1, 2), ("25",), line_control_number="L2"),
    )
    defaults = dict(
        subscriber=subscriber(),
        place_of_service="11",
        diagnoses=("J0190", "R05"),
        lines=lines,
    )
    defaults.update(kw)
    return Claim(pcn, **defaults)


def full_claim(pcn: str = "PCN0002") -> Claim:
    """A secondary claim exercising most optional parts."""
    child = Person("DOE", "JIMMY", "Q", ADDR, date(2012, 6, 7), "M")
    op = OtherPayer(
        Person("DOE", "JOHN", None, ADDR), "OTHER1", Payer("FIRST PAYER", "99999"), payer_responsibility="P",
        relationship="19", paid=None, adjudication_date=date(2024, 4, 20),
    )
    lines = (
        ServiceLine("99214", Decimal("200.00"), Decimal("1"), date(2024, 4, 2), (1, 2, 3), ("25", "59"),
                    line_control_number="LINE-1",
                    adjudications=(LineAdjudication("99999", Decimal("120.00"), "99214", Decimal("1"), date(2024, 4, 20),
                                                    adjustments=(CasAdjustment("CO", "45", Decimal("50.00")),
                                                                 CasAdjustment("PR", "2", Decimal("30.00")))),)),
        ServiceLine("J3420", Decimal("40.00"), Decimal("1"), date(2024, 4, 2), (1,), line_control_number="LINE-2",
                    service_date_end=date(2024, 4, 3), place_of_service="22",
                    drug=DrugDetail("00009073705", Decimal("1"), "ML"),
                    rendering=Provider("SMITH", "1497758544", is_person=True, first_name="ANNA", taxonomy="207Q00000X"),
                    adjudications=(LineAdjudication("99999", Decimal("40.00"), "J3420", Decimal("1"), date(2024, 4, 20)),)),
    )
    return Claim(
        pcn, subscriber(False, payer_responsibility="S", group_number="GRP1"), "11", ("J0190", "R05", "Z0000"), lines,
        patient=Patient(child, "19"), frequency="7", payer_claim_number="ICN123456", prior_authorization="AUTH1",
        related_causes=("AA",), accident_state="NY", accident_date=date(2024, 3, 30), onset_date=date(2024, 3, 30),
        rendering=Provider("JONES", "1245319599", is_person=True, first_name="BOB", taxonomy="207Q00000X"),
        referring=Provider("REFER", "1003000126", is_person=True, first_name="RITA"),
        service_facility=Provider("ACME FACILITY", "1902809254", address=ADDR),
        other_payers=(OtherPayer(op.subscriber, op.member_id, op.payer, "P", "18", paid=Decimal("160.00"),
                                 adjudication_date=date(2024, 4, 20)),),
        note="TEST NOTE", medical_record_number="MRN1",
    )


def institutional_claim(pcn: str = "IPCN001") -> InstitutionalClaim:
    return InstitutionalClaim(
        pcn, subscriber(), "13", date(2024, 4, 1), date(2024, 4, 3), "1", "7", "01", "J189",
        (InstitutionalLine("0300", Decimal("73.42"), Decimal("1"), date(2024, 4, 1), "81099", line_control_number="R1"),
         InstitutionalLine("0450", Decimal("500.00"), Decimal("1"), date(2024, 4, 2), "99284", ("25",)),
         InstitutionalLine("0250", Decimal("10.00"), Decimal("3"), date(2024, 4, 2))),
        Provider("WELBY", "1234567893", is_person=True, first_name="MARCUS", taxonomy="207Q00000X"),
        admitting_diagnosis="R509", reason_for_visit=("R509",), other_diagnoses=("E119", "I10"),
        present_on_admission=("Y", "N", "U"), admission_date=date(2024, 4, 1), admission_hour="0830",
        condition_codes=("01",), value_codes=(("80", Decimal("2")),), occurrence_codes=(("11", date(2024, 3, 30)),),
        medical_record_number="MR77",
    )


def batch(claims, kind: str = "837P", st02: str = "0001") -> ClaimBatch:
    return ClaimBatch(SUBMITTER, RECEIVER, (BillingGroup(BILLING, tuple(claims)),), st02, "BATCH1",
                      date(2024, 5, 1), "1030", kind=kind)
