"""Claim scrubber: claims scrubbed per second.

Realistic 837P claims (1-6 lines, 1-8 diagnoses from the bundled FY2026
ICD-10-CM, E/M and procedure codes, modifiers, some secondary claims with COB)
scrubbed by every rule with the code sets cached (``CachedCodeSets`` over
``CodeSetCache``) and the synthetic NCCI/MUE fixtures loaded; then the same with
the results stored per claim (``store_results``, one transaction per 500 claims).

    .venv/bin/python benchmarks/bench_scrubber.py [N]
"""

from __future__ import annotations

import dataclasses
import random
import sys
import time
import uuid
import warnings
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests" / "scrubber"))
warnings.filterwarnings("ignore", category=DeprecationWarning)

PROCEDURES = ["99213", "99214", "99203", "36415", "81002", "93000", "11055", "20610", "97110", "90471", "G0439"]
MODIFIERS = [(), (), (), ("25",), ("RT",), ("LT",), ("59",), ("XS",), ("95",)]


def make_claims(n: int, codes: list[str], seed: int = 7):
    from edi.model.claim837 import CasAdjustment, OtherPayer, Payer
    from scrub_support import good_claim, line, person, subscriber

    rng = random.Random(seed)
    out = []
    for i in range(n):
        dos = date(2026, 1, 5) + timedelta(days=rng.randrange(0, 70))
        dx = tuple(rng.sample(codes, rng.randint(1, 8)))
        lines = []
        for k in range(rng.randint(1, 6)):
            lines.append(line(procedure_code=rng.choice(PROCEDURES), modifiers=rng.choice(MODIFIERS),
                              charge=Decimal(rng.randint(15, 400)), units=Decimal(rng.choice((1, 1, 1, 2))),
                              service_date=dos, diagnosis_pointers=tuple(sorted(rng.sample(
                                  range(1, len(dx) + 1), min(len(dx), rng.randint(1, 4))))),
                              line_control_number=f"L{i}-{k}"))
        claim = good_claim(patient_control_number=f"P{i:08d}", diagnoses=dx, lines=tuple(lines),
                           subscriber=subscriber(member_id=f"M{rng.randrange(10**9):09d}",
                                                 person=person(last_name=f"Name{i}")))
        if i % 5 == 0:  # a secondary claim with the primary's claim-level adjudication
            total = claim.total_charge
            op = OtherPayer(person(), "PRIM1", Payer("First Payer", "11111"), paid=total - Decimal(10),
                            adjustments=(CasAdjustment("CO", "45", Decimal(10)),), adjudication_date=dos)
            claim = dataclasses.replace(claim, subscriber=dataclasses.replace(claim.subscriber,
                                                                             payer_responsibility="S"),
                                        other_payers=(op,))
        out.append(claim)
    return out


def main() -> None:
    from sqlalchemy import create_engine, pool
    from sqlalchemy.orm import Session

    from _db import benchmark_database
    from agency.codesets import service as codesets
    from agency.scrubber import CachedCodeSets, scrub, service
    from agency.scrubber.reference import NcciTables, load_mue_file, load_ptp_file
    from scrub_support import MUE_FILE, PTP_FILE, full_context
    from support import make_agency_with_practices  # type: ignore[import-not-found]
    from tenants.urls import sync_url

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with benchmark_database() as db:
        owner = create_engine(sync_url(db.urls.owner), poolclass=pool.NullPool)
        with Session(owner) as s, s.begin():
            codesets.load_bundled(s)
            load_ptp_file(s, PTP_FILE, kind="practitioner", effective=date(2026, 1, 1))
            load_mue_file(s, MUE_FILE, kind="practitioner", effective=date(2026, 1, 1))
        with Session(db.sync_engine) as s:
            billable = [c for (c,) in s.execute(__import__("sqlalchemy").text(
                "SELECT e.code FROM code_set_entry e JOIN code_set_release r ON r.id = e.release_id "
                "WHERE r.system = 'icd10cm' AND r.version = 'FY2026' AND e.billable AND e.code < 'S' LIMIT 3000"))]
        claims = make_claims(n, billable)
        lines = sum(len(c.lines) for c in claims)

        with Session(db.sync_engine) as s:
            t0 = time.perf_counter()
            code_sets = CachedCodeSets.for_session(s, date(2026, 1, 1), date(2026, 3, 31))
            ncci = NcciTables(s)
            ncci.prefetch(PROCEDURES)
            warm = time.perf_counter() - t0
            base = full_context(code_sets, ncci)
            t0 = time.perf_counter()
            found = [scrub(c, base) for c in claims]
            cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            for c in claims:
                scrub(c, base)
            hot = time.perf_counter() - t0
        total = sum(len(f) for f in found)
        blocked = sum(1 for f in found if any(x.blocks for x in f))
        print(f"{n:,} claims, {lines:,} lines ({lines / n:.1f}/claim), {len(billable):,} distinct diagnosis codes; "
              f"cache warm-up {warm:.2f} s")
        print(f"scrub, first pass (code-set answers memoised as they come): {n / cold:,.0f} claims/s "
              f"({cold / n * 1e6:,.0f} us/claim)")
        print(f"scrub, second pass (all answers memoised)               : {n / hot:,.0f} claims/s "
              f"({hot / n * 1e6:,.0f} us/claim)")
        print(f"findings: {total:,} ({total / n:.2f}/claim); claims with an error: {blocked:,}")

        agency, (scope,) = make_agency_with_practices(db, "Bench practice")
        m = min(n, 5_000)
        t0 = time.perf_counter()
        for start in range(0, m, 500):
            with db.sessions.tenant_unit(scope) as s:
                for c, f in zip(claims[start:start + 500], found[start:start + 500]):
                    service.store_results(s, scope.tenant_id, uuid.uuid4(), f)
        store = time.perf_counter() - t0
        print(f"store results ({m:,} claims, {sum(len(f) for f in found[:m]):,} rows, 500 claims/transaction): "
              f"{m / store:,.0f} claims/s")


if __name__ == "__main__":
    main()
