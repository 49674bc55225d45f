"""Boundaries a newcomer can rely on: edi and tenants never import agency; edi
never imports tenants; only agency.system_access opens RLS-bypassing sessions."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_edi_and_tenants_do_not_import_agency():
    offenders = []
    for package, forbidden in (("edi", {"agency", "tenants"}), ("tenants", {"agency"})):
        for path in (SRC / package).rglob("*.py"):
            bad = imported_roots(path) & forbidden
            if bad:
                offenders.append(f"{path.relative_to(SRC)} imports {sorted(bad)}")
    assert offenders == []


def test_only_system_access_opens_system_sessions():
    allowed = {SRC / "agency" / "system_access.py", SRC / "tenants" / "sessions.py"}
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                 if p not in allowed and ("system_sessionmaker" in p.read_text()
                                          or "SystemSession" in p.read_text())]
    assert offenders == []
