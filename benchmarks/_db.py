"""A throwaway migrated database for benchmarks (same recipe as the tests)."""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


@contextmanager
def benchmark_database():
    from support import ADMIN_URL, create_test_database  # type: ignore[import-not-found]

    from agency.db.runtime import Database, DatabaseUrls
    from agency.settings import load_settings
    from tenants.roles import drop_database

    tdb = create_test_database(prefix="agency_bench")
    data_dir = Path(tempfile.mkdtemp(prefix="agency-bench-"))
    settings = load_settings(database_url=tdb.app_url, migrator_database_url=tdb.owner_url,
                             system_database_url=tdb.system_url, data_dir=data_dir)
    db = Database(settings, DatabaseUrls(app=tdb.app_url, owner=tdb.owner_url, system=tdb.system_url))
    try:
        yield db
    finally:
        db.dispose()
        drop_database(ADMIN_URL, tdb.name)
        os.system(f"rm -rf {data_dir}")
