"""/health reports database and broker status."""

from __future__ import annotations

import subprocess
import sys
import time

from litestar.testing import TestClient

from agency.api.app import create_app
from support import agency_env, free_port, get_json
from support import REDIS_URL


def test_health_ok_with_in_process_broker(settings, db):
    with TestClient(create_app(settings, db=db)) as client:
        resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "database": {"ok": True, "embedded": False},
                           "broker": {"ok": True, "kind": "in-process"}}


def _serve(test_database, broker_url: str):
    port = free_port()
    env = agency_env(AGENCY_DATABASE_URL=test_database.app_url, AGENCY_MIGRATOR_DATABASE_URL=test_database.owner_url,
                     AGENCY_BROKER_URL=broker_url, AGENCY_HTTP_PORT=str(port))
    proc = subprocess.Popen([sys.executable, "-m", "agency.cli.main", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            return proc, get_json(f"http://127.0.0.1:{port}/health")
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("serve did not answer")


def test_health_reports_redis_broker(test_database):
    proc, (status, body) = _serve(test_database, REDIS_URL)
    proc.terminate(), proc.wait(30)
    assert status == 200 and body["broker"] == {"ok": True, "kind": "redis"}


def test_health_is_503_when_redis_is_down(test_database):
    proc, (status, body) = _serve(test_database, f"redis://127.0.0.1:{free_port()}/0")
    proc.terminate(), proc.wait(30)
    assert status == 503
    assert body["status"] == "degraded" and body["broker"]["ok"] is False and body["database"]["ok"] is True
