"""With no database URL, `agency serve` starts a private PostgreSQL from an empty
data directory, migrates it and answers /health."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from support import agency_env, free_port, get_json


@pytest.fixture()
def clean_data_dir():
    # Under /tmp and traversable: as root, PostgreSQL runs as the 'postgres' user.
    path = Path(tempfile.mkdtemp(prefix="agency-embedded-", dir="/tmp"))
    path.chmod(0o755)
    yield path / "data"
    subprocess.run(["pg_ctl", "stop", "-D", str(path / "data" / "postgres"), "-m", "immediate"],
                   capture_output=True, user="postgres" if os.geteuid() == 0 else None)
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_embedded_server_starts_migrates_and_answers_health(clean_data_dir):
    http_port, pg_port = free_port(), free_port()
    env = agency_env(AGENCY_DATA_DIR=str(clean_data_dir), AGENCY_EMBEDDED_PG_PORT=str(pg_port),
                     AGENCY_HTTP_PORT=str(http_port))
    proc = subprocess.Popen([sys.executable, "-m", "agency.cli.main", "serve"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        status = body = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail("agency serve exited early:\n" + proc.stdout.read())
            try:
                status, body = get_json(f"http://127.0.0.1:{http_port}/health")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, body
        assert body["status"] == "ok"
        assert body["database"] == {"ok": True, "embedded": True}
        assert body["broker"]["kind"] == "in-process"
        creds = clean_data_dir / "postgres-credentials.json"
        assert creds.stat().st_mode & 0o777 == 0o600
        # The runtime role is what the app uses, and the schema is migrated.
        users = json.loads(creds.read_text())
        out = subprocess.run(["psql", f"postgresql://agency_owner:{users['agency_owner']}@127.0.0.1:{pg_port}/agency",
                              "-Atc", "SELECT version_num FROM alembic_version"],
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip() != ""
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    # serve stops the server it started.
    assert not (clean_data_dir / "postgres" / "postmaster.pid").exists()
