"""Diagnoses: ICD-10-CM valid and billable on the date of service (edit 4),
code-set version (edit 5), diagnosis pointers (edit 6), duplicates (edit 7),
first-diagnosis limits (edit 8)."""

from __future__ import annotations

from datetime import date

from agency.codesets.service import icd10_display
from agency.scrubber.rules.base import P_ONLY, Rule, register
from agency.scrubber.tables import MANIFESTATION_CATEGORIES

ICD10_START = date(2015, 10, 1)
MAX_DX_837P = 12
MAX_POINTERS = 4


def _label(path: str) -> str:
    """``diagnoses[0]`` -> ``diagnosis 1``; 837I paths keep their role."""
    if path.startswith("diagnoses["):
        return f"diagnosis {int(path[10:-1]) + 1}"
    name, _, idx = path.partition("[")
    base = name.replace("_", " ")
    return f"{base} {int(idx[:-1]) + 1}" if idx else base


def _diagnosis_dates(view) -> list[tuple[str, str, date]]:
    """(path, code, date of service) for every diagnosis and every date it is used on:
    837P, the dates of the lines that point at it (the first date when none do);
    837I, the through (discharge) date."""
    out = []
    if view.is_professional:
        for i, (path, code) in enumerate(view.diagnoses):
            days = sorted({ln.dos for ln in view.lines if (i + 1) in ln.pointers}) or [view.first_dos]
            out += [(path, code, d) for d in days if d is not None]
    else:
        out = [(path, code, view.diagnosis_dos) for path, code in view.diagnoses]
    return out


@register
class DiagnosisValidOnDos(Rule):
    """Each ICD-10-CM diagnosis exists in the code-set release covering its date
    of service (837I: the through/discharge date) and is billable: a leaf, with
    its 7th character and X placeholders. Uses ``ctx.code_sets``; skips when
    none is supplied. A code valid in another release only is edit 5."""

    rule_id = "DX-VALID-ON-DOS"
    edit = 4
    title = "Diagnosis billable on the date of service"
    field = "diagnoses[i]"
    messages = {"default": "The {label} code {code} cannot be billed: {reason}."}

    def check(self, view, ctx, params):
        if ctx.code_sets is None:
            return
        seen = set()
        for path, code, dos in _diagnosis_dates(view):
            if dos < ICD10_START or (path, code) in seen:
                continue
            verdict = ctx.code_sets.diagnosis(code, dos)
            if not verdict.ok and not verdict.wrong_version:
                seen.add((path, code))
                yield self.hit(path, None, label=_label(path), code=icd10_display(code),
                               reason=(verdict.reason or "not a billable ICD-10-CM code").rstrip("."))


@register
class DiagnosisCodeSetVersion(Rule):
    """ICD-10-CM (qualifiers ABK/ABF) only for dates of service on or after
    2015-10-01; a code that exists only in another fiscal-year release than the
    one covering the date of service (added later, or deleted since) is refused,
    e.g. a code added in FY2027 for a date before 2026-10-01."""

    rule_id = "DX-CODE-SET-VERSION"
    edit = 5
    title = "Diagnosis code-set version"
    field = "diagnoses[i]"
    messages = {"default": "The {label} code {code} belongs to another ICD-10-CM release than the one "
                           "covering the date of service: {reason}.",
                "icd9": "ICD-10-CM diagnoses may only be sent for dates of service on or after 2015-10-01; "
                        "this claim has an earlier date of service (ICD-9-CM era)."}

    def check(self, view, ctx, params):
        if view.first_dos is not None and view.first_dos < ICD10_START:
            yield self.hit(view.diagnoses[0][0] if view.diagnoses else None, None, "icd9")
            return
        if ctx.code_sets is None:
            return
        seen = set()
        for path, code, dos in _diagnosis_dates(view):
            if (path, code) in seen:
                continue
            verdict = ctx.code_sets.diagnosis(code, dos)
            if not verdict.ok and verdict.wrong_version:
                seen.add((path, code))
                yield self.hit(path, None, label=_label(path), code=icd10_display(code),
                               reason=(verdict.reason or "").rstrip("."))


@register
class DiagnosisPointers(Rule):
    """837P: at most 12 diagnoses; every line points at 1-4 diagnoses, each
    pointer naming an existing diagnosis, none twice."""

    rule_id = "DX-POINTERS"
    edit = 6
    title = "Diagnosis pointers"
    field = "lines[i].diagnosis_pointers[j]"
    applies_to = P_ONLY
    messages = {
        "default": "Line {line} points at diagnosis {pointer}, but the claim has {count} diagnoses.",
        "none": "Line {line} points at no diagnosis; each line needs 1 to 4 diagnosis pointers.",
        "too_many": "Line {line} has {n} diagnosis pointers; at most 4 are allowed.",
        "repeat": "Line {line} points at diagnosis {pointer} twice.",
        "too_many_dx": "The claim has {count} diagnoses; an 837P claim carries at most 12.",
        "no_dx": "The claim has no diagnosis.",
    }

    def check(self, view, ctx, params):
        count = len(view.diagnoses)
        if count == 0:
            yield self.hit("diagnoses", None, "no_dx")
        elif count > MAX_DX_837P:
            yield self.hit(f"diagnoses[{MAX_DX_837P}]", None, "too_many_dx", count=count)
        for ln in view.lines:
            if not ln.pointers:
                yield self.hit(f"{ln.path}.diagnosis_pointers", ln.number, "none", line=ln.number)
                continue
            if len(ln.pointers) > MAX_POINTERS:
                yield self.hit(f"{ln.path}.diagnosis_pointers[{MAX_POINTERS}]", ln.number, "too_many",
                               line=ln.number, n=len(ln.pointers))
            seen = set()
            for j, p in enumerate(ln.pointers):
                if p in seen:
                    yield self.hit(f"{ln.path}.diagnosis_pointers[{j}]", ln.number, "repeat", line=ln.number,
                                   pointer=p)
                elif not (1 <= p <= min(count, MAX_DX_837P)):
                    yield self.hit(f"{ln.path}.diagnosis_pointers[{j}]", ln.number, line=ln.number, pointer=p,
                                   count=count)
                seen.add(p)


@register
class DuplicateDiagnosis(Rule):
    """No diagnosis code appears twice on a claim."""

    rule_id = "DX-DUPLICATE"
    edit = 7
    title = "Duplicate diagnosis"
    field = "diagnoses[i]"
    messages = {"default": "The {label} code {code} repeats {first}; list each diagnosis once."}

    def check(self, view, ctx, params):
        first: dict[str, str] = {}
        for path, code in view.diagnoses:
            if not code:
                continue
            if code in first:
                yield self.hit(path, None, label=_label(path), code=icd10_display(code), first=_label(first[code]))
            else:
                first[code] = path


@register
class PrimaryDiagnosisLimits(Rule):
    """The first (principal) diagnosis is not an external-cause code (V00-Y99),
    not a sequela (7th character S), and not a manifestation code whose
    convention says "code first" the underlying disease (built-in category list
    in ``agency.scrubber.tables``, or ``ctx.manifestation_codes``)."""

    rule_id = "DX-PRIMARY-LIMITS"
    edit = 8
    title = "First-diagnosis limits"
    field = "diagnoses[0]"
    messages = {
        "default": "The first diagnosis {code} is an external-cause code (V00-Y99); it may only follow the "
                   "injury or condition it explains.",
        "sequela": "The first diagnosis {code} is a sequela (7th character S); list the residual condition "
                   "first and the sequela code after it.",
        "manifestation": "The first diagnosis {code} is a manifestation code; its convention is to code the "
                         "underlying disease first.",
    }

    def check(self, view, ctx, params):
        if not view.diagnoses:
            return
        path, code = view.diagnoses[0]
        if not code:
            return
        shown = icd10_display(code)
        if code[0] in "VWXY":
            yield self.hit(path, None, code=shown)
        elif len(code) == 7 and code[6] == "S":
            yield self.hit(path, None, "sequela", code=shown)
        else:
            table = ctx.manifestation_codes if ctx.manifestation_codes is not None else MANIFESTATION_CATEGORIES
            if code in table or code[:3] in table or code[:4] in table:
                yield self.hit(path, None, "manifestation", code=shown)
