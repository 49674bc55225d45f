"""Fixtures for the edi tests (no database needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_samples import samples_dir


@pytest.fixture(scope="session")
def samples() -> Path:
    root = samples_dir()
    if not root.is_dir():
        pytest.skip(f"sample corpus not found at {root} (set X12_SAMPLES_DIR)")
    return root
