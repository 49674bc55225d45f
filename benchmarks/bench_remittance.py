"""Remittance posting benchmark (not a test): an 835 with N claims (default 10,000)
posted to PostgreSQL, claims/second, next to the parse-only figure of the X12 library.

Usage: .venv/bin/python benchmarks/bench_remittance.py [--claims N]

The claims "as sent" (2 lines each, REF*6R echoed, half of them with PR amounts and
a few denied lines) are bulk-inserted first; then:
  - parse: edi.r835.read_835 + the balance check, every claim's fields read;
  - post: agency.remittance.service.post_file: store sealed, parse, lock the ERA row,
    match, write era_claim/ledger/PLB rows, verify the reconciliation, move the claims
    (bulk conditional updates + history events), open denial items. One transaction.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "benchmarks"), str(ROOT / "tests"), str(ROOT / "tests" / "remittance")]

from _db import benchmark_database  # noqa: E402


def build(n: int, payer_code: str, pcn_prefix: str) -> tuple[str, list[str]]:
    from remit_support import clp, era_text, svc

    claims, pcns, total = [], [], Decimal(0)
    for i in range(n):
        pcn = f"{pcn_prefix}{i:07d}"
        pcns.append(pcn)
        if i % 50 == 0:  # a denied line
            l1 = svc("99213", "100.00", "0", lcn=f"{pcn}-1", cas=["CAS*CO*197*100.00"])
            paid1 = Decimal("0")
        elif i % 2:
            l1 = svc("99213", "100.00", "60.00", lcn=f"{pcn}-1", cas=["CAS*CO*45*20.00", "CAS*PR*2*20.00"])
            paid1 = Decimal("60.00")
        else:
            l1 = svc("99213", "100.00", "80.00", lcn=f"{pcn}-1", cas=["CAS*CO*45*20.00"])
            paid1 = Decimal("80.00")
        l2 = svc("81002", "20.00", "15.00", lcn=f"{pcn}-2", cas=["CAS*CO*45*5.00"])
        paid = paid1 + Decimal("15.00")
        total += paid
        claims.append(clp(pcn, "1", "120.00", f"{paid:.2f}", icn=f"ICN{i}", lines=[l1, l2]))
    text = era_text(trn=f"BENCH{pcn_prefix}", payer_code=payer_code, amount=f"{total - Decimal('-2.50'):.2f}",
                    claims=claims, plb=["PLB*1234567893*20261231*L6:INT*-2.50"])
    return text, pcns


def insert_claims(db, ctx, pcns: list[str]) -> None:
    import uuid

    from agency.claims.models import Claim, ClaimLine
    from agency.db.base import new_id
    from agency.encounters.models import Encounter

    scope = ctx.scope
    dos = date(2026, 3, 2)
    enc, cl, ln = [], [], []
    for pcn in pcns:
        eid, cid = new_id(), new_id()
        enc.append(dict(tenant_id=scope.tenant_id, id=eid, patient_id=ctx.patient_id,
                        rendering_provider_id=ctx.rendering_provider_id, date_of_service_from=dos,
                        date_of_service_to=dos, place_of_service="11", status="billed", source="api",
                        dedup_key=f"k-{eid}", duplicate_flag=False, row_version=1))
        cl.append(dict(tenant_id=scope.tenant_id, id=cid, encounter_id=eid, patient_id=ctx.patient_id,
                       coverage_id=ctx.coverage_ids[0], payer_id=ctx.payer_id,
                       billing_provider_id=ctx.billing_provider_id, rendering_provider_id=ctx.rendering_provider_id,
                       sequence=1, kind="837P", pcn=pcn, revision=0, state="accepted_payer", frequency="1",
                       place_of_service="11", diagnoses=["E119"], date_of_service_from=dos, date_of_service_to=dos,
                       total_charge=Decimal("120.00"), hold_reasons=[], warnings=[], submission_attempt=1))
        for n, (code, charge) in enumerate((("99213", "100.00"), ("81002", "20.00")), 1):
            ln.append(dict(tenant_id=scope.tenant_id, id=new_id(), claim_id=cid, line_number=n,
                           line_control_number=f"{pcn}-{n}", procedure_code=code, modifiers=[],
                           units=Decimal(1), charge=Decimal(charge), diagnosis_pointers=[1], date_of_service=dos))
    with db.sessions.tenant_unit(scope) as s:
        s.execute(Encounter.__table__.insert(), enc)
        s.execute(Claim.__table__.insert(), cl)
        s.execute(ClaimLine.__table__.insert(), ln)
    _ = uuid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=10_000)
    n = ap.parse_args().claims
    from agency.keys.runtime import cipher_for
    from agency.remittance import service
    from edi.r835 import read_835
    from remit_support import make_ctx
    from support import make_agency_with_practices

    with benchmark_database() as db:
        _, (scope,) = make_agency_with_practices(db, "Bench practice")
        ctx = make_ctx(db, scope)
        text, pcns = build(n, ctx.payer_code, "B")
        data = text.encode()
        t = time.perf_counter()
        insert_claims(db, ctx, pcns)
        t_insert = time.perf_counter() - t

        best_parse = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            [rem] = read_835(data)
            for c in rem.claims:  # every field the posting reads
                _ = (c.paid, c.payer_claim_number, [(x.paid, x.adjustments, x.line_control_number) for x in c.lines])
            best_parse = min(best_parse, time.perf_counter() - t)
        assert rem.balance.ok, rem.balance.problems

        cipher = cipher_for(db)
        t = time.perf_counter()
        with db.sessions.tenant_unit(scope) as s:
            file_id = service.store_835(s, cipher, scope.tenant_id, data)
        [res] = service.post_file(db.sessions, cipher, scope, file_id)
        t_post = time.perf_counter() - t
        assert res.status == "posted", res
        t = time.perf_counter()
        [again] = service.post_file(db.sessions, cipher, scope, file_id)
        t_dup = time.perf_counter() - t
        assert again.status == "duplicate"

    mb = len(data) / 1e6
    print(f"835: {n:,} claims, {2 * n:,} lines, {mb:.1f} MB; claims inserted in {t_insert:.1f}s")
    print(f"parse + balance (edi.r835) : {n / best_parse:>10,.0f} claims/s ({best_parse:.2f}s)")
    print(f"post to PostgreSQL         : {n / t_post:>10,.0f} claims/s ({t_post:.2f}s, one transaction, "
          f"{n / t_post / (n / best_parse):.2f} of parse-only)")
    print(f"same ERA again (duplicate) : {t_dup:.2f}s, nothing posted")


if __name__ == "__main__":
    main()
