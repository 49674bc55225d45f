"""PHI envelope-encryption kernel (guide §9): pure crypto, no database code.

Modules:
    errors       -- CryptoError hierarchy
    sealing      -- v1 field format, FieldContext, Sealed, typed encoders
    files        -- whole-file sealing (EDI 837/835/acks)
    sqltypes     -- SealedBytes, the wrap-only SQLAlchemy type
    keyring      -- WrappedKeyRecord, KeyRecordSource, Keyring, PhiCipher
    blind_index  -- normalisers, blind indexes, sizing rule
    providers    -- KeyProvider protocol, LocalKeyProvider, AwsKmsKeyProvider

Never imports ``agency``.
"""

from typing import Any

from .blind_index import (
    BlindIndexSpec,
    IndexSizingError,
    choose_index_bits,
    compound,
    normalize_date,
    normalize_member_id,
    normalize_mrn,
    normalize_name,
    normalize_name_dob,
    normalize_text,
)
from .errors import (
    CryptoError,
    DecryptionFailed,
    InvalidPlaintext,
    KekNotFound,
    KeyDestroyed,
    KeyProviderError,
    KeyProviderUnavailable,
    KeystorePermissionError,
    KeyVersionUnavailable,
    UnknownCiphertextFormat,
)
from .files import open_file, seal_file
from .keyring import (
    FieldCipher,
    IndexKey,
    InMemoryKeyRecordSource,
    Keyring,
    KeyRecordSource,
    PhiCipher,
    WrappedKeyRecord,
    new_key_record,
    provision_tenant_keys,
)
from .providers import AwsKmsKeyProvider, KeyProvider, LocalKeyProvider, key_context
from .sealing import FieldContext, Sealed, open_sealed, parse_header, seal

__all__ = [
    "AwsKmsKeyProvider",
    "BlindIndexSpec",
    "CryptoError",
    "DecryptionFailed",
    "FieldCipher",
    "FieldContext",
    "IndexKey",
    "IndexSizingError",
    "InMemoryKeyRecordSource",
    "InvalidPlaintext",
    "KekNotFound",
    "KeyDestroyed",
    "KeyProvider",
    "KeyProviderError",
    "KeyProviderUnavailable",
    "KeyRecordSource",
    "Keyring",
    "KeystorePermissionError",
    "KeyVersionUnavailable",
    "LocalKeyProvider",
    "PhiCipher",
    "Sealed",
    "SealedBytes",
    "UnknownCiphertextFormat",
    "WrappedKeyRecord",
    "choose_index_bits",
    "compound",
    "key_context",
    "new_key_record",
    "normalize_date",
    "normalize_member_id",
    "normalize_mrn",
    "normalize_name",
    "normalize_name_dob",
    "normalize_text",
    "open_file",
    "open_sealed",
    "parse_header",
    "provision_tenant_keys",
    "seal",
    "seal_file",
]


def __getattr__(name: str) -> Any:
    # SealedBytes imports SQLAlchemy; load it only when asked for.
    if name == "SealedBytes":
        from .sqltypes import SealedBytes

        return SealedBytes
    raise AttributeError(name)
