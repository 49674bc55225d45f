"""Submission actors. Arguments are ids (strings), never PHI; every actor is safe to
run twice (conditional updates, unique constraints, SKIP LOCKED, advisory locks).

* ``submissions.run_agency(agency_id)`` — the scheduled/on-demand entry: one
  ``build_file`` per active practice, ``transmit`` for every interchange that is
  due (built, failed and due, or stuck transmitting), ``poll_inbound`` per connection.
* ``submissions.build_file(agency_id, practice_id)`` — ready claims into 837 files.
* ``submissions.transmit(agency_id, practice_id, interchange_id)``
* ``submissions.poll_inbound(agency_id, connection_id)`` / ``submissions.route_ack(agency_id, inbound_file_id)``
"""

from __future__ import annotations

import logging
import uuid

import dramatiq

from agency.submissions.service import RetryLater
from agency.worker.context import database
from tenants.scope import AgencyScope, TenantScope

log = logging.getLogger("agency.submissions")

_Q = "submissions"


def _ids(*values: str) -> list[uuid.UUID]:
    return [uuid.UUID(str(v)) for v in values]


@dramatiq.actor(actor_name="submissions.run_agency", queue_name=_Q, max_retries=3)
def run_agency(agency_id: str, poll: bool = True, limit: int | None = None) -> None:
    from agency.submissions import service
    from agency.submissions.inbound import agency_connections

    db = database()
    (aid,) = _ids(agency_id)
    for pid in service.agency_practices(db, aid):
        build_file.send(str(aid), str(pid), limit)
    for pid, ic in service.due_interchanges(db, aid):
        transmit.send(str(aid), str(pid), str(ic))
    if poll:
        for cid in agency_connections(db, aid):
            poll_inbound.send(str(aid), str(cid))


@dramatiq.actor(actor_name="submissions.build_file", queue_name=_Q, max_retries=5)
def build_file(agency_id: str, practice_id: str, limit: int | None = None) -> None:
    from agency.keys.runtime import cipher_for
    from agency.submissions import service

    db = database()
    aid, pid = _ids(agency_id, practice_id)
    service.run_practice(db, cipher_for(db), TenantScope(aid, pid),
                         limit=max(1, min(int(limit), service.MAX_CLAIMS_PER_FILE)) if limit else
                         service.MAX_CLAIMS_PER_FILE)


@dramatiq.actor(actor_name="submissions.transmit", queue_name=_Q, max_retries=12, min_backoff=5_000,
                max_backoff=3_600_000, throws=())
def transmit(agency_id: str, practice_id: str, interchange_id: str) -> None:
    from agency.keys.runtime import cipher_for
    from agency.submissions import service

    db = database()
    aid, pid, ic = _ids(agency_id, practice_id, interchange_id)
    try:
        service.transmit(db, cipher_for(db), TenantScope(aid, pid), ic)
    except RetryLater:
        raise  # recorded as failed with its reason; dramatiq retries with backoff


@dramatiq.actor(actor_name="submissions.poll_inbound", queue_name=_Q, max_retries=8, min_backoff=10_000,
                max_backoff=1_800_000)
def poll_inbound(agency_id: str, connection_id: str) -> None:
    from agency.submissions import inbound

    db = database()
    aid, cid = _ids(agency_id, connection_id)
    inbound.poll(db, aid, cid)


@dramatiq.actor(actor_name="submissions.route_ack", queue_name=_Q, max_retries=5)
def route_ack(agency_id: str, inbound_file_id: str) -> None:
    from agency.submissions import inbound

    db = database()
    aid, fid = _ids(agency_id, inbound_file_id)
    inbound.route(db, aid, fid)


# Issue 8 implements remittance posting (``remittance.post_era(tenant_id, inbound_file_id)``);
# the router only enqueues it. Until that module exists a placeholder keeps the name
# registered so the message is accepted (the 835 stays stored in inbound_file).
def _declare_post_era() -> dramatiq.Actor:
    import importlib.util

    if importlib.util.find_spec("agency.remittance.tasks") is not None:
        import agency.remittance.tasks  # noqa: F401
    broker = dramatiq.get_broker()
    if "remittance.post_era" in broker.actors:
        return broker.get_actor("remittance.post_era")

    def post_era(tenant_id: str, inbound_file_id: str) -> None:
        log.info("remittance posting is not implemented yet; the 835 stays stored")

    return dramatiq.actor(post_era, actor_name="remittance.post_era", queue_name="remittance")


post_era = _declare_post_era()

__all__ = ["run_agency", "build_file", "transmit", "poll_inbound", "route_ack", "post_era", "AgencyScope"]
