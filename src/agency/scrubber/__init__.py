"""Claim scrubber: a rule engine over the typed 837 claim objects (``edi.model.claim837``).

Entry points::

    from agency.scrubber import scrub, ScrubContext, PayerProfile, ScrubConfig, CachedCodeSets
    findings = scrub(claim, ScrubContext(submit_date=..., billing_provider=..., payer=..., code_sets=...), config)

Stored results, acknowledgements and per-payer configuration: ``agency.scrubber.service``.
"""

from agency.scrubber.config import RuleSetting, ScrubConfig
from agency.scrubber.context import (CachedCodeSets, CodeSetChecker, CodeVerdict, Enrollment, MueLimit, NcciLookup,
                                     PayerProfile, PtpEdit, ScrubContext, claim_fingerprint)
from agency.scrubber.engine import rules, scrub
from agency.scrubber.findings import Finding, Severity, has_errors

__all__ = [
    "CachedCodeSets", "CodeSetChecker", "CodeVerdict", "Enrollment", "Finding", "MueLimit", "NcciLookup",
    "PayerProfile", "PtpEdit", "RuleSetting", "ScrubConfig", "ScrubContext", "Severity", "claim_fingerprint",
    "has_errors", "rules", "scrub",
]
