"""AWS KMS key provider: one KMS key per tenant, addressed by alias.

``boto3`` is an optional extra (``pip install 'agency[kms]'``) and is
imported lazily, so the rest of the kernel works without it.

* Alias: ``<alias_prefix><tenant-uuid>`` (default ``alias/agency-tenant-``).
* wrap/unwrap/generate_data_key: KMS ``Encrypt``/``Decrypt``/
  ``GenerateDataKey`` with ``EncryptionContext`` = the key context.  ``Decrypt``
  always names the tenant alias as ``KeyId``, so a wrapped key from another
  tenant is rejected even if its context were forged.
* destroy_kek: ``ScheduleKeyDeletion`` (``pending_window_days``, KMS minimum 7)
  then ``DeleteAlias``.  After that the tenant's wrapped keys are unusable
  at once (no alias); the key material is deleted by KMS when the window ends.
* Every call has explicit timeouts and bounded retries (botocore ``Config``).
  When you pass your own ``client``, give it the same (see ``client_config``).

KMS cannot tell "alias deleted by destroy_kek" from "alias never created";
both surface as :class:`KeyDestroyed` from wrap/unwrap.  Unlike the local
provider, ``create_kek`` cannot refuse a destroyed tenant id (there is no
tombstone); the tenancy layer must never re-key an offboarded tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._util import canonical_tenant_id, check_context
from ..errors import (
    DecryptionFailed,
    KeyDestroyed,
    KeyProviderError,
    KeyProviderUnavailable,
)

__all__ = ["AwsKmsKeyProvider", "client_config"]

_UNAVAILABLE_CODES = {
    "ThrottlingException",
    "KMSInternalException",
    "DependencyTimeoutException",
    "KeyUnavailableException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "InternalFailure",
}
_DESTROYED_STATES = {"PendingDeletion", "PendingReplicaDeletion"}


def _import_boto3() -> tuple[Any, Any, Any]:
    try:
        import boto3
        import botocore.config
        import botocore.exceptions
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise KeyProviderUnavailable(
            "AwsKmsKeyProvider needs boto3, which is not installed: pip install 'agency[kms]'"
        ) from None
    return boto3, botocore.config, botocore.exceptions


def client_config(*, connect_timeout: float = 3.0, read_timeout: float = 10.0, max_attempts: int = 3) -> Any:
    """The botocore ``Config`` this provider uses: explicit timeouts, standard
    retry mode, ``max_attempts`` = total attempts including the first."""
    _, config, _ = _import_boto3()
    return config.Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
    )


class AwsKmsKeyProvider:
    def __init__(
        self,
        client: Any = None,
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        alias_prefix: str = "alias/agency-tenant-",
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        max_attempts: int = 3,
        pending_window_days: int = 7,
    ) -> None:
        boto3, _, exceptions = _import_boto3()
        self._exc = exceptions
        if not alias_prefix.startswith("alias/"):
            raise ValueError("alias_prefix must start with 'alias/'")
        if not 7 <= pending_window_days <= 30:
            raise ValueError("pending_window_days must be within KMS limits 7..30")
        self._prefix = alias_prefix
        self._pending_days = pending_window_days
        if client is None:
            client = boto3.session.Session().client(
                "kms",
                region_name=region_name,
                endpoint_url=endpoint_url,
                config=client_config(
                    connect_timeout=connect_timeout, read_timeout=read_timeout, max_attempts=max_attempts
                ),
            )
        self._kms = client

    def __repr__(self) -> str:
        return f"<AwsKmsKeyProvider alias_prefix={self._prefix!r}>"

    def alias_for(self, tenant_id: Any) -> str:
        return f"{self._prefix}{canonical_tenant_id(tenant_id)}"

    # --- error mapping -----------------------------------------------------

    def _call(self, op: str, t: str, fn: Any, /, context: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
        """Run one KMS call, translating failures into CryptoErrors whose
        messages carry the operation, tenant and AWS error code only."""
        purpose = context.get("purpose") if context else None
        version = context.get("version") if context else None
        kv = int(version) if isinstance(version, str) and version.isdigit() else None
        try:
            return fn(**kwargs)
        except self._exc.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            if code == "NotFoundException":
                raise KeyDestroyed(
                    f"KMS {op}: tenant key alias not found (KEK destroyed or never created)",
                    tenant_id=t,
                    purpose=purpose,
                    key_version=kv,
                ) from None
            if code == "KMSInvalidStateException":
                state = self._key_state(t)
                if state is None or state in _DESTROYED_STATES:
                    raise KeyDestroyed(
                        f"KMS {op}: tenant KEK is pending deletion", tenant_id=t, purpose=purpose, key_version=kv
                    ) from None
                raise KeyProviderError(
                    f"KMS {op}: tenant KEK is in state {state}", tenant_id=t, purpose=purpose, key_version=kv
                ) from None
            if code in ("InvalidCiphertextException", "IncorrectKeyException"):
                raise DecryptionFailed(
                    f"KMS {op}: wrapped key does not authenticate under this tenant's KEK and context ({code})",
                    tenant_id=t,
                    purpose=purpose,
                    key_version=kv,
                ) from None
            if code in _UNAVAILABLE_CODES:
                raise KeyProviderUnavailable(f"KMS {op} failed: {code}", tenant_id=t, purpose=purpose, key_version=kv) from None
            raise KeyProviderError(f"KMS {op} failed: {code}", tenant_id=t, purpose=purpose, key_version=kv) from None
        except self._exc.BotoCoreError as exc:
            # Timeouts, connection errors, missing credentials.  The class name
            # is enough; botocore messages can contain endpoint URLs only.
            raise KeyProviderUnavailable(
                f"KMS {op} failed: {type(exc).__name__}", tenant_id=t, purpose=purpose, key_version=kv
            ) from None

    def _describe(self, t: str) -> dict[str, Any] | None:
        try:
            return self._call("DescribeKey", t, self._kms.describe_key, KeyId=f"{self._prefix}{t}")["KeyMetadata"]
        except KeyDestroyed:
            return None

    def _key_state(self, t: str) -> str | None:
        try:
            meta = self._kms.describe_key(KeyId=f"{self._prefix}{t}")["KeyMetadata"]
        except Exception:  # noqa: BLE001 - best-effort classification only
            return None
        return meta.get("KeyState")

    @staticmethod
    def _ctx(t: str, context: Mapping[str, str]) -> dict[str, str]:
        ctx = check_context(context)
        if "tenant_id" in ctx and ctx["tenant_id"] != t:
            raise ValueError("encryption context tenant_id does not match tenant_id")
        return ctx

    # --- KeyProvider -------------------------------------------------------

    def create_kek(self, tenant_id: Any) -> str:
        t = canonical_tenant_id(tenant_id)
        meta = self._describe(t)
        if meta is not None:
            if meta.get("KeyState") in _DESTROYED_STATES:
                raise KeyDestroyed("KMS tenant KEK is pending deletion; not re-keying", tenant_id=t)
            return meta["Arn"]
        created = self._call(
            "CreateKey",
            t,
            self._kms.create_key,
            Description=f"agency tenant {t} KEK",
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Tags=[{"TagKey": "agency:tenant_id", "TagValue": t}],
        )["KeyMetadata"]
        try:
            self._call("CreateAlias", t, self._kms.create_alias, AliasName=f"{self._prefix}{t}", TargetKeyId=created["KeyId"])
        except KeyProviderError:
            # Lost a race with a concurrent creator: keep theirs, retire ours.
            meta = self._describe(t)
            if meta is None:
                try:  # do not leave an orphan key behind
                    self._kms.schedule_key_deletion(KeyId=created["KeyId"], PendingWindowInDays=self._pending_days)
                except Exception:  # noqa: BLE001 - the original error matters more
                    pass
                raise
            self._call(
                "ScheduleKeyDeletion",
                t,
                self._kms.schedule_key_deletion,
                KeyId=created["KeyId"],
                PendingWindowInDays=self._pending_days,
            )
            return meta["Arn"]
        return created["Arn"]

    def kek_exists(self, tenant_id: Any) -> bool:
        meta = self._describe(canonical_tenant_id(tenant_id))
        return meta is not None and meta.get("KeyState") not in _DESTROYED_STATES

    def wrap(self, tenant_id: Any, plaintext_key: bytes, context: Mapping[str, str]) -> bytes:
        t = canonical_tenant_id(tenant_id)
        if not isinstance(plaintext_key, (bytes, bytearray)) or not 16 <= len(plaintext_key) <= 64:
            raise ValueError("plaintext_key must be 16..64 bytes")
        ctx = self._ctx(t, context)
        resp = self._call(
            "Encrypt",
            t,
            self._kms.encrypt,
            context=ctx,
            KeyId=self.alias_for(t),
            Plaintext=bytes(plaintext_key),
            EncryptionContext=ctx,
        )
        return resp["CiphertextBlob"]

    def unwrap(self, tenant_id: Any, wrapped: bytes, context: Mapping[str, str]) -> bytes:
        t = canonical_tenant_id(tenant_id)
        ctx = self._ctx(t, context)
        resp = self._call(
            "Decrypt",
            t,
            self._kms.decrypt,
            context=ctx,
            KeyId=self.alias_for(t),
            CiphertextBlob=bytes(wrapped),
            EncryptionContext=ctx,
            EncryptionAlgorithm="SYMMETRIC_DEFAULT",
        )
        return resp["Plaintext"]

    def generate_data_key(self, tenant_id: Any, context: Mapping[str, str]) -> tuple[bytes, bytes]:
        t = canonical_tenant_id(tenant_id)
        ctx = self._ctx(t, context)
        resp = self._call(
            "GenerateDataKey",
            t,
            self._kms.generate_data_key,
            context=ctx,
            KeyId=self.alias_for(t),
            KeySpec="AES_256",
            EncryptionContext=ctx,
        )
        return resp["Plaintext"], resp["CiphertextBlob"]

    def destroy_kek(self, tenant_id: Any) -> None:
        t = canonical_tenant_id(tenant_id)
        meta = self._describe(t)
        if meta is None:
            return  # alias already gone: destroyed earlier (idempotent)
        if meta.get("KeyState") not in _DESTROYED_STATES:
            self._call(
                "ScheduleKeyDeletion",
                t,
                self._kms.schedule_key_deletion,
                KeyId=meta["KeyId"],
                PendingWindowInDays=self._pending_days,
            )
        try:
            self._call("DeleteAlias", t, self._kms.delete_alias, AliasName=self.alias_for(t))
        except KeyDestroyed:
            pass
