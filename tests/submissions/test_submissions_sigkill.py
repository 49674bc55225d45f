"""A real `dramatiq agency.worker.entry` worker on Redis, killed with SIGKILL at random
moments of submission runs and restarted: every ready claim ends up in exactly one
transmitted file, and every interchange was uploaded exactly once (files are counted
at the mailbox: upload names carry the attempt number, so a second upload of the same
interchange would be a second file, not an overwrite)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
import redis
import sqlalchemy as sa

import subs_support  # noqa: F401  (path setup)
from claims_support import ready_claims, setup_practice
from subs_support import make_mailbox
from support import REDIS_URL, agency_env

from agency.claims.models import Claim
from agency.submissions.models import Interchange, SubmissionClaim
from tenants.scope import AgencyScope

pytestmark = pytest.mark.usefixtures("code_sets")

BROKER = REDIS_URL.rsplit("/", 1)[0] + "/13"


def _worker(test_database, settings) -> subprocess.Popen:
    env = agency_env(AGENCY_DATABASE_URL=test_database.app_url, AGENCY_MIGRATOR_DATABASE_URL=test_database.owner_url,
                     AGENCY_SYSTEM_DATABASE_URL=test_database.system_url, AGENCY_BROKER_URL=BROKER,
                     AGENCY_DATA_DIR=str(settings.data_dir),
                     AGENCY_KEYSTORE_DIR=str(settings.resolved_keystore_dir), AGENCY_LOG_LEVEL="WARNING")
    return subprocess.Popen([sys.executable, "-m", "dramatiq", "agency.worker.entry", "--processes", "1",
                             "--threads", "3", "--queues", "submissions", "remittance"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(30)


def _send_run(agency_id, limit: int, poll: bool = False) -> None:
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    rb = RedisBroker(url=BROKER)
    rb.enqueue(dramatiq.Message(queue_name="submissions", actor_name="submissions.run_agency",
                                args=(str(agency_id), poll, limit), kwargs={}, options={}))
    rb.close()


def _state(db, agency_id, practices):
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        ics = {r.id: r for r in s.execute(sa.select(Interchange.id, Interchange.status, Interchange.isa13,
                                                    Interchange.sender_id, Interchange.remote_name)
                                          .where(Interchange.agency_id == agency_id))}
    subs, claims = [], []
    for b in practices:
        with db.sessions.tenant_unit(b.scope) as s:
            subs += s.execute(sa.select(SubmissionClaim.claim_id, SubmissionClaim.interchange_id,
                                        SubmissionClaim.attempt).where(SubmissionClaim.tenant_id == b.scope.tenant_id)).all()
            claims += s.execute(sa.select(Claim.id, Claim.state).where(Claim.tenant_id == b.scope.tenant_id)).all()
    return ics, subs, claims


def test_sigkill_during_submission_runs_never_loses_or_duplicates_a_claim(db, test_database, settings, tmp_path):
    redis.Redis.from_url(BROKER).flushdb()
    first = setup_practice(db)
    second = setup_practice(db, agency_id=first.agency_id, payer=first.payer)
    practices = [first, second]
    make_mailbox(db, first.agency_id, tmp_path)
    all_claims = set()
    for b in practices:
        all_claims |= set(ready_claims(db, b, 8))
    rnd = random.Random(7)
    for cycle in range(5):
        proc = _worker(test_database, settings)
        _send_run(first.agency_id, limit=2)
        time.sleep(rnd.uniform(0.8, 2.2))  # worker start-up is ~1 s; kill somewhere in the run
        _kill(proc)
    proc = _worker(test_database, settings)
    try:
        deadline = time.monotonic() + 90
        while True:
            _send_run(first.agency_id, limit=2)
            time.sleep(1)
            ics, subs, claims = _state(db, first.agency_id, practices)
            done = (ics and all(i.status == "transmitted" for i in ics.values())
                    and {c for c, _, _ in subs} == all_claims)
            if done or time.monotonic() > deadline:
                break
    finally:
        _kill(proc)
    ics, subs, claims = _state(db, first.agency_id, practices)
    assert {c.id for c in claims} == all_claims
    # every ready claim is in exactly one file (one attempt), and that file was transmitted
    per_claim = Counter(c for c, _, _ in subs)
    assert set(per_claim) == all_claims and set(per_claim.values()) == {1}
    assert all(ics[i].status == "transmitted" for _, i, _ in subs)
    assert {s for _, s in claims} == {"submitted"}
    # every interchange was uploaded exactly once: one file per ISA13 at the destination
    uploaded = [p.name for p in (tmp_path / "inbound").iterdir() if not p.name.startswith(".")]
    per_isa = Counter(name.rsplit("-", 1)[0] for name in uploaded)
    assert len(uploaded) == len(ics) and set(per_isa.values()) == {1}
    assert sorted(ics[i].remote_name for i in ics) == sorted(uploaded)
