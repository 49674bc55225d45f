"""Scrubber rules, one module per group of related edits (rcm-domain.md section 5).
Importing this package registers every rule in ``REGISTRY`` (rule_id -> rule)."""

from agency.scrubber.rules import claim, cob, coverage, diagnoses, ncci, patient, procedures, providers  # noqa: F401
from agency.scrubber.rules.base import REGISTRY, Hit, Rule, register

__all__ = ["REGISTRY", "Hit", "Rule", "register"]
