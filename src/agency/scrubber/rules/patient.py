"""Patient, subscriber and payer data: age/sex (edit 9), dates (edit 10),
required data (edit 13) and the claim filing indicator."""

from __future__ import annotations

import re

from agency.codesets.service import icd10_display
from agency.scrubber.findings import Severity
from agency.scrubber.rules.base import I_ONLY, Rule, register
from agency.scrubber.tables import FEMALE_ONLY, MALE_ONLY, MATERNITY, NEWBORN, in_ranges

PO_BOX = re.compile(r"\b(P\s*\.?\s*O\s*\.?\s*BOX|POST\s+OFFICE\s+BOX|POB\s+\d|LOCK\s*BOX|BOX\s+\d)", re.I)
RELATIONSHIPS = frozenset({"01", "18", "19", "20", "21", "39", "40", "53", "G8"})
SEXES = frozenset({"M", "F", "U"})


def _who(path: str) -> str:
    return "patient" if path.startswith("patient") else "subscriber"


@register
class AgeSex(Rule):
    """Diagnoses consistent with the patient's age band and sex (MCE-style,
    category level): maternity 9-64 and female, newborn/perinatal age 0,
    female-only and male-only conditions. The sex edit can be switched off per
    payer with ``check_sex`` (CMS reportedly deactivated the MCE sex-conflict
    edit in 2024). Skips a check when the age or sex is unknown."""

    rule_id = "AGE-SEX"
    edit = 9
    title = "Diagnosis fits age and sex"
    field = "diagnoses[i]"
    severity = Severity.WARNING
    params = {"check_sex": True, "check_age": True}
    messages = {
        "default": "Diagnosis {code} is for {band}, but the patient's age on the date of service is outside "
                   "{range}.",
        "sex": "Diagnosis {code} applies to {sex} patients only, but the patient's sex on the claim is "
               "different.",
    }

    def check(self, view, ctx, params):
        person = view.patient_person
        age = view.patient_age_on(view.diagnosis_dos) if view.diagnosis_dos else None
        sex = (person.sex or "").upper()
        for path, code in view.diagnoses:
            if not code:
                continue
            shown = icd10_display(code)
            if params.get("check_age") and age is not None:
                if in_ranges(code, MATERNITY) and not 9 <= age <= 64:
                    yield self.hit(path, None, code=shown, band="pregnancy and childbirth", range="9-64")
                elif in_ranges(code, NEWBORN) and age != 0:
                    yield self.hit(path, None, code=shown, band="newborns (perinatal period)", range="0")
            if params.get("check_sex") and sex in ("M", "F"):
                if sex == "M" and in_ranges(code, FEMALE_ONLY):
                    yield self.hit(path, None, "sex", code=shown, sex="female")
                elif sex == "F" and in_ranges(code, MALE_ONLY):
                    yield self.hit(path, None, "sex", code=shown, sex="male")


@register
class DateSanity(Rule):
    """Dates: no date of service after the submit date; dates of service not
    before the patient's (and subscriber's) date of birth; age under 150; each
    From not after its To (lines, 837I statement); onset and accident dates not
    after the last date of service; 837I admission not after the through date."""

    rule_id = "DATES"
    edit = 10
    title = "Date sanity"
    field = "lines[i].service_date"
    messages = {
        "default": "Line {line} has a date of service in the future (after the submit date).",
        "statement_future": "The statement period ends in the future (after the submit date).",
        "before_birth": "The {who}'s date of birth is after the date of service.",
        "age": "The {who}'s date of birth makes them 150 years or older on the date of service.",
        "from_to": "Line {line} has a service end date before its start date.",
        "statement": "The statement period ends before it starts.",
        "onset": "The {what} date is after the last date of service.",
        "admission": "The admission date is after the end of the statement period.",
    }

    def check(self, view, ctx, params):
        claim = view.claim
        today = ctx.submit_date
        if view.is_professional:
            for ln in view.lines:
                if ln.dos > today or (ln.dos_end and ln.dos_end > today):
                    yield self.hit(f"{ln.path}.service_date", ln.number, line=ln.number)
                if ln.dos_end is not None and ln.dos_end < ln.dos:
                    yield self.hit(f"{ln.path}.service_date_end", ln.number, "from_to", line=ln.number)
        else:
            if claim.statement_to > today:
                yield self.hit("statement_to", None, "statement_future")
            if claim.statement_to < claim.statement_from:
                yield self.hit("statement_to", None, "statement")
            if claim.admission_date and claim.admission_date > claim.statement_to:
                yield self.hit("admission_date", None, "admission")
        first = view.first_dos
        if first is None:
            return
        people = [("subscriber.person", claim.subscriber.person)]
        if claim.patient is not None:
            people.insert(0, ("patient.person", claim.patient.person))
        for path, person in people:
            dob = person.birth_date
            if dob is None:
                continue
            if dob > first:
                yield self.hit(f"{path}.birth_date", None, "before_birth", who=_who(path))
            elif first.year - dob.year - ((first.month, first.day) < (dob.month, dob.day)) >= 150:
                yield self.hit(f"{path}.birth_date", None, "age", who=_who(path))
        if view.is_professional:
            for name, what in (("onset_date", "onset of the current illness"), ("accident_date", "accident")):
                d = getattr(claim, name)
                if d is not None and d > view.last_dos:
                    yield self.hit(name, None, "onset", what=what)


@register
class RequiredSubscriber(Rule):
    """Subscriber data the payer needs: member id, last name, and - when the
    subscriber is the patient - date of birth and sex (M, F or U)."""

    rule_id = "REQUIRED-SUBSCRIBER"
    edit = 13
    title = "Subscriber data present"
    field = "subscriber.member_id"
    messages = {"default": "The subscriber's {what} is missing.",
                "sex": "The {who}'s sex must be M, F or U."}

    def check(self, view, ctx, params):
        sub = view.claim.subscriber
        if not (sub.member_id or "").strip():
            yield self.hit("subscriber.member_id", None, what="member id")
        if not (sub.person.last_name or "").strip():
            yield self.hit("subscriber.person.last_name", None, what="last name")
        if view.claim.patient is None:
            if sub.person.birth_date is None:
                yield self.hit("subscriber.person.birth_date", None, what="date of birth")
            if not sub.person.sex:
                yield self.hit("subscriber.person.sex", None, what="sex")
        if sub.person.sex and sub.person.sex.upper() not in SEXES:
            yield self.hit("subscriber.person.sex", None, "sex", who="subscriber")


@register
class RequiredPatient(Rule):
    """When the patient is not the subscriber: last name, date of birth, sex
    (M, F or U) and a valid relationship to the subscriber (PAT01; 18 "self" is
    not sent in the patient loop)."""

    rule_id = "REQUIRED-PATIENT"
    edit = 13
    title = "Patient data present"
    field = "patient.relationship"
    messages = {"default": "The patient's {what} is missing.",
                "relationship": "The patient's relationship to the subscriber is not a valid code (e.g. 01 "
                                "spouse, 19 child, 20 employee, 21 unknown, G8 other).",
                "sex": "The patient's sex must be M, F or U."}

    def check(self, view, ctx, params):
        pat = view.claim.patient
        if pat is None:
            return
        if not (pat.person.last_name or "").strip():
            yield self.hit("patient.person.last_name", None, what="last name")
        if pat.person.birth_date is None:
            yield self.hit("patient.person.birth_date", None, what="date of birth")
        if not pat.person.sex:
            yield self.hit("patient.person.sex", None, what="sex")
        elif pat.person.sex.upper() not in SEXES:
            yield self.hit("patient.person.sex", None, "sex")
        if pat.relationship not in RELATIONSHIPS or pat.relationship == "18":
            yield self.hit("patient.relationship", None, "relationship")


@register
class RequiredPayer(Rule):
    """The payer has an id (2010BB NM109) and a name."""

    rule_id = "REQUIRED-PAYER"
    edit = 13
    title = "Payer id present"
    field = "subscriber.payer.id"
    messages = {"default": "The payer's {what} is missing."}

    def check(self, view, ctx, params):
        payer = view.claim.subscriber.payer
        if not (payer.id or "").strip():
            yield self.hit("subscriber.payer.id", None, what="id")
        if not (payer.name or "").strip():
            yield self.hit("subscriber.payer.name", None, what="name")


@register
class BillingAddress(Rule):
    """The billing provider has a street address (no PO box: use the pay-to
    address for that) with a 9-digit ZIP code."""

    rule_id = "BILLING-ADDRESS"
    edit = 13
    title = "Billing provider address"
    field = "billing_provider.address"
    messages = {"default": "The billing provider's ZIP code must have 9 digits (ZIP+4).",
                "missing": "The billing provider has no address.",
                "po_box": "The billing provider's address is a PO box; it must be a street address "
                          "(put a PO box in the pay-to address).",
                "no_provider": "The claim has no billing provider."}

    def check(self, view, ctx, params):
        b = view.billing_provider
        if b is None:
            yield self.hit("billing_provider", None, "no_provider")
            return
        a = b.address
        if a is None or not (a.line1 or "").strip():
            yield self.hit("billing_provider.address", None, "missing")
            return
        zip_code = (a.postal_code or "").replace("-", "")
        if len(zip_code) != 9 or not zip_code.isdigit():
            yield self.hit("billing_provider.address.postal_code", None)
        for name in ("line1", "line2"):
            if PO_BOX.search(getattr(a, name) or ""):
                yield self.hit(f"billing_provider.address.{name}", None, "po_box")


@register
class NameLength(Rule):
    """Patient and subscriber last and first names fit the clearinghouse limit
    (``max_length``, 35 by default)."""

    rule_id = "NAME-LENGTH"
    edit = 13
    title = "Name length"
    field = "subscriber.person.last_name"
    params = {"max_length": 35}
    messages = {"default": "The {who}'s {part} is longer than {max} characters."}

    def check(self, view, ctx, params):
        limit = int(params.get("max_length") or 35)
        people = [("subscriber.person", view.claim.subscriber.person)]
        if view.claim.patient is not None:
            people.append(("patient.person", view.claim.patient.person))
        for path, person in people:
            for attr, part in (("last_name", "last name"), ("first_name", "first name")):
                value = getattr(person, attr) or ""
                if len(value.strip()) > limit:
                    yield self.hit(f"{path}.{attr}", None, who=_who(path), part=part, max=limit)


@register
class AttendingRequired(Rule):
    """837I: the attending provider has a last name and an NPI."""

    rule_id = "ATTENDING-PROVIDER"
    edit = 13
    title = "Attending provider (837I)"
    field = "attending"
    applies_to = I_ONLY
    messages = {"default": "The attending provider's {what} is missing."}

    def check(self, view, ctx, params):
        att = view.claim.attending
        if not (att.last_or_org_name or "").strip():
            yield self.hit("attending.last_or_org_name", None, what="name")
        if not (att.npi or "").strip():
            yield self.hit("attending.npi", None, what="NPI")


@register
class FilingIndicator(Rule):
    """The claim filing indicator (SBR09) matches the payer's (e.g. MB for
    Medicare Part B, MC for Medicaid, CI for commercial). Skips when the payer
    profile has none."""

    rule_id = "FILING-INDICATOR"
    edit = 13
    title = "Claim filing indicator"
    field = "subscriber.filing_indicator"
    severity = Severity.WARNING
    messages = {"default": "The claim filing indicator is {actual}, but this payer expects {expected}."}

    def check(self, view, ctx, params):
        expected = ctx.payer.filing_indicator
        actual = view.claim.subscriber.filing_indicator
        if expected and actual != expected:
            yield self.hit("subscriber.filing_indicator", None, actual=actual, expected=expected)
