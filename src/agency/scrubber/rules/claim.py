"""Claim-level edits: timely filing (11), claim total and charges (12),
duplicates (21), frequency (24), patient control number, line control
numbers and 837I revenue codes (extras)."""

from __future__ import annotations

import re
from decimal import Decimal

from agency.scrubber.context import claim_fingerprint
from agency.scrubber.findings import Severity
from agency.scrubber.rules.base import I_ONLY, Rule, register

REVENUE_CODE = re.compile(r"^[0-3][0-9]{3}$")
FREQUENCY_837P = frozenset({"1", "7", "8"})
FREQUENCY_837I = frozenset("0123456789ABCDEFGHIJKLMNOPQ")


@register
class TimelyFiling(Rule):
    """The claim reaches the payer within its timely-filing window: earliest
    date of service (line From; 837I statement From) + the payer's limit in days
    >= submit date (error); a warning once ``warn_fraction`` (80 %) of the window
    has passed. Skips when the payer profile has no limit. Rejected claims do
    not stop the clock, so the same check applies to resubmissions."""

    rule_id = "TIMELY-FILING"
    edit = 11
    title = "Timely filing"
    field = "lines[i].service_date"
    params = {"warn_fraction": 0.8}
    messages = {"default": "The payer's timely-filing limit of {days} days has passed for this claim's "
                           "first date of service.",
                "warn": "{used} of the payer's {days}-day timely-filing window has passed ({left} days left): "
                        "submit soon."}

    def check(self, view, ctx, params):
        days = ctx.payer.timely_filing_days
        if not days or view.first_dos is None:
            return
        elapsed = (ctx.submit_date - view.first_dos).days
        first = next((ln for ln in view.lines if ln.dos == view.first_dos), None)
        field, number = ((f"{first.path}.service_date", first.number) if view.is_professional and first
                         else ("statement_from", None))
        if elapsed > days:
            yield self.hit(field, number, days=days)
        elif elapsed >= float(params.get("warn_fraction", 0.8)) * days:
            yield self.hit(field, number, "warn", severity=Severity.WARNING, days=days,
                           used=f"{elapsed * 100 // days}%", left=days - elapsed)


@register
class ClaimTotal(Rule):
    """Charges: the claim total (CLM02) equals the sum of the line charges (when
    the caller supplies its stored total in ``ctx.claim_total``); no zero-charge
    claim; no negative charge; units greater than zero."""

    rule_id = "CLAIM-TOTAL"
    edit = 12
    title = "Claim total and charges"
    field = "lines[i].charge"
    messages = {"default": "Line {line} has a negative charge.",
                "units": "Line {line} has {what} units; units must be greater than zero.",
                "zero": "The claim's total charge is zero; a claim needs a charge.",
                "total": "The claim total does not equal the sum of its line charges.",
                "no_lines": "The claim has no service lines."}

    def check(self, view, ctx, params):
        if not view.lines:
            yield self.hit("lines", None, "no_lines")
            return
        for ln in view.lines:
            if ln.charge < 0:
                yield self.hit(f"{ln.path}.charge", ln.number, line=ln.number)
            if ln.units <= 0:
                yield self.hit(f"{ln.path}.units", ln.number, "units", line=ln.number,
                               what="zero" if ln.units == 0 else "negative")
        if view.total_charge == 0:
            yield self.hit("total_charge", None, "zero")
        if ctx.claim_total is not None and Decimal(ctx.claim_total) != view.total_charge:
            yield self.hit("total_charge", None, "total")


@register
class DuplicateLine(Rule):
    """No two identical service lines (procedure or revenue code, modifiers,
    dates of service, units): repeat services need a repeat modifier (76/77/91)
    or one line with more units."""

    rule_id = "DUPLICATE-LINE"
    edit = 21
    title = "Duplicate service line"
    field = "lines[i]"
    messages = {"default": "Line {line} repeats line {first} (same code, modifiers, date of service and units)."}

    def check(self, view, ctx, params):
        seen: dict[tuple, int] = {}
        for ln in view.lines:
            key = (ln.procedure_code, ln.revenue_code, tuple(sorted(ln.modifiers)), ln.dos, ln.dos_end, ln.units)
            if key in seen:
                yield self.hit(ln.path, ln.number, line=ln.number, first=seen[key])
            else:
                seen[key] = ln.number


@register
class DuplicateClaim(Rule):
    """Warns when the same claim (payer, member, billing NPI, patient, and every
    line's date, code, modifiers, units and charge - see
    :func:`agency.scrubber.context.claim_fingerprint`) was already sent, per the
    fingerprints the caller supplies in ``ctx.prior_fingerprints``. Replacement
    and void claims (frequency 7/8) are expected to match and are not flagged."""

    rule_id = "DUPLICATE-CLAIM"
    edit = 21
    title = "Duplicate claim"
    field = "patient_control_number"
    severity = Severity.WARNING
    messages = {"default": "An identical claim was already sent to this payer (CARC 18 risk); send a "
                           "corrected claim (frequency 7) instead, or confirm this is intended."}

    def check(self, view, ctx, params):
        if not ctx.prior_fingerprints or view.claim.frequency in ("7", "8"):
            return
        npi = view.billing_provider.npi if view.billing_provider else None
        if claim_fingerprint(view.claim, npi) in ctx.prior_fingerprints:
            yield self.hit("patient_control_number", None)


@register
class Frequency(Rule):
    """Claim frequency (CLM05-3): 1, 7 or 8 on an 837P; replacement (7) and void
    (8) carry the payer's claim number (REF*F8) when the payer requires it; an
    original (1) carries none."""

    rule_id = "FREQUENCY"
    edit = 24
    title = "Claim frequency"
    field = "frequency"
    messages = {"default": "Claim frequency {code} is not allowed; use 1 (original), 7 (replacement) or 8 (void).",
                "needs_f8": "A {kind} claim (frequency {code}) needs the payer's claim number of the original "
                            "claim.",
                "extra_f8": "An original claim (frequency 1) must not carry a payer claim number; use frequency 7 "
                            "to replace a claim the payer adjudicated.",
                "institutional": "Claim frequency {code} is not a valid type-of-bill frequency."}

    def check(self, view, ctx, params):
        claim = view.claim
        code = claim.frequency
        allowed = FREQUENCY_837P if view.is_professional else FREQUENCY_837I
        if code not in allowed:
            yield self.hit("frequency", None, "default" if view.is_professional else "institutional", code=code)
            return
        if code in ("7", "8"):
            if not (claim.payer_claim_number or "").strip() and ctx.payer.corrected_claim_needs_payer_claim_number:
                yield self.hit("payer_claim_number", None, "needs_f8", code=code,
                               kind="replacement" if code == "7" else "void")
        elif code == "1" and claim.payer_claim_number:
            yield self.hit("payer_claim_number", None, "extra_f8")


@register
class PatientControlNumber(Rule):
    """The patient control number (CLM01) is present and at most ``max_length``
    characters (17 by default: many payers truncate at 17; X12 allows 20)."""

    rule_id = "PCN-LENGTH"
    title = "Patient control number length"
    field = "patient_control_number"
    params = {"max_length": 17}
    messages = {"default": "The patient control number is {n} characters; this payer accepts at most {max}.",
                "missing": "The claim has no patient control number."}

    def check(self, view, ctx, params):
        pcn = (view.claim.patient_control_number or "").strip()
        limit = int(params.get("max_length") or 17)
        if not pcn:
            yield self.hit("patient_control_number", None, "missing")
        elif len(pcn) > limit:
            yield self.hit("patient_control_number", None, n=len(pcn), max=limit)


@register
class LineControlNumber(Rule):
    """Line control numbers (REF*6R) are unique within the claim and at most 30
    characters: the 835 echoes them to match payments to lines."""

    rule_id = "LINE-CONTROL-NUMBER"
    title = "Line control number"
    field = "lines[i].line_control_number"
    messages = {"default": "Line {line} reuses the line control number of line {first}.",
                "long": "Line {line} has a line control number longer than 30 characters."}

    def check(self, view, ctx, params):
        seen: dict[str, int] = {}
        for ln in view.lines:
            licn = ln.raw.line_control_number
            if not licn:
                continue
            if len(licn) > 30:
                yield self.hit(f"{ln.path}.line_control_number", ln.number, "long", line=ln.number)
            if licn in seen:
                yield self.hit(f"{ln.path}.line_control_number", ln.number, line=ln.number, first=seen[licn])
            else:
                seen[licn] = ln.number


@register
class RevenueCode(Rule):
    """837I revenue codes (SV201) are 4 digits starting with 0-3."""

    rule_id = "REVENUE-CODE"
    title = "Revenue code format (837I)"
    field = "lines[i].revenue_code"
    applies_to = I_ONLY
    messages = {"default": "Line {line} has revenue code {code}; revenue codes are 4 digits starting with 0-3 "
                           "(e.g. 0450)."}

    def check(self, view, ctx, params):
        for ln in view.lines:
            if not REVENUE_CODE.match(ln.revenue_code or ""):
                yield self.hit(f"{ln.path}.revenue_code", ln.number, line=ln.number, code=ln.revenue_code or "(none)")
