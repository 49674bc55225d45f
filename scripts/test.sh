#!/usr/bin/env bash
# The test command (README quickstart): services up, venv ready, full test suite.
# Extra arguments go to pytest. Fails when a test fails or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh
if [ ! -x .venv/bin/pytest ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test,kms]'
fi
# edi.r835 and edi.tokenizer run compiled when setup.py could build them: after an edit
# of either source, rebuild, so the tests never run a stale extension.
for m in r835 tokenizer; do
  for so in src/edi/"$m".*.so; do
    if [ -e "$so" ] && [ src/edi/"$m".py -nt "$so" ]; then
      echo "test.sh: src/edi/$m.py changed since it was compiled; rebuilding" >&2
      .venv/bin/pip install -q --no-deps -e .
      break 2
    fi
  done
done

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test.sh: no tests ran" >&2
  exit 1
fi
exit "$status"
