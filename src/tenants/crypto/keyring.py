"""Keyring: in-process cache of unwrapped tenant keys, and the cipher facade.

The database layer supplies a :class:`KeyRecordSource` over the
``tenant_key`` table; the keyring unwraps records through the tenant's
:class:`~tenants.crypto.providers.KeyProvider` on first use and keeps the
plaintext key in memory for ``ttl_seconds`` and at most ``max_uses`` uses
(the AWS Encryption SDK caching-CMM model), so there is no KMS call per field.

Keys never leave the process: no logging of key bytes, safe ``__repr__`` on
every key-holding object, exceptions carry ids only.  (CPython cannot
guarantee that freed ``bytes`` are wiped; error trackers that capture frame
locals, e.g. Sentry ``include_local_variables``, must be turned off for
workers handling PHI.)

Cross-process note: status changes (``decrypt_only``, ``destroyed``, a new
active version) and KEK destruction reach *other* processes only when their
cache entries expire, i.e. within ``ttl_seconds``.  A rotation job must wait
at least the TTL after activating version n+1 before its final
``key_version < n+1`` sweep, and offboarding must allow the TTL before
treating keys as unusable everywhere.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

from ._util import canonical_tenant_id
from .blind_index import BlindIndexSpec
from .errors import CryptoError, KeyDestroyed, KeyVersionUnavailable
from .files import open_file as _open_file
from .files import seal_file as _seal_file
from .providers.base import KeyProvider, key_context
from .sealing import (
    FieldContext,
    Sealed,
    decode_date,
    decode_decimal,
    decode_text,
    encode_date,
    encode_decimal,
    encode_text,
    open_sealed,
    seal,
)

__all__ = [
    "KeyPurpose",
    "KeyStatus",
    "WrappedKeyRecord",
    "KeyRecordSource",
    "InMemoryKeyRecordSource",
    "IndexKey",
    "Keyring",
    "PhiCipher",
    "FieldCipher",
    "new_key_record",
    "provision_tenant_keys",
]

log = logging.getLogger(__name__)

KeyPurpose = Literal["dek", "bidx"]
KeyStatus = Literal["active", "decrypt_only", "destroyed"]
_PURPOSES = ("dek", "bidx")
_STATUSES = ("active", "decrypt_only", "destroyed")
_KEY_LEN = 32


@dataclass(frozen=True, slots=True)
class WrappedKeyRecord:
    """One row of ``tenant_key``: a wrapped DEK or index key.

    ``wrapped`` is the provider's ciphertext of the key under the tenant KEK
    with context ``key_context(tenant_id, purpose, version)``.  ``index_bits``
    (L) is set for ``purpose='bidx'`` records and ``None`` for DEKs.
    ``tenant_id`` is canonicalised to the lowercase UUID string.
    """

    tenant_id: str
    purpose: KeyPurpose
    version: int
    wrapped: bytes = field(repr=False)
    kek_ref: str
    status: KeyStatus
    index_bits: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tenant_id", canonical_tenant_id(self.tenant_id))
        if self.purpose not in _PURPOSES:
            raise ValueError("purpose must be 'dek' or 'bidx'")
        if self.status not in _STATUSES:
            raise ValueError("status must be 'active', 'decrypt_only' or 'destroyed'")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or not 0 <= self.version < 2**32:
            raise ValueError("version must be an int in [0, 2**32)")
        if not isinstance(self.wrapped, (bytes, bytearray, memoryview)):
            raise TypeError("wrapped must be bytes")
        object.__setattr__(self, "wrapped", bytes(self.wrapped))
        if self.purpose == "dek" and self.index_bits is not None:
            raise ValueError("index_bits applies to 'bidx' records only")
        if self.index_bits is not None and (
            isinstance(self.index_bits, bool) or not isinstance(self.index_bits, int) or not 1 <= self.index_bits <= 63
        ):
            raise ValueError("index_bits must be an int in [1, 63]")


@runtime_checkable
class KeyRecordSource(Protocol):
    """What the keyring needs from the database layer (``tenant_key`` rows).

    Synchronous: called from the keyring (itself sync; async code calls the
    cipher in a worker thread, or pre-loads records into an
    :class:`InMemoryKeyRecordSource`).  Return ``None`` when there is no such
    record; never return another tenant's record.
    """

    def active(self, tenant_id: str, purpose: KeyPurpose) -> WrappedKeyRecord | None:
        """The record with ``status='active'`` for (tenant, purpose), if any."""
        ...

    def get(self, tenant_id: str, purpose: KeyPurpose, version: int) -> WrappedKeyRecord | None:
        """The record of that exact version, whatever its status."""
        ...


class InMemoryKeyRecordSource:
    """Thread-safe dict-backed :class:`KeyRecordSource` (tests, CLI tools, or a
    snapshot the async database layer loaded beforehand)."""

    def __init__(self, records: Iterable[WrappedKeyRecord] = ()) -> None:
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str, int], WrappedKeyRecord] = {}
        for r in records:
            self.put(r)

    def __repr__(self) -> str:
        return f"<InMemoryKeyRecordSource records={len(self._records)}>"

    def put(self, record: WrappedKeyRecord) -> None:
        with self._lock:
            self._records[(record.tenant_id, record.purpose, record.version)] = record

    def remove_tenant(self, tenant_id: Any) -> None:
        t = canonical_tenant_id(tenant_id)
        with self._lock:
            for k in [k for k in self._records if k[0] == t]:
                del self._records[k]

    def records(self, tenant_id: Any) -> list[WrappedKeyRecord]:
        t = canonical_tenant_id(tenant_id)
        with self._lock:
            return sorted((r for k, r in self._records.items() if k[0] == t), key=lambda r: (r.purpose, r.version))

    def active(self, tenant_id: str, purpose: KeyPurpose) -> WrappedKeyRecord | None:
        t = canonical_tenant_id(tenant_id)
        with self._lock:
            act = [r for (rt, rp, _), r in self._records.items() if rt == t and rp == purpose and r.status == "active"]
        return max(act, key=lambda r: r.version) if act else None

    def get(self, tenant_id: str, purpose: KeyPurpose, version: int) -> WrappedKeyRecord | None:
        with self._lock:
            return self._records.get((canonical_tenant_id(tenant_id), purpose, version))


@dataclass(frozen=True, slots=True)
class IndexKey:
    """An unwrapped blind-index key with its version and stored L."""

    version: int
    key: bytes = field(repr=False)
    bits: int | None


class _Entry:
    __slots__ = ("key", "expires", "uses", "bits")

    def __init__(self, key: bytes, expires: float, bits: int | None) -> None:
        self.key = key
        self.expires = expires
        self.uses = 0
        self.bits = bits

    def __repr__(self) -> str:
        return f"<_Entry uses={self.uses}>"


class Keyring:
    """Thread-safe cache of unwrapped keys keyed by (tenant_id, purpose, version).

    * An entry lives ``ttl_seconds`` after it was unwrapped and serves at
      most ``max_uses`` key hand-outs; then the next request unwraps again
      (a provider call), which also re-reads the record's status.
    * The active version per (tenant, purpose) is cached for the same TTL.
    * Concurrent misses on the same key unwrap once (per-key lock); misses on
      different keys do not block each other or cache hits.
    * ``clock`` is injectable (monotonic seconds) for tests.
    """

    def __init__(
        self,
        provider: KeyProvider,
        loader: KeyRecordSource,
        ttl_seconds: float = 300.0,
        max_uses: int = 100_000,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be > 0")
        if max_uses < 1:
            raise ValueError("max_uses must be >= 1")
        self._provider = provider
        self._loader = loader
        self._ttl = float(ttl_seconds)
        self._max_uses = int(max_uses)
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, int], _Entry] = {}
        self._active: dict[tuple[str, str], tuple[int, float]] = {}
        self._loading: dict[tuple[str, str, int], threading.Lock] = {}
        self.hits = 0
        self.unwraps = 0

    def __repr__(self) -> str:
        return f"<Keyring entries={len(self._cache)} ttl={self._ttl:g}s max_uses={self._max_uses}>"

    # --- cache core -------------------------------------------------------

    def _take(self, ck: tuple[str, str, int], now: float) -> _Entry | None:
        """Under self._lock: a usable entry (use counted), or None."""
        e = self._cache.get(ck)
        if e is None:
            return None
        if now >= e.expires or e.uses >= self._max_uses:
            del self._cache[ck]
            return None
        e.uses += 1
        self.hits += 1
        return e

    def _purge_expired(self, now: float) -> None:
        for k in [k for k, e in self._cache.items() if now >= e.expires]:
            del self._cache[k]
        for k in [k for k, (_, exp) in self._active.items() if now >= exp]:
            del self._active[k]

    def _entry(self, t: str, purpose: KeyPurpose, version: int, record: WrappedKeyRecord | None = None) -> _Entry:
        ck = (t, purpose, version)
        with self._lock:
            e = self._take(ck, self._clock())
            if e is not None:
                return e
            loading = self._loading.setdefault(ck, threading.Lock())
        with loading:
            with self._lock:
                e = self._take(ck, self._clock())
                if e is not None:
                    return e
            try:
                rec = record if record is not None else self._loader.get(t, purpose, version)
                if rec is None:
                    raise KeyVersionUnavailable("no such key version", tenant_id=t, purpose=purpose, key_version=version)
                if (rec.tenant_id, rec.purpose, rec.version) != ck:
                    # A loader bug must never hand one tenant another's key.
                    raise CryptoError("key record source returned a mismatched record", tenant_id=t, purpose=purpose, key_version=version)
                if rec.status == "destroyed":
                    raise KeyDestroyed("key version was destroyed", tenant_id=t, purpose=purpose, key_version=version)
                key = self._provider.unwrap(t, rec.wrapped, key_context(t, purpose, version))
                if len(key) != _KEY_LEN:
                    raise CryptoError("unwrapped key has the wrong length", tenant_id=t, purpose=purpose, key_version=version)
                log.debug("unwrapped tenant key tenant=%s purpose=%s version=%d", t, purpose, version)
                with self._lock:
                    now = self._clock()
                    self._purge_expired(now)
                    e = _Entry(bytes(key), now + self._ttl, rec.index_bits)
                    e.uses = 1
                    self._cache[ck] = e
                    self.unwraps += 1
                    return e
            finally:
                with self._lock:
                    if self._loading.get(ck) is loading:
                        del self._loading[ck]

    def _active_version(self, t: str, purpose: KeyPurpose) -> tuple[int, WrappedKeyRecord | None]:
        ak = (t, purpose)
        with self._lock:
            now = self._clock()
            hit = self._active.get(ak)
            if hit is not None and now < hit[1]:
                return hit[0], None
        rec = self._loader.active(t, purpose)
        if rec is None or rec.status != "active":
            raise KeyVersionUnavailable(f"no active {purpose} key", tenant_id=t, purpose=purpose)
        if (rec.tenant_id, rec.purpose) != ak:
            raise CryptoError("key record source returned a mismatched record", tenant_id=t, purpose=purpose)
        with self._lock:
            self._active[ak] = (rec.version, self._clock() + self._ttl)
        return rec.version, rec

    # --- public API --------------------------------------------------------

    def active_dek(self, tenant_id: Any) -> tuple[int, bytes]:
        """``(version, key)`` of the tenant's active DEK (used for sealing)."""
        t = canonical_tenant_id(tenant_id)
        version, rec = self._active_version(t, "dek")
        return version, self._entry(t, "dek", version, rec).key

    def dek(self, tenant_id: Any, version: int) -> bytes:
        """The DEK of that version (opening).  ``KeyDestroyed`` if destroyed,
        ``KeyVersionUnavailable`` if unknown."""
        t = canonical_tenant_id(tenant_id)
        return self._entry(t, "dek", version).key

    def index_key(self, tenant_id: Any, version: int | None = None) -> IndexKey:
        """The active blind-index key (or a given version, for dual-writes
        while the index key rotates)."""
        t = canonical_tenant_id(tenant_id)
        rec = None
        if version is None:
            version, rec = self._active_version(t, "bidx")
        e = self._entry(t, "bidx", version, rec)
        return IndexKey(version=version, key=e.key, bits=e.bits)

    def invalidate(self, tenant_id: Any | None = None) -> None:
        """Drop cached keys and active pointers for one tenant (or all)."""
        t = None if tenant_id is None else canonical_tenant_id(tenant_id)
        with self._lock:
            for k in [k for k in self._cache if t is None or k[0] == t]:
                del self._cache[k]
            for k in [k for k in self._active if t is None or k[0] == t]:
                del self._active[k]

    def cached_entries(self) -> int:
        with self._lock:
            return len(self._cache)


class PhiCipher:
    """Seal/open typed PHI fields and EDI files for a tenant, and compute blind
    indexes, using a :class:`Keyring`.

    ``seal_*`` use the tenant's active DEK; ``open_*`` use the version in the
    ciphertext header.  ``None`` passes through both ways (nullable columns);
    anything else is sealed or an error is raised -- there is no plaintext
    fallback.  This class does not audit: the service-level vault wrapping
    it must emit the PHI-access audit event on every ``open_*``.
    """

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring

    def __repr__(self) -> str:
        return f"<PhiCipher {self._keyring!r}>"

    @property
    def keyring(self) -> Keyring:
        return self._keyring

    # bytes
    def seal_bytes(self, tenant_id: Any, table: str, column: str, row_id: Any, value: bytes | None) -> Sealed | None:
        if value is None:
            return None
        ctx = FieldContext(tenant_id, table, column, row_id)
        version, key = self._keyring.active_dek(ctx.tenant_id)
        return seal(key, version, ctx, value)

    def open_bytes(self, tenant_id: Any, table: str, column: str, row_id: Any, sealed: Sealed | bytes | None) -> bytes | None:
        if sealed is None:
            return None
        ctx = FieldContext(tenant_id, table, column, row_id)
        return open_sealed(lambda v: self._keyring.dek(ctx.tenant_id, v), ctx, sealed)

    # text
    def seal_text(self, tenant_id: Any, table: str, column: str, row_id: Any, value: str | None) -> Sealed | None:
        return None if value is None else self.seal_bytes(tenant_id, table, column, row_id, encode_text(value))

    def open_text(self, tenant_id: Any, table: str, column: str, row_id: Any, sealed: Sealed | bytes | None) -> str | None:
        raw = self.open_bytes(tenant_id, table, column, row_id, sealed)
        return None if raw is None else self._decode(decode_text, raw, tenant_id, table, column, row_id)

    # date
    def seal_date(self, tenant_id: Any, table: str, column: str, row_id: Any, value: _dt.date | None) -> Sealed | None:
        return None if value is None else self.seal_bytes(tenant_id, table, column, row_id, encode_date(value))

    def open_date(self, tenant_id: Any, table: str, column: str, row_id: Any, sealed: Sealed | bytes | None) -> _dt.date | None:
        raw = self.open_bytes(tenant_id, table, column, row_id, sealed)
        return None if raw is None else self._decode(decode_date, raw, tenant_id, table, column, row_id)

    # decimal (numbers as text)
    def seal_decimal(self, tenant_id: Any, table: str, column: str, row_id: Any, value: Decimal | int | None) -> Sealed | None:
        return None if value is None else self.seal_bytes(tenant_id, table, column, row_id, encode_decimal(value))

    def open_decimal(self, tenant_id: Any, table: str, column: str, row_id: Any, sealed: Sealed | bytes | None) -> Decimal | None:
        raw = self.open_bytes(tenant_id, table, column, row_id, sealed)
        return None if raw is None else self._decode(decode_decimal, raw, tenant_id, table, column, row_id)

    @staticmethod
    def _decode(fn: Callable[[bytes], Any], raw: bytes, tenant_id: Any, table: str, column: str, row_id: Any) -> Any:
        try:
            return fn(raw)
        except CryptoError as exc:
            ctx = FieldContext(tenant_id, table, column, row_id)
            raise type(exc)(str(exc.args[0]), tenant_id=ctx.tenant_id, table=table, column=column, row_id=ctx.row_id) from None

    # files
    def seal_file(self, tenant_id: Any, file_id: Any, data: bytes | bytearray | memoryview, **kw: Any) -> Sealed:
        version, key = self._keyring.active_dek(tenant_id)
        return _seal_file(key, version, tenant_id, file_id, data, **kw)

    def open_file(self, tenant_id: Any, file_id: Any, sealed: Sealed | bytes) -> bytes:
        t = canonical_tenant_id(tenant_id)
        return _open_file(lambda v: self._keyring.dek(t, v), t, file_id, sealed)

    # blind indexes
    def blind_index(self, tenant_id: Any, spec: BlindIndexSpec, *values: Any, bits: int | None = None, version: int | None = None) -> int:
        """bidx of ``values`` under the tenant's active index key (or
        ``version``), with L = ``bits`` or the key record's ``index_bits``."""
        ik = self._keyring.index_key(tenant_id, version)
        L = bits if bits is not None else ik.bits
        if L is None:
            raise ValueError("no index length: pass bits= or set index_bits on the bidx key record")
        return spec.compute(ik.key, *values, bits=L)


FieldCipher = PhiCipher


def new_key_record(
    provider: KeyProvider,
    tenant_id: Any,
    purpose: KeyPurpose,
    version: int,
    *,
    kek_ref: str,
    status: KeyStatus = "active",
    index_bits: int | None = None,
) -> WrappedKeyRecord:
    """Generate a fresh 32-byte key wrapped under the tenant KEK with the
    standard context, and return the record to INSERT into ``tenant_key``.
    The plaintext key is discarded (the keyring unwraps it on use)."""
    t = canonical_tenant_id(tenant_id)
    plain, wrapped = provider.generate_data_key(t, key_context(t, purpose, version))
    if len(plain) != _KEY_LEN:
        raise CryptoError("provider generated a key of the wrong length", tenant_id=t, purpose=purpose, key_version=version)
    del plain
    return WrappedKeyRecord(t, purpose, version, wrapped, kek_ref, status, index_bits)


def provision_tenant_keys(provider: KeyProvider, tenant_id: Any, *, index_bits: int) -> list[WrappedKeyRecord]:
    """Onboarding: create the tenant KEK, then DEK v1 and index key v1
    (both ``active``).  Returns the two records to insert."""
    kek_ref = provider.create_kek(tenant_id)
    return [
        new_key_record(provider, tenant_id, "dek", 1, kek_ref=kek_ref),
        new_key_record(provider, tenant_id, "bidx", 1, kek_ref=kek_ref, index_bits=index_bits),
    ]
