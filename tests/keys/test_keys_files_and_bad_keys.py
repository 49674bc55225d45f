"""Raw EDI files are sealed per practice; bad key material is a clear error."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, pool

from agency.db.base import new_id
from agency.keys.runtime import cipher_for
from tenants.crypto.errors import CryptoError, DecryptionFailed
from tenants.urls import sync_url

X12 = (b"ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *261129*1200*^*00501*000000001*0*P*:~"
       b"NM1*IL*1*DOE*JANE****MI*W123456789~")


def store(db, scope, content: bytes):
    cipher, fid = cipher_for(db), new_id()
    with db.sessions.tenant_unit(scope) as s:
        s.execute(sa.text("INSERT INTO edi_file (tenant_id, id, kind, direction, sha256, size_bytes, content) "
                          "VALUES (:t, :id, '837P', 'outbound', :h, :n, :c)"),
                  {"t": scope.tenant_id, "id": fid, "h": hashlib.sha256(content).digest(), "n": len(content),
                   "c": cipher.seal_file(scope.tenant_id, fid, content).blob})
    return fid


def fetch(db, scope, fid) -> bytes:
    with db.sessions.tenant_unit(scope) as s:
        return bytes(s.execute(sa.text("SELECT content FROM edi_file WHERE tenant_id = :t AND id = :id"),
                               {"t": scope.tenant_id, "id": fid}).scalar_one())


def test_edi_file_round_trip_and_no_plaintext_at_rest(db, tenancy):
    fid = store(db, tenancy.a1, X12)
    blob = fetch(db, tenancy.a1, fid)
    assert b"DOE" not in blob and b"W123456789" not in blob
    assert cipher_for(db).open_file(tenancy.a1.tenant_id, fid, blob) == X12


def test_a_file_copied_to_another_practice_does_not_open(db, tenancy):
    fid = store(db, tenancy.a1, X12)
    blob = fetch(db, tenancy.a1, fid)
    with pytest.raises(CryptoError):
        cipher_for(db).open_file(tenancy.b1.tenant_id, fid, blob)
    with pytest.raises(DecryptionFailed):
        cipher_for(db).open_file(tenancy.a1.tenant_id, new_id(), blob)  # another row id


def test_tampered_wrapped_key_names_practice_and_version(db, tenancy, test_database):
    from agency.patients.schemas import PatientData
    from agency.patients.service import create_patient
    from datetime import date

    from support import make_agency_with_practices

    _, (scope,) = make_agency_with_practices(db, "Tampered key practice")
    owner = create_engine(sync_url(test_database.owner_url), poolclass=pool.NullPool)
    with owner.begin() as conn:  # corrupt the stored wrapped DEK (owner bypasses nothing: FORCE RLS)
        conn.execute(sa.text("SELECT set_config('app.current_tenant', :t, true)"), {"t": str(scope.tenant_id)})
        updated = conn.execute(sa.text("UPDATE tenant_key SET wrapped = overlay(wrapped placing '\\xff'::bytea "
                                       "from 20 for 1) WHERE tenant_id = :t AND purpose = 'dek'"),
                               {"t": scope.tenant_id}).rowcount
    owner.dispose()
    assert updated == 1
    cipher_for(db).keyring.invalidate(scope.tenant_id)
    with pytest.raises(CryptoError) as err, db.sessions.tenant_unit(scope) as s:
        create_patient(s, cipher_for(db), scope.tenant_id,
                       PatientData(first_name="Never", last_name="Stored", date_of_birth=date(2000, 1, 1)))
    message = str(err.value)
    assert str(scope.tenant_id) in message and "1" in message
    assert "Never" not in message
