"""Small built-in tables (public knowledge, our own wording; no AMA, NUCC or
NUBC text). Larger lists - NCCI, MUE, add-on codes, global periods, LCD/NCD -
are loaded or supplied by the caller."""

from __future__ import annotations

# ICD-10-CM categories whose conventions say "code first the underlying disease"
# ("in diseases classified elsewhere" manifestations): never the first diagnosis.
MANIFESTATION_CATEGORIES = frozenset("""
D63 E35 F02 G01 G02 G05 G07 G13 G32 G46 G53 G59 G63 G73 G94 G99 H32 H36 H42 I32 I39 I41 I43 I52 J17 J99
K23 K67 K77 K87 L14 L45 L54 L62 L86 L99 M01 M14 M36 M49 M63 M68 M73 M90 N08 N16 N22 N29 N33 N37 N51 N77
""".split())


def _ranges(spec: str) -> tuple[tuple[str, str], ...]:
    out = []
    for part in spec.split():
        lo, _, hi = part.partition("-")
        out.append((lo, hi or lo))
    return tuple(out)


def in_ranges(code: str, ranges: tuple[tuple[str, str], ...]) -> bool:
    cat = code[:3]
    return any(lo <= cat <= hi for lo, hi in ranges)


# Diagnoses that only fit one sex (coarse, category level; MCE-style warnings).
FEMALE_ONLY = _ranges("O00-O9A N70-N98 C51-C58 D06 D25-D28 D39 E28 Q50-Q52 R87 Z32-Z37 Z39 Z3A")
MALE_ONLY = _ranges("N40-N53 C60-C63 D29 D40 E29 Q53-Q55 R86")
# Age bands (MCE): maternity 9-64, newborn/perinatal 0.
MATERNITY = _ranges("O00-O9A Z32-Z37 Z39 Z3A")
NEWBORN = _ranges("P00-P96 Z38")

# Modifiers.
DISTINCT_X = frozenset({"XE", "XP", "XS", "XU"})
LATERALITY = frozenset({"RT", "LT", "50"})
TELEHEALTH_MODIFIERS = frozenset({"95", "93", "GT"})
TELEHEALTH_POS = frozenset({"02", "10"})
# Modifiers that may bypass an NCCI PTP edit with indicator 1 (NCCI policy manual).
NCCI_ASSOCIATED_MODIFIERS = frozenset("""
24 25 27 57 58 59 78 79 91 XE XP XS XU E1 E2 E3 E4 FA F1 F2 F3 F4 F5 F6 F7 F8 F9 LC LD LM RC RI LT RT
TA T1 T2 T3 T4 T5 T6 T7 T8 T9
""".split())
# Modifiers that make a repeated unit a separate MUE line (MAI 1).
MUE_LINE_MODIFIERS = frozenset({"76", "77", "91", "59", "XE", "XP", "XS", "XU", "LT", "RT", "50"})
# E/M visit that is separate from a procedure's global period.
GLOBAL_BYPASS_MODIFIERS = frozenset({"24", "25", "57", "79"})


def is_evaluation_and_management(code: str | None) -> bool:
    """CPT E/M codes 99202-99499 (numbers only)."""
    return bool(code) and len(code) == 5 and code.isdigit() and "99202" <= code <= "99499"


def is_drug_code(code: str | None, prefixes: frozenset[str]) -> bool:
    return bool(code) and any(code.startswith(p) for p in prefixes)
