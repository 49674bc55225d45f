"""Streaming: a 100,000-claim 835 is parsed and balanced under 100 MB peak RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edi_bigfiles import write_big_835

CHILD = r"""
import json, resource, sys
from edi.r835 import iter_835
n = 0
ok = None
for kind, obj in iter_835(__import__("pathlib").Path(sys.argv[1])):
    if kind == "claim":
        n += 1
    elif kind == "end":
        ok = obj.balance.ok
        problems = len(obj.balance.problems)
print(json.dumps({"claims": n, "ok": ok, "problems": problems,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


@pytest.mark.slow
def test_100k_claim_835_under_100mb(tmp_path: Path) -> None:
    path = tmp_path / "big.835"
    write_big_835(path, 100_000)
    assert path.stat().st_size > 20_000_000
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    # Linux carries ru_maxrss across fork+exec, so a child started straight from pytest
    # would report pytest's own peak. A small shell in between (which forks rather than
    # execs, because it must wait for the exit status) gives the child a fresh baseline.
    cmd = ["/bin/sh", "-c", '"$0" "$@"; exit $?', sys.executable, "-c", CHILD, str(path)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    res = json.loads(out.stdout)
    assert res["claims"] == 100_000
    assert res["ok"] is True and res["problems"] == 0
    assert res["maxrss_kb"] < 100 * 1024, res
