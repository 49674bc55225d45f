"""Micro-benchmarks for the PHI crypto kernel (src/tenants/crypto).

Run:  .venv/bin/python benchmarks/bench_crypto.py [--seconds 1.0]

Prints operations per second for seal/open of a typical field (~20 bytes)
and a 1 KB field, blind-index computations, and the cost of a keyring hit
(cached key hand-out) versus a miss (unwrap through LocalKeyProvider).
Single thread, no database.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tenants.crypto.blind_index import (  # noqa: E402
    BlindIndexSpec,
    compute_slow_blind_index,
    normalize_member_id,
    normalize_name_dob,
)
from tenants.crypto.keyring import InMemoryKeyRecordSource, Keyring, PhiCipher, provision_tenant_keys  # noqa: E402
from tenants.crypto.providers import LocalKeyProvider  # noqa: E402
from tenants.crypto.sealing import FieldContext, open_sealed, seal  # noqa: E402


def rate(fn: Callable[[], object], seconds: float) -> tuple[float, float]:
    """(ops/s, µs/op) measured over about ``seconds``."""
    for _ in range(50):
        fn()
    n, batch = 0, 64
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            fn()
        n += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed, elapsed / n * 1e6


def line(label: str, ops: float, us: float) -> None:
    print(f"  {label:<48} {ops:>12,.0f} ops/s {us:>10.2f} µs/op")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=1.0, help="time per measurement (default 1.0)")
    args = ap.parse_args()
    s = args.seconds

    dek = os.urandom(32)
    tenant = uuid.uuid4()
    ctx = FieldContext(tenant, "patient", "last_name", uuid.uuid4())
    small = b"Nguyen-Rodriguez Jr."  # 20 bytes
    big = os.urandom(1024)
    small_blob = seal(dek, 1, ctx, small)
    big_blob = seal(dek, 1, ctx, big)

    def lookup(v: int) -> bytes:
        return dek

    print(f"PHI crypto kernel — Python {sys.version.split()[0]}, {s:g} s per measurement")
    print("sealing (raw seal/open_sealed, key already in hand):")
    line("seal  20 B field", *rate(lambda: seal(dek, 1, ctx, small), s))
    line("open  20 B field", *rate(lambda: open_sealed(lookup, ctx, small_blob), s))
    line("seal  1 KB field", *rate(lambda: seal(dek, 1, ctx, big), s))
    line("open  1 KB field", *rate(lambda: open_sealed(lookup, ctx, big_blob), s))
    line("FieldContext construction (UUID canonicalisation)", *rate(lambda: FieldContext(tenant, "patient", "last_name", ctx.row_id), s))

    with tempfile.TemporaryDirectory() as tmp:
        provider = LocalKeyProvider(Path(tmp) / "keystore")
        source = InMemoryKeyRecordSource(provision_tenant_keys(provider, tenant, index_bits=12))
        keyring = Keyring(provider, source, ttl_seconds=3600, max_uses=10**12)
        cipher = PhiCipher(keyring)
        row = uuid.uuid4()
        sealed_text = cipher.seal_text(tenant, "patient", "last_name", row, "Nguyen-Rodriguez Jr.")

        print("PhiCipher (keyring lookup + typed encode + seal/open):")
        line("seal_text 20 chars", *rate(lambda: cipher.seal_text(tenant, "patient", "last_name", row, "Nguyen-Rodriguez Jr."), s))
        line("open_text 20 chars", *rate(lambda: cipher.open_text(tenant, "patient", "last_name", row, sealed_text), s))

        print("keyring:")
        line("hit: dek(tenant, 1)", *rate(lambda: keyring.dek(tenant, 1), s))
        line("hit: active_dek(tenant)", *rate(lambda: keyring.active_dek(tenant), s))
        miss_ring = Keyring(provider, source, ttl_seconds=3600, max_uses=1)  # every call re-unwraps
        line("miss: dek(tenant, 1) with LocalKeyProvider unwrap", *rate(lambda: miss_ring.dek(tenant, 1), s))

        print("blind indexes:")
        ik = keyring.index_key(tenant).key
        name_dob = BlindIndexSpec("patient", "last_name", "name_dob", normalize_name_dob)
        member = BlindIndexSpec("coverage", "member_id", "member_id", normalize_member_id)
        line("name+DOB (normalise + HKDF + HMAC)", *rate(lambda: name_dob.compute(ik, "O'Brien-Smith", "1980-02-03", bits=12), s))
        line("member id (normalise + HKDF + HMAC)", *rate(lambda: member.compute(ik, "w123-456-789", bits=16), s))
        line("PhiCipher.blind_index member id (with keyring)", *rate(lambda: cipher.blind_index(tenant, member, "w123-456-789"), s))
        line(
            "slow PBKDF2 index, 100k iterations",
            *rate(
                lambda: compute_slow_blind_index(ik, table="patient", column="ssn4", name="ssn4", normalized="1234", bits=10),
                min(s, 0.5),
            ),
        )


if __name__ == "__main__":
    main()
