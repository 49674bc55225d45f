"""AwsKmsKeyProvider against moto's KMS in server mode (real HTTP, real boto3)."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator

import pytest

from tenants.crypto.errors import DecryptionFailed, KeyDestroyed, KeyProviderUnavailable
from tenants.crypto.keyring import InMemoryKeyRecordSource, Keyring, PhiCipher, provision_tenant_keys
from tenants.crypto.providers import AwsKmsKeyProvider, KeyProvider, key_context

boto3 = pytest.importorskip("boto3", reason="boto3 (agency[kms]) not installed")

T1 = uuid.UUID("11111111-1111-4111-8111-111111111111")
T2 = uuid.UUID("22222222-2222-4222-8222-222222222222")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # pragma: no cover
        pytest.skip(f"moto[server] cannot be imported: {exc}")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    try:
        server.start()
    except Exception as exc:  # pragma: no cover
        pytest.skip(f"moto server could not start: {exc!r}")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:  # pragma: no cover
                server.stop()
                pytest.skip("moto server did not accept connections within 10 s")
            time.sleep(0.05)
    yield url
    server.stop()


@pytest.fixture
def provider(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> AwsKmsKeyProvider:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    # a fresh alias prefix per test keeps tests independent on one server
    prefix = f"alias/agency-test-{uuid.uuid4().hex[:8]}-"
    return AwsKmsKeyProvider(region_name="us-east-1", endpoint_url=moto_endpoint, alias_prefix=prefix)


def test_client_has_explicit_timeouts_and_retries(provider: AwsKmsKeyProvider) -> None:
    cfg = provider._kms.meta.config
    assert cfg.connect_timeout == 3.0 and cfg.read_timeout == 10.0
    assert cfg.retries == {"total_max_attempts": 3, "mode": "standard"}
    assert isinstance(provider, KeyProvider)


def test_create_kek_is_idempotent_and_aliased(provider: AwsKmsKeyProvider) -> None:
    assert not provider.kek_exists(T1)
    ref = provider.create_kek(T1)
    assert ref.startswith("arn:aws:kms:us-east-1:")
    assert provider.create_kek(str(T1).upper()) == ref
    assert provider.kek_exists(T1)
    meta = provider._kms.describe_key(KeyId=provider.alias_for(T1))["KeyMetadata"]
    assert meta["Arn"] == ref and meta["KeyState"] == "Enabled"


def test_wrap_unwrap_and_generate(provider: AwsKmsKeyProvider) -> None:
    provider.create_kek(T1)
    ctx = key_context(T1, "dek", 1)
    plain, wrapped = provider.generate_data_key(T1, ctx)
    assert len(plain) == 32 and plain not in wrapped
    assert provider.unwrap(T1, wrapped, ctx) == plain
    key = os.urandom(32)
    assert provider.unwrap(T1, provider.wrap(T1, key, ctx), ctx) == key


def test_wrapped_key_moved_to_another_tenant_fails(provider: AwsKmsKeyProvider) -> None:
    provider.create_kek(T1)
    provider.create_kek(T2)
    plain, wrapped = provider.generate_data_key(T1, key_context(T1, "dek", 1))
    with pytest.raises(DecryptionFailed) as ei:
        provider.unwrap(T2, wrapped, key_context(T2, "dek", 1))
    assert str(T2) in str(ei.value) and plain.hex() not in str(ei.value)
    with pytest.raises(DecryptionFailed):
        provider.unwrap(T1, wrapped, key_context(T1, "dek", 2))


def test_destroy_schedules_deletion_and_unwrap_raises_key_destroyed(provider: AwsKmsKeyProvider) -> None:
    ref = provider.create_kek(T1)
    ctx = key_context(T1, "dek", 1)
    _, wrapped = provider.generate_data_key(T1, ctx)
    provider.destroy_kek(T1)
    meta = provider._kms.describe_key(KeyId=ref)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion"
    assert not provider.kek_exists(T1)
    with pytest.raises(KeyDestroyed) as ei:
        provider.unwrap(T1, wrapped, ctx)
    assert str(T1) in str(ei.value)
    provider.destroy_kek(T1)  # idempotent


def test_keyring_and_cipher_over_kms(provider: AwsKmsKeyProvider) -> None:
    source = InMemoryKeyRecordSource(provision_tenant_keys(provider, T1, index_bits=12))
    cipher = PhiCipher(Keyring(provider, source))
    row = uuid.uuid4()
    sealed = cipher.seal_text(T1, "patient", "last_name", row, "Nguyễn")
    assert cipher.open_text(T1, "patient", "last_name", row, sealed) == "Nguyễn"
    provider.destroy_kek(T1)
    cipher.keyring.invalidate(T1)
    with pytest.raises(KeyDestroyed):
        cipher.open_text(T1, "patient", "last_name", row, sealed)


def test_unreachable_endpoint_fails_fast_with_provider_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    dead = f"http://127.0.0.1:{_free_port()}"
    p = AwsKmsKeyProvider(region_name="us-east-1", endpoint_url=dead, connect_timeout=0.5, read_timeout=0.5, max_attempts=1)
    start = time.monotonic()
    with pytest.raises(KeyProviderUnavailable, match="EndpointConnectionError|ConnectTimeout"):
        p.unwrap(T1, b"x" * 40, key_context(T1, "dek", 1))
    assert time.monotonic() - start < 5
