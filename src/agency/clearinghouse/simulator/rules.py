"""Adjudication rules of the clearinghouse simulator (JSON or TOML; see docs/clearinghouse-sim.md).

A rules file is a mapping::

    {
      "pay_percent": 80,                   # default allowed amount = this % of each line's charge
      "payer_claim_prefix": "SIM",         # REF*1K / CLP07 numbers start with it
      "rules": [                           # first matching rule wins (per line, then per claim)
        {"match": {"procedure": "99215"}, "deny": {"carc": "50", "rarc": "N115"}},
        {"match": {"payer": "87726"},     "deny": {"carc": "27", "group": "CO"}},
        {"match": {"procedure": ["85025", "80053"]}, "pay_percent": 50},
        {"match": {"procedure": "99213"}, "allowed_amount": "90.00",
         "patient_responsibility": {"copay": "15.00", "deductible": "20.00", "coinsurance_percent": 20}},
        {"match": {"payer": "REJECT"},   "reject": {"category": "A7", "status": "562", "entity": "85"}}
      ],
      "edits": {"npi_check": true, "future_dates": true, "member_id": true}
    }

Match keys (all given must hold): ``procedure`` (code or list), ``modifier``,
``payer`` (2010BB payer id), ``diagnosis`` (any HI code), ``claim_prefix``
(CLM01 starts with), ``min_charge`` (line charge >= value). A rule whose match
names ``procedure``, ``modifier`` or ``min_charge`` is a *line* rule; otherwise a
*claim* rule that applies to every line of a matching claim. ``reject`` only
makes sense on claim rules: the 277CA rejects the claim and no 835 follows.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

CENT = Decimal("0.01")
LINE_KEYS = {"procedure", "modifier", "min_charge"}
MATCH_KEYS = LINE_KEYS | {"payer", "diagnosis", "claim_prefix"}
ACTION_KEYS = {"deny", "pay_percent", "allowed_amount", "patient_responsibility", "reject"}
GROUPS = {"CO", "PR", "OA", "PI"}


class RulesError(ValueError):
    """The rules file is wrong; the message names the rule and the key."""


def _dec(v: Any, where: str) -> Decimal:
    try:
        d = Decimal(str(v))
    except (InvalidOperation, ValueError):
        raise RulesError(f"{where}: {v!r} is not a number") from None
    if d < 0 or not d.is_finite():
        raise RulesError(f"{where}: must be a non-negative number")
    return d


def _pct(v: Any, where: str) -> Decimal:
    d = _dec(v, where)
    if d > 100:
        raise RulesError(f"{where}: a percentage must be between 0 and 100")
    return d


def _codes(v: Any, where: str) -> tuple[str, ...]:
    if isinstance(v, str):
        return (v.strip().upper(),)
    if isinstance(v, list) and all(isinstance(x, str) for x in v) and v:
        return tuple(x.strip().upper() for x in v)
    raise RulesError(f"{where}: expected a code or a list of codes")


@dataclass(frozen=True)
class Denial:
    carc: str
    group: str = "CO"
    rarc: str | None = None


@dataclass(frozen=True)
class PatientShare:
    copay: Decimal = Decimal(0)  # PR-3, once per claim
    deductible: Decimal = Decimal(0)  # PR-1, per claim
    coinsurance_percent: Decimal = Decimal(0)  # PR-2, of what is left of the allowed amount


@dataclass(frozen=True)
class Rejection:
    category: str = "A7"
    status: str = "21"
    entity: str | None = None


@dataclass(frozen=True)
class Rule:
    index: int
    match: dict[str, Any]
    deny: Denial | None = None
    pay_percent: Decimal | None = None
    allowed_amount: Decimal | None = None
    patient: PatientShare | None = None
    reject: Rejection | None = None

    @property
    def line_level(self) -> bool:
        return bool(LINE_KEYS & set(self.match))

    def matches_claim(self, payer_id: str, diagnoses: tuple[str, ...], pcn: str) -> bool:
        m = self.match
        if "payer" in m and payer_id.upper() not in m["payer"]:
            return False
        if "diagnosis" in m and not set(d.upper() for d in diagnoses) & set(m["diagnosis"]):
            return False
        if "claim_prefix" in m and not pcn.upper().startswith(m["claim_prefix"]):
            return False
        return True

    def matches_line(self, procedure: str | None, modifiers: tuple[str, ...], charge: Decimal) -> bool:
        m = self.match
        if "procedure" in m and (procedure or "").upper() not in m["procedure"]:
            return False
        if "modifier" in m and not set(x.upper() for x in modifiers) & set(m["modifier"]):
            return False
        if "min_charge" in m and charge < m["min_charge"]:
            return False
        return True


@dataclass(frozen=True)
class Rules:
    pay_percent: Decimal = Decimal(80)
    payer_claim_prefix: str = "SIM"
    rules: tuple[Rule, ...] = ()
    npi_check: bool = True
    future_dates: bool = True
    member_id: bool = True
    payer_name: str | None = None  # default: the payer name of the 837
    extra: dict = field(default_factory=dict)

    def claim_rules(self) -> list[Rule]:
        return [r for r in self.rules if not r.line_level]

    def line_rules(self) -> list[Rule]:
        return [r for r in self.rules if r.line_level]


def parse_rules(data: Any) -> Rules:
    if not isinstance(data, dict):
        raise RulesError("rules: the top level must be a mapping")
    unknown = set(data) - {"pay_percent", "payer_claim_prefix", "rules", "edits", "payer_name"}
    if unknown:
        raise RulesError(f"rules: unknown key(s) {', '.join(sorted(unknown))}")
    pay = _pct(data.get("pay_percent", 80), "pay_percent")
    prefix = str(data.get("payer_claim_prefix", "SIM"))
    if not prefix.isalnum() or len(prefix) > 8:
        raise RulesError("payer_claim_prefix: 1-8 letters or digits")
    edits = data.get("edits", {})
    if not isinstance(edits, dict) or set(edits) - {"npi_check", "future_dates", "member_id"}:
        raise RulesError("edits: a mapping of npi_check, future_dates, member_id to true/false")
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise RulesError("rules: must be a list")
    rules = tuple(_rule(i, r) for i, r in enumerate(raw_rules, 1))
    return Rules(pay, prefix.upper(), rules, bool(edits.get("npi_check", True)),
                 bool(edits.get("future_dates", True)), bool(edits.get("member_id", True)),
                 data.get("payer_name"))


def _rule(i: int, r: Any) -> Rule:
    where = f"rule {i}"
    if not isinstance(r, dict):
        raise RulesError(f"{where}: must be a mapping")
    unknown = set(r) - ACTION_KEYS - {"match", "comment"}
    if unknown:
        raise RulesError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    m = r.get("match", {})
    if not isinstance(m, dict) or set(m) - MATCH_KEYS:
        raise RulesError(f"{where}: match keys are {', '.join(sorted(MATCH_KEYS))}")
    match: dict[str, Any] = {}
    for k, v in m.items():
        if k == "min_charge":
            match[k] = _dec(v, f"{where}.match.min_charge")
        elif k == "claim_prefix":
            match[k] = str(v).upper()
        else:
            match[k] = _codes(v, f"{where}.match.{k}")
    if not set(r) & ACTION_KEYS:
        raise RulesError(f"{where}: needs an action ({', '.join(sorted(ACTION_KEYS))})")
    deny = rej = share = None
    if "deny" in r:
        d = r["deny"]
        if not isinstance(d, dict) or not d.get("carc"):
            raise RulesError(f"{where}.deny: needs a carc (claim adjustment reason code)")
        group = str(d.get("group", "CO")).upper()
        if group not in GROUPS:
            raise RulesError(f"{where}.deny.group: one of CO, PR, OA, PI")
        deny = Denial(str(d["carc"]).upper(), group, str(d["rarc"]).upper() if d.get("rarc") else None)
    if "reject" in r:
        d = r["reject"]
        if not isinstance(d, dict):
            raise RulesError(f"{where}.reject: a mapping of category, status, entity")
        cat = str(d.get("category", "A7")).upper()
        if cat not in ("A3", "A6", "A7", "A8"):
            raise RulesError(f"{where}.reject.category: one of A3, A6, A7, A8 (rejections)")
        if LINE_KEYS & set(match):
            raise RulesError(f"{where}: reject applies to whole claims; match on payer, diagnosis or claim_prefix")
        rej = Rejection(cat, str(d.get("status", "21")), d.get("entity"))
    if "patient_responsibility" in r:
        p = r["patient_responsibility"]
        if not isinstance(p, dict) or set(p) - {"copay", "deductible", "coinsurance_percent"}:
            raise RulesError(f"{where}.patient_responsibility: copay, deductible, coinsurance_percent")
        share = PatientShare(_dec(p.get("copay", 0), f"{where}.copay"), _dec(p.get("deductible", 0), f"{where}.deductible"),
                             _pct(p.get("coinsurance_percent", 0), f"{where}.coinsurance_percent"))
    return Rule(i, match, deny,
                _pct(r["pay_percent"], f"{where}.pay_percent") if "pay_percent" in r else None,
                _dec(r["allowed_amount"], f"{where}.allowed_amount") if "allowed_amount" in r else None,
                share, rej)


def load_rules(path: str | Path | None) -> Rules:
    """Read a .json or .toml rules file (None: the defaults, pay 80%)."""
    if path is None:
        return Rules()
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise RulesError(f"rules file {p}: {exc.strerror or 'cannot be read'}") from None
    try:
        data = tomllib.loads(raw.decode()) if p.suffix.lower() == ".toml" else json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RulesError(f"rules file {p}: not valid {'TOML' if p.suffix.lower() == '.toml' else 'JSON'} "
                         f"({str(exc).splitlines()[0][:120]})") from None
    return parse_rules(data)


def money(d: Decimal) -> Decimal:
    return d.quantize(CENT, rounding=ROUND_HALF_UP)
