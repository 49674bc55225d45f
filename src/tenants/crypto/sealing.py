"""Field sealing: the v1 ciphertext format of guide §9.2.

Layout (65 bytes of overhead)::

    0x01 | key_version u32 big-endian | salt 32 | nonce 12 | ciphertext || tag 16

* subkey = HKDF-SHA256(ikm=DEK, salt=salt, info=b"agency.phi.v1", length=32),
  a fresh subkey per message, so the DEK never meets the ~2^32 random-nonce
  ceiling of a single AES-GCM key.
* AAD = canonical JSON ``{"col","id","kv","t","tbl","v"}`` (sorted keys, no
  spaces): a ciphertext copied to another tenant, table, column, row or key
  version fails authentication.

Nothing here ever returns unauthenticated bytes, and nothing falls back to
treating stored bytes as plaintext.
"""

from __future__ import annotations

import datetime as _dt
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ._util import canonical_json, canonical_row_id, canonical_tenant_id
from .errors import CryptoError, DecryptionFailed, InvalidPlaintext, UnknownCiphertextFormat

__all__ = [
    "FORMAT_V1",
    "HEADER_LEN",
    "TAG_LEN",
    "OVERHEAD",
    "HKDF_INFO",
    "MAX_KEY_VERSION",
    "FieldContext",
    "Sealed",
    "DekLookup",
    "seal",
    "open_sealed",
    "parse_header",
    "aad_for",
    "encode_text",
    "decode_text",
    "encode_date",
    "decode_date",
    "encode_decimal",
    "decode_decimal",
]

FORMAT_V1 = 0x01
_HDR = struct.Struct(">BI")  # format byte, key version
SALT_LEN = 32
NONCE_LEN = 12
TAG_LEN = 16
HEADER_LEN = _HDR.size + SALT_LEN + NONCE_LEN  # 49
OVERHEAD = HEADER_LEN + TAG_LEN  # 65
HKDF_INFO = b"agency.phi.v1"
MAX_KEY_VERSION = 2**32 - 1
DEK_LEN = 32

#: ``dek_lookup(key_version) -> 32-byte DEK``; may raise KeyVersionUnavailable / KeyDestroyed.
DekLookup = Callable[[int], bytes]


@dataclass(frozen=True, slots=True)
class FieldContext:
    """Where a sealed value lives.  All four parts are bound into the AAD.

    ``tenant_id`` must be a UUID (any spelling; it is canonicalised).
    ``row_id`` may be a UUID, an int or a non-empty string; UUIDs (objects or
    strings) are canonicalised so ``UUID`` vs ``str`` spelling cannot cause a
    spurious mismatch.
    """

    tenant_id: str
    table: str
    column: str
    row_id: str

    def __init__(self, tenant_id: Any, table: str, column: str, row_id: Any) -> None:
        if not isinstance(table, str) or not table:
            raise ValueError("table must be a non-empty str")
        if not isinstance(column, str) or not column:
            raise ValueError("column must be a non-empty str")
        object.__setattr__(self, "tenant_id", canonical_tenant_id(tenant_id))
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "row_id", canonical_row_id(row_id))

    def _err(self, exc: type[CryptoError], message: str, key_version: int | None = None) -> CryptoError:
        return exc(
            message,
            tenant_id=self.tenant_id,
            table=self.table,
            column=self.column,
            row_id=self.row_id,
            key_version=key_version,
        )


def aad_for(ctx: FieldContext, key_version: int, format_version: int = FORMAT_V1) -> bytes:
    """The canonical associated data of guide §9.2 (exact byte layout)."""
    return canonical_json(
        {
            "v": format_version,
            "t": ctx.tenant_id,
            "tbl": ctx.table,
            "col": ctx.column,
            "id": ctx.row_id,
            "kv": key_version,
        }
    )


def _subkey(dek: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=salt, info=HKDF_INFO).derive(dek)


def _check_dek(dek: Any) -> None:
    if not isinstance(dek, (bytes, bytearray)) or len(dek) != DEK_LEN:
        # Never include the value: it is key material.
        raise ValueError("DEK must be 32 bytes")


def _check_key_version(key_version: Any) -> None:
    if isinstance(key_version, bool) or not isinstance(key_version, int) or not 0 <= key_version <= MAX_KEY_VERSION:
        raise ValueError("key_version must be an int in [0, 2**32-1]")


def _seal_raw(dek: bytes, key_version: int, ctx: FieldContext, plaintext: Any) -> bytes:
    _check_dek(dek)
    _check_key_version(key_version)
    if not isinstance(plaintext, (bytes, bytearray, memoryview)):
        raise TypeError("plaintext must be bytes-like; use the encode_* helpers for typed values")
    data = memoryview(plaintext).cast("B")
    salt = os.urandom(SALT_LEN)
    nonce = os.urandom(NONCE_LEN)
    out = bytearray(HEADER_LEN + len(data) + TAG_LEN)
    _HDR.pack_into(out, 0, FORMAT_V1, key_version)
    out[_HDR.size : _HDR.size + SALT_LEN] = salt
    out[_HDR.size + SALT_LEN : HEADER_LEN] = nonce
    AESGCM(_subkey(dek, salt)).encrypt_into(nonce, data, aad_for(ctx, key_version), memoryview(out)[HEADER_LEN:])
    return bytes(out)


def _parse(blob: Any) -> tuple[int, int] | str:
    """Header fields, or a description of why the blob is not v1."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        return f"sealed value must be bytes-like, got {type(blob).__name__}"
    view = memoryview(blob).cast("B")
    if len(view) < 1:
        return "empty ciphertext"
    fmt = view[0]
    if fmt != FORMAT_V1:
        return f"unknown ciphertext format byte 0x{fmt:02x}"
    if len(view) < OVERHEAD:
        return f"ciphertext too short for format v1 ({len(view)} < {OVERHEAD} bytes)"
    _, key_version = _HDR.unpack_from(view, 0)
    return fmt, key_version


def parse_header(blob: Any) -> tuple[int, int]:
    """Return ``(format_version, key_version)`` without decrypting.

    Lets a caller fetch the right key version before :func:`open_sealed`.
    Raises :class:`UnknownCiphertextFormat` for anything that is not a
    well-formed v1 blob (wrong type, unknown format byte, too short).
    """
    if isinstance(blob, Sealed):
        return blob.format_version, blob.key_version
    parsed = _parse(blob)
    if isinstance(parsed, str):
        raise UnknownCiphertextFormat(parsed)
    return parsed


def _open_raw(dek_lookup: DekLookup, ctx: FieldContext, blob: Any) -> bytes:
    if isinstance(blob, Sealed):
        blob = blob.blob
    parsed = _parse(blob)
    if isinstance(parsed, str):
        raise ctx._err(UnknownCiphertextFormat, parsed)
    fmt, key_version = parsed
    view = memoryview(blob).cast("B")
    # The lookup may raise KeyVersionUnavailable / KeyDestroyed; let those through.
    dek = dek_lookup(key_version)
    try:
        _check_dek(dek)
    except ValueError:
        raise ctx._err(CryptoError, "key lookup returned an invalid DEK", key_version) from None
    salt = view[_HDR.size : _HDR.size + SALT_LEN]
    nonce = bytes(view[_HDR.size + SALT_LEN : HEADER_LEN])
    try:
        return AESGCM(_subkey(dek, bytes(salt))).decrypt(nonce, view[HEADER_LEN:], aad_for(ctx, key_version, fmt))
    except InvalidTag:
        raise ctx._err(
            DecryptionFailed,
            "authentication failed: ciphertext altered or not sealed for this tenant/table/column/row/key version",
            key_version,
        ) from None


def seal(dek: bytes, key_version: int, ctx: FieldContext, plaintext: bytes) -> "Sealed":
    """Encrypt ``plaintext`` for ``ctx`` under ``dek`` (version ``key_version``)."""
    return Sealed(_seal_raw(dek, key_version, ctx, plaintext))


def open_sealed(dek_lookup: DekLookup, ctx: FieldContext, blob: "Sealed | bytes") -> bytes:
    """Authenticate and decrypt; returns plaintext bytes or raises a CryptoError.

    ``dek_lookup`` receives the key version from the header and returns the
    DEK; it may raise :class:`KeyVersionUnavailable` or :class:`KeyDestroyed`.
    """
    return _open_raw(dek_lookup, ctx, blob)


class Sealed:
    """An opaque sealed value (ciphertext + header).  Holds no plaintext.

    ``repr``/``str`` show only ``<Sealed v1 kv=3 len=85>``.  Not a ``bytes``
    subclass on purpose: code that accepts ``bytes`` does not silently accept
    it, and :class:`~tenants.crypto.sqltypes.SealedBytes` accepts nothing else.
    Use ``bytes(sealed)`` or ``.blob`` to get the stored form.
    """

    __slots__ = ("_blob", "_kv")

    def __init__(self, blob: bytes | bytearray | memoryview) -> None:
        parsed = _parse(blob)
        if isinstance(parsed, str):
            raise UnknownCiphertextFormat(parsed)
        self._blob = bytes(blob)
        self._kv = parsed[1]

    @property
    def blob(self) -> bytes:
        return self._blob

    @property
    def format_version(self) -> int:
        return self._blob[0]

    @property
    def key_version(self) -> int:
        return self._kv

    def __bytes__(self) -> bytes:
        return self._blob

    def __len__(self) -> int:
        return len(self._blob)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sealed):
            return self._blob == other._blob
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Sealed, self._blob))

    def __repr__(self) -> str:
        return f"<Sealed v{self.format_version} kv={self._kv} len={len(self._blob)}>"

    __str__ = __repr__

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, "_kv"):
            raise AttributeError("Sealed is immutable")
        object.__setattr__(self, name, value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Sealed, (self._blob,))


# --- typed field encoders ---------------------------------------------------
#
# Plaintext encodings per field kind.  No type tag is stored: the AAD binds the
# column, and a column has one kind.  Decoders run on *authenticated* bytes
# only; a failure means the column was read with the wrong kind.


def encode_text(value: str) -> bytes:
    """UTF-8, strict (lone surrogates are rejected).  No normalisation (NFC is
    not applied: the stored value is exactly what was given)."""
    if not isinstance(value, str):
        raise TypeError("text field value must be str")
    return value.encode("utf-8", "strict")


def decode_text(data: bytes) -> str:
    try:
        return bytes(data).decode("utf-8", "strict")
    except UnicodeDecodeError:
        raise InvalidPlaintext("decrypted value is not valid UTF-8 text") from None


def encode_date(value: _dt.date) -> bytes:
    """ISO ``YYYY-MM-DD``.  ``datetime`` is refused (time zone ambiguity)."""
    if isinstance(value, _dt.datetime) or not isinstance(value, _dt.date):
        raise TypeError("date field value must be datetime.date (not datetime)")
    return value.isoformat().encode("ascii")


def decode_date(data: bytes) -> _dt.date:
    raw = bytes(data)
    try:
        if len(raw) != 10:
            raise ValueError
        return _dt.date.fromisoformat(raw.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise InvalidPlaintext("decrypted value is not an ISO date") from None


def encode_decimal(value: Decimal | int) -> bytes:
    """``str(Decimal)`` (exact, keeps scale: ``Decimal('1.50')`` stays
    ``1.50``).  Floats and non-finite values are refused."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError("decimal field value must be Decimal or int (not float)")
    d = Decimal(value)
    if not d.is_finite():
        raise ValueError("decimal field value must be finite")
    return str(d).encode("ascii")


def decode_decimal(data: bytes) -> Decimal:
    try:
        d = Decimal(bytes(data).decode("ascii"))
    except (InvalidOperation, UnicodeDecodeError, ValueError):
        raise InvalidPlaintext("decrypted value is not a decimal number") from None
    if not d.is_finite():
        raise InvalidPlaintext("decrypted value is not a finite decimal number")
    return d
