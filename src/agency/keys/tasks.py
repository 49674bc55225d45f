"""Key-management actors. They take ids only and are safe to run twice: the
re-seal sweep selects what is still on the old version and skips locked rows."""

from __future__ import annotations

import uuid

import dramatiq

from agency.keys.runtime import cipher_for
from agency.keys.service import reseal_all
from agency.worker.context import database


@dramatiq.actor(actor_name="keys.reseal", queue_name="keys", max_retries=20, time_limit=24 * 3600 * 1000)
def reseal(tenant_id: str, rotation_id: str) -> None:
    db = database()
    reseal_all(db.sessions, cipher_for(db), uuid.UUID(tenant_id), uuid.UUID(rotation_id),
               settle_seconds=db.settings.key_cache_ttl_seconds)
