"""Key providers: per-tenant KEKs (local keystore for dev/CI, AWS KMS)."""

from .aws_kms import AwsKmsKeyProvider
from .base import DATA_KEY_LEN, KeyProvider, KeyPurpose, key_context
from .local import LocalKeyProvider

__all__ = ["KeyProvider", "KeyPurpose", "key_context", "DATA_KEY_LEN", "LocalKeyProvider", "AwsKmsKeyProvider"]
