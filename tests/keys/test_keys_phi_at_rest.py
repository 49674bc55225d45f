"""PHI is sealed per practice at rest: a database dump shows none of it."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
import sqlalchemy as sa

from agency.keys.runtime import cipher_for
from agency.keys.sealed_columns import NOT_SEALED, SEALED_COLUMNS
from agency.patients.schemas import Address, CoverageData, PatientData
from agency.patients.service import create_patient
from support import ADMIN_URL

KNOWN = [
    PatientData(first_name="Philippa", last_name="Quarrington", date_of_birth=date(1961, 7, 4), mrn="MRN-771204",
                sex="F", address=Address("1428 Elmwood Terrace", "Springfieldia", "OR", "97478"),
                phone="541-555-0199", email="pquarrington@example.org"),
    PatientData(first_name="Bartholomew", last_name="Zyskowski", date_of_birth=date(1948, 12, 30),
                mrn="MRN-330917", address=Address("77 Wolverine Hollow Rd", "Marquettesville", "MI", "49855")),
]
MEMBER_IDS = ["XQZ918273645", "WPL556677889"]


def test_pg_dump_contains_no_patient_phi(db, tenancy, test_database, tmp_path):
    cipher = cipher_for(db)
    with db.sessions.tenant_unit(tenancy.a1) as s:
        for data, member in zip(KNOWN, MEMBER_IDS):
            create_patient(s, cipher, tenancy.a1.tenant_id, data,
                           [CoverageData(rank=1, member_id=member, group_number="GRP-4455",
                                         subscriber={"first_name": "Henrietta", "last_name": "Quarrington"})])
    dump = tmp_path / "dump.sql"
    admin = ADMIN_URL.rsplit("/", 1)[0] + "/" + test_database.name
    subprocess.run(["pg_dump", "--no-owner", "-f", str(dump), admin], check=True, timeout=120)
    text = dump.read_text(errors="replace")
    assert "Practice A1" in text  # the dump is real and readable: non-PHI shows
    needles = [MEMBER_IDS[0], MEMBER_IDS[1], "Henrietta", "GRP-4455"]
    for p in KNOWN:
        needles += [p.first_name, p.last_name, p.mrn, p.date_of_birth.isoformat(),
                    p.date_of_birth.strftime("%Y%m%d"), p.date_of_birth.strftime("%m/%d/%Y"),
                    p.address.line1, p.address.city]
        needles += [n for n in (p.phone, p.email) if n]
    leaked = [n for n in needles if n in text or n.lower() in text.lower()]
    assert leaked == []


def test_every_binary_column_of_a_tenant_table_is_sealed_or_explained(test_database):
    from sqlalchemy import create_engine, pool

    from tenants.urls import sync_url

    engine = create_engine(sync_url(test_database.owner_url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "WHERE c.table_schema = 'public' AND c.data_type = 'bytea' AND EXISTS ("
            "  SELECT 1 FROM information_schema.columns t WHERE t.table_schema = 'public' "
            "  AND t.table_name = c.table_name AND t.column_name = 'tenant_id')")).all()
    engine.dispose()
    unexplained = [(t, c) for t, c in rows if c not in SEALED_COLUMNS.get(t, ()) and (t, c) not in NOT_SEALED]
    assert unexplained == []


def test_sealed_column_refuses_plaintext(db, tenancy):
    from agency.db.base import new_id
    from agency.patients.models import Patient

    with pytest.raises(sa.exc.StatementError, match="SealedBytes accepts only Sealed"):
        with db.sessions.tenant_unit(tenancy.a1) as s:
            s.add(Patient(tenant_id=tenancy.a1.tenant_id, id=new_id(), first_name="Plain",
                          last_name=b"text", date_of_birth=b"x", bidx_name_dob=1))
