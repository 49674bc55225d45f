"""EDI benchmark (not a test): 835 parse+balance and 837P write, against pyx12 and a bare split.

Usage: .venv/bin/python benchmarks/bench_edi.py [--claims N] [--pyx12-claims M]

Generates the files into a temp dir by streaming writes, then in one run prints:
  - 835 claims/second parsed and balance-checked (edi.r835.iter_835): every amount,
    date and structure rule checked, every line/claim/transaction balanced; claims'
    Decimal/date fields are built lazily, so a second line also reads every claim's
    fields (the cost for a caller that uses all of them)
  - 837P claims/second written (edi.w837.write_837, streamed to a file)
  - the ratio of each to (a) pyx12 validating the same file and (b) a bare pass
    that reads the file and does str.split on the segment terminator and then on
    the element separator for every segment (the least any X12 reader must do).
pyx12 runs at a few hundred claims/s, so by default it validates the first file
of --pyx12-claims claims generated the same way and its rate is used.

edi.r835 and edi.tokenizer are compiled with Cython at install when they can be
(setup.py); the run says which one it measured, and also times their sources run
by the interpreter (what an install without a C compiler gets), in a subprocess
that imports them from the .py files.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.util
import io
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "edi")]
COMPILABLE = ("edi.r835", "edi.tokenizer")  # the modules setup.py compiles


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Import the compilable modules from their .py source even where a build sits beside it."""

    def find_spec(self, name, path=None, target=None):
        if name in COMPILABLE:
            return importlib.util.spec_from_file_location(name, ROOT / "src" / (name.replace(".", "/") + ".py"))
        return None


if "--interpreted" in sys.argv:
    sys.meta_path.insert(0, _SourceFirst())

from edi import r835  # noqa: E402
from edi.pyx12_oracle import validate_with_pyx12  # noqa: E402
from edi.r835 import iter_835  # noqa: E402
from edi_bigfiles import write_big_835, write_big_837p  # noqa: E402


def best(fn, repeat: int = 5) -> float:
    # CPU time of this (single-threaded) process, best of `repeat`: on a shared machine
    # wall-clock time mostly measures the neighbours. Every figure uses the same clock.
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def bare_split(path: Path) -> None:
    text = path.read_text()
    for seg in text.split("~"):
        seg.split("*")


def parse_835(path: Path) -> None:
    n = 0
    for kind, obj in iter_835(path):
        if kind == "claim":
            n += 1
        elif kind == "end":
            assert obj.balance.ok


def parse_835_built(path: Path) -> None:
    """Same, but every claim is also built (Decimal amounts, dates, lines, adjustments):
    what a caller pays that reads every field of every claim."""
    n = 0
    for kind, obj in iter_835(path):
        if kind == "claim":
            obj.lines  # noqa: B018 - the first field read builds the whole claim
            n += 1
        elif kind == "end":
            assert obj.balance.ok


def interpreted_seconds(path: Path) -> tuple[float, float]:
    """(parse, bare split) CPU seconds measured by a subprocess running the .py sources."""
    out = subprocess.run([sys.executable, __file__, "--interpreted", str(path)], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=20000)
    ap.add_argument("--pyx12-claims", type=int, default=1000)
    ap.add_argument("--interpreted", metavar="FILE_835", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.interpreted:
        assert not r835.COMPILED
        f = Path(args.interpreted)
        print(best(lambda: parse_835(f)), best(lambda: bare_split(f)))
        return
    n, m = args.claims, args.pyx12_claims
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        f835, f837 = d / "big.835", d / "big.837"
        write_big_835(f835, n)
        f835c = d / "cents.835"
        write_big_835(f835c, n, charges=(Decimal("123.45"), Decimal("67.89")))
        t837 = best(lambda: write_big_837p(f837, n))
        s835, s837 = f835.stat().st_size, f837.stat().st_size
        t_parse = best(lambda: parse_835(f835))
        t_built = best(lambda: parse_835_built(f835))
        t_split835 = best(lambda: bare_split(f835))
        t_parse_c = best(lambda: parse_835(f835c))
        t_interp, t_interp_split = interpreted_seconds(f835) if r835.COMPILED else (t_parse, t_split835)
        t_split_c = best(lambda: bare_split(f835c))
        t_split837 = best(lambda: bare_split(f837))
        # pyx12 on files generated the same way (m claims), read as text like pyx12 needs.
        p835, p837 = d / "p.835", d / "p.837"
        write_big_835(p835, m)
        write_big_837p(p837, m)
        txt835, txt837 = p835.read_text(), p837.read_text()
        t = time.process_time()
        r1 = validate_with_pyx12(txt835)
        t_pyx835 = time.process_time() - t
        t = time.process_time()
        r2 = validate_with_pyx12(txt837)
        t_pyx837 = time.process_time() - t

    rate = lambda claims, secs: claims / secs  # noqa: E731
    parse_rate, write_rate = rate(n, t_parse), rate(n, t837)
    split835, split837 = rate(n, t_split835), rate(n, t_split837)
    pyx835, pyx837 = rate(m, t_pyx835), rate(m, t_pyx837)
    print(f"files: 835 {n} claims {s835 / 1e6:.1f} MB; 837P {n} claims {s837 / 1e6:.1f} MB; "
          f"pyx12 on {m}-claim files (valid: 835 {r1.ok}, 837P {r2.ok})")
    from edi import tokenizer

    print(f"edi.r835 / edi.tokenizer: {'compiled (Cython)' if r835.COMPILED else 'interpreted'} / "
          f"{'compiled (Cython)' if tokenizer.COMPILED else 'interpreted'}")
    print(f"835 parse + balance : {parse_rate:>10,.0f} claims/s | x{parse_rate / pyx835:,.0f} pyx12 ({pyx835:,.0f}/s)"
          f" | {parse_rate / split835:.2f} of bare split ({split835:,.0f}/s)")
    built = rate(n, t_built)
    print(f"  + build claims    : {built:>10,.0f} claims/s | x{built / pyx835:,.0f} pyx12"
          f" | {built / split835:.2f} of bare split (every field of every claim read)")
    if r835.COMPILED:
        ip = rate(n, t_interp)
        print(f"  interpreted       : {ip:>10,.0f} claims/s | x{ip / pyx835:,.0f} pyx12"
              f" | {t_interp_split / t_interp:.2f} of its bare split (same sources, not compiled; own process)")
    pc, sc = rate(n, t_parse_c), rate(n, t_split_c)
    print(f"  amounts with cents: {pc:>10,.0f} claims/s | x{pc / pyx835:,.0f} pyx12"
          f" | {pc / sc:.2f} of its bare split ({sc:,.0f}/s) (same claims, 123.45-style amounts)")
    print(f"837P write          : {write_rate:>10,.0f} claims/s | x{write_rate / pyx837:,.0f} pyx12 ({pyx837:,.0f}/s)"
          f" | {write_rate / split837:.2f} of bare split ({split837:,.0f}/s)")
    goal_split = parse_rate / split835 >= 0.5
    goal_pyx = parse_rate / pyx835 >= 50
    print(f"goals: 835 >= 0.5x bare split: {'MET' if goal_split else 'NOT MET'}; "
          f">= 50x pyx12: {'MET' if goal_pyx else 'NOT MET'}")


if __name__ == "__main__":
    main()
