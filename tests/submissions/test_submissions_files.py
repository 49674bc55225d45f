"""Submission runs in-process: files with control numbers, validation, sealing, transmission,
transport outages, and the crash window between upload and commit."""

from __future__ import annotations

import hashlib
import threading

import pytest
import sqlalchemy as sa

import subs_support  # noqa: F401  (path setup)
from claims_support import claim_row, ready_claims, setup_practice
from subs_support import Recorder, make_mailbox

from agency.keys.runtime import cipher_for
from agency.submissions import service
from agency.submissions.models import EDI_FILE, Interchange, SubmissionClaim
from edi.pyx12_oracle import validate_with_pyx12
from edi.validate import validate_file
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


def _interchange(db, agency_id, ic_id) -> Interchange:
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        ic = s.get(Interchange, ic_id)
        s.expunge(ic)
        return ic


def _file_text(db, b, ic) -> str:
    with db.sessions.tenant_unit(b.scope) as s:
        row = s.execute(sa.select(EDI_FILE.c.content, EDI_FILE.c.sha256).where(
            EDI_FILE.c.tenant_id == b.scope.tenant_id, EDI_FILE.c.id == ic.edi_file_id)).one()
    data = cipher_for(db).open_file(b.scope.tenant_id, ic.edi_file_id, row.content)
    assert hashlib.sha256(data).digest() == row.sha256
    return data.decode()


def test_file_is_built_in_one_transaction_and_passes_pyx12(db, tmp_path, sent):
    b = setup_practice(db)
    conn = make_mailbox(db, b.agency_id, tmp_path)
    claims = ready_claims(db, b, 3)
    built = service.run_practice(db, cipher_for(db), b.scope)
    assert len(built) == 1
    ic = _interchange(db, b.agency_id, built[0])
    assert ic.status == "built" and ic.claim_count == 3 and ic.isa13 == 1 and ic.gs06 == 1
    text = _file_text(db, b, ic)
    assert "Testperson".upper() in text.upper()  # sealed at rest, PHI only inside the file
    assert validate_file(text).ok
    oracle = validate_with_pyx12(text)
    assert oracle.ok or oracle.crashed, oracle.errors[:3]
    assert all(claim_row(db, b, c).state == "queued" for c in claims)
    with db.sessions.tenant_unit(b.scope) as s:
        rows = s.execute(sa.select(SubmissionClaim.claim_id, SubmissionClaim.attempt).where(
            SubmissionClaim.tenant_id == b.scope.tenant_id)).all()
    assert sorted(r[0] for r in rows) == sorted(claims) and {r[1] for r in rows} == {1}
    # transmit is enqueued after the commit, with ids only
    assert sent.named("submissions.transmit") == [(str(b.agency_id), str(b.scope.tenant_id), str(ic.id))]
    assert not service.run_practice(db, cipher_for(db), b.scope)  # nothing left


def test_practices_sharing_a_submitter_share_one_isa13_sequence(db, tmp_path, sent):
    b1 = setup_practice(db)
    b2 = setup_practice(db, scope=None, agency_id=b1.agency_id, payer=b1.payer)
    make_mailbox(db, b1.agency_id, tmp_path)
    ready_claims(db, b1, 1)
    ready_claims(db, b2, 1)
    ics = service.run_practice(db, cipher_for(db), b1.scope) + service.run_practice(db, cipher_for(db), b2.scope)
    numbers = sorted(_interchange(db, b1.agency_id, i).isa13 for i in ics)
    assert numbers == [1, 2]


def test_concurrent_builds_put_each_claim_in_one_file(db, tmp_path, sent):
    b = setup_practice(db)
    make_mailbox(db, b.agency_id, tmp_path)
    claims = ready_claims(db, b, 6)
    out, errors = [], []

    def run():
        try:
            out.extend(service.run_practice(db, cipher_for(db), b.scope, limit=2))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    with db.sessions.tenant_unit(b.scope) as s:
        rows = s.execute(sa.select(SubmissionClaim.claim_id).where(SubmissionClaim.tenant_id == b.scope.tenant_id)).all()
    assert sorted(r[0] for r in rows) == sorted(claims)
    isa = sorted(_interchange(db, b.agency_id, i).isa13 for i in out)
    assert len(isa) == len(set(isa))


def test_transmit_uploads_once_and_marks_claims_submitted(db, tmp_path, sent):
    b = setup_practice(db)
    conn = make_mailbox(db, b.agency_id, tmp_path)
    claims = ready_claims(db, b, 2)
    (ic_id,) = service.run_practice(db, cipher_for(db), b.scope)
    assert service.transmit(db, cipher_for(db), b.scope, ic_id) == "transmitted"
    assert service.transmit(db, cipher_for(db), b.scope, ic_id) == "transmitted"  # redelivery: nothing more
    files = list((tmp_path / "inbound").iterdir())
    assert [f.name for f in files] == [_interchange(db, b.agency_id, ic_id).remote_name]
    assert all(claim_row(db, b, c).state == "submitted" for c in claims)


def test_crash_between_upload_and_commit_does_not_upload_again(db, tmp_path, sent):
    b = setup_practice(db)
    make_mailbox(db, b.agency_id, tmp_path)
    ready_claims(db, b, 1)
    (ic_id,) = service.run_practice(db, cipher_for(db), b.scope)

    class Dies(Exception):
        pass

    real = service.outbound_names

    def upload_then_die(conn):  # the upload happens, the process "dies" before the commit
        from agency.submissions.transport import open_transport
        t = open_transport(db, conn)
        orig = t.upload

        def upload(name, data):
            orig(name, data)
            raise Dies()
        t.upload = upload
        return t

    with pytest.raises(Dies):
        service.transmit(db, cipher_for(db), b.scope, ic_id, transport_factory=upload_then_die)
    assert _interchange(db, b.agency_id, ic_id).status == "transmitting"
    assert service.transmit(db, cipher_for(db), b.scope, ic_id) == "transmitted"
    assert len(list((tmp_path / "inbound").iterdir())) == 1
    assert real is service.outbound_names


def test_transport_down_is_recorded_and_retried_without_losing_anything(db, tmp_path, sent):
    b = setup_practice(db)
    conn = make_mailbox(db, b.agency_id, tmp_path)
    claims = ready_claims(db, b, 1)
    (ic_id,) = service.run_practice(db, cipher_for(db), b.scope)
    (tmp_path / "inbound").rmdir()  # the share is not mounted
    with pytest.raises(service.RetryLater):
        service.transmit(db, cipher_for(db), b.scope, ic_id)
    ic = _interchange(db, b.agency_id, ic_id)
    assert ic.status == "failed" and ic.attempts == 1 and "does not exist" in ic.last_error
    assert ic.next_attempt_at is not None
    assert claim_row(db, b, claims[0]).state == "queued"
    (tmp_path / "inbound").mkdir()
    assert service.transmit(db, cipher_for(db), b.scope, ic_id) == "transmitted"
    ic = _interchange(db, b.agency_id, ic_id)
    assert ic.attempts == 2 and ic.last_error is None
    assert claim_row(db, b, claims[0]).state == "submitted"
