"""Code sets: load rows/second (bundled FY2026 ICD-10-CM, ~98k rows via COPY),
single-call validations/second, and cached bulk validations/second.

    .venv/bin/python benchmarks/bench_codesets.py
"""

from __future__ import annotations

import random
import sys
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore", category=DeprecationWarning)


def main() -> None:
    from sqlalchemy import create_engine, pool
    from sqlalchemy.orm import Session

    from _db import benchmark_database
    from agency.codesets import service
    from agency.codesets.loaders import bundled
    from tenants.urls import sync_url

    with benchmark_database() as db:
        owner = create_engine(sync_url(db.urls.owner), poolclass=pool.NullPool)
        t0 = time.perf_counter()
        rows = bundled.read_codes()
        parse = time.perf_counter() - t0
        t0 = time.perf_counter()
        with Session(owner) as s, s.begin():
            results = service.load_bundled(s)
        load = time.perf_counter() - t0
        n = results[0].rows
        print(f"bundled ICD-10-CM: {n:,} rows ({results[0].billable:,} billable); package parse {parse:.2f} s; "
              f"load (package already imported; COPY) {load:.2f} s = {n / load:,.0f} rows/s")
        owner.dispose()

        rng = random.Random(7)
        billable = [r.code for r in rows if r.billable]
        headers = [r.code for r in rows if not r.billable]
        codes = [rng.choice(billable) if rng.random() < 0.95 else rng.choice(headers) for _ in range(50_000)]
        start = date(2025, 10, 1)
        dates = [start + timedelta(days=rng.randrange(365)) for _ in codes]

        with Session(db.sync_engine) as session:
            k = 2_000
            t0 = time.perf_counter()
            for code, dos in zip(codes[:k], dates[:k]):
                service.validate_diagnosis(session, code, dos)
            single = k / (time.perf_counter() - t0)
            print(f"validate_diagnosis (one query each): {single:,.0f} validations/s")

            t0 = time.perf_counter()
            cache = service.CodeSetCache(session).preload(min(dates), max(dates))
            warm = time.perf_counter() - t0
            t0 = time.perf_counter()
            refused = sum(not cache.validate_diagnosis(c, d).ok for c, d in zip(codes, dates))
            bulk = len(codes) / (time.perf_counter() - t0)
            print(f"CodeSetCache: preload {warm:.2f} s, then {bulk:,.0f} validations/s over {len(codes):,} rows "
                  f"({refused:,} refused headers)")


if __name__ == "__main__":
    main()
