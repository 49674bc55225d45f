"""The process's key provider and PHI cipher, built from settings."""

from __future__ import annotations

import threading

from agency.db.runtime import Database
from agency.errors import ConfigurationError
from agency.settings import Settings
from tenants.crypto.keyring import Keyring, PhiCipher
from tenants.crypto.providers.base import KeyProvider
from tenants.keystore_db import DbKeyRecordSource

_lock = threading.Lock()


def build_provider(settings: Settings) -> KeyProvider:
    if settings.key_provider == "local":
        from tenants.crypto.providers.local import LocalKeyProvider

        return LocalKeyProvider(settings.resolved_keystore_dir)
    if settings.key_provider == "aws-kms":
        from tenants.crypto.providers.aws_kms import AwsKmsKeyProvider

        return AwsKmsKeyProvider(region_name=settings.kms_region, endpoint_url=settings.kms_endpoint_url)
    raise ConfigurationError(f"AGENCY_KEY_PROVIDER: unknown provider {settings.key_provider!r}")


def provider_for(db: Database) -> KeyProvider:
    with _lock:
        if "_key_provider" not in db.__dict__:
            db.__dict__["_key_provider"] = build_provider(db.settings)
        return db.__dict__["_key_provider"]


def cipher_for(db: Database) -> PhiCipher:
    """One keyring per process and database: unwrapped keys are cached for the TTL."""
    provider = provider_for(db)
    with _lock:
        if "_phi_cipher" not in db.__dict__:
            source = DbKeyRecordSource(db.sessions.tenant_only)
            keyring = Keyring(provider, source, ttl_seconds=db.settings.key_cache_ttl_seconds)
            db.__dict__["_phi_cipher"] = PhiCipher(keyring)
        return db.__dict__["_phi_cipher"]
