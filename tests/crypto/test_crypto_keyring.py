"""Keyring cache (TTL, use cap, statuses, thread safety) and the PhiCipher facade."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tenants.crypto.blind_index import BlindIndexSpec, normalize_member_id, normalize_name_dob
from tenants.crypto.errors import (
    CryptoError,
    DecryptionFailed,
    InvalidPlaintext,
    KeyDestroyed,
    KeyVersionUnavailable,
)
from tenants.crypto.keyring import (
    FieldCipher,
    InMemoryKeyRecordSource,
    Keyring,
    KeyRecordSource,
    PhiCipher,
    WrappedKeyRecord,
    new_key_record,
    provision_tenant_keys,
)
from tenants.crypto.providers import LocalKeyProvider
from tenants.crypto.sealing import Sealed

T1 = uuid.UUID("11111111-1111-4111-8111-111111111111")
T2 = uuid.UUID("22222222-2222-4222-8222-222222222222")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CountingProvider(LocalKeyProvider):
    """The real local provider, counting unwrap calls (a spy, not a stub)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.unwrap_calls = 0
        self._count_lock = threading.Lock()

    def unwrap(self, tenant_id: Any, wrapped: bytes, context: Mapping[str, str]) -> bytes:
        with self._count_lock:
            self.unwrap_calls += 1
        return super().unwrap(tenant_id, wrapped, context)


@pytest.fixture
def provider(tmp_path: Path) -> CountingProvider:
    return CountingProvider(tmp_path / "ks")


@pytest.fixture
def source(provider: CountingProvider) -> InMemoryKeyRecordSource:
    src = InMemoryKeyRecordSource()
    for t in (T1, T2):
        for r in provision_tenant_keys(provider, t, index_bits=12):
            src.put(r)
    return src


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def keyring(provider: CountingProvider, source: InMemoryKeyRecordSource, clock: FakeClock) -> Keyring:
    return Keyring(provider, source, ttl_seconds=300, max_uses=5, clock=clock)


@pytest.fixture
def cipher(keyring: Keyring) -> PhiCipher:
    return PhiCipher(keyring)


def test_source_satisfies_protocol(source: InMemoryKeyRecordSource) -> None:
    assert isinstance(source, KeyRecordSource)
    assert source.active(str(T1), "dek").version == 1  # type: ignore[union-attr]
    assert source.get(str(T1), "bidx", 1).index_bits == 12  # type: ignore[union-attr]
    assert source.get(str(T1), "dek", 9) is None


def test_record_validation_and_repr() -> None:
    r = WrappedKeyRecord(T1, "dek", 1, b"\x01" * 60, "local:x", "active")
    assert r.tenant_id == str(T1)
    assert "wrapped" not in repr(r) and "\\x01" not in repr(r)
    with pytest.raises(ValueError):
        WrappedKeyRecord(T1, "kek", 1, b"x", "r", "active")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        WrappedKeyRecord(T1, "dek", 1, b"x", "r", "retired")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        WrappedKeyRecord(T1, "dek", 1, b"x", "r", "active", index_bits=12)
    with pytest.raises(ValueError):
        WrappedKeyRecord(T1, "bidx", 1, b"x", "r", "active", index_bits=0)
    with pytest.raises(ValueError):
        WrappedKeyRecord(T1, "dek", -1, b"x", "r", "active")


def test_cache_hit_avoids_unwrap(keyring: Keyring, provider: CountingProvider) -> None:
    v, k = keyring.active_dek(T1)
    assert v == 1 and len(k) == 32
    assert keyring.dek(T1, 1) == k
    assert keyring.active_dek(str(T1).upper()) == (1, k)
    assert provider.unwrap_calls == 1
    assert keyring.dek(T2, 1) != k
    assert provider.unwrap_calls == 2


def test_ttl_expiry(keyring: Keyring, provider: CountingProvider, clock: FakeClock) -> None:
    keyring.dek(T1, 1)
    clock.advance(299.9)
    keyring.dek(T1, 1)
    assert provider.unwrap_calls == 1
    clock.advance(0.2)  # 300.1 s after the unwrap
    keyring.dek(T1, 1)
    assert provider.unwrap_calls == 2
    clock.advance(299)
    keyring.dek(T1, 1)
    assert provider.unwrap_calls == 2  # TTL restarted at the re-unwrap


def test_use_cap(keyring: Keyring, provider: CountingProvider) -> None:
    for _ in range(5):  # max_uses=5: one unwrap serves five hand-outs
        keyring.dek(T1, 1)
    assert provider.unwrap_calls == 1
    keyring.dek(T1, 1)
    assert provider.unwrap_calls == 2
    for _ in range(4):
        keyring.dek(T1, 1)
    assert provider.unwrap_calls == 2
    keyring.dek(T1, 1)
    assert provider.unwrap_calls == 3


def test_active_pointer_follows_rotation_after_ttl(
    keyring: Keyring, provider: CountingProvider, source: InMemoryKeyRecordSource, clock: FakeClock
) -> None:
    assert keyring.active_dek(T1)[0] == 1
    old = source.get(str(T1), "dek", 1)
    assert old is not None
    source.put(new_key_record(provider, T1, "dek", 2, kek_ref=old.kek_ref))
    source.put(WrappedKeyRecord(old.tenant_id, "dek", 1, old.wrapped, old.kek_ref, "decrypt_only"))
    assert keyring.active_dek(T1)[0] == 1  # cached pointer until TTL
    clock.advance(301)
    assert keyring.active_dek(T1)[0] == 2
    keyring.dek(T1, 1)  # decrypt_only still opens


def test_invalidate(keyring: Keyring, provider: CountingProvider, source: InMemoryKeyRecordSource) -> None:
    keyring.active_dek(T1)
    keyring.active_dek(T2)
    keyring.invalidate(T1)
    keyring.active_dek(T1)
    keyring.active_dek(T2)
    assert provider.unwrap_calls == 3
    keyring.invalidate()
    assert keyring.cached_entries() == 0


def test_unknown_and_destroyed_versions(keyring: Keyring, source: InMemoryKeyRecordSource) -> None:
    with pytest.raises(KeyVersionUnavailable) as ei:
        keyring.dek(T1, 7)
    assert ei.value.key_version == 7 and str(T1) in str(ei.value)
    rec = source.get(str(T1), "dek", 1)
    assert rec is not None
    source.put(WrappedKeyRecord(rec.tenant_id, "dek", 1, rec.wrapped, rec.kek_ref, "destroyed"))
    with pytest.raises(KeyDestroyed):
        keyring.dek(T1, 1)
    with pytest.raises(KeyVersionUnavailable, match="no active dek key"):
        keyring.active_dek(T1)
    with pytest.raises(KeyVersionUnavailable):
        keyring.active_dek(uuid.uuid4())


def test_mismatched_record_from_loader_is_refused(provider: CountingProvider, source: InMemoryKeyRecordSource) -> None:
    class Confused:
        def active(self, tenant_id: str, purpose: str) -> WrappedKeyRecord | None:
            return source.active(str(T2), purpose)  # type: ignore[arg-type]

        def get(self, tenant_id: str, purpose: str, version: int) -> WrappedKeyRecord | None:
            return source.get(str(T2), purpose, version)  # type: ignore[arg-type]

    kr = Keyring(provider, Confused())
    with pytest.raises(CryptoError, match="mismatched record"):
        kr.dek(T1, 1)
    with pytest.raises(CryptoError, match="mismatched record"):
        kr.active_dek(T1)


def test_key_material_not_in_repr_or_errors(keyring: Keyring, cipher: PhiCipher) -> None:
    _, k = keyring.active_dek(T1)
    ik = keyring.index_key(T1)
    for text in (repr(keyring), repr(cipher), repr(ik), str(keyring.__dict__.get("_cache"))):
        assert k.hex() not in text and repr(k) not in text
        assert ik.key.hex() not in text and repr(ik.key) not in text
    try:
        keyring.dek(T1, 99)
    except CryptoError as exc:
        assert k.hex() not in str(exc)


def test_concurrent_misses_unwrap_once(provider: CountingProvider, source: InMemoryKeyRecordSource) -> None:
    kr = Keyring(provider, source, max_uses=10_000)
    barrier = threading.Barrier(16)
    keys: list[bytes] = []

    def worker() -> None:
        barrier.wait()
        for _ in range(200):
            keys.append(kr.active_dek(T1)[1])
            kr.dek(T2, 1)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and len(keys) == 3200
    assert provider.unwrap_calls == 2


# --- PhiCipher ------------------------------------------------------------------------


def test_cipher_round_trips(cipher: PhiCipher) -> None:
    row = uuid.uuid4()
    for value in ("", "Ålesund Ørsted", "李"):
        s = cipher.seal_text(T1, "patient", "first_name", row, value)
        assert isinstance(s, Sealed)
        assert cipher.open_text(T1, "patient", "first_name", row, s) == value
        assert cipher.open_text(T1, "patient", "first_name", row, s.blob) == value
    d = dt.date(1975, 12, 31)
    assert cipher.open_date(T1, "patient", "dob", row, cipher.seal_date(T1, "patient", "dob", row, d)) == d
    n = Decimal("1234.50")
    out = cipher.open_decimal(T1, "claim", "charge", row, cipher.seal_decimal(T1, "claim", "charge", row, n))
    assert out == n and str(out) == "1234.50"
    raw = b"\x00\xff binary"
    assert cipher.open_bytes(T1, "doc", "blob", row, cipher.seal_bytes(T1, "doc", "blob", row, raw)) == raw
    assert cipher.seal_text(T1, "patient", "middle_name", row, None) is None
    assert cipher.open_text(T1, "patient", "middle_name", row, None) is None
    assert FieldCipher is PhiCipher


def test_cipher_swaps_fail(cipher: PhiCipher) -> None:
    row = uuid.uuid4()
    s = cipher.seal_text(T1, "patient", "last_name", row, "Doe")
    with pytest.raises(DecryptionFailed):
        cipher.open_text(T2, "patient", "last_name", row, s)  # T2 has its own DEK v1 too
    with pytest.raises(DecryptionFailed):
        cipher.open_text(T1, "patient", "first_name", row, s)
    with pytest.raises(DecryptionFailed):
        cipher.open_text(T1, "patient", "last_name", uuid.uuid4(), s)


def test_cipher_wrong_kind_names_location(cipher: PhiCipher) -> None:
    row = uuid.uuid4()
    s = cipher.seal_text(T1, "patient", "notes", row, "not a date")
    with pytest.raises(InvalidPlaintext) as ei:
        cipher.open_date(T1, "patient", "notes", row, s)
    assert ei.value.column == "notes" and "not a date" not in str(ei.value)


def test_old_version_opens_after_rotation(
    cipher: PhiCipher, provider: CountingProvider, source: InMemoryKeyRecordSource, keyring: Keyring
) -> None:
    row = uuid.uuid4()
    s1 = cipher.seal_text(T1, "patient", "last_name", row, "Before")
    old = source.get(str(T1), "dek", 1)
    assert old is not None
    source.put(WrappedKeyRecord(old.tenant_id, "dek", 1, old.wrapped, old.kek_ref, "decrypt_only"))
    source.put(new_key_record(provider, T1, "dek", 2, kek_ref=old.kek_ref))
    keyring.invalidate(T1)
    s2 = cipher.seal_text(T1, "patient", "last_name", row, "After")
    assert (s1.key_version, s2.key_version) == (1, 2)  # type: ignore[union-attr]
    assert cipher.open_text(T1, "patient", "last_name", row, s1) == "Before"
    assert cipher.open_text(T1, "patient", "last_name", row, s2) == "After"


def test_shredding_end_to_end(cipher: PhiCipher, provider: CountingProvider, keyring: Keyring) -> None:
    row = uuid.uuid4()
    s = cipher.seal_text(T1, "patient", "last_name", row, "Gone")
    fs = cipher.seal_file(T1, row, b"ISA*00*...~")
    other = cipher.seal_text(T2, "patient", "last_name", row, "Stays")
    provider.destroy_kek(T1)
    keyring.invalidate(T1)
    with pytest.raises(KeyDestroyed) as ei:
        cipher.open_text(T1, "patient", "last_name", row, s)
    assert str(T1) in str(ei.value)
    with pytest.raises(KeyDestroyed):
        cipher.open_file(T1, row, fs)
    spec = BlindIndexSpec("patient", "member_id", "member_id", normalize_member_id)
    with pytest.raises(KeyDestroyed):  # no blind-index lookups either
        cipher.blind_index(T1, spec, "ABC123")
    assert cipher.open_text(T2, "patient", "last_name", row, other) == "Stays"


def test_cipher_blind_index_uses_record_bits_and_tenant_keys(cipher: PhiCipher) -> None:
    spec = BlindIndexSpec("patient", "last_name", "name_dob", normalize_name_dob)
    a = cipher.blind_index(T1, spec, "O'Brien", dt.date(1980, 2, 3))
    assert a == cipher.blind_index(T1, spec, " obrien ", "02/03/1980")
    assert 0 <= a < 2**12
    big = cipher.blind_index(T1, spec, "O'Brien", dt.date(1980, 2, 3), bits=32)
    assert big >> 20 == a  # same HMAC, longer prefix
    t2 = cipher.blind_index(T2, spec, "O'Brien", dt.date(1980, 2, 3), bits=32)
    assert t2 != big  # per-tenant index keys
