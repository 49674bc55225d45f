"""Build hook: compiles edi.r835 (the 835 reading loop) and edi.tokenizer with Cython
when it can.

Everything else is in pyproject.toml. Both modules are written in Cython's
pure-Python mode, so when Cython or a C compiler is missing (or
AGENCY_PURE_PYTHON=1 is set) the package installs and works interpreted, only
slower; `edi.r835.COMPILED` / `edi.tokenizer.COMPILED` say which one runs, and
`benchmarks/bench_edi.py` prints it.
"""

import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """A failed compile is a warning, not a failed install: the .py module stays."""

    def run(self):
        try:
            super().run()
        except Exception as ex:  # noqa: BLE001 - any toolchain failure means "interpreted"
            _warn(ex)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as ex:  # noqa: BLE001
            _warn(ex)


def _warn(ex: Exception) -> None:
    print(f"WARNING: not compiled ({ex}); the interpreted module is used", file=sys.stderr)


def _extensions():
    if os.environ.get("AGENCY_PURE_PYTHON"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("WARNING: Cython missing; edi.r835 and edi.tokenizer stay interpreted", file=sys.stderr)
        return []
    return cythonize(["src/edi/r835.py", "src/edi/tokenizer.py"], compiler_directives={"language_level": "3"},
                     quiet=True)


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
