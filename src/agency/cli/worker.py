"""``agency worker``: dramatiq worker processes on the Redis broker."""

from __future__ import annotations

import os
import sys

import click

from agency.errors import ConfigurationError
from agency.settings import get_settings


@click.command("worker")
@click.option("--processes", type=int, default=None, help="default: AGENCY_WORKER_PROCESSES")
@click.option("--threads", type=int, default=None, help="default: AGENCY_WORKER_THREADS")
def command(processes: int | None, threads: int | None) -> None:
    """Run background workers (needs AGENCY_BROKER_URL)."""
    settings = get_settings()
    if not settings.broker_url:
        raise ConfigurationError(
            "AGENCY_BROKER_URL is not set: without a broker, background jobs run inside "
            "`agency serve`; set a redis:// URL to run separate workers")
    args = [sys.executable, "-m", "dramatiq", "agency.worker.entry",
            "--processes", str(processes or settings.worker_processes),
            "--threads", str(threads or settings.worker_threads)]
    os.execv(sys.executable, args)
