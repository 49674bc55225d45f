"""LocalKeyProvider: keystore permissions, context binding, crypto-shredding."""

from __future__ import annotations

import os
import stat
import threading
import uuid
from pathlib import Path

import pytest

from tenants.crypto.errors import (
    CryptoError,
    DecryptionFailed,
    KekNotFound,
    KeyDestroyed,
    KeystorePermissionError,
    UnknownCiphertextFormat,
)
from tenants.crypto.providers import KeyProvider, LocalKeyProvider, key_context

T1 = uuid.UUID("11111111-1111-4111-8111-111111111111")
T2 = uuid.UUID("22222222-2222-4222-8222-222222222222")


@pytest.fixture
def ks(tmp_path: Path) -> Path:
    return tmp_path / "keystore"


@pytest.fixture
def provider(ks: Path) -> LocalKeyProvider:
    p = LocalKeyProvider(ks)
    p.create_kek(T1)
    p.create_kek(T2)
    return p


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_creates_directory_0700_and_files_0600(ks: Path) -> None:
    old = os.umask(0o022)
    try:
        p = LocalKeyProvider(ks)
        ref = p.create_kek(T1)
    finally:
        os.umask(old)
    assert isinstance(p, KeyProvider)
    assert mode(ks) == 0o700
    kek = ks / f"{T1}.kek"
    assert mode(kek) == 0o600 and kek.stat().st_size == 32
    assert ref == f"local:{T1}"
    assert p.create_kek(str(T1).upper()) == ref  # idempotent, canonical id
    assert kek.read_bytes() == kek.read_bytes()
    assert sorted(os.listdir(ks)) == [f"{T1}.kek"]  # no temp files left


def test_refuses_0755_directory_with_clear_message(ks: Path) -> None:
    LocalKeyProvider(ks)
    os.chmod(ks, 0o755)
    with pytest.raises(KeystorePermissionError) as ei:
        LocalKeyProvider(ks)
    msg = str(ei.value)
    assert str(ks) in msg and "0755" in msg and "expected 0700" in msg


def test_refuses_0644_kek_file_with_clear_message(ks: Path) -> None:
    LocalKeyProvider(ks).create_kek(T1)
    kek = ks / f"{T1}.kek"
    os.chmod(kek, 0o644)
    with pytest.raises(KeystorePermissionError) as ei:
        LocalKeyProvider(ks)
    msg = str(ei.value)
    assert str(kek) in msg and "0644" in msg and "expected 0600" in msg


def test_permission_change_after_start_is_caught_on_read(provider: LocalKeyProvider, ks: Path) -> None:
    os.chmod(ks / f"{T1}.kek", 0o640)
    with pytest.raises(KeystorePermissionError, match="0640"):
        provider.wrap(T1, os.urandom(32), key_context(T1, "dek", 1))


def test_refuses_symlinks(tmp_path: Path, ks: Path) -> None:
    real = tmp_path / "real"
    LocalKeyProvider(real)
    ks.symlink_to(real)
    with pytest.raises(KeystorePermissionError, match="symlink"):
        LocalKeyProvider(ks)
    (real / f"{T1}.kek").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(KeystorePermissionError, match="symlink"):
        LocalKeyProvider(real)


@pytest.mark.skipif(os.geteuid() != 0, reason="changing file ownership needs root")
def test_refuses_foreign_owner(ks: Path) -> None:
    LocalKeyProvider(ks).create_kek(T1)
    os.chown(ks / f"{T1}.kek", 65534, 65534)
    with pytest.raises(KeystorePermissionError, match="owned by uid 65534"):
        LocalKeyProvider(ks)
    os.chown(ks / f"{T1}.kek", 0, 0)
    os.chown(ks, 65534, 65534)
    with pytest.raises(KeystorePermissionError, match=f"directory {ks} is owned by uid 65534"):
        LocalKeyProvider(ks)


def test_wrap_unwrap_round_trip(provider: LocalKeyProvider) -> None:
    ctx = key_context(T1, "dek", 1)
    plain, wrapped = provider.generate_data_key(T1, ctx)
    assert len(plain) == 32 and plain not in wrapped
    assert provider.unwrap(T1, wrapped, ctx) == plain
    assert provider.unwrap(str(T1), wrapped, dict(ctx)) == plain


def test_wrapped_key_moved_to_another_tenant_fails(provider: LocalKeyProvider) -> None:
    plain, wrapped = provider.generate_data_key(T1, key_context(T1, "dek", 1))
    with pytest.raises(DecryptionFailed) as ei:
        provider.unwrap(T2, wrapped, key_context(T2, "dek", 1))
    assert str(T2) in str(ei.value) and plain.hex() not in str(ei.value)


@pytest.mark.parametrize(
    "ctx",
    [key_context(T1, "dek", 2), key_context(T1, "bidx", 1), {**key_context(T1, "dek", 1), "extra": "x"}],
    ids=["version", "purpose", "extra-field"],
)
def test_wrapped_key_under_another_context_fails(provider: LocalKeyProvider, ctx: dict[str, str]) -> None:
    _, wrapped = provider.generate_data_key(T1, key_context(T1, "dek", 1))
    with pytest.raises(DecryptionFailed):
        provider.unwrap(T1, wrapped, ctx)


def test_context_must_name_the_same_tenant(provider: LocalKeyProvider) -> None:
    with pytest.raises(ValueError):
        provider.wrap(T1, os.urandom(32), key_context(T2, "dek", 1))
    with pytest.raises(TypeError):
        provider.wrap(T1, os.urandom(32), {"version": 1})  # type: ignore[dict-item]


def test_tampered_or_foreign_wrapped_blob(provider: LocalKeyProvider) -> None:
    ctx = key_context(T1, "dek", 1)
    _, wrapped = provider.generate_data_key(T1, ctx)
    for i in range(len(wrapped)):
        t = bytearray(wrapped)
        t[i] ^= 0x01
        with pytest.raises(CryptoError):
            provider.unwrap(T1, bytes(t), ctx)
    with pytest.raises(UnknownCiphertextFormat):
        provider.unwrap(T1, b"\x02" + wrapped[1:], ctx)
    with pytest.raises(UnknownCiphertextFormat):
        provider.unwrap(T1, b"short", ctx)


def test_destroy_shreds_and_unwrap_raises_key_destroyed(provider: LocalKeyProvider, ks: Path) -> None:
    ctx = key_context(T1, "dek", 1)
    plain, wrapped = provider.generate_data_key(T1, ctx)
    kek_path = ks / f"{T1}.kek"
    assert provider.kek_exists(T1)
    provider.destroy_kek(T1)
    assert not kek_path.exists()
    assert not provider.kek_exists(T1)
    with pytest.raises(KeyDestroyed) as ei:
        provider.unwrap(T1, wrapped, ctx)
    assert str(ei.value).startswith("tenant KEK was destroyed") and str(T1) in str(ei.value)
    assert plain.hex() not in str(ei.value)
    with pytest.raises(KeyDestroyed):
        provider.wrap(T1, plain, ctx)
    with pytest.raises(KeyDestroyed):
        provider.create_kek(T1)  # a destroyed tenant is never re-keyed
    provider.destroy_kek(T1)  # idempotent
    # other tenants unaffected; a restart still knows T1 was destroyed
    p2 = LocalKeyProvider(ks)
    assert p2.kek_exists(T2)
    with pytest.raises(KeyDestroyed):
        p2.unwrap(T1, wrapped, ctx)


def test_destroy_overwrites_before_unlink(provider: LocalKeyProvider, ks: Path) -> None:
    kek_path = ks / f"{T1}.kek"
    before = kek_path.read_bytes()
    # keep a second hard link to observe the inode's content after destroy
    witness = ks.parent / "witness"
    os.link(kek_path, witness)
    provider.destroy_kek(T1)
    after = witness.read_bytes()
    assert len(after) == 32 and after != before


def test_half_finished_destroy_reads_as_destroyed(provider: LocalKeyProvider, ks: Path) -> None:
    ctx = key_context(T1, "dek", 1)
    _, wrapped = provider.generate_data_key(T1, ctx)
    tomb = ks / f"{T1}.destroyed"
    fd = os.open(tomb, os.O_WRONLY | os.O_CREAT, 0o600)  # crash after the tombstone
    os.close(fd)
    with pytest.raises(KeyDestroyed):
        provider.unwrap(T1, wrapped, ctx)
    provider.destroy_kek(T1)
    assert not (ks / f"{T1}.kek").exists()


def test_missing_kek_is_not_reported_as_destroyed(provider: LocalKeyProvider) -> None:
    t3 = uuid.uuid4()
    with pytest.raises(KekNotFound) as ei:
        provider.wrap(t3, os.urandom(32), key_context(t3, "dek", 1))
    assert not isinstance(ei.value, KeyDestroyed)


def test_tenant_id_must_be_uuid(provider: LocalKeyProvider) -> None:
    for bad in ("../etc/passwd", "", "tenant-a", 5):
        with pytest.raises(ValueError):
            provider.create_kek(bad)


def test_concurrent_create_agrees_on_one_kek(ks: Path) -> None:
    p = LocalKeyProvider(ks)
    t = uuid.uuid4()
    ctx = key_context(t, "dek", 1)
    wrapped: list[bytes] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            p.create_kek(t)
            wrapped.append(p.wrap(t, b"k" * 32, ctx))
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert all(p.unwrap(t, w, ctx) == b"k" * 32 for w in wrapped)
    assert sorted(os.listdir(ks)) == [f"{t}.kek"]


def test_repr_has_no_key_material(provider: LocalKeyProvider, ks: Path) -> None:
    kek = (ks / f"{T1}.kek").read_bytes()
    assert kek.hex() not in repr(provider) and repr(kek) not in repr(provider)
