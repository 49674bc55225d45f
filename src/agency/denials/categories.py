"""Our own CARC/RARC -> denial category map (codes only).

CARC and RARC *descriptions* are published by X12/WPC under their terms: this
repository never ships their text, only the codes and our own category labels.
The table is versioned (``MAP_VERSION``); an unknown code still posts and is
categorised ``other`` with ``flagged=True`` so someone looks at it (guide
rcm-domain §11: never hard-reject an unknown code).

Categories: eligibility, authorization, coding, bundling, medical_necessity,
timely_filing, cob, duplicate, missing_info, contractual,
patient_responsibility, other. ``contractual`` and ``patient_responsibility``
are not denials (the money is written off per contract, or owed by the patient
or the next payer); ``informational`` codes (e.g. OA-23 prior payer impact on a
secondary remittance) do not open work items either.
"""

from __future__ import annotations

from dataclasses import dataclass

MAP_VERSION = "2026-11"

CATEGORIES = ("eligibility", "authorization", "coding", "bundling", "medical_necessity", "timely_filing", "cob",
              "duplicate", "missing_info", "contractual", "patient_responsibility", "other")
NOT_DENIAL = frozenset({"contractual", "patient_responsibility"})

# Labels are ours (not CARC text).
LABELS = {
    "eligibility": "Eligibility / coverage",
    "authorization": "Authorization / referral",
    "coding": "Coding (code, modifier, diagnosis)",
    "bundling": "Bundling / NCCI",
    "medical_necessity": "Medical necessity / frequency",
    "timely_filing": "Timely filing",
    "cob": "Coordination of benefits",
    "duplicate": "Duplicate",
    "missing_info": "Missing or invalid information",
    "contractual": "Contractual adjustment",
    "patient_responsibility": "Patient responsibility",
    "other": "Other",
}

_CARC: dict[str, tuple[str, ...]] = {
    "eligibility": ("26", "27", "31", "32", "33", "49", "96", "109", "119", "140", "177", "200", "204", "B1"),
    "authorization": ("15", "38", "39", "62", "95", "197", "198", "199", "243", "288"),
    "coding": ("4", "5", "6", "7", "8", "9", "10", "11", "12", "40", "58", "146", "181", "182", "189", "B5"),
    "bundling": ("97", "231", "234", "236", "B15"),
    "medical_necessity": ("50", "55", "56", "150", "151", "152", "167", "272"),
    "timely_filing": ("29",),
    "cob": ("22", "23", "129", "B11", "B13"),
    "duplicate": ("18",),
    "missing_info": ("16", "17", "125", "206", "208", "226", "227", "251", "252"),
    "contractual": ("24", "42", "45", "59", "94", "104", "131", "144", "223", "237", "253", "A2"),
    "patient_responsibility": ("1", "2", "3", "66", "100", "142"),
}
CARC_CATEGORY: dict[str, str] = {code: cat for cat, codes in _CARC.items() for code in codes}

# Adjustments that only inform (no money at stake for us on this remittance).
INFORMATIONAL: frozenset[tuple[str, str]] = frozenset({("OA", "23"), ("OA", "94")})

# RARCs that sharpen a generic CARC (16, 96, A1, 252, ...).
RARC_CATEGORY: dict[str, str] = {
    "M51": "coding", "M76": "coding", "M81": "coding", "N56": "coding", "N657": "coding", "M77": "coding",
    "N290": "missing_info", "N286": "missing_info", "MA130": "missing_info", "N179": "missing_info",
    "M127": "missing_info", "N706": "missing_info",
    "N54": "authorization", "M62": "authorization", "N517": "authorization",
    "MA04": "cob", "N4": "cob", "N479": "cob",
    "M80": "bundling", "N20": "bundling", "M15": "bundling",
    "M86": "duplicate", "N111": "duplicate",
    "N115": "medical_necessity", "N386": "medical_necessity", "M25": "medical_necessity",
    "N30": "eligibility", "MA61": "eligibility", "N130": "eligibility",
}
GENERIC_CARCS = frozenset({"16", "96", "A1", "252", "B7"})


@dataclass(frozen=True, slots=True)
class Categorised:
    category: str
    flagged: bool  # the code is not in our table (posted anyway; someone should look)


def categorise(group: str | None, carc: str | None, rarcs: tuple[str, ...] | list[str] = ()) -> Categorised:
    """Category of one adjustment. PR is always patient responsibility; CO/OA/PI by CARC,
    refined by RARC when the CARC is generic."""
    if group == "PR":
        return Categorised("patient_responsibility", False)
    code = (carc or "").strip().upper()
    if code in GENERIC_CARCS:
        for r in rarcs:
            cat = RARC_CATEGORY.get(r.strip().upper())
            if cat:
                return Categorised(cat, False)
    cat = CARC_CATEGORY.get(code)
    if cat is None:
        if code in GENERIC_CARCS:
            return Categorised("missing_info" if code == "16" else "other", False)
        return Categorised("other", True)
    if cat == "patient_responsibility":  # a PR-type CARC under CO/OA/PI: still not billable to the patient
        return Categorised("other", False)
    return Categorised(cat, False)


def is_denial(group: str | None, carc: str | None, category: str) -> bool:
    """Money the payer refused and we may recover (opens or feeds a work item)."""
    if category in NOT_DENIAL:
        return False
    return ((group or ""), (carc or "").upper()) not in INFORMATIONAL
