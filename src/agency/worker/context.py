"""The database an actor uses: the API's own when jobs run in-process, else one
opened from settings on first use in a worker process."""

from __future__ import annotations

import threading

from agency.db.runtime import Database

_lock = threading.Lock()
_db: Database | None = None


def set_database(db: Database | None) -> None:
    global _db
    with _lock:
        _db = db


def database() -> Database:
    global _db
    with _lock:
        if _db is None:
            from agency.settings import get_settings

            _db = Database.open(get_settings())
        return _db
