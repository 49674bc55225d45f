"""CSV intake throughput: a synthetic 50,000-row file imported through the real
job path (upload -> ``intake.import_csv`` on a dramatiq worker) with PHI
encryption on. Prints rows/second.

The file: one row per service line, two lines per encounter, 5 visits per
patient on average (so about 5,000 new patients, each sealed with blind
indexes and a coverage), codes from the bundled FY2026 ICD-10-CM and the
2026Q1 HCPCS fixture, about 1 % deliberately bad rows.

    .venv/bin/python benchmarks/bench_intake.py [ROWS]
"""

from __future__ import annotations

import csv
import io
import random
import sys
import time
from datetime import date, timedelta

from _db import benchmark_database

DX = ["E11.9", "I10", "J45.909", "Z00.00", "E78.5", "F32.A", "K21.9", "N39.0", "M54.50", "R51.9"]
PROCS = ["99213", "99214", "99203", "G0439", "93000", "36415", "J1100"]


def synthetic_csv(n_rows: int, setup, seed: int = 7) -> bytes:
    from agency.intake.csvfile import NAMES

    rnd = random.Random(seed)
    n_patients = max(1, n_rows // 10)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(NAMES)
    start = date(2026, 1, 2)  # inside FY2026 and the 2026Q1 HCPCS release
    written, visit = 0, 0
    while written < n_rows:
        visit += 1
        p = rnd.randrange(n_patients)
        dos = (start + timedelta(days=rnd.randrange(270))).isoformat()
        dx = rnd.sample(DX, 2)
        for line in range(2):
            if written >= n_rows:
                break
            proc = PROCS[(visit + line) % len(PROCS)]
            bad = rnd.random() < 0.01
            values = {n: "" for n in NAMES}
            values.update(
                encounter_ref=f"V{visit:08d}", patient_mrn=f"MRN{p:07d}", patient_last_name=f"Lastname{p % 997}",
                patient_first_name=f"First{p}", patient_date_of_birth=f"{1940 + p % 60}-{1 + p % 12:02d}-{1 + p % 28:02d}",
                patient_sex="FM"[p % 2], payer_code=setup.payer_code, member_id=f"W{p:09d}",
                rendering_npi=setup.npi, location_code=setup.location_code, date_of_service=dos,
                procedure_code=proc, modifier_1="25" if proc.startswith("992") and line == 0 else "",
                units="1", charge=f"{rnd.randrange(50, 400)}.00", diagnosis_1=dx[0], diagnosis_2=dx[1],
                note="Follow-up visit; stable." if line == 0 else "")
            if proc == "J1100":
                values.update(ndc="00409-4888-02", ndc_unit="ML", ndc_quantity="1")
            if bad:
                values["diagnosis_1"] = "E11"  # a header code: refused with a precise reason
            w.writerow([values[n] for n in NAMES])
            written += 1
    return out.getvalue().encode()


def main(n_rows: int = 50_000) -> None:
    import dramatiq

    from support import load_code_sets, make_agency_with_practices, make_practice_setup  # type: ignore

    from agency.intake import service as intake
    from agency.intake.models import IntakeBatch
    from agency.keys.runtime import cipher_for
    from agency.worker.broker import setup_broker
    from agency.worker.context import set_database

    with benchmark_database() as db:
        load_code_sets(db.urls.owner)
        _, (scope,) = make_agency_with_practices(db, "Bench practice")
        setup = make_practice_setup(db, scope)
        data = synthetic_csv(n_rows, setup)
        print(f"file: {n_rows} rows, {len(data) / 1e6:.1f} MB")
        broker = setup_broker(db.settings)  # no AGENCY_BROKER_URL: the in-process (stub) broker
        set_database(db)
        from agency.intake.tasks import import_csv

        cipher = cipher_for(db)
        t0 = time.perf_counter()
        with db.sessions.tenant_unit(scope) as s:
            batch, _ = intake.create_batch(s, cipher, scope, data, filename="bench.csv", created_by="user:bench")
        upload = time.perf_counter() - t0
        print(f"upload (checks + sealed store): {upload:.2f} s")
        worker = dramatiq.Worker(broker, worker_threads=1)
        worker.start()
        t1 = time.perf_counter()
        import_csv.send(str(scope.tenant_id), str(batch.id))
        last = 0.0
        while True:
            time.sleep(0.5)
            with db.sessions.tenant_unit(scope) as s:
                b = s.get(IntakeBatch, (scope.tenant_id, batch.id), populate_existing=True)
                status, done = b.status, b.rows_done
            if time.perf_counter() - last > 5:
                print(f"  {status}: {done}/{n_rows} rows ({time.perf_counter() - t1:.0f} s)")
                last = time.perf_counter()
            if status in ("completed", "failed"):
                break
        elapsed = time.perf_counter() - t1
        broker.join("intake")
        worker.stop()
        with db.sessions.tenant_unit(scope) as s:
            b = s.get(IntakeBatch, (scope.tenant_id, batch.id), populate_existing=True)
            import sqlalchemy as sa
            patients = s.scalar(sa.text("SELECT count(*) FROM patient"))
        print(f"import: {status} in {elapsed:.1f} s -> {n_rows / elapsed:,.0f} rows/s, "
              f"{b.encounters_created / elapsed:,.0f} encounters/s")
        print(f"  imported rows {b.rows_imported}, refused rows {b.rows_failed}, encounters {b.encounters_created}, "
              f"likely duplicates flagged {b.duplicates_flagged}, patients created {patients}")
        print(f"end to end (upload + import): {n_rows / (elapsed + upload):,.0f} rows/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
