"""Layering: the crypto kernel never imports ``agency`` and loads boto3 and
SQLAlchemy only when the KMS provider / SealedBytes are used."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return set(out.split())


def test_kernel_imports_no_agency_no_boto3_no_sqlalchemy() -> None:
    mods = _modules_after("import tenants.crypto, tenants.crypto.keyring, tenants.crypto.blind_index, tenants.crypto.providers")
    assert not {m for m in mods if m == "agency" or m.startswith("agency.")}
    assert "boto3" not in mods and "botocore" not in mods
    assert "sqlalchemy" not in mods


def test_sealed_bytes_is_available_lazily() -> None:
    mods = _modules_after("from tenants.crypto import SealedBytes")
    assert "sqlalchemy" in mods
    assert not {m for m in mods if m == "agency" or m.startswith("agency.")}
