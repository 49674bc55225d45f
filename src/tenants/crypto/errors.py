"""Exception hierarchy of the PHI crypto kernel.

Every failure the kernel can signal is a :class:`CryptoError`.  Messages and
attributes name *where* something failed (tenant id, table, column, row id,
key version) and never carry plaintext, key bytes or wrapped key bytes, so an
exception can be logged or sent to an error tracker as is.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CryptoError",
    "DecryptionFailed",
    "UnknownCiphertextFormat",
    "KeyVersionUnavailable",
    "KeyDestroyed",
    "InvalidPlaintext",
    "KeyProviderError",
    "KeystorePermissionError",
    "KekNotFound",
    "KeyProviderUnavailable",
]


def _where(**fields: Any) -> str:
    parts = [f"{k}={v}" for k, v in fields.items() if v is not None]
    return " ".join(parts)


class CryptoError(Exception):
    """Base class for every error raised by ``tenants.crypto``.

    Attributes are ``None`` when not known.  None of them is secret.
    """

    def __init__(
        self,
        message: str,
        *,
        tenant_id: str | None = None,
        table: str | None = None,
        column: str | None = None,
        row_id: str | None = None,
        key_version: int | None = None,
        purpose: str | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.table = table
        self.column = column
        self.row_id = row_id
        self.key_version = key_version
        self.purpose = purpose
        where = _where(
            tenant=tenant_id,
            table=table,
            column=column,
            row=row_id,
            purpose=purpose,
            key_version=key_version,
        )
        super().__init__(f"{message} ({where})" if where else message)


class DecryptionFailed(CryptoError):
    """Authentication tag mismatch: the ciphertext was altered, truncated, or
    belongs to another tenant, table, column, row or key version (AAD), or the
    key is wrong."""


class UnknownCiphertextFormat(CryptoError):
    """The blob is not a sealed value this code understands (unknown format
    byte, too short).  Plaintext is never assumed."""


class KeyVersionUnavailable(CryptoError):
    """The key version named by a ciphertext (or the active key) does not exist
    for this tenant."""


class KeyDestroyed(CryptoError):
    """The key (or the tenant KEK that wraps it) was destroyed: the data is
    crypto-shredded and cannot be recovered."""


class InvalidPlaintext(CryptoError):
    """Authenticated plaintext did not decode as the expected field kind
    (e.g. a text column read as a date).  The value itself is not shown."""


class KeyProviderError(CryptoError):
    """A key provider (local keystore, KMS) failed."""


class KeystorePermissionError(KeyProviderError):
    """The local keystore directory or a KEK file has unsafe permissions or
    ownership.  The message names the path and the problem."""


class KekNotFound(KeyProviderError):
    """No KEK exists for the tenant and there is no record of it having been
    destroyed (misconfigured keystore, wrong directory, or never created)."""


class KeyProviderUnavailable(KeyProviderError):
    """The provider cannot be reached or used (network timeout, throttling,
    optional dependency such as boto3 not installed)."""
