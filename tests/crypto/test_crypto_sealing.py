"""Field sealing: v1 format of guide §9.2, AAD binding, tamper detection."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenants.crypto.errors import (
    CryptoError,
    DecryptionFailed,
    InvalidPlaintext,
    KeyDestroyed,
    KeyVersionUnavailable,
    UnknownCiphertextFormat,
)
from tenants.crypto.sealing import (
    HEADER_LEN,
    OVERHEAD,
    FieldContext,
    Sealed,
    decode_date,
    decode_decimal,
    decode_text,
    encode_date,
    encode_decimal,
    encode_text,
    open_sealed,
    parse_header,
    seal,
)

DEK = os.urandom(32)
T1 = uuid.UUID("11111111-1111-4111-8111-111111111111")
T2 = uuid.UUID("22222222-2222-4222-8222-222222222222")
ROW = uuid.UUID("33333333-3333-4333-8333-333333333333")
CTX = FieldContext(T1, "patient", "last_name", ROW)


def lookup(version: int) -> bytes:
    if version == 3:
        return DEK
    raise KeyVersionUnavailable("no such key version", tenant_id=str(T1), key_version=version)


def any_version(version: int) -> bytes:
    return DEK


# --- round trips ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Smith", "", "Zoë Ñúñez-O'Brien", "李小龍", "emoji 🩺 and RTL שלום", "e\u0301 (not NFC)", "x" * 5000, "\x00nul"],
)
def test_text_round_trip(text: str) -> None:
    blob = seal(DEK, 3, CTX, encode_text(text))
    out = decode_text(open_sealed(lookup, CTX, blob))
    assert out == text
    assert type(out) is str


def test_text_is_not_normalised() -> None:
    decomposed = "e\u0301"
    out = decode_text(open_sealed(lookup, CTX, seal(DEK, 3, CTX, encode_text(decomposed))))
    assert out == decomposed and out != "\u00e9"


@pytest.mark.parametrize("d", [dt.date(1980, 2, 29), dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date.today()])
def test_date_round_trip(d: dt.date) -> None:
    assert decode_date(open_sealed(lookup, CTX, seal(DEK, 3, CTX, encode_date(d)))) == d


@pytest.mark.parametrize("n", [Decimal("0"), Decimal("1.50"), Decimal("-123456789.0123"), Decimal("1E+3"), 42])
def test_decimal_round_trip_keeps_scale(n: Decimal | int) -> None:
    out = decode_decimal(open_sealed(lookup, CTX, seal(DEK, 3, CTX, encode_decimal(n))))
    assert out == Decimal(n)
    assert str(out) == str(Decimal(n))  # 1.50 stays 1.50


def test_typed_encoders_refuse_wrong_types() -> None:
    with pytest.raises(TypeError):
        encode_text(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        encode_date(dt.datetime(2020, 1, 1, 12, 0))
    with pytest.raises(TypeError):
        encode_decimal(1.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        encode_decimal(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        encode_decimal(Decimal("NaN"))
    with pytest.raises(UnicodeEncodeError):
        encode_text("lone \ud800 surrogate")


def test_decoders_refuse_wrong_kind_without_echoing_value() -> None:
    secret = "Jane Patient"
    with pytest.raises(InvalidPlaintext) as ei:
        decode_date(encode_text(secret))
    assert secret not in str(ei.value)
    with pytest.raises(InvalidPlaintext):
        decode_decimal(encode_text(secret))
    with pytest.raises(InvalidPlaintext):
        decode_decimal(b"Infinity")
    with pytest.raises(InvalidPlaintext):
        decode_text(b"\xff\xfe")


def test_plaintext_must_be_bytes() -> None:
    with pytest.raises(TypeError):
        seal(DEK, 3, CTX, "plain str")  # type: ignore[arg-type]


def test_seal_is_randomised_and_overhead_is_65() -> None:
    a = seal(DEK, 3, CTX, b"same")
    b = seal(DEK, 3, CTX, b"same")
    assert a != b
    assert len(a) == len(b"same") + OVERHEAD == len(b"same") + 65


# --- exact format of the guide ---------------------------------------------------


def guide_seal(dek: bytes, tenant_id: uuid.UUID, table: str, column: str, row_id: object, key_version: int, plaintext: bytes) -> bytes:
    """Verbatim from guide §9.2."""
    salt, nonce = os.urandom(32), os.urandom(12)
    subkey = HKDF(algorithm=SHA256(), length=32, salt=salt, info=b"agency.phi.v1").derive(dek)
    aad = json.dumps(
        {"v": 1, "t": str(tenant_id), "tbl": table, "col": column, "id": str(row_id), "kv": key_version},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    return b"\x01" + key_version.to_bytes(4, "big") + salt + nonce + AESGCM(subkey).encrypt(nonce, plaintext, aad)


def test_interoperates_with_guide_reference_code() -> None:
    blob = guide_seal(DEK, T1, "patient", "last_name", ROW, 3, b"Reference")
    assert open_sealed(lookup, CTX, blob) == b"Reference"
    ours = seal(DEK, 3, CTX, b"Ours").blob
    salt, nonce = ours[5:37], ours[37:49]
    subkey = HKDF(algorithm=SHA256(), length=32, salt=salt, info=b"agency.phi.v1").derive(DEK)
    aad = json.dumps(
        {"v": 1, "t": str(T1), "tbl": "patient", "col": "last_name", "id": str(ROW), "kv": 3},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    assert ours[0] == 1 and int.from_bytes(ours[1:5], "big") == 3
    assert AESGCM(subkey).decrypt(nonce, ours[49:], aad) == b"Ours"


def test_context_spelling_is_canonical() -> None:
    blob = seal(DEK, 3, CTX, b"x")
    same = FieldContext(str(T1).upper(), "patient", "last_name", "{" + str(ROW).upper() + "}")
    assert open_sealed(lookup, same, blob) == b"x"
    int_row = FieldContext(T1, "claim", "note", 42)
    assert open_sealed(lookup, FieldContext(T1, "claim", "note", "42"), seal(DEK, 3, int_row, b"y")) == b"y"


def test_context_validation() -> None:
    with pytest.raises(ValueError):
        FieldContext("not-a-uuid", "t", "c", 1)
    with pytest.raises(ValueError):
        FieldContext(T1, "", "c", 1)
    with pytest.raises(ValueError):
        FieldContext(T1, "t", "c", "")
    with pytest.raises(ValueError):
        FieldContext(T1, "t", "c", True)
    with pytest.raises(ValueError):
        seal(b"short", 3, CTX, b"x")
    with pytest.raises(ValueError):
        seal(DEK, -1, CTX, b"x")
    with pytest.raises(ValueError):
        seal(DEK, 2**32, CTX, b"x")


# --- AAD binding: swaps fail ----------------------------------------------------------


@pytest.mark.parametrize(
    "other",
    [
        FieldContext(T1, "patient", "last_name", uuid.uuid4()),  # another row
        FieldContext(T1, "patient", "first_name", ROW),  # another column
        FieldContext(T1, "guarantor", "last_name", ROW),  # another table
        FieldContext(T2, "patient", "last_name", ROW),  # another tenant
    ],
    ids=["row", "column", "table", "tenant"],
)
def test_ciphertext_moved_elsewhere_fails(other: FieldContext) -> None:
    blob = seal(DEK, 3, CTX, b"Doe")
    with pytest.raises(DecryptionFailed) as ei:
        open_sealed(any_version, other, blob)
    msg = str(ei.value)
    assert "Doe" not in msg and DEK.hex() not in msg
    assert other.tenant_id in msg and other.table in msg and other.column in msg and "key_version=3" in msg
    assert ei.value.tenant_id == other.tenant_id and ei.value.key_version == 3


def test_wrong_dek_fails() -> None:
    blob = seal(DEK, 3, CTX, b"Doe")
    with pytest.raises(DecryptionFailed):
        open_sealed(lambda v: os.urandom(32), CTX, blob)


def test_every_single_bit_flip_fails() -> None:
    blob = seal(DEK, 3, CTX, b"Jane Q. Public, 1970").blob
    for i in range(len(blob) * 8):
        tampered = bytearray(blob)
        tampered[i // 8] ^= 1 << (i % 8)
        # a permissive lookup so header flips reach the tag check (AAD binds kv)
        with pytest.raises(CryptoError) as ei:
            open_sealed(any_version, CTX, bytes(tampered))
        expected = UnknownCiphertextFormat if i < 8 else DecryptionFailed
        assert isinstance(ei.value, expected), (i, ei.value)


def test_truncation_and_extension_fail() -> None:
    blob = seal(DEK, 3, CTX, b"abc").blob
    for n in range(len(blob)):
        with pytest.raises(CryptoError):
            open_sealed(any_version, CTX, blob[:n])
    with pytest.raises(DecryptionFailed):
        open_sealed(any_version, CTX, blob + b"\x00")


# --- header parsing -------------------------------------------------------------------


def test_parse_header() -> None:
    s = seal(DEK, 7, CTX, b"x")
    assert parse_header(s) == (1, 7)
    assert parse_header(s.blob) == (1, 7)
    assert parse_header(bytearray(s.blob)) == (1, 7)
    assert parse_header(seal(DEK, 2**32 - 1, CTX, b"").blob) == (1, 2**32 - 1)


@pytest.mark.parametrize("fmt", [0x00, 0x02, 0x7F, 0xFF])
def test_unknown_format_byte(fmt: int) -> None:
    blob = bytearray(seal(DEK, 3, CTX, b"payload").blob)
    blob[0] = fmt
    with pytest.raises(UnknownCiphertextFormat, match=f"0x{fmt:02x}"):
        parse_header(bytes(blob))
    with pytest.raises(UnknownCiphertextFormat) as ei:
        open_sealed(any_version, CTX, bytes(blob))
    assert ei.value.table == "patient" and ei.value.column == "last_name"


def test_plaintext_is_never_accepted_as_ciphertext() -> None:
    for raw in (b"", b"Smith", "Smith", None, 12, b"\x01" + b"\x00" * (OVERHEAD - 2)):
        with pytest.raises(UnknownCiphertextFormat):
            parse_header(raw)
        with pytest.raises(UnknownCiphertextFormat):
            open_sealed(any_version, CTX, raw)  # type: ignore[arg-type]


def test_key_lookup_errors_propagate() -> None:
    blob = seal(DEK, 9, CTX, b"x")
    with pytest.raises(KeyVersionUnavailable):
        open_sealed(lookup, CTX, blob)

    def destroyed(v: int) -> bytes:
        raise KeyDestroyed("key version was destroyed", tenant_id=str(T1), key_version=v)

    with pytest.raises(KeyDestroyed):
        open_sealed(destroyed, CTX, blob)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_give_anything_but_crypto_error(data: bytes) -> None:
    try:
        fmt, kv = parse_header(data)
    except CryptoError:
        pass
    else:
        assert fmt == 1 and len(data) >= OVERHEAD and kv == int.from_bytes(data[1:5], "big")
    with pytest.raises(CryptoError):
        open_sealed(any_version, CTX, data)


@settings(max_examples=200, deadline=None)
@given(kv=st.integers(0, 2**32 - 1), body=st.binary(min_size=HEADER_LEN - 5 + 16, max_size=120))
def test_header_fields_parse_for_any_v1_prefix(kv: int, body: bytes) -> None:
    blob = b"\x01" + kv.to_bytes(4, "big") + body
    assert parse_header(blob) == (1, kv)
    with pytest.raises(DecryptionFailed):
        open_sealed(any_version, CTX, blob)


@settings(max_examples=100, deadline=None)
@given(pt=st.binary(max_size=64), pos=st.integers(min_value=0), bit=st.integers(0, 7))
def test_random_bit_flip_property(pt: bytes, pos: int, bit: int) -> None:
    blob = bytearray(seal(DEK, 3, CTX, pt).blob)
    blob[pos % len(blob)] ^= 1 << bit
    with pytest.raises(CryptoError):
        open_sealed(any_version, CTX, bytes(blob))


# --- Sealed ------------------------------------------------------------------------------


def test_sealed_repr_shows_no_content() -> None:
    s = seal(DEK, 3, CTX, b"Jane Doe SSN 123-45-6789")
    assert repr(s) == str(s) == f"<Sealed v1 kv=3 len={len(s)}>"
    assert f"{s}" == repr(s)
    assert "Jane" not in repr(s)
    assert bytes(s) == s.blob and s.key_version == 3 and s.format_version == 1
    assert Sealed(s.blob) == s and hash(Sealed(s.blob)) == hash(s)
    assert not isinstance(s, bytes)
    with pytest.raises(AttributeError):
        s._blob = b"x"  # type: ignore[misc]


def test_sealed_refuses_non_ciphertext() -> None:
    for raw in (b"", b"plaintext", b"\x02" + b"\x00" * 80, 100):
        with pytest.raises(UnknownCiphertextFormat):
            Sealed(raw)  # type: ignore[arg-type]
