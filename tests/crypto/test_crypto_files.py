"""Whole-file sealing for EDI payloads."""

from __future__ import annotations

import os
import tracemalloc
import uuid

import pytest

from tenants.crypto.errors import CryptoError, DecryptionFailed
from tenants.crypto.files import open_file, seal_file
from tenants.crypto.sealing import OVERHEAD, FieldContext, open_sealed

DEK = os.urandom(32)
T1, T2 = uuid.uuid4(), uuid.uuid4()
FILE = uuid.uuid4()


def lookup(v: int) -> bytes:
    return DEK


def test_round_trip_and_header() -> None:
    data = b"ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *~" * 100
    s = seal_file(DEK, 4, T1, FILE, data)
    assert len(s) == len(data) + OVERHEAD and s.key_version == 4
    assert open_file(lookup, T1, FILE, s) == data
    assert open_file(lookup, str(T1), str(FILE), s.blob) == data


def test_empty_file() -> None:
    assert open_file(lookup, T1, FILE, seal_file(DEK, 1, T1, FILE, b"")) == b""


@pytest.mark.parametrize("where", ["file", "tenant", "field"])
def test_swaps_fail(where: str) -> None:
    s = seal_file(DEK, 1, T1, FILE, b"835 payload")
    with pytest.raises(DecryptionFailed) as ei:
        if where == "file":
            open_file(lookup, T1, uuid.uuid4(), s)
        elif where == "tenant":
            open_file(lookup, T2, FILE, s)
        else:
            open_sealed(lookup, FieldContext(T1, "patient", "notes", FILE), s)
    assert "payload" not in str(ei.value)
    assert ei.value.table in ("edi_file", "patient")


def test_large_file_memory_stays_bounded() -> None:
    data = os.urandom(32 * 1024 * 1024)
    tracemalloc.start()
    try:
        s = seal_file(DEK, 1, T1, FILE, data)
        _, peak_seal = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        out = open_file(lookup, T1, FILE, s)
        _, peak_open = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out == data
    # output buffer + one bytes copy for seal; plaintext only for open
    assert peak_seal < 2.2 * len(data), peak_seal
    assert peak_open < 1.2 * len(data) + len(s), peak_open


def test_bit_flip_in_large_file_fails() -> None:
    data = os.urandom(1024 * 1024)
    blob = bytearray(seal_file(DEK, 1, T1, FILE, data).blob)
    blob[len(blob) // 2] ^= 0x80
    with pytest.raises(CryptoError):
        open_file(lookup, T1, FILE, bytes(blob))


def test_size_limit() -> None:
    with pytest.raises(ValueError, match="too large"):
        seal_file(DEK, 1, T1, FILE, b"x" * 1025, max_bytes=1024)
