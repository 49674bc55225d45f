"""Scrubber service: run and store results per claim, acknowledge warnings,
per-payer rule configuration. Never commits: the caller's unit of work does.

Stored results (``scrub_result``, tenant session)::

    status = scrub_and_store(session, tenant_id, claim_id, claim, context, config)
    status = store_results(session, tenant_id, claim_id, findings)    # findings from engine.scrub
    acknowledge(session, claim_id, result_id, user_id)               # warnings only
    claim_status(session, claim_id) -> ScrubStatus                  # .ready: no error, every warning acknowledged

Configuration (``scrubber_rule_config``, agency or tenant session)::

    set_rule_config(session, agency_id, "TIMELY-FILING", payer_id=..., severity="error", params={...})
    configs = AgencyScrubConfigs.load(session, agency_id); configs.for_payer(payer_id) -> ScrubConfig
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from agency.db.base import new_id
from agency.errors import UserFacingError
from agency.scrubber.config import RuleSetting, ScrubConfig
from agency.scrubber.context import ScrubContext
from agency.scrubber.engine import scrub
from agency.scrubber.findings import Finding, Severity
from agency.scrubber.models import ScrubberRuleConfig, ScrubResult
from agency.scrubber.repository import RuleConfigRepository, ScrubResultRepository
from agency.scrubber.rules import REGISTRY


class ScrubberError(UserFacingError):
    """A scrubber request was refused (unknown rule, bad parameter, acknowledging an error)."""


@dataclass(frozen=True)
class ScrubStatus:
    claim_id: uuid.UUID
    errors: int
    warnings: int
    unacknowledged_warnings: int
    infos: int
    run_at: datetime | None

    @property
    def blocked(self) -> bool:
        """An error finding blocks submission (the claim goes to ``held``)."""
        return self.errors > 0

    @property
    def ready(self) -> bool:
        """No error and every warning acknowledged (the claim may go to ``ready``).
        A claim never scrubbed is not ready."""
        return self.run_at is not None and self.errors == 0 and self.unacknowledged_warnings == 0


# ---------------------------------------------------------------------------- results


def _status(claim_id: uuid.UUID, rows: Sequence[ScrubResult], run_at: datetime | None = None) -> ScrubStatus:
    errors = sum(1 for r in rows if r.severity == "error")
    warnings = [r for r in rows if r.severity == "warning"]
    return ScrubStatus(claim_id, errors, len(warnings), sum(1 for r in warnings if r.acknowledged_at is None),
                       sum(1 for r in rows if r.severity == "info"),
                       run_at or (max(r.run_at for r in rows) if rows else None))


def store_results(session: Session, tenant_id: uuid.UUID, claim_id: uuid.UUID, findings: Iterable[Finding], *,
                  run_at: datetime | None = None, keep_acknowledgements: bool = True) -> ScrubStatus:
    """Replace the claim's stored results with ``findings`` (one run). With
    ``keep_acknowledgements`` an acknowledged warning that the new run finds
    again unchanged (same rule, version, field, line and message) stays
    acknowledged; anything new or changed needs a fresh acknowledgement.

    A clean run stores nothing, so ``claim_status`` cannot tell it from "never
    scrubbed" by rows alone: the returned status carries ``run_at``; the claims
    module should record it on the claim (e.g. ``claim.scrubbed_at``)."""
    repo = ScrubResultRepository(session)
    repo.lock_claim(claim_id)
    run_at = run_at or datetime.now(timezone.utc)
    previous = {}
    for r in repo.delete_for_claim(claim_id):
        if keep_acknowledgements and r.acknowledged_at is not None:
            previous[(r.rule_id, r.rule_version, r.field, r.line_number, r.message)] = r
    rows = []
    for f in findings:
        ack = previous.get((f.rule_id, f.rule_version, f.field, f.line_number, f.message)) \
            if f.severity is Severity.WARNING else None
        rows.append(dict(tenant_id=tenant_id, id=new_id(), claim_id=claim_id, run_at=run_at,
                         rule_id=f.rule_id, rule_version=f.rule_version, severity=f.severity.value,
                         message=f.message, field=f.field, line_number=f.line_number,
                         acknowledged_by=ack.acknowledged_by if ack else None,
                         acknowledged_at=ack.acknowledged_at if ack else None))
    repo.insert_rows(rows)
    return _status(claim_id, [_Row(r) for r in rows], run_at)


class _Row:
    __slots__ = ("severity", "acknowledged_at", "run_at")

    def __init__(self, values: dict) -> None:
        self.severity, self.acknowledged_at, self.run_at = values["severity"], values["acknowledged_at"], \
            values["run_at"]


def scrub_and_store(session: Session, tenant_id: uuid.UUID, claim_id: uuid.UUID, claim, context: ScrubContext,
                    config: ScrubConfig | None = None) -> ScrubStatus:  # noqa: ANN001
    """Scrub a claim the claims module built and store the results (re-run after every edit)."""
    return store_results(session, tenant_id, claim_id, scrub(claim, context, config))


def results_for(session: Session, claim_id: uuid.UUID) -> list[ScrubResult]:
    return ScrubResultRepository(session).for_claim(claim_id)


def claim_status(session: Session, claim_id: uuid.UUID) -> ScrubStatus:
    return _status(claim_id, results_for(session, claim_id))


def acknowledge(session: Session, claim_id: uuid.UUID, result_id: uuid.UUID, user_id: uuid.UUID) -> ScrubResult:
    """A biller accepts one warning (or info). Errors cannot be acknowledged:
    they must be fixed. Acknowledging twice keeps the first acknowledgement."""
    row = ScrubResultRepository(session).get(claim_id, result_id)
    if row is None:
        raise ScrubberError("no such scrub result for this claim (it may have been replaced by a newer run)")
    if row.severity == Severity.ERROR.value:
        raise ScrubberError(f"{row.rule_id} is an error; errors block submission and cannot be acknowledged, "
                            "fix the claim and scrub it again")
    if row.acknowledged_at is None:
        row.acknowledged_by = user_id
        row.acknowledged_at = datetime.now(timezone.utc)
        session.flush()
    return row


def acknowledge_warnings(session: Session, claim_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """Acknowledge every open warning of the claim; returns how many."""
    n = 0
    now = datetime.now(timezone.utc)
    for row in results_for(session, claim_id):
        if row.severity != Severity.ERROR.value and row.acknowledged_at is None:
            row.acknowledged_by, row.acknowledged_at = user_id, now
            n += 1
    session.flush()
    return n


# ---------------------------------------------------------------------------- configuration


def rule_catalog() -> list[dict]:
    from agency.scrubber.engine import rules

    return [r.describe() for r in rules()]


def _check_params(rule_id: str, params: dict) -> dict:
    rule = REGISTRY[rule_id]
    out = {}
    for key, value in (params or {}).items():
        if key not in rule.params:
            known = ", ".join(sorted(rule.params)) or "none"
            raise ScrubberError(f"{rule_id} has no parameter {key!r} (parameters: {known})")
        default = rule.params[key]
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, (int, float)):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
        elif isinstance(default, (list, tuple)):
            ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
            value = list(value) if ok else value
        else:
            ok = isinstance(value, str)
        if not ok:
            raise ScrubberError(f"{rule_id} parameter {key!r} must be {_kind(default)}")
        if key == "warn_fraction" and not 0 < float(value) <= 1:
            raise ScrubberError(f"{rule_id} parameter 'warn_fraction' must be between 0 and 1")
        out[key] = value
    return out


def _kind(default: object) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, (int, float)):
        return "a number >= 0"
    if isinstance(default, (list, tuple)):
        return "a list of strings"
    return "a string"


def set_rule_config(session: Session, agency_id: uuid.UUID, rule_id: str, *, payer_id: uuid.UUID | None = None,
                    enabled: bool | None = None, severity: str | Severity | None = None,
                    params: dict | None = None, user_id: uuid.UUID | None = None) -> ScrubberRuleConfig:
    """Create or replace the agency's setting of one rule for one payer (``payer_id``
    None: every payer). ``None`` fields inherit. The payer must belong to the
    agency (checked by the caller that resolved it; no FK while the payer
    directory lands in a parallel migration)."""
    rule_id = (rule_id or "").strip().upper()
    if rule_id not in REGISTRY:
        raise ScrubberError(f"unknown scrubber rule {rule_id!r}; `agency scrubber rules` lists them")
    sev = None
    if severity is not None:
        try:
            sev = Severity.parse(severity).value
        except ValueError as exc:
            raise ScrubberError(str(exc)) from None
    clean = _check_params(rule_id, params or {})
    return RuleConfigRepository(session).upsert(agency_id, payer_id, rule_id, enabled, sev, clean, user_id)


def delete_rule_config(session: Session, agency_id: uuid.UUID, rule_id: str, *,
                       payer_id: uuid.UUID | None = None) -> bool:
    return RuleConfigRepository(session).delete(agency_id, payer_id, rule_id.strip().upper()) > 0


def _setting(row: ScrubberRuleConfig) -> RuleSetting:
    return RuleSetting(enabled=row.enabled, severity=Severity(row.severity) if row.severity else None,
                       params=dict(row.params or {}))


class AgencyScrubConfigs:
    """An agency's stored settings, read once; :meth:`for_payer` merges the
    all-payer layer and the payer's layer (cached per payer) - for a batch."""

    def __init__(self, rows: Iterable[ScrubberRuleConfig]) -> None:
        self._all: dict[str, RuleSetting] = {}
        self._by_payer: dict[uuid.UUID, dict[str, RuleSetting]] = {}
        for row in rows:
            if row.rule_id not in REGISTRY:
                continue  # a rule removed from the code: its stored setting is ignored
            target = self._all if row.payer_id is None else self._by_payer.setdefault(row.payer_id, {})
            target[row.rule_id] = _setting(row)
        self._cache: dict[object, ScrubConfig] = {}

    @classmethod
    def load(cls, session: Session, agency_id: uuid.UUID) -> "AgencyScrubConfigs":
        return cls(RuleConfigRepository(session).rows(agency_id))

    def for_payer(self, payer_id: uuid.UUID | None) -> ScrubConfig:
        hit = self._cache.get(payer_id)
        if hit is None:
            hit = ScrubConfig.layered([self._all, self._by_payer.get(payer_id, {})] if payer_id else [self._all])
            self._cache[payer_id] = hit
        return hit


def config_for_payer(session: Session, agency_id: uuid.UUID, payer_id: uuid.UUID | None) -> ScrubConfig:
    rows = RuleConfigRepository(session).rows(agency_id, [payer_id] if payer_id else [])
    return AgencyScrubConfigs(rows).for_payer(payer_id)
