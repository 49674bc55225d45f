"""Remittance actors. Ids only in messages; safe to run twice and concurrently (the
ERA row is taken FOR UPDATE and keyed by tenant, payer and TRN02)."""

from __future__ import annotations

import logging
import uuid

import dramatiq
import sqlalchemy as sa

from agency.keys.runtime import cipher_for
from agency.remittance import service
from agency.worker.context import database
from tenants.scope import TenantScope

log = logging.getLogger(__name__)


def agency_of(db, tenant_id: uuid.UUID) -> uuid.UUID | None:  # noqa: ANN001
    from agency.system_access import list_active_practices

    for agency_id, practice_id in list_active_practices(db):
        if practice_id == tenant_id:
            return agency_id
    return None


def stored_file_id(db, scope: TenantScope, inbound_file_id: uuid.UUID) -> uuid.UUID | None:  # noqa: ANN001
    """The practice's sealed copy of the 835: the router stores it in ``edi_file``
    (with the inbound file's id, or its own id recorded on the inbound file)."""
    from agency.submissions.models import EDI_FILE

    with db.sessions.tenant_unit(scope) as s:
        found = s.execute(sa.select(EDI_FILE.c.id).where(EDI_FILE.c.tenant_id == scope.tenant_id,
                                                         EDI_FILE.c.id == inbound_file_id)).scalar()
        if found is not None:
            return found
        from agency.submissions.models import InboundFile
        inbound = s.get(InboundFile, inbound_file_id)
        if inbound is None:
            return None
        data = _open_inbound(db, inbound)
        return None if data is None else service.store_835(s, cipher_for(db), scope.tenant_id, data)


def _open_inbound(db, inbound) -> bytes | None:  # noqa: ANN001
    """The router keeps the file sealed under the agency key (``agency.submissions.inbound``);
    posting keeps its own copy sealed under the practice's key in ``edi_file``."""
    try:
        from agency.keys.agency_keys import agency_cipher_for

        return agency_cipher_for(db).open_bytes(inbound.agency_id, "inbound_file", "content", inbound.id,
                                                inbound.content)
    except Exception:  # noqa: BLE001
        log.warning("inbound file could not be opened for posting")
        return None


def run_post_era(db, tenant_id: uuid.UUID, inbound_file_id: uuid.UUID) -> list[service.EraResult]:  # noqa: ANN001
    agency_id = agency_of(db, tenant_id)
    if agency_id is None:
        log.warning("ERA for an unknown or inactive practice: not posted")
        return []
    scope = TenantScope(agency_id, tenant_id)
    file_id = stored_file_id(db, scope, inbound_file_id)
    if file_id is None:
        log.warning("ERA file not found for the practice: not posted")
        return []
    inbound = inbound_file_id if inbound_file_id != file_id else None
    results = service.post_file(db.sessions, cipher_for(db), scope, file_id, inbound)
    for r in results:
        log.info("era posting", extra={"status": r.status, "count": r.claims_posted})
    return results


@dramatiq.actor(actor_name="remittance.post_era", queue_name="remittance", max_retries=10,
                time_limit=2 * 3600 * 1000)
def post_era(tenant_id: str, inbound_file_id: str) -> None:
    run_post_era(database(), uuid.UUID(tenant_id), uuid.UUID(inbound_file_id))
