"""Cost of an encrypted patient insert relative to a plaintext one, on real PostgreSQL.

Both paths insert the same number of patients with the same fields in batches
of one transaction per 500 rows; the encrypted path seals nine fields and
computes two blind indexes per patient. Prints rows/second and the ratio.

    .venv/bin/python benchmarks/bench_phi_insert.py [N]
"""

from __future__ import annotations

import sys
import time
from datetime import date

import sqlalchemy as sa

from _db import benchmark_database


def main(n: int = 5000) -> None:
    from support import make_agency_with_practices  # type: ignore[import-not-found]

    from agency.keys.runtime import cipher_for
    from agency.patients.schemas import Address, PatientData
    from agency.patients.service import create_patient

    rows = [PatientData(first_name=f"First{i}", last_name=f"Last{i % 700}", date_of_birth=date(1940 + i % 60, 1 + i % 12, 1 + i % 28),
                        mrn=f"MRN{i:07d}", sex="F", address=Address(f"{i} Main St", "Town", "OR", "97000"),
                        phone="555-0100", email=f"p{i}@example.org") for i in range(n)]
    with benchmark_database() as db:
        _, (scope,) = make_agency_with_practices(db, "Bench practice")
        cipher = cipher_for(db)
        with db.sessions.tenant_unit(scope) as s:  # warm the key cache and the pool
            create_patient(s, cipher, scope.tenant_id, rows[0])

        start = time.perf_counter()
        for i in range(0, n, 500):
            with db.sessions.tenant_unit(scope) as s:
                for data in rows[i:i + 500]:
                    create_patient(s, cipher, scope.tenant_id, data)
        encrypted = time.perf_counter() - start

        with db.sync_engine.begin() as conn:
            conn.execute(sa.text("CREATE TEMP TABLE IF NOT EXISTS plain_patient (tenant_id uuid, id uuid, mrn text, "
                                 "first_name text, middle_name text, last_name text, date_of_birth date, sex text, "
                                 "address text, phone text, email text)"))
        from agency.db.base import new_id
        from agency.patients.models import Patient
        import json
        from dataclasses import asdict

        plain = sa.table("plain_patient", *[sa.column(c) for c in (
            "tenant_id", "id", "mrn", "first_name", "middle_name", "last_name", "date_of_birth", "sex", "address",
            "phone", "email")])
        start = time.perf_counter()
        with db.sync_engine.connect() as conn:
            for i in range(0, n, 500):
                with conn.begin():
                    for d in rows[i:i + 500]:
                        conn.execute(plain.insert().values(
                            tenant_id=scope.tenant_id, id=new_id(), mrn=d.mrn, first_name=d.first_name,
                            middle_name=d.middle_name, last_name=d.last_name, date_of_birth=d.date_of_birth,
                            sex=d.sex, address=json.dumps(asdict(d.address)), phone=d.phone, email=d.email))
        plaintext = time.perf_counter() - start
        del Patient

    print(f"patients inserted: {n}")
    print(f"encrypted insert : {n / encrypted:10.0f} rows/s  (9 sealed fields + 2 blind indexes per row, ORM)")
    print(f"plaintext insert : {n / plaintext:10.0f} rows/s  (same fields as text, Core)")
    print(f"ratio            : encrypted costs {encrypted / plaintext:.2f}x the plaintext insert")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
