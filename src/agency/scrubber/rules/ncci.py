"""NCCI procedure-to-procedure edits (edit 17) and medically unlikely edits
(edit 18), against the quarterly CMS tables loaded with ``agency scrubber
load-ncci`` / ``load-mue`` (``ctx.ncci``). Both skip when the tables are not
loaded or no lookup is supplied."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from agency.scrubber.findings import Severity
from agency.scrubber.rules.base import Rule, register
from agency.scrubber.tables import MUE_LINE_MODIFIERS, NCCI_ASSOCIATED_MODIFIERS


def _rendering_npi(view, ln) -> str | None:  # noqa: ANN001
    raw = ln.raw
    r = getattr(raw, "rendering", None) or getattr(view.claim, "rendering", None)
    return r.npi if r is not None else None


@register
class NcciPtp(Rule):
    """NCCI PTP: a column-2 code billed with its column-1 code for the same
    patient, date of service and rendering provider is refused, unless the
    edit's modifier indicator is 1 and either line carries an NCCI-associated
    modifier (59, XE/XP/XS/XU, 24, 25, 57, 58, 78, 79, 91, anatomic modifiers).
    Indicator 0 can never be bypassed; 9 means the edit does not apply. Pairs
    are checked within the claim; practitioner or hospital tables by
    ``ctx.ncci_kind``."""

    rule_id = "NCCI-PTP"
    edit = 17
    title = "NCCI procedure-to-procedure edit"
    field = "lines[i].procedure_code"
    messages = {
        "default": "Line {line}: {col2} is bundled into {col1} (line {other}) on the same date of service and "
                   "can never be billed with it (NCCI modifier indicator 0).",
        "modifier": "Line {line}: {col2} is bundled into {col1} (line {other}) on the same date of service; bill "
                    "it only when distinct and mark it with an NCCI-associated modifier such as XS or 59 "
                    "(NCCI modifier indicator 1).",
    }

    def check(self, view, ctx, params):
        ncci = ctx.ncci
        if ncci is None or not ncci.ptp_loaded():
            return
        groups = defaultdict(list)
        for ln in view.lines:
            if ln.procedure_code:
                groups[(ln.dos, _rendering_npi(view, ln))].append(ln)
        for (dos, _npi), lines in groups.items():
            if len(lines) < 2:
                continue
            for a in lines:
                for b in lines:
                    if a is b or a.procedure_code == b.procedure_code:
                        continue
                    edit = ncci.ptp(a.procedure_code, b.procedure_code, dos)
                    if edit is None or edit.modifier_indicator == "9":
                        continue
                    if edit.modifier_indicator == "0":
                        yield self.hit(f"{b.path}.procedure_code", b.number, line=b.number, col1=a.procedure_code,
                                       col2=b.procedure_code, other=a.number)
                    elif not (set(a.modifiers) | set(b.modifiers)) & NCCI_ASSOCIATED_MODIFIERS:
                        yield self.hit(f"{b.path}.modifiers", b.number, "modifier", line=b.number,
                                       col1=a.procedure_code, col2=b.procedure_code, other=a.number)


@register
class Mue(Rule):
    """Medically unlikely edits: units of a code within its MUE value. MAI 1:
    per line (lines split with 76/77/91/59/X{EPSU}/RT/LT/50 count separately,
    other same-day lines are added up); MAI 2: all lines of the code on the date
    of service together, an absolute limit; MAI 3: the same sum, but a clinical
    exception may be appealed, so a warning."""

    rule_id = "MUE"
    edit = 18
    title = "Medically unlikely edit (units)"
    field = "lines[i].units"
    messages = {
        "default": "Line {line}: {units} units of {code} exceed its medically unlikely edit of {limit} per line.",
        "dos": "{code} is billed for {units} units on one date of service (lines {lines}); its medically "
               "unlikely edit allows {limit} per date of service{appeal}.",
    }

    def check(self, view, ctx, params):
        ncci = ctx.ncci
        if ncci is None or not ncci.mue_loaded():
            return
        per_day: dict[tuple, list] = defaultdict(list)
        for ln in view.lines:
            if ln.procedure_code:
                per_day[(ln.procedure_code, ln.dos)].append(ln)
        for (code, dos), lines in per_day.items():
            limit = ncci.mue(code, dos)
            if limit is None:
                continue
            if limit.mai == 1:
                plain = [ln for ln in lines if not set(ln.modifiers) & MUE_LINE_MODIFIERS]
                for ln in lines:
                    if ln.units > limit.value:
                        yield self.hit(f"{ln.path}.units", ln.number, line=ln.number, units=_n(ln.units), code=code,
                                       limit=limit.value)
                if len(plain) > 1:
                    total = sum((ln.units for ln in plain), Decimal(0))
                    if total > limit.value and all(ln.units <= limit.value for ln in plain):
                        yield self._dos(plain, code, total, limit, "")
            else:
                total = sum((ln.units for ln in lines), Decimal(0))
                if total > limit.value:
                    appeal = "" if limit.mai == 2 else " (a documented clinical exception may be appealed)"
                    yield self._dos(lines, code, total, limit, appeal,
                                    Severity.WARNING if limit.mai == 3 else None)

    def _dos(self, lines, code, total, limit, appeal, severity=None):  # noqa: ANN001
        first = lines[0]
        return self.hit(f"{first.path}.units", first.number, "dos", severity=severity, code=code, units=_n(total),
                        lines=", ".join(str(ln.number) for ln in lines), limit=limit.value, appeal=appeal)


def _n(value: Decimal) -> str:
    return format(value.normalize(), "f")
