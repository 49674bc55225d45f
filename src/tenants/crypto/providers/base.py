"""The key-provider protocol: per-tenant KEKs that wrap DEKs and index keys.

Synchronous by design (dramatiq workers are sync).  Async callers run these
methods in a thread (``anyio.to_thread.run_sync`` / ``asyncio.to_thread``);
the keyring caches unwrapped keys so that happens rarely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, runtime_checkable

from .._util import canonical_tenant_id

__all__ = ["KeyProvider", "KeyPurpose", "key_context", "DATA_KEY_LEN"]

KeyPurpose = Literal["dek", "bidx"]
DATA_KEY_LEN = 32


def key_context(tenant_id: Any, purpose: KeyPurpose, version: int) -> dict[str, str]:
    """Encryption context for wrapping a tenant key (guide §9.1).

    ``{"purpose": "tenant-dek"|"tenant-bidx", "tenant_id": <uuid>, "version": "<n>"}``.
    A wrapped key only unwraps with the same tenant, purpose and version.
    """
    if purpose not in ("dek", "bidx"):
        raise ValueError("purpose must be 'dek' or 'bidx'")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValueError("version must be a non-negative int")
    return {"purpose": f"tenant-{purpose}", "tenant_id": canonical_tenant_id(tenant_id), "version": str(version)}


@runtime_checkable
class KeyProvider(Protocol):
    """Per-tenant KEK operations.  ``tenant_id`` is a UUID (object or str).

    Errors: ``KeyDestroyed`` once the tenant KEK was destroyed,
    ``DecryptionFailed`` when a wrapped key does not authenticate under this
    tenant's KEK and ``context``, ``KeyProviderError`` subclasses for
    infrastructure problems.  No method ever puts key bytes in a message.
    """

    def create_kek(self, tenant_id: Any) -> str:
        """Create the tenant KEK (idempotent) and return its reference
        (stored as ``tenant_key.kek_ref``).  The local provider refuses a
        destroyed tenant (``KeyDestroyed``); KMS keeps no tombstone, so the
        tenancy layer must never re-provision an offboarded tenant id."""
        ...

    def wrap(self, tenant_id: Any, plaintext_key: bytes, context: Mapping[str, str]) -> bytes: ...

    def unwrap(self, tenant_id: Any, wrapped: bytes, context: Mapping[str, str]) -> bytes: ...

    def generate_data_key(self, tenant_id: Any, context: Mapping[str, str]) -> tuple[bytes, bytes]:
        """Return ``(plaintext 32 bytes, wrapped)``."""
        ...

    def destroy_kek(self, tenant_id: Any) -> None:
        """Crypto-shred: every key wrapped by this KEK becomes unrecoverable.
        Idempotent."""
        ...

    def kek_exists(self, tenant_id: Any) -> bool: ...
