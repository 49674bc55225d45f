"""Service lines: place of service (edit 14), procedure active on the date of
service (15), modifiers (16), add-on codes (19), global periods (20), NDC (22)."""

from __future__ import annotations

import re
from datetime import timedelta

from agency.scrubber.findings import Severity
from agency.scrubber.rules.base import P_ONLY, Rule, param_list, register
from agency.scrubber.tables import (DISTINCT_X, GLOBAL_BYPASS_MODIFIERS, TELEHEALTH_MODIFIERS, TELEHEALTH_POS,
                                    is_drug_code, is_evaluation_and_management)

NDC = re.compile(r"^[0-9]{11}$")
MAX_MODIFIERS = 4


@register
class PlaceOfService(Rule):
    """The place of service (claim CLM05-1 or line) is a CMS POS code valid on
    the date of service (``ctx.code_sets``), and fits the service: telehealth
    modifiers 95/93/GT go with telehealth POS 02/10 and vice versa (warnings);
    a facility POS names the service facility (2310C) (warning)."""

    rule_id = "POS"
    edit = 14
    title = "Place of service"
    field = "place_of_service"
    applies_to = P_ONLY
    params = {"telehealth_modifier_required": True}
    messages = {
        "default": "Place of service {pos} cannot be used on line {line}: {reason}.",
        "tele_mod": "Line {line} has telehealth modifier {mod} but place of service {pos} is not telehealth "
                    "(02 or 10).",
        "tele_pos": "Line {line} is billed at telehealth place of service {pos} without a telehealth modifier "
                    "(95, 93 or GT); check the payer's telehealth policy.",
        "facility": "Place of service {pos} is a facility; the claim should name the service facility location.",
    }

    def check(self, view, ctx, params):
        claim = view.claim
        reported = set()
        for ln in view.lines:
            pos = ln.place_of_service or ""
            field = f"{ln.path}.place_of_service" if ln.raw.place_of_service else "place_of_service"
            verdict = ctx.code_sets.place_of_service(pos, ln.dos) if ctx.code_sets is not None else None
            if verdict is not None and not verdict.ok:
                if (pos, field) not in reported:
                    reported.add((pos, field))
                    yield self.hit(field, ln.number, pos=pos or "(none)", line=ln.number,
                                   reason=(verdict.reason or "not a valid place-of-service code").rstrip("."))
                continue
            tele = [m for m in ln.modifiers if m in TELEHEALTH_MODIFIERS]
            if tele and pos not in TELEHEALTH_POS:
                yield self.hit(field, ln.number, "tele_mod", severity=Severity.WARNING, line=ln.number, mod=tele[0],
                               pos=pos)
            elif pos in TELEHEALTH_POS and not tele and params.get("telehealth_modifier_required", True):
                yield self.hit(field, ln.number, "tele_pos", severity=Severity.WARNING, line=ln.number, pos=pos)
            if verdict is not None and verdict.facility and pos not in TELEHEALTH_POS \
                    and claim.service_facility is None and ("facility", pos) not in reported:
                reported.add(("facility", pos))
                yield self.hit("service_facility", None, "facility", severity=Severity.WARNING, pos=pos)


@register
class ProcedureActive(Rule):
    """Each procedure code is valid on its date of service: HCPCS Level II per
    the loaded quarterly file (add and termination dates), CPT by format - and
    by membership when the tenant loaded a licensed CPT file (``ctx.code_sets``;
    skips when none is supplied)."""

    rule_id = "PROCEDURE-ACTIVE"
    edit = 15
    title = "Procedure code valid on the date of service"
    field = "lines[i].procedure_code"
    messages = {"default": "Line {line}: procedure {code} cannot be billed: {reason}.",
                "missing": "Line {line} has no procedure code."}

    def check(self, view, ctx, params):
        for ln in view.lines:
            code = (ln.procedure_code or "").strip().upper()
            if not code:
                if view.is_professional:
                    yield self.hit(f"{ln.path}.procedure_code", ln.number, "missing", line=ln.number)
                continue
            if ctx.code_sets is None:
                continue
            verdict = ctx.code_sets.procedure(code, ln.dos)
            if not verdict.ok:
                yield self.hit(f"{ln.path}.procedure_code", ln.number, line=ln.number, code=code,
                               reason=(verdict.reason or "not a valid code").rstrip("."))


@register
class ModifierValid(Rule):
    """Each modifier exists on the date of service (``ctx.code_sets``) and a line
    has at most 4 modifiers."""

    rule_id = "MODIFIER-VALID"
    edit = 16
    title = "Modifier valid"
    field = "lines[i].modifiers[j]"
    messages = {"default": "Line {line}: modifier {mod} cannot be used: {reason}.",
                "too_many": "Line {line} has {n} modifiers; at most 4 are allowed."}

    def check(self, view, ctx, params):
        for ln in view.lines:
            if len(ln.modifiers) > MAX_MODIFIERS:
                yield self.hit(f"{ln.path}.modifiers[{MAX_MODIFIERS}]", ln.number, "too_many", line=ln.number,
                               n=len(ln.modifiers))
            if ctx.code_sets is None:
                continue
            for j, mod in enumerate(ln.modifiers):
                verdict = ctx.code_sets.modifier(mod, ln.dos)
                if not verdict.ok:
                    yield self.hit(f"{ln.path}.modifiers[{j}]", ln.number, line=ln.number, mod=mod,
                                   reason=(verdict.reason or "not a known modifier").rstrip("."))


@register
class ModifierConflict(Rule):
    """Modifier combinations that contradict each other on one line: 59 with
    XE/XP/XS/XU (use one, the X modifier preferred); 26 with TC (professional
    and technical component: bill the global code instead); RT with LT, or 50
    with RT/LT (bilateral is 50 alone or RT and LT on two lines); a modifier
    repeated."""

    rule_id = "MODIFIER-CONFLICT"
    edit = 16
    title = "Modifier conflicts"
    field = "lines[i].modifiers"
    messages = {
        "default": "Line {line} has modifier 59 together with {x}; use only the more specific {x}.",
        "26tc": "Line {line} has both 26 (professional component) and TC (technical component); bill the code "
                "without either for the global service.",
        "laterality": "Line {line} has conflicting laterality modifiers {mods}; use 50 alone for a bilateral "
                      "procedure, or RT and LT on separate lines.",
        "repeat": "Line {line} lists modifier {mod} twice.",
    }

    def check(self, view, ctx, params):
        for ln in view.lines:
            mods = ln.modifiers
            field = f"{ln.path}.modifiers"
            s = set(mods)
            if len(s) != len(mods):
                dup = next(m for m in mods if mods.count(m) > 1)
                yield self.hit(field, ln.number, "repeat", line=ln.number, mod=dup)
            x = sorted(s & DISTINCT_X)
            if "59" in s and x:
                yield self.hit(field, ln.number, line=ln.number, x=x[0])
            if {"26", "TC"} <= s:
                yield self.hit(field, ln.number, "26tc", line=ln.number)
            lat = s & {"RT", "LT", "50"}
            if len(lat) > 1:
                yield self.hit(field, ln.number, "laterality", line=ln.number, mods="+".join(sorted(lat)))


@register
class AddOnCode(Rule):
    """An add-on code is billed only with one of its primary codes on the same
    date of service. Needs ``ctx.addon_primaries(code)`` (CMS add-on code edit
    file: primaries of an add-on code, ``None`` when the code is not an add-on
    or unknown); skips with no finding without it."""

    rule_id = "ADDON-PRIMARY"
    edit = 19
    title = "Add-on code with its primary"
    field = "lines[i].procedure_code"
    messages = {"default": "Line {line}: add-on code {code} is billed without one of its primary procedures "
                           "on the same date of service."}

    def check(self, view, ctx, params):
        if ctx.addon_primaries is None:
            return
        by_day: dict = {}
        for ln in view.lines:
            by_day.setdefault(ln.dos, set()).add(ln.procedure_code)
        for ln in view.lines:
            if not ln.procedure_code:
                continue
            primaries = ctx.addon_primaries(ln.procedure_code)
            if primaries is None:
                continue
            if not (set(primaries) & by_day[ln.dos]):
                yield self.hit(f"{ln.path}.procedure_code", ln.number, line=ln.number, code=ln.procedure_code)


@register
class GlobalPeriod(Rule):
    """An E/M visit (99202-99499) inside the global surgical period of a
    procedure - earlier on this claim or in ``ctx.prior_procedures`` (the
    patient's procedures the caller knows of) - carries modifier 24, 25, 57 or
    79. Needs ``ctx.global_days(code)`` (0/10/90 days, ``None`` when unknown);
    skips without it. 0-day and same-day procedures need 25 or 57."""

    rule_id = "GLOBAL-PERIOD"
    edit = 20
    title = "E/M visit inside a global period"
    field = "lines[i].modifiers"
    messages = {"default": "Line {line}: E/M visit {code} falls inside the {days}-day global period of procedure "
                           "{proc}; add modifier 24, 25, 57 or 79 if it is separately billable."}

    def check(self, view, ctx, params):
        if ctx.global_days is None:
            return
        procedures = list(ctx.prior_procedures)
        procedures += [(ln.procedure_code, ln.dos) for ln in view.lines
                       if ln.procedure_code and not is_evaluation_and_management(ln.procedure_code)]
        spans = []
        for code, day in procedures:
            days = ctx.global_days(code)
            if days is not None:
                spans.append((code, day, days))
        if not spans:
            return
        for ln in view.lines:
            if not is_evaluation_and_management(ln.procedure_code) or set(ln.modifiers) & GLOBAL_BYPASS_MODIFIERS:
                continue
            for code, day, days in spans:
                if day <= ln.dos <= day + timedelta(days=days):
                    yield self.hit(f"{ln.path}.modifiers", ln.number, line=ln.number, code=ln.procedure_code,
                                   days=days, proc=code)
                    break


@register
class NdcRequired(Rule):
    """Drug lines (HCPCS starting with ``drug_prefixes``, J by default) carry an
    11-digit NDC with a quantity (LIN*N4 + CTP) when the payer requires it
    (``ctx.payer.requires_ndc`` or the ``required`` parameter); an NDC, when
    present, is always 11 digits."""

    rule_id = "NDC"
    edit = 22
    title = "NDC on drug lines"
    field = "lines[i].drug.ndc"
    applies_to = P_ONLY
    params = {"required": False, "drug_prefixes": ["J"]}
    messages = {"default": "Line {line}: drug code {code} needs an NDC (11 digits) for this payer.",
                "format": "Line {line}: the NDC must be 11 digits (5-4-2 without dashes).",
                "quantity": "Line {line}: the NDC quantity must be greater than zero."}

    def check(self, view, ctx, params):
        required = ctx.payer.requires_ndc or bool(params.get("required"))
        prefixes = param_list(params, "drug_prefixes")
        for ln in view.lines:
            drug = ln.raw.drug
            if drug is not None:
                if not NDC.match((drug.ndc or "").replace("-", "")):
                    yield self.hit(f"{ln.path}.drug.ndc", ln.number, "format", line=ln.number)
                elif drug.quantity is None or drug.quantity <= 0:
                    yield self.hit(f"{ln.path}.drug.quantity", ln.number, "quantity", line=ln.number)
            elif required and is_drug_code(ln.procedure_code, prefixes):
                yield self.hit(f"{ln.path}.drug", ln.number, line=ln.number, code=ln.procedure_code)
