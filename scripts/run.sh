#!/usr/bin/env bash
# Quickstart: install into .venv (first time) and run the API on the embedded
# PostgreSQL with the in-process worker. Arguments go to `agency serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/agency ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e .
fi
exec .venv/bin/agency serve "$@"
