"""The rule engine: run every enabled rule on one claim.

``scrub(claim, context, config) -> list[Finding]``. A rule that raises does not
stop the scrub: it becomes an error finding "rule X failed" (the exception is
logged by type only: its text could quote claim values). As a last line of
defence every message is redacted of the claim's patient and subscriber names,
member ids, dates of birth and dates of service, in case a rule or a code-set
reason quotes one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date

from edi.model.claim837 import Claim, InstitutionalClaim

from agency.scrubber.config import DEFAULT_CONFIG, ScrubConfig
from agency.scrubber.context import ScrubContext
from agency.scrubber.findings import Finding, Severity
from agency.scrubber.rules import REGISTRY, Rule
from agency.scrubber.view import ClaimView

log = logging.getLogger(__name__)

_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def rules() -> list[Rule]:
    """Every registered rule, in a stable order (edit number, then id)."""
    return sorted(REGISTRY.values(), key=lambda r: (r.edit or 99, r.rule_id))


_ORDERED: list[Rule] | None = None


def _ordered() -> list[Rule]:
    global _ORDERED
    if _ORDERED is None or len(_ORDERED) != len(REGISTRY):
        _ORDERED = rules()
    return _ORDERED


def scrub(claim: Claim | InstitutionalClaim, context: ScrubContext,
          config: ScrubConfig | None = None, *, only: Iterable[str] | None = None) -> list[Finding]:
    """Scrub one claim. ``context.billing_provider`` is the claim's billing
    provider (2010AA); ``config`` the effective configuration for the claim's
    payer (default: every rule with its defaults); ``only`` restricts the run
    to some rule ids (tests, re-checking one edit)."""
    config = config or DEFAULT_CONFIG
    view = ClaimView(claim, context.billing_provider)
    wanted = set(only) if only is not None else None
    findings: list[Finding] = []
    for rule in _ordered():
        if view.kind not in rule.applies_to or (wanted is not None and rule.rule_id not in wanted):
            continue
        eff = config.effective(rule)
        if not eff.enabled:
            continue
        try:
            for hit in rule.check(view, context, eff.params):
                severity = eff.severity or hit.severity or rule.severity
                findings.append(Finding(rule.rule_id, severity, hit.message, hit.field, hit.line_number,
                                        rule.version))
        except Exception as exc:  # noqa: BLE001 - a broken rule must not stop the scrub
            log.error("scrubber rule %s failed with %s", rule.rule_id, type(exc).__name__)
            findings.append(Finding(rule.rule_id, Severity.ERROR,
                                    f"Rule {rule.rule_id} failed ({type(exc).__name__}); the claim could not be "
                                    "fully checked. Report this to support.", None, None, rule.version))
    if findings:
        findings = _redact(findings, view)
        findings.sort(key=lambda f: (_SEVERITY_ORDER[f.severity], f.line_number or 0))
    return findings


# ---------------------------------------------------------------------------- PHI guard

def _date_forms(d: date) -> list[str]:
    return [d.isoformat(), d.strftime("%Y%m%d"), d.strftime("%m/%d/%Y"), d.strftime("%m-%d-%Y"),
            f"{d.month}/{d.day}/{d.year}"]


def phi_markers(claim: Claim | InstitutionalClaim, view: ClaimView | None = None) -> tuple[list[str], list[str]]:
    """(identifying strings, date strings) of the claim that must never appear in a message."""
    view = view or ClaimView(claim, None)
    people = [claim.subscriber.person]
    if claim.patient is not None:
        people.append(claim.patient.person)
    ids = [claim.subscriber.member_id]
    for op in claim.other_payers:
        people.append(op.subscriber)
        ids.append(op.member_id)
    for attr in ("medical_record_number",):
        ids.append(getattr(claim, attr, None))
    words: list[str] = []
    dates: list[date] = []
    for p in people:
        words += [p.last_name, p.first_name, p.middle_name]
        if p.address is not None:
            words.append(p.address.line1)
        if p.birth_date:
            dates.append(p.birth_date)
    words += ids
    for ln in view.lines:
        dates.append(ln.dos)
        if ln.dos_end:
            dates.append(ln.dos_end)
    for name in ("statement_from", "statement_to", "admission_date", "onset_date", "accident_date"):
        d = getattr(claim, name, None)
        if isinstance(d, date):
            dates.append(d)
    texts = sorted({w.strip() for w in words if w and len(w.strip()) >= 2}, key=len, reverse=True)
    date_texts = sorted({t for d in set(dates) for t in _date_forms(d)}, key=len, reverse=True)
    return texts, date_texts


def _redact(findings: list[Finding], view: ClaimView) -> list[Finding]:
    texts, dates = phi_markers(view.claim, view)
    markers = [(d, False) for d in dates] + [(t.lower(), True) for t in texts]
    out = []
    for f in findings:
        message, low = f.message, f.message.lower()
        for marker, word in markers:
            if marker not in low:  # cheap pre-check; a regex only when a marker occurs
                continue
            body = re.escape(marker)
            pattern = rf"(?<![0-9A-Za-z]){body}(?![0-9A-Za-z])" if word else body
            message = re.sub(pattern, "[redacted]", message, flags=re.IGNORECASE)
            low = message.lower()
        if message != f.message:
            f = Finding(f.rule_id, f.severity, message, f.field, f.line_number, f.rule_version)
        out.append(f)
    return out
