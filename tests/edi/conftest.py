"""Shared fixtures for the edi tests: where the public sample corpus lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def samples_dir() -> Path:
    env = os.environ.get("X12_SAMPLES_DIR")
    if env:
        return Path(env)
    # tests/edi/conftest.py -> repo root is parents[2]; the corpus sits next to the repo.
    return (Path(__file__).resolve().parents[2] / ".." / "shared" / "x12-samples").resolve()


def sample_files() -> list[Path]:
    root = samples_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "SOURCES.md")


@pytest.fixture(scope="session")
def samples() -> Path:
    root = samples_dir()
    if not root.is_dir():
        pytest.skip(f"sample corpus not found at {root} (set X12_SAMPLES_DIR)")
    return root
