"""Inbound acknowledgements: the simulator's 999/277CA routed to claim states; the same
file twice or by two workers at once changes nothing; unknown and unreadable files are parked."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

import subs_support  # noqa: F401  (path setup)
from claims_support import claim_row, ready_claims, setup_practice
from subs_support import Recorder, make_mailbox

from agency.claims.models import ClaimEvent
from agency.clearinghouse.simulator import ClearinghouseSimulator
from agency.keys.runtime import cipher_for
from agency.submissions import inbound, service
from agency.submissions.models import AckOutcome, InboundFile
from edi.envelope import Interchange as Env
from edi.model.acks import Ack999, SetResponse
from edi.wacks import write_999
from tenants.scope import AgencyScope

pytestmark = pytest.mark.usefixtures("code_sets")


@pytest.fixture()
def sent(settings, monkeypatch):
    from agency.worker.broker import setup_broker

    broker = setup_broker(settings)
    import agency.worker.actors  # noqa: F401

    rec = Recorder()
    monkeypatch.setattr(broker, "enqueue", rec)
    return rec


def _events(db, b, cid) -> list[tuple]:
    with db.sessions.tenant_unit(b.scope) as s:
        return [(e.from_state, e.to_state) for e in s.scalars(sa.select(ClaimEvent).where(
            ClaimEvent.tenant_id == b.scope.tenant_id, ClaimEvent.claim_id == cid).order_by(ClaimEvent.at))]


def _file(db, agency_id, fid) -> InboundFile:
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        f = s.get(InboundFile, fid)
        s.expunge(f)
        return f


def _submit(db, b, tmp_path, n=2):
    conn = make_mailbox(db, b.agency_id, tmp_path)
    claims = ready_claims(db, b, n)
    (ic,) = service.run_practice(db, cipher_for(db), b.scope)
    assert service.transmit(db, cipher_for(db), b.scope, ic) == "transmitted"
    return conn, claims, ic


def test_999_and_277ca_from_the_simulator_move_claims_and_a_second_delivery_changes_nothing(db, tmp_path, sent):
    b = setup_practice(db)
    conn, claims, _ = _submit(db, b, tmp_path)
    sim = ClearinghouseSimulator(tmp_path)
    assert sim.process_pending().processed
    answers = sorted(p.name for p in (tmp_path / "outbound").iterdir())
    saved = {p.name: p.read_bytes() for p in (tmp_path / "outbound").iterdir()}
    fids = inbound.poll(db, b.agency_id, conn.id)
    assert len(fids) == len(answers) == 3  # 999, 277CA and (remit_delay 0) the 835
    assert sorted(a[1] for a in sent.named("submissions.route_ack")) == sorted(map(str, fids))
    for fid in fids:
        assert inbound.route(db, b.agency_id, fid) == "routed"
    for cid in claims:
        c = claim_row(db, b, cid)
        assert c.state == "accepted_payer" and c.payer_claim_number
    era = [f for f in fids if _file(db, b.agency_id, f).kind == "835"]
    assert sent.named("remittance.post_era") == [(str(b.scope.tenant_id), str(era[0]))]
    before = {cid: _events(db, b, cid) for cid in claims}
    # the same files delivered again: stored once, routing again changes nothing
    for name, data in saved.items():
        (tmp_path / "outbound" / name).write_bytes(data)
    assert sorted(inbound.poll(db, b.agency_id, conn.id)) == sorted(fids)
    for fid in fids:
        assert inbound.route(db, b.agency_id, fid) == "routed"
    assert {cid: _events(db, b, cid) for cid in claims} == before


def test_two_workers_routing_the_same_999_at_once_apply_it_once(db, tmp_path, sent):
    b = setup_practice(db)
    conn, claims, ic_id = _submit(db, b, tmp_path, n=3)
    from agency.submissions.models import Interchange
    with db.sessions.agency_unit(AgencyScope(b.agency_id)) as s:
        ic = s.get(Interchange, ic_id)
        gs06, st02 = ic.gs06, ic.st02_first
    ack = Ack999("0001", "HC", str(gs06), "005010X222A1", "A", 1, 1, 1,
                 [SetResponse("837", f"{st02:04d}", "A", "005010X222A1")])
    text = write_999(ack, Env("SIMCH", conn.submitter_id, 77, 77, date(2026, 3, 3), "1200", usage="T"))
    fid, new = inbound.store_inbound(db, b.agency_id, conn.id, "999-x.x12", text.encode())
    assert new
    results = []
    threads = [threading.Thread(target=lambda: results.append(inbound.route(db, b.agency_id, fid))) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert "routed" in results
    for cid in claims:
        assert claim_row(db, b, cid).state == "accepted_ch"
        assert [e for e in _events(db, b, cid) if e[1] == "accepted_ch"] == [("submitted", "accepted_ch")]
    with db.sessions.tenant_unit(b.scope) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(AckOutcome).where(
            AckOutcome.tenant_id == b.scope.tenant_id, AckOutcome.inbound_file_id == fid)).scalar() == 3


def test_rejecting_999_sends_claims_to_the_work_queue_with_the_reason(db, tmp_path, sent):
    b = setup_practice(db)
    conn, claims, ic_id = _submit(db, b, tmp_path, n=1)
    from agency.submissions.models import Interchange
    with db.sessions.agency_unit(AgencyScope(b.agency_id)) as s:
        ic = s.get(Interchange, ic_id)
        gs06, st02 = ic.gs06, ic.st02_first
    ack = Ack999("0001", "HC", str(gs06), "005010X222A1", "R", 1, 1, 0,
                 [SetResponse("837", f"{st02:04d}", "R", "005010X222A1", ["5"])])
    text = write_999(ack, Env("SIMCH", conn.submitter_id, 78, 78, date(2026, 3, 3), "1200", usage="T"))
    fid, _ = inbound.store_inbound(db, b.agency_id, conn.id, "999-r.x12", text.encode())
    assert inbound.route(db, b.agency_id, fid) == "routed"
    c = claim_row(db, b, claims[0])
    assert c.state == "ack_rejected" and "IK5 R" in c.last_reason
    # fixed and resubmitted: a new attempt in a new file
    from agency.claims import service as claims_service
    with db.sessions.tenant_unit(b.scope) as s:
        assert claims_service.rework(s, cipher_for(db), b.scope.tenant_id, claims[0], "user:x").state == "ready"
    (ic2,) = service.run_practice(db, cipher_for(db), b.scope)
    assert ic2 != ic_id and claim_row(db, b, claims[0]).submission_attempt == 2


def test_unknown_and_unreadable_files_are_parked_with_a_reason(db, tmp_path, sent, api, callers, tenancy):
    agency_id = tenancy.agency_a
    conn = make_mailbox(db, agency_id, tmp_path)
    ack = Ack999("0001", "HC", "424242", "005010X222A1", "A", 1, 1, 1,
                 [SetResponse("837", "0001", "A", "005010X222A1")])
    text = write_999(ack, Env("SIMCH", conn.submitter_id, 79, 79, date(2026, 3, 3), "1200", usage="T"))
    (tmp_path / "outbound" / "999-unknown.x12").write_text(text)
    (tmp_path / "outbound" / "garbage.x12").write_bytes(b"this is not X12 at all")
    fids = inbound.poll(db, agency_id, conn.id)
    assert len(fids) == 2
    assert [inbound.route(db, agency_id, f) for f in fids] == ["parked", "parked"]
    reasons = sorted(_file(db, agency_id, f).park_reason for f in fids)
    assert any("never sent" in r for r in reasons) and any("Unreadable" in r for r in reasons)
    resp = api.get("/api/v1/submissions/inbound?status=parked", headers=callers["agency_admin"])
    assert resp.status_code == 200
    assert {i["id"] for i in resp.json()["items"]} >= {str(f) for f in fids}
    assert api.get("/api/v1/submissions/inbound", headers=callers["practice_user"]).status_code == 403
