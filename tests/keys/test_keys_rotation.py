"""DEK rotation re-seals everything under the new version, under concurrent
writes and after an interruption, with nothing lost."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from agency.keys import repository as repo
from agency.keys.runtime import cipher_for, provider_for
from agency.keys.sealed_columns import SEALED_COLUMNS
from agency.keys.service import KeyManagementError, reseal_all, start_rotation
from agency.patients.models import Patient
from agency.patients.schemas import CoverageData, PatientData
from agency.patients.service import create_patient, open_patient
from tenants import keystore_db
from tenants.crypto.errors import KeyDestroyed
from tenants.crypto.sealing import parse_header
from support import make_agency_with_practices


def seed(db, scope, n, prefix="P"):
    cipher = cipher_for(db)
    with db.sessions.tenant_unit(scope) as s:
        return [create_patient(s, cipher, scope.tenant_id,
                               PatientData(first_name=f"{prefix}{i}", last_name=f"Last{i}",
                                           date_of_birth=date(1950 + i % 50, 1 + i % 12, 1 + i % 28), mrn=f"{prefix}-{i}"),
                               [CoverageData(rank=1, member_id=f"M{prefix}{i}")]) for i in range(n)]


def versions_in_use(db, scope) -> set[int]:
    seen = set()
    with db.sessions.tenant_unit(scope) as s:
        for table, cols in SEALED_COLUMNS.items():
            for col in cols:
                for (blob,) in s.execute(sa.text(f"SELECT {col} FROM {table} WHERE tenant_id = :t AND {col} "
                                                 "IS NOT NULL"), {"t": scope.tenant_id}):
                    seen.add(parse_header(bytes(blob))[1])
    return seen


def all_names(db, scope) -> set[str]:
    cipher = cipher_for(db)
    with db.sessions.tenant_unit(scope) as s:
        return {open_patient(cipher, p).first_name
                for p in s.scalars(sa.select(Patient).where(Patient.tenant_id == scope.tenant_id))}


def test_rotation_under_concurrent_writes_leaves_everything_on_the_new_version(db):
    _, (scope,) = make_agency_with_practices(db, "Rotating practice")
    seed(db, scope, 120)
    with db.sessions.tenant_unit_for(scope.tenant_id) as s:
        started = start_rotation(s, provider_for(db), scope.tenant_id)
    assert (started.from_version, started.to_version) == (1, 2)

    stop = threading.Event()
    written: list[str] = []

    def writer():
        # Writers keep working; until their key cache expires they still seal with v1.
        i = 0
        while not stop.is_set() and i < 60:
            seed(db, scope, 1, prefix=f"W{i}-")
            written.append(f"W{i}-0")
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        total = reseal_all(db.sessions, cipher_for(db), scope.tenant_id, started.rotation_id, batch_size=25,
                           settle_seconds=db.settings.key_cache_ttl_seconds)
    finally:
        stop.set()
        thread.join()
    assert total > 0
    # Writes that landed after the sweep used v2 already (the key cache TTL elapsed).
    assert versions_in_use(db, scope) == {2}
    names = all_names(db, scope)
    assert {f"P{i}" for i in range(120)} <= names and set(written) <= names
    with db.sessions.tenant_unit_for(scope.tenant_id) as s:
        assert keystore_db.key_versions(s, scope.tenant_id, "dek") == [(1, "destroyed"), (2, "active")]
        assert repo.rotation(s, scope.tenant_id, started.rotation_id).status == "completed"


def test_interrupted_rotation_resumes_and_finishes(db):
    _, (scope,) = make_agency_with_practices(db, "Interrupted practice")
    seed(db, scope, 80)
    with db.sessions.tenant_unit_for(scope.tenant_id) as s:
        started = start_rotation(s, provider_for(db), scope.tenant_id)

    class Crash(Exception):
        pass

    def crash_after_first_batch(n):
        raise Crash()

    with pytest.raises(Crash):
        reseal_all(db.sessions, cipher_for(db), scope.tenant_id, started.rotation_id, batch_size=10,
                   progress=crash_after_first_batch)
    assert versions_in_use(db, scope) == {1, 2}  # half-way: the first batch committed
    with db.sessions.tenant_unit_for(scope.tenant_id) as s:
        assert repo.running_rotation(s, scope.tenant_id).id == started.rotation_id
        with pytest.raises(KeyManagementError, match="already running"):
            start_rotation(s, provider_for(db), scope.tenant_id)
    reseal_all(db.sessions, cipher_for(db), scope.tenant_id, started.rotation_id, batch_size=10)
    assert versions_in_use(db, scope) == {2}
    assert {f"P{i}" for i in range(80)} == all_names(db, scope)
    with db.sessions.tenant_unit_for(scope.tenant_id) as s:
        row = repo.rotation(s, scope.tenant_id, started.rotation_id)
        # 80 patients x 4 sealed fields (first, last, dob, mrn) + 80 member ids, each re-sealed once
        assert (row.status, row.values_resealed) == ("completed", 80 * 4 + 80)
    # Running the finished job again (redelivery) does nothing.
    assert reseal_all(db.sessions, cipher_for(db), scope.tenant_id, started.rotation_id) == 0


def test_old_version_is_unusable_after_rotation(db):
    _, (scope,) = make_agency_with_practices(db, "Retired key practice")
    seed(db, scope, 1)
    with db.sessions.tenant_unit_for(scope.tenant_id) as s:
        started = start_rotation(s, provider_for(db), scope.tenant_id)
    reseal_all(db.sessions, cipher_for(db), scope.tenant_id, started.rotation_id)
    cipher = cipher_for(db)
    cipher.keyring.invalidate()
    with pytest.raises(KeyDestroyed, match=f"{scope.tenant_id}.*version=1|version.*1"):
        cipher.keyring.dek(scope.tenant_id, 1)
