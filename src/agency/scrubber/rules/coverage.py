"""Coverage, enrolment, authorisation and medical necessity (edit 25). Each
needs data the caller supplies (cached 270/271 eligibility, payer enrolment,
the payer's prior-auth code list, LCD/NCD policies) and skips without it."""

from __future__ import annotations

from agency.scrubber.findings import Severity
from agency.scrubber.rules.base import Rule, param_list, register


@register
class Eligibility(Rule):
    """Coverage is active on every date of service, per ``ctx.eligibility(subscriber,
    dos)`` (the caller's cached 270/271 answers: True active, False inactive,
    None unknown). Skips with no finding when the lookup is absent or unknown."""

    rule_id = "ELIGIBILITY"
    edit = 25
    title = "Coverage active on the date of service"
    field = "subscriber.member_id"
    messages = {"default": "The last eligibility response shows no active coverage with this payer on the "
                           "date of service{lines}."}

    def check(self, view, ctx, params):
        if ctx.eligibility is None:
            return
        sub = view.claim.subscriber
        days = sorted({ln.dos for ln in view.lines}) or ([view.first_dos] if view.first_dos else [])
        inactive = [d for d in days if ctx.eligibility(sub, d) is False]
        if inactive:
            nums = [str(ln.number) for ln in view.lines if ln.dos in inactive]
            yield self.hit("subscriber.member_id", None,
                           lines=f" of line {', '.join(nums)}" if nums and len(days) > 1 else "")


@register
class ProviderEnrolled(Rule):
    """The billing NPI is enrolled (active) with the payer for claims, per
    ``ctx.enrollment(billing_npi, payer_code)`` (None = unknown: skip); a
    warning when it is not enrolled for ERA (835), so payments would arrive on
    paper."""

    rule_id = "PROVIDER-ENROLLED"
    edit = 25
    title = "Billing provider enrolled with the payer"
    field = "billing_provider.npi"
    messages = {"default": "The billing provider (NPI {npi}) is not actively enrolled with this payer.",
                "era": "The billing provider (NPI {npi}) is not enrolled for electronic remittance (ERA) with "
                       "this payer; payment details will not arrive electronically."}

    def check(self, view, ctx, params):
        b = view.billing_provider
        if ctx.enrollment is None or b is None or not b.npi:
            return
        e = ctx.enrollment(b.npi, view.claim.subscriber.payer.id)
        if e is None:
            return
        if not e.active:
            yield self.hit("billing_provider.npi", None, npi=b.npi)
        elif not e.era_enrolled:
            yield self.hit("billing_provider.npi", None, "era", severity=Severity.WARNING, npi=b.npi)


@register
class PriorAuthorization(Rule):
    """A prior-authorisation number (REF*G1) is present when a line's code is
    one the payer authorises in advance (``ctx.payer.prior_auth_codes`` plus the
    ``codes`` parameter)."""

    rule_id = "PRIOR-AUTH"
    edit = 25
    title = "Prior authorisation number"
    field = "prior_authorization"
    params = {"codes": []}
    messages = {"default": "Line {line}: this payer requires prior authorisation for {code}, but the claim has "
                           "no prior-authorisation number."}

    def check(self, view, ctx, params):
        codes = ctx.payer.prior_auth_codes | param_list(params, "codes")
        if not codes or (view.claim.prior_authorization or "").strip():
            return
        for ln in view.lines:
            if ln.procedure_code and ln.procedure_code.upper() in codes:
                yield self.hit("prior_authorization", ln.number, line=ln.number, code=ln.procedure_code)
                return


@register
class MedicalNecessity(Rule):
    """Optional LCD/NCD check: the line's diagnoses support its procedure, per
    ``ctx.medical_necessity(procedure, diagnoses, dos)`` (True/False, None when
    no policy covers the code); skips without the lookup."""

    rule_id = "MEDICAL-NECESSITY"
    edit = 25
    title = "Diagnosis supports the procedure (LCD/NCD)"
    field = "lines[i].diagnosis_pointers"
    severity = Severity.WARNING
    messages = {"default": "Line {line}: the payer's coverage policy does not list the line's diagnoses as "
                           "supporting {code}; check the coding or get an advance beneficiary notice."}

    def check(self, view, ctx, params):
        if ctx.medical_necessity is None:
            return
        for ln in view.lines:
            if not ln.procedure_code:
                continue
            if view.is_professional:
                dx = tuple(view.diagnoses[p - 1][1] for p in ln.pointers if 1 <= p <= len(view.diagnoses))
            else:
                dx = tuple(code for _, code in view.diagnoses)
            if ctx.medical_necessity(ln.procedure_code, dx, ln.dos) is False:
                yield self.hit(f"{ln.path}.diagnosis_pointers", ln.number, line=ln.number, code=ln.procedure_code)
