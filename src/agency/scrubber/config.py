"""Per-payer rule configuration: switch a rule off, change its severity, tune
its parameters.

Stored agency-wide in ``scrubber_rule_config`` (``payer_id`` NULL = every
payer). For one claim the effective setting of a rule is: the rule's defaults,
then the agency's all-payer row, then the row for the claim's payer (each
field that is set wins; ``params`` are merged key by key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from agency.scrubber.findings import Severity


@dataclass(frozen=True, slots=True)
class RuleSetting:
    """One configuration layer for one rule; ``None`` = inherit."""

    enabled: bool | None = None
    severity: Severity | None = None
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EffectiveRule:
    enabled: bool
    severity: Severity | None  # None: the rule's own severities
    params: Mapping[str, object]


class ScrubConfig:
    """The effective configuration for one payer (or for all payers).

    ``ScrubConfig()`` runs every rule with its defaults. ``ScrubConfig({"NPI-CHECK-DIGIT":
    RuleSetting(enabled=False)})`` switches one off."""

    __slots__ = ("_settings", "_cache")

    def __init__(self, settings: Mapping[str, RuleSetting] | None = None) -> None:
        self._settings = dict(settings or {})
        self._cache: dict[str, EffectiveRule] = {}

    @classmethod
    def layered(cls, layers: Iterable[Mapping[str, RuleSetting]]) -> "ScrubConfig":
        """Merge layers, least specific first (all-payer rows, then the payer's rows)."""
        merged: dict[str, RuleSetting] = {}
        for layer in layers:
            for rule_id, s in layer.items():
                base = merged.get(rule_id, RuleSetting())
                merged[rule_id] = RuleSetting(
                    enabled=base.enabled if s.enabled is None else s.enabled,
                    severity=base.severity if s.severity is None else s.severity,
                    params={**base.params, **(s.params or {})})
        return cls(merged)

    def setting(self, rule_id: str) -> RuleSetting | None:
        return self._settings.get(rule_id)

    def effective(self, rule) -> EffectiveRule:  # noqa: ANN001 - agency.scrubber.rules.base.Rule
        hit = self._cache.get(rule.rule_id)
        if hit is None:
            s = self._settings.get(rule.rule_id)
            params = dict(rule.params)
            if s is None:
                hit = EffectiveRule(rule.enabled_by_default, None, MappingProxyType(params))
            else:
                params.update(s.params or {})
                hit = EffectiveRule(rule.enabled_by_default if s.enabled is None else s.enabled, s.severity,
                                    MappingProxyType(params))
            self._cache[rule.rule_id] = hit
        return hit

    def as_dict(self) -> dict:
        return {rid: {"enabled": s.enabled, "severity": s.severity.value if s.severity else None,
                      "params": dict(s.params)} for rid, s in sorted(self._settings.items())}


DEFAULT_CONFIG = ScrubConfig()
