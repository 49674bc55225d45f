"""Bad settings and unreachable servers give one clear line and a non-zero exit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agency.errors import ConfigurationError
from agency.settings import load_settings
from support import agency_env, free_port


def run_agency(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agency.cli.main", *args], env=agency_env(**env),
                          capture_output=True, text=True, timeout=60)


def test_invalid_settings_name_the_variable():
    with pytest.raises(ConfigurationError) as err:
        load_settings(database_url="mysql://localhost/x", http_port="not-a-port", broker_url="amqp://x")
    message = str(err.value)
    assert "AGENCY_DATABASE_URL: " in message and "PostgreSQL is the only database" in message
    assert "AGENCY_HTTP_PORT: " in message
    assert "AGENCY_BROKER_URL: " in message


def test_migrator_and_system_urls_default_to_the_configured_server():
    s = load_settings(database_url="postgresql://agency_app:pw@db.example:5433/agency")
    assert s.owner_url == "postgresql://agency_owner@db.example:5433/agency"
    assert s.system_url == "postgresql://agency_system@db.example:5433/agency"


def test_cli_reports_bad_setting_without_traceback():
    proc = run_agency("db", "current", AGENCY_DATABASE_URL="sqlite:///x.db")
    assert proc.returncode == 2
    assert "AGENCY_DATABASE_URL" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreachable_database_is_a_clear_error():
    port = free_port()  # nothing listens there
    proc = run_agency("db", "upgrade", AGENCY_DATABASE_URL=f"postgresql://agency_app@127.0.0.1:{port}/agency")
    assert proc.returncode == 3
    assert f"cannot connect to PostgreSQL at postgresql://agency_owner@127.0.0.1:{port}/agency" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_password_is_not_printed_when_database_is_unreachable():
    port = free_port()
    proc = run_agency("db", "current",
                      AGENCY_DATABASE_URL=f"postgresql://agency_app:s3cret@127.0.0.1:{port}/agency",
                      AGENCY_MIGRATOR_DATABASE_URL=f"postgresql://agency_owner:s3cret@127.0.0.1:{port}/agency")
    assert proc.returncode == 3
    assert "s3cret" not in proc.stderr and "***" in proc.stderr


def test_worker_without_broker_explains_the_in_process_default():
    proc = run_agency("worker", AGENCY_DATABASE_URL="postgresql://agency_app@127.0.0.1:1/agency")
    assert proc.returncode == 2
    assert "AGENCY_BROKER_URL is not set" in proc.stderr
