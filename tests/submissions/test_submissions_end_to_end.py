"""End to end with a real Redis broker, a separate `dramatiq` worker process and the
clearinghouse simulator over SFTP on loopback: coded encounters -> claims -> 837 over SFTP
-> 999/277CA back -> claim states. Every 837 the run wrote passes pyx12."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
import sqlalchemy as sa

import subs_support  # noqa: F401  (path setup)
from claims_support import build, make_encounter, make_patient, setup_practice
from test_submissions_sigkill import BROKER, _kill, _send_run, _worker

from agency.claims.models import Claim, ClaimEvent
from agency.keys.agency_keys import agency_cipher_for, ensure_agency_key
from agency.clearinghouse.schemas import ConnectionCreate
from agency.clearinghouse.service import create_connection
from agency.clearinghouse.simulator import ClearinghouseSimulator, SftpSimulatorServer
from agency.keys.runtime import cipher_for
from agency.submissions.models import EDI_FILE, InboundFile, Interchange
from edi.pyx12_oracle import validate_with_pyx12
from tenants.scope import AgencyScope

pytestmark = pytest.mark.usefixtures("code_sets")

# accepted by the payer (277CA); issue 8's remittance posting may already have adjudicated it (835)
DONE = {"accepted_payer", "adjudicated_paid", "adjudicated_partial", "adjudicated_denied"}


def test_encounters_to_claim_states_over_sftp_with_a_worker_process(db, test_database, settings, tmp_path):
    redis.Redis.from_url(BROKER).flushdb()
    b = setup_practice(db)
    password = uuid.uuid4().hex
    server = SftpSimulatorServer(tmp_path / "ch", {"agency": password}, tmp_path / "hostkey").start()
    sim = ClearinghouseSimulator(tmp_path / "ch", poll_interval=0.1).start()
    ensure_agency_key(db, b.agency_id)
    with db.sessions.agency_unit(AgencyScope(b.agency_id)) as s:
        create_connection(s, agency_cipher_for(db), b.agency_id, ConnectionCreate(
            name="sim-sftp", kind="sftp", host="127.0.0.1", port=server.port, username="agency",
            password=password, host_key_fingerprint=server.fingerprint, outbound_dir="inbound",
            inbound_dir="outbound", archive_dir="ours", submitter_id="SUB" + uuid.uuid4().hex[:8].upper(),
            receiver_id="SIMCH"))
    claims = []
    for _ in range(3):
        (cid, state, _), = build(db, b, make_encounter(db, b, make_patient(db, b)))
        assert state == "ready"
        claims.append(cid)
    proc = _worker(test_database, settings)
    try:
        deadline = time.monotonic() + 60
        states = {}
        while time.monotonic() < deadline:
            _send_run(b.agency_id, limit=2, poll=True)  # the scheduler's job: build, transmit, poll
            time.sleep(1.5)
            with db.sessions.tenant_unit(b.scope) as s:
                states = dict(s.execute(sa.select(Claim.id, Claim.state).where(Claim.tenant_id == b.scope.tenant_id)).all())
            if states and set(states.values()) <= DONE:
                break
    finally:
        _kill(proc)
        sim.stop()
        server.stop()
    assert set(states.values()) <= DONE, states
    with db.sessions.tenant_unit(b.scope) as s:
        assert all(s.get(Claim, (b.scope.tenant_id, c)).payer_claim_number for c in claims)
        for c in claims:  # the 277CA acceptance is in every claim's history (the 835 may follow)
            path = [e.to_state for e in s.scalars(sa.select(ClaimEvent).where(
                ClaimEvent.tenant_id == b.scope.tenant_id, ClaimEvent.claim_id == c).order_by(ClaimEvent.at))]
            assert path[:3] == ["draft", "ready", "queued"] and "accepted_payer" in path, path
        files = s.execute(sa.select(EDI_FILE.c.id, EDI_FILE.c.content).where(
            EDI_FILE.c.tenant_id == b.scope.tenant_id, EDI_FILE.c.direction == "outbound")).all()
    assert len(files) == 2  # 3 claims, 2 per file
    for fid, content in files:
        text = cipher_for(db).open_file(b.scope.tenant_id, fid, content).decode()
        oracle = validate_with_pyx12(text)
        assert oracle.ok or oracle.crashed, oracle.errors[:3]
    with db.sessions.agency_unit(AgencyScope(b.agency_id)) as s:
        assert {r[0] for r in s.execute(sa.select(Interchange.status).where(Interchange.agency_id == b.agency_id))} \
            == {"transmitted"}
        kinds = {r[0] for r in s.execute(sa.select(InboundFile.kind).where(InboundFile.agency_id == b.agency_id))}
    assert {"999", "277CA"} <= kinds
