"""Intake actors. Ids only in messages; safe to run twice (see run_import)."""

from __future__ import annotations

import uuid

import dramatiq

from agency.intake.service import run_import
from agency.keys.runtime import cipher_for
from agency.worker.context import database


@dramatiq.actor(actor_name="intake.import_csv", queue_name="intake", max_retries=10,
                time_limit=6 * 3600 * 1000)
def import_csv(tenant_id: str, batch_id: str) -> None:
    db = database()
    run_import(db.sessions, cipher_for(db), uuid.UUID(tenant_id), uuid.UUID(batch_id))
