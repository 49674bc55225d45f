"""Blind indexes for equality search over sealed PHI (guide §9.5).

::

    subkey = HKDF-SHA256(index_key, salt=None, info=f"bidx|{table}|{column}|{name}")
    bidx   = trunc_L(HMAC-SHA256(subkey, normalize(value)))      # int in [0, 2**L)

The result is a non-negative int below ``2**L`` (L <= 63, so it fits a
PostgreSQL ``bigint``), stored next to the ciphertext and indexed
``(tenant_id, bidx)``.  Index keys are per tenant, so the same member ID in
two practices gives unrelated values.

Lookup: compute the bidx, fetch candidates, decrypt, then keep only rows
where :meth:`BlindIndexSpec.matches` holds.  With small L, collisions
(false positives) are expected and wanted: they are what hides frequency.

Sizing (CipherSweet rule): ``C = R / 2**sum(min(L_i, K_i))`` over every index
on the same plaintext, with R rows under that key and K_i the input keyspace
in bits; require ``2 <= C < sqrt(R)``.  See :func:`choose_index_bits`.
"""

from __future__ import annotations

import datetime as _dt
import hmac
import math
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

__all__ = [
    "MAX_INDEX_BITS",
    "DEFAULT_SLOW_ITERATIONS",
    "IndexSizingError",
    "BlindIndexSpec",
    "index_subkey",
    "compute_blind_index",
    "compute_slow_blind_index",
    "truncate_bits",
    "normalize_text",
    "normalize_name",
    "normalize_date",
    "normalize_member_id",
    "normalize_mrn",
    "compound",
    "normalize_name_dob",
    "coincidence",
    "check_index_bits",
    "index_bits_range",
    "choose_index_bits",
]

MAX_INDEX_BITS = 63
DEFAULT_SLOW_ITERATIONS = 100_000
_INDEX_KEY_LEN = 32


class IndexSizingError(ValueError):
    """No index length satisfies ``2 <= C < sqrt(R)`` (or a given one does not)."""


# --- normalisers -------------------------------------------------------------
#
# Each returns a non-empty str or raises ValueError.  An empty normalised value
# must not be indexed (every empty value would share one bidx): store NULL.


def _non_empty(s: str, what: str) -> str:
    if not s:
        raise ValueError(f"{what} is empty after normalisation; store a NULL index instead")
    return s


def normalize_text(value: str) -> str:
    """NFKC + casefold (NFKC_Casefold style), then drop everything that is not
    a letter, digit or combining mark: whitespace, punctuation and symbols go.
    ``"  O'Brien-Smith "`` -> ``"obriensmith"``; ``"ＭÜＬＬＥＲ"`` -> ``"müller"``.
    Diacritics are kept (``"Müller" != "Muller"``)."""
    if not isinstance(value, str):
        raise TypeError("value must be str")
    s = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return _non_empty("".join(ch for ch in s if unicodedata.category(ch)[0] in "LNM"), "text")


normalize_name = normalize_text

_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y")


def normalize_date(value: _dt.date | str) -> str:
    """ISO ``YYYY-MM-DD``.  Accepts ``date``, ISO strings, X12 ``D8``
    (``CCYYMMDD``) and US ``MM/DD/YYYY``.  ``datetime`` is refused."""
    if isinstance(value, _dt.datetime):
        raise TypeError("pass a date, not a datetime")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError("value must be date or str")
    s = value.strip()
    for fmt in _DATE_FORMATS:
        try:
            return _dt.datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError("unrecognised date format (expected YYYY-MM-DD, CCYYMMDD or MM/DD/YYYY)")


def normalize_member_id(value: str) -> str:
    """NFKC, uppercase, keep ASCII ``A-Z0-9`` only (spaces, dashes, dots go;
    leading zeros stay).  ``" abc-123 45"`` -> ``"ABC12345"``."""
    if not isinstance(value, str):
        raise TypeError("value must be str")
    s = unicodedata.normalize("NFKC", value).upper()
    return _non_empty("".join(ch for ch in s if ("A" <= ch <= "Z") or ("0" <= ch <= "9")), "identifier")


normalize_mrn = normalize_member_id


def compound(*parts: str) -> str:
    """Unambiguous join of already-normalised parts (length-prefixed), so
    ``("ab", "c")`` and ``("a", "bc")`` never collide."""
    if not parts:
        raise ValueError("compound index needs at least one part")
    return "".join(f"{len(p)}:{p}" for p in parts)


def normalize_name_dob(last_name: str, dob: _dt.date | str) -> str:
    """Compound value for the patient lookup: full normalised last name + ISO DOB."""
    return compound(normalize_name(last_name), normalize_date(dob))


# --- computation ---------------------------------------------------------------


def _check_label(label: str, what: str) -> None:
    if not isinstance(label, str) or not label or "|" in label:
        raise ValueError(f"{what} must be a non-empty str without '|'")


def _check_key(index_key: Any) -> None:
    if not isinstance(index_key, (bytes, bytearray)) or len(index_key) != _INDEX_KEY_LEN:
        raise ValueError("index key must be 32 bytes")


def _check_bits(bits: Any) -> None:
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= MAX_INDEX_BITS:
        raise ValueError(f"bits must be an int in [1, {MAX_INDEX_BITS}]")


def index_subkey(index_key: bytes, table: str, column: str, name: str, *, _prefix: str = "bidx") -> bytes:
    """Per-index subkey: HKDF-SHA256(index_key, info=f"bidx|{table}|{column}|{name}")."""
    _check_key(index_key)
    for label, what in ((table, "table"), (column, "column"), (name, "name")):
        _check_label(label, what)
    info = f"{_prefix}|{table}|{column}|{name}".encode()
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(bytes(index_key))


def truncate_bits(digest: bytes, bits: int) -> int:
    """The first ``bits`` bits of ``digest`` (big-endian) as an int."""
    _check_bits(bits)
    return int.from_bytes(digest[:8], "big") >> (64 - bits)


def compute_blind_index(index_key: bytes, *, table: str, column: str, name: str, normalized: str, bits: int) -> int:
    """Fast blind index of an already-normalised value."""
    _check_bits(bits)
    if not isinstance(normalized, str) or not normalized:
        raise ValueError("normalized value must be a non-empty str")
    mac = hmac.new(index_subkey(index_key, table, column, name), normalized.encode("utf-8"), sha256).digest()
    return truncate_bits(mac, bits)


def compute_slow_blind_index(
    index_key: bytes,
    *,
    table: str,
    column: str,
    name: str,
    normalized: str,
    bits: int,
    iterations: int = DEFAULT_SLOW_ITERATIONS,
) -> int:
    """PBKDF2-HMAC-SHA256 variant for tiny keyspaces (e.g. SSN last 4):
    password = normalised value, salt = a subkey derived with info
    ``bidx-slow|table|column|name`` (domain-separated from fast indexes).
    Slows brute force if the index key ever leaks; it does not make a tiny
    keyspace safe to index alone -- the sizing rule still applies."""
    _check_bits(bits)
    if not isinstance(normalized, str) or not normalized:
        raise ValueError("normalized value must be a non-empty str")
    if iterations < 1:
        raise ValueError("iterations must be >= 1")
    salt = index_subkey(index_key, table, column, name, _prefix="bidx-slow")
    out = PBKDF2HMAC(algorithm=SHA256(), length=32, salt=salt, iterations=iterations).derive(normalized.encode("utf-8"))
    return truncate_bits(out, bits)


@dataclass(frozen=True)
class BlindIndexSpec:
    """One blind index: where it lives, how its input is normalised, and
    whether it is slow (``slow_iterations`` set).

    Example::

        PATIENT_NAME_DOB = BlindIndexSpec("patient", "last_name", "name_dob", normalize_name_dob)
        bidx = PATIENT_NAME_DOB.compute(index_key, "O'Brien", date(1980, 2, 3), bits=12)
    """

    table: str
    column: str
    name: str
    normalizer: Callable[..., str]
    slow_iterations: int | None = None

    def __post_init__(self) -> None:
        for label, what in ((self.table, "table"), (self.column, "column"), (self.name, "name")):
            _check_label(label, what)

    def normalize(self, *values: Any) -> str:
        return self.normalizer(*values)

    def compute(self, index_key: bytes, *values: Any, bits: int) -> int:
        normalized = self.normalize(*values)
        if self.slow_iterations:
            return compute_slow_blind_index(
                index_key,
                table=self.table,
                column=self.column,
                name=self.name,
                normalized=normalized,
                bits=bits,
                iterations=self.slow_iterations,
            )
        return compute_blind_index(
            index_key, table=self.table, column=self.column, name=self.name, normalized=normalized, bits=bits
        )

    def matches(self, query: Any, candidate: Any) -> bool:
        """Exact comparison after normalisation: the false-positive filter run
        on decrypted candidates.  Tuples are unpacked for compound specs."""
        q = self.normalize(*query) if isinstance(query, tuple) else self.normalize(query)
        try:
            c = self.normalize(*candidate) if isinstance(candidate, tuple) else self.normalize(candidate)
        except ValueError:
            return False
        return hmac.compare_digest(q.encode("utf-8"), c.encode("utf-8"))


# --- sizing --------------------------------------------------------------------


def coincidence(rows: int, indexes: Iterable[tuple[int, float]]) -> float:
    """``C = R / 2**sum(min(L_i, K_i))`` for ``indexes = [(L_i, K_i), ...]``."""
    s = sum(min(float(L), float(K)) for L, K in indexes)
    return rows / 2.0**s


def _ok(rows: int, s: float) -> bool:
    # 2 <= R / 2**s  and  R / 2**s < sqrt(R)  <=>  2**(s+1) <= R  and  R < 4**s
    return 2.0 ** (s + 1) <= rows and rows < 4.0**s


def check_index_bits(rows: int, indexes: Iterable[tuple[int, float]]) -> float:
    """Return C, or raise :class:`IndexSizingError` if ``2 <= C < sqrt(R)`` fails."""
    idx = list(indexes)
    c = coincidence(rows, idx)
    if not _ok(rows, sum(min(float(L), float(K)) for L, K in idx)):
        raise IndexSizingError(f"coincidence C={c:.3g} for R={rows} violates 2 <= C < sqrt(R)={math.sqrt(rows):.3g}")
    return c


def index_bits_range(
    rows_estimate: int, keyspace_bits: float, *, other_indexes: Iterable[tuple[int, float]] = ()
) -> tuple[int, int]:
    """Inclusive ``(min_L, max_L)`` satisfying ``2 <= C < sqrt(R)``, counting
    ``other_indexes`` ``[(L, K), ...]`` already built over the same plaintext.
    Raises :class:`IndexSizingError` if no L works."""
    if isinstance(rows_estimate, bool) or not isinstance(rows_estimate, int) or rows_estimate < 1:
        raise ValueError("rows_estimate must be a positive int")
    if not keyspace_bits > 0:
        raise ValueError("keyspace_bits must be > 0")
    base = sum(min(float(L), float(K)) for L, K in other_indexes)
    top = min(MAX_INDEX_BITS, math.ceil(keyspace_bits))
    valid = [L for L in range(1, top + 1) if _ok(rows_estimate, base + min(float(L), float(keyspace_bits)))]
    if not valid:
        raise IndexSizingError(
            f"no index length satisfies 2 <= C < sqrt(R) for R={rows_estimate}, keyspace {keyspace_bits:g} bits"
            + (f", other indexes {base:g} bits" if base else "")
            + ": the input keyspace is too small to index alone (use a compound index) or R is too small"
        )
    return valid[0], valid[-1]


def choose_index_bits(
    rows_estimate: int, keyspace_bits: float, *, other_indexes: Iterable[tuple[int, float]] = ()
) -> int:
    """Pick L in the middle of the valid range: the estimate of R can then be
    wrong by a factor of about ``2**((max-min)/2)`` either way and the rule
    still holds.  R=100,000 with a high-entropy input gives the range 9..15
    and L=12 (C ~ 24)."""
    lo, hi = index_bits_range(rows_estimate, keyspace_bits, other_indexes=other_indexes)
    return (lo + hi) // 2
