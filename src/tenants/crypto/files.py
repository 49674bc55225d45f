"""Sealing whole raw files (X12 837/835/999/277CA carry PHI).

Same v1 format as fields (guide §9.2) with the AAD bound to
``table="edi_file", column="content", row id = file id``, so a sealed file
cannot be swapped with another file, another tenant's file, or a field.

Memory: sealing allocates the output once (``encrypt_into``) and opening
decrypts from a ``memoryview`` (no slice copies), so peak use is about
2-3x the file size.  ``max_bytes`` bounds what is accepted (OWASP API4).
"""

from __future__ import annotations

from typing import Any

from .sealing import DekLookup, FieldContext, Sealed, _open_raw, _seal_raw

__all__ = ["EDI_FILE_TABLE", "EDI_FILE_COLUMN", "DEFAULT_MAX_FILE_BYTES", "file_context", "seal_file", "open_file"]

EDI_FILE_TABLE = "edi_file"
EDI_FILE_COLUMN = "content"
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024


def file_context(tenant_id: Any, file_id: Any) -> FieldContext:
    return FieldContext(tenant_id, EDI_FILE_TABLE, EDI_FILE_COLUMN, file_id)


def seal_file(
    dek: bytes,
    key_version: int,
    tenant_id: Any,
    file_id: Any,
    data: bytes | bytearray | memoryview,
    *,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Sealed:
    """Seal a whole file.  Returns a :class:`Sealed` (``bytes(...)`` to store)."""
    size = memoryview(data).nbytes
    if size > max_bytes:
        raise ValueError(f"file too large to seal ({size} > {max_bytes} bytes)")
    return Sealed(_seal_raw(dek, key_version, file_context(tenant_id, file_id), data))


def open_file(dek_lookup: DekLookup, tenant_id: Any, file_id: Any, blob: Sealed | bytes) -> bytes:
    """Authenticate and decrypt a sealed file; raises a CryptoError otherwise."""
    return _open_raw(dek_lookup, file_context(tenant_id, file_id), blob)
