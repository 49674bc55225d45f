"""SealedBytes: wrap-only column type.  Tested through the TypeDecorator's own
hooks and a real compile/bind pipeline; no database needed."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tenants.crypto.errors import UnknownCiphertextFormat
from tenants.crypto.sealing import FieldContext, Sealed, seal
from tenants.crypto.sqltypes import SealedBytes

DIALECT = postgresql.dialect()
CTX = FieldContext(uuid.uuid4(), "patient", "last_name", uuid.uuid4())
SEALED = seal(os.urandom(32), 3, CTX, b"Doe")


def test_bind_accepts_sealed_and_none() -> None:
    t = SealedBytes()
    assert t.process_bind_param(SEALED, DIALECT) == SEALED.blob
    assert t.process_bind_param(None, DIALECT) is None


@pytest.mark.parametrize("plain", ["Jane Doe", b"Jane Doe", bytearray(b"Jane Doe"), SEALED.blob, 42, memoryview(b"x")])
def test_bind_refuses_plaintext_without_echoing_it(plain: object) -> None:
    with pytest.raises(TypeError) as ei:
        SealedBytes().process_bind_param(plain, DIALECT)
    assert "Jane" not in str(ei.value) and "accepts only Sealed" in str(ei.value)


def test_load_returns_sealed_and_never_decrypts() -> None:
    t = SealedBytes()
    out = t.process_result_value(SEALED.blob, DIALECT)
    assert isinstance(out, Sealed) and out == SEALED
    assert repr(out) == f"<Sealed v1 kv=3 len={len(SEALED)}>"
    assert t.process_result_value(memoryview(SEALED.blob), DIALECT) == SEALED
    assert t.process_result_value(None, DIALECT) is None


def test_load_of_legacy_plaintext_raises() -> None:
    with pytest.raises(UnknownCiphertextFormat):
        SealedBytes().process_result_value(b"Jane Doe", DIALECT)


def test_impl_is_bytea_and_literals_are_refused() -> None:
    assert SealedBytes().compile(dialect=DIALECT) == "BYTEA"
    assert SealedBytes().python_type is Sealed
    with pytest.raises(TypeError):
        SealedBytes().process_literal_param(SEALED, DIALECT)


def test_round_trip_through_a_real_engine() -> None:
    """SQLite in memory: the full SQLAlchemy bind/result pipeline, no server."""
    md = sa.MetaData()
    patient = sa.Table("patient", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("last_name", SealedBytes()))
    engine = sa.create_engine("sqlite://")
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(patient).values(id=1, last_name=SEALED))
        conn.execute(sa.insert(patient).values(id=2, last_name=None))
        rows = dict(conn.execute(sa.select(patient.c.id, patient.c.last_name)).all())
        assert rows == {1: SEALED, 2: None}
        assert isinstance(rows[1], Sealed)
        raw = conn.execute(sa.text("SELECT last_name FROM patient WHERE id = 1")).scalar_one()
        assert bytes(raw) == SEALED.blob and b"Doe" not in bytes(raw)
        with pytest.raises(sa.exc.StatementError) as ei:
            conn.execute(sa.insert(patient).values(id=3, last_name="Jane Doe"))
        assert isinstance(ei.value.orig, TypeError)
        with pytest.raises(sa.exc.StatementError):
            conn.execute(sa.select(patient).where(patient.c.last_name == b"Jane Doe"))
