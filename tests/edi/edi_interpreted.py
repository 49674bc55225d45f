"""The edi modules setup.py may compile, loaded again from their .py source as plain Python.

Tests hold both forms to the same oracles: the installed module (compiled when the
install could build it) and its source run by the interpreter (what an install
without a C compiler runs).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def interpreted(module: ModuleType) -> ModuleType:
    name = module.__name__.rsplit(".", 1)[1]
    spec = importlib.util.spec_from_file_location(f"edi_{name}_interpreted", Path(module.__file__).with_name(f"{name}.py"))
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = loaded  # dataclasses look their module up there
    spec.loader.exec_module(loaded)
    assert not loaded.COMPILED
    return loaded
