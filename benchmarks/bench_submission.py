"""837 claims written per second inside a submission run, and claims scrubbed per second.

A fresh migrated database with bundled code sets; one practice with N ready claims
(built through the normal path: encounter -> claim -> scrub). Then one submission
run: ``run_practice`` (select + lock, decrypt PHI, write the 837, validate it, seal
it, store it, record the interchange and submission rows, move the claims) in files
of 500 claims. Usage: ``.venv/bin/python benchmarks/bench_submission.py [N]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "claims"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "submissions"))

from _db import benchmark_database  # noqa: E402


def main(n: int) -> None:
    import tempfile

    with benchmark_database() as db:
        from support import load_code_sets  # type: ignore[import-not-found]

        load_code_sets(db.urls.owner)
        from agency.worker.broker import setup_broker

        broker = setup_broker(db.settings)
        import agency.worker.actors  # noqa: F401

        broker.enqueue = lambda message, *, delay=None: message  # keep transmit messages out of the way
        from claims_support import build, make_encounter, make_patient, setup_practice  # type: ignore
        from subs_support import make_mailbox  # type: ignore

        from agency.claims import service as claims_service
        from agency.claims.models import Claim
        from agency.keys.runtime import cipher_for
        from agency.submissions import service

        b = setup_practice(db)
        make_mailbox(db, b.agency_id, Path(tempfile.mkdtemp(prefix="bench-mailbox-")))
        encounters = [make_encounter(db, b, make_patient(db, b)) for _ in range(n)]
        t0 = time.perf_counter()
        for e in encounters:
            build(db, b, e)
        t_build = time.perf_counter() - t0
        cipher = cipher_for(db)
        # scrub alone (re-scrub the stored claims: assemble + decrypt + every rule)
        import sqlalchemy as sa
        with db.sessions.tenant_unit(b.scope) as s:
            claims = list(s.scalars(sa.select(Claim).where(Claim.tenant_id == b.scope.tenant_id)))
            t0 = time.perf_counter()
            for c in claims:
                claims_service.scrub_claim(s, cipher, c)
            t_scrub = time.perf_counter() - t0
        t0 = time.perf_counter()
        files = service.run_practice(db, cipher, b.scope)
        t_run = time.perf_counter() - t0
        print(f"claims: {n}; files: {len(files)} (<= {service.MAX_CLAIMS_PER_FILE} claims each)")
        print(f"claim build + scrub (encounter -> ready claim, one unit of work each): {n / t_build:,.0f} claims/s")
        print(f"scrub only (assemble + decrypt + every rule):                         {n / t_scrub:,.0f} claims/s")
        print(f"837 in a submission run (lock, decrypt, write, validate, seal, store): {n / t_run:,.0f} claims/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
