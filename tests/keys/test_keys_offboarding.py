"""Offboarding shreds one practice's keys: its PHI is unreadable, others' is not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pytest
import sqlalchemy as sa

from agency.keys.runtime import cipher_for, provider_for
from agency.keys.service import KeyManagementError, offboard, start_rotation
from agency.patients.models import Patient
from agency.patients.schemas import CoverageData, PatientData
from agency.patients.service import create_patient, find_by_name_dob, open_patient
from tenants.crypto.errors import CryptoError, KeyDestroyed
from support import make_agency_with_practices


def add_patient(db, scope, last="Shred"):
    with db.sessions.tenant_unit(scope) as s:
        return create_patient(s, cipher_for(db), scope.tenant_id,
                              PatientData(first_name="Ola", last_name=last, date_of_birth=date(1977, 3, 3)),
                              [CoverageData(rank=1, member_id="OFF123")])


def load(db, scope, pid):
    with db.sessions.tenant_unit(scope) as s:
        return s.get(Patient, (scope.tenant_id, pid))


def test_offboarded_practice_cannot_be_decrypted_and_others_still_can(db):
    _, (gone, stays) = make_agency_with_practices(db, "Leaving practice", "Staying practice")
    gone_pid, stays_pid = add_patient(db, gone), add_patient(db, stays)
    cipher = cipher_for(db)
    with db.sessions.tenant_unit(gone) as s:
        assert offboard(s, provider_for(db), cipher, gone.tenant_id) == 2  # DEK + index key
    with pytest.raises(KeyDestroyed) as err:
        open_patient(cipher, load(db, gone, gone_pid))
    assert str(gone.tenant_id) in str(err.value) and "destroyed" in str(err.value)
    assert "Ola" not in str(err.value)
    # Blind-index search is gone too: the index key was destroyed.
    with db.sessions.tenant_unit(gone) as s, pytest.raises(CryptoError):
        find_by_name_dob(s, cipher, gone.tenant_id, "Shred", date(1977, 3, 3))
    # A fresh process (empty key cache) cannot decrypt either.
    cipher.keyring.invalidate()
    with pytest.raises(KeyDestroyed):
        open_patient(cipher, load(db, gone, gone_pid))
    assert open_patient(cipher, load(db, stays, stays_pid)).last_name == "Shred"
    with db.sessions.tenant_unit_for(gone.tenant_id) as s, pytest.raises(KeyManagementError):
        start_rotation(s, provider_for(db), gone.tenant_id)  # never re-keys a shredded practice


def test_offboard_cli_exports_then_shreds(db, settings, test_database, tmp_path):
    agency_id, (scope,) = make_agency_with_practices(db, "CLI leaving practice")
    add_patient(db, scope, last="Exported")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENCY_")}
    env.update(AGENCY_DATABASE_URL=test_database.app_url, AGENCY_MIGRATOR_DATABASE_URL=test_database.owner_url,
               AGENCY_DATA_DIR=str(settings.data_dir))
    base = [sys.executable, "-m", "agency.cli.main", "practices", "offboard", str(scope.tenant_id),
            "--agency", str(agency_id)]
    refused = subprocess.run(base + ["--yes"], env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "--export-to" in refused.stderr
    out = subprocess.run(base + ["--yes", "--export-to", str(tmp_path)], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "offboarded: 2 keys destroyed" in out.stdout
    exported = (tmp_path / f"practice-{scope.tenant_id}-patients.jsonl")
    assert exported.stat().st_mode & 0o777 == 0o600
    record = json.loads(exported.read_text().splitlines()[0])
    assert record["last_name"] == "Exported" and record["coverages"][0]["member_id"] == "OFF123"
    with db.sessions.agency_unit(__import__("tenants.scope", fromlist=["AgencyScope"]).AgencyScope(agency_id)) as s:
        assert s.execute(sa.text("SELECT status FROM practice WHERE id = :p"),
                         {"p": scope.tenant_id}).scalar() == "offboarded"
