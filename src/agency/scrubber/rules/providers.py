"""Provider identifiers: NPI check digit (edit 1), NPI role (edit 2), taxonomy
format (edit 3), tax id format and submitter phone (extras)."""

from __future__ import annotations

import re

from agency.scrubber.findings import Severity
from agency.scrubber.rules.base import P_ONLY, Rule, register

TAXONOMY = re.compile(r"^[0-9A-Z]{9}X$")


def npi_ok(npi: str) -> bool:
    """Luhn over ``80840`` + NPI (the prefix contributes 24 to the 9-digit sum)."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 24
    for i, ch in enumerate(reversed(npi[:9])):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(npi[9])


def _role(path: str) -> str:
    return path.split(".")[-1].replace("_", " ") if not path.startswith("lines[") else "line rendering"


@register
class NpiCheckDigit(Rule):
    """Every NPI on the claim is 10 digits with a valid check digit (Luhn over
    80840 + NPI). Catches typos before the clearinghouse does."""

    rule_id = "NPI-CHECK-DIGIT"
    edit = 1
    title = "NPI check digit"
    field = "billing_provider.npi"
    messages = {"default": "The {role} provider's NPI {npi} is not a valid NPI (10 digits with a correct "
                           "check digit).",
                "missing": "The {role} provider has no NPI."}

    def check(self, view, ctx, params):
        for path, provider in view.providers():
            npi = (provider.npi or "").strip()
            line = _line_of(path)
            if not npi:
                if path in ("billing_provider", "rendering", "attending") or path.endswith(".rendering"):
                    yield self.hit(f"{path}.npi", line, "missing", role=_role(path))
                continue
            if not npi_ok(npi):
                # An NPI is a public provider identifier, not PHI.
                yield self.hit(f"{path}.npi", line, role=_role(path), npi=npi)


def _line_of(path: str) -> int | None:
    m = re.match(r"lines\[(\d+)\]", path)
    return int(m.group(1)) + 1 if m else None


@register
class NpiRole(Rule):
    """An organisation (NPI type 2) billing on an 837P names a rendering provider
    (type 1) on the claim or on every line; a rendering provider is sent only
    when it differs from the billing provider (warning); a billing provider sent
    as a person has a first name. Whether the billing NPI is the one enrolled
    with the payer is PROVIDER-ENROLLED (edit 25)."""

    rule_id = "NPI-ROLE"
    edit = 2
    title = "NPI role"
    field = "rendering.npi"
    messages = {
        "default": "The billing provider is an organisation (NPI type 2): the claim or each line needs a "
                   "rendering provider.",
        "same": "The rendering provider repeats the billing provider's NPI; leave the rendering provider out.",
        "billing_person": "The billing provider is sent as a person but has no first name; a billing "
                          "group must be sent as an organisation.",
    }
    applies_to = P_ONLY

    def check(self, view, ctx, params):
        billing = view.billing_provider
        if billing is None:
            return
        claim = view.claim
        if billing.is_person and not billing.first_name:
            yield self.hit("billing_provider.first_name", None, "billing_person")
        if not billing.is_person:
            if claim.rendering is None and any(ln.raw.rendering is None for ln in view.lines):
                yield self.hit("rendering", None)
        for path, provider in (("rendering", claim.rendering),
                               *((f"{ln.path}.rendering", ln.raw.rendering) for ln in view.lines)):
            if provider is not None and provider.npi and provider.npi == billing.npi and not billing.is_person:
                yield self.hit(f"{path}.npi", _line_of(path), "same", severity=Severity.WARNING)


@register
class TaxonomyFormat(Rule):
    """Provider taxonomy codes (PRV03) are 10 characters ending in X. Only the
    format is checked: the NUCC list needs a licence."""

    rule_id = "TAXONOMY-FORMAT"
    edit = 3
    title = "Taxonomy code format"
    field = "billing_provider.taxonomy"
    messages = {"default": "The {role} provider's taxonomy code is not 10 characters ending in X "
                           "(e.g. 207Q00000X)."}

    def check(self, view, ctx, params):
        for path, provider in view.providers():
            tax = provider.taxonomy
            if tax is not None and not TAXONOMY.match(tax.strip().upper()):
                yield self.hit(f"{path}.taxonomy", _line_of(path), role=_role(path))


@register
class TaxIdFormat(Rule):
    """The billing provider's tax id is 9 digits (EIN, or SSN for a sole
    proprietor billing under qualifier SY)."""

    rule_id = "TAX-ID-FORMAT"
    title = "Billing tax id format"
    field = "billing_provider.tax_id"
    messages = {"default": "The billing provider's {kind} must be 9 digits.",
                "missing": "The billing provider has no tax id (EIN or SSN)."}

    def check(self, view, ctx, params):
        b = view.billing_provider
        if b is None:
            return
        kind = "SSN" if b.tax_id_qualifier == "SY" else "EIN"
        tin = (b.tax_id or "").replace("-", "").strip()
        if not tin:
            yield self.hit("billing_provider.tax_id", None, "missing")
        elif len(tin) != 9 or not tin.isdigit():
            yield self.hit("billing_provider.tax_id", None, kind=kind)


@register
class PhoneAreaCode(Rule):
    """Contact phone numbers are 10 digits whose area code does not start with
    0 or 1 (NANP). Checks the submitter contact when the caller supplies it."""

    rule_id = "PHONE-AREA-CODE"
    title = "Phone number"
    field = "submitter.contact.phone"
    severity = Severity.WARNING
    messages = {"default": "The submitter contact phone number is not a 10-digit number with an area code "
                           "starting 2-9."}

    def check(self, view, ctx, params):
        sub = ctx.submitter
        if sub is None or sub.contact is None or not sub.contact.phone:
            return
        digits = re.sub(r"\D", "", sub.contact.phone)
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if len(digits) != 10 or digits[0] in "01":
            yield self.hit("submitter.contact.phone", None)
