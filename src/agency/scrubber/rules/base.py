"""The rule contract and the registry.

A rule is a class with:

* ``rule_id`` (e.g. ``NPI-CHECK-DIGIT``), ``version`` (bump when its logic changes: stored results
  keep the version that produced them), ``edit`` (the number in rcm-domain.md section 5, or None
  for the extras), ``severity`` (default), ``field`` (the field path it concerns, a pattern such
  as ``lines[i].diagnosis_pointers[j]``), ``applies_to`` (837P and/or 837I);
* ``messages``: plain-language templates by variant (``default`` first). Templates may name
  codes, NPIs, counts and line numbers, never patient values;
* ``params``: tunable parameters with their defaults (overridable per payer);
* ``check(view, ctx, params)`` yielding :class:`Hit` objects, made with ``self.hit(...)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import ClassVar

from agency.scrubber.context import ScrubContext
from agency.scrubber.findings import Severity
from agency.scrubber.view import INSTITUTIONAL, PROFESSIONAL, ClaimView

BOTH = frozenset({PROFESSIONAL, INSTITUTIONAL})
P_ONLY = frozenset({PROFESSIONAL})
I_ONLY = frozenset({INSTITUTIONAL})

REGISTRY: dict[str, "Rule"] = {}


@dataclass(frozen=True, slots=True)
class Hit:
    message: str
    field: str | None
    line_number: int | None
    severity: Severity | None = None  # None: the rule's (or the configured) severity


class Rule:
    rule_id: ClassVar[str]
    version: ClassVar[int] = 1
    edit: ClassVar[int | None] = None
    title: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    field: ClassVar[str]
    messages: ClassVar[Mapping[str, str]]
    params: ClassVar[Mapping[str, object]] = {}
    applies_to: ClassVar[frozenset[str]] = BOTH
    enabled_by_default: ClassVar[bool] = True

    def check(self, view: ClaimView, ctx: ScrubContext, params: Mapping[str, object]) -> Iterator[Hit]:
        raise NotImplementedError

    def hit(self, field: str | None, line_number: int | None = None, variant: str = "default", /, *,
            severity: Severity | None = None, **values: object) -> Hit:
        return Hit(self.messages[variant].format(**values), field, line_number, severity)

    @classmethod
    def describe(cls) -> dict:
        return {"rule_id": cls.rule_id, "version": cls.version, "edit": cls.edit, "title": cls.title,
                "severity": cls.severity.value, "field": cls.field, "applies_to": sorted(cls.applies_to),
                "params": dict(cls.params), "enabled_by_default": cls.enabled_by_default,
                "doc": (cls.__doc__ or "").strip()}


def register(cls: type[Rule]) -> type[Rule]:
    if cls.rule_id in REGISTRY:
        raise ValueError(f"scrubber rule {cls.rule_id} is registered twice")
    if "default" not in cls.messages:
        raise ValueError(f"scrubber rule {cls.rule_id} has no default message")
    for key, value in cls.params.items():
        if not isinstance(value, (bool, int, float, str, list, tuple)):
            raise ValueError(f"scrubber rule {cls.rule_id}: parameter {key} has an unsupported type")
    REGISTRY[cls.rule_id] = cls()
    return cls


def param_list(params: Mapping[str, object], name: str) -> frozenset[str]:
    value = params.get(name) or ()
    if isinstance(value, str):
        value = [v for v in value.replace(";", ",").split(",")]
    return frozenset(str(v).strip().upper() for v in value if str(v).strip())
