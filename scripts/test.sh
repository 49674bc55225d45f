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

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test.sh: no tests ran" >&2
  exit 1
fi
exit "$status"
