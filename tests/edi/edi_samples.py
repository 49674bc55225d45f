"""Where the public sample corpus lives (../shared/x12-samples next to the repo, or $X12_SAMPLES_DIR)."""

from __future__ import annotations

import os
from pathlib import Path


def samples_dir() -> Path:
    env = os.environ.get("X12_SAMPLES_DIR")
    if env:
        return Path(env)
    # tests/edi/edi_samples.py -> repo root is parents[2]; the corpus sits next to the repo.
    return (Path(__file__).resolve().parents[2] / ".." / "shared" / "x12-samples").resolve()


def sample_files() -> list[Path]:
    root = samples_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "SOURCES.md")
