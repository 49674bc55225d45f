"""Stand-in for the `cython` module when Cython is not installed.

`edi.r835` is written in Cython's pure-Python mode: compiled at install time
when Cython and a C compiler are there (see setup.py), interpreted otherwise.
Interpreted, `import cython` needs either Cython's own shadow module or this
one, which gives the few names r835 uses their pure-Python meaning (the same
pattern SQLAlchemy uses for its optional Cython extensions).
"""

from __future__ import annotations

compiled = False

# C types, as annotations only: interpreted code never looks at them.
Py_ssize_t = int
Py_UCS4 = str
longlong = int
bint = bool
int = int  # noqa: A001 - cython.int, the C int


def declare(_type, value=None):
    return value


def _identity(fn):
    return fn


cfunc = inline = _identity


def _directive(*_args, **_kwargs):
    return _identity


boundscheck = wraparound = exceptval = locals = _directive  # noqa: A001
