"""Clearinghouse connection API: admins create, list, test, change and delete connections;
credentials are sealed with the agency's own key and never come back."""

from __future__ import annotations

import uuid

import asyncssh
import pytest
import sqlalchemy as sa

from agency.keys.agency_keys import agency_cipher_for
from agency.clearinghouse.models import ClearinghouseConnection
from agency.clearinghouse.service import TABLE, open_connection
from agency.clearinghouse.simulator import ClearinghouseSimulator, SftpSimulatorServer
from agency.clearinghouse.simulator.server import free_port
from clearinghouse_factories import claim, file_837
from tenants.scope import AgencyScope

URL = "/api/v1/clearinghouse/connections"
PASSWORD = "Sim-Password-7731"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    root = tmp_path_factory.mktemp("api-sim")
    server = SftpSimulatorServer(root / "ch", {"agency": PASSWORD}, root / "hostkey").start()
    simulator = ClearinghouseSimulator(root / "ch", poll_interval=0.05)
    yield server, simulator
    server.stop()


def sftp_body(server, **kw) -> dict:
    body = {"name": f"Sim {uuid.uuid4().hex[:6]}", "kind": "sftp", "host": "127.0.0.1", "port": server.port,
            "username": "agency", "password": PASSWORD, "host_key_fingerprint": server.fingerprint,
            "outbound_dir": "/inbound", "inbound_dir": "/outbound", "submitter_id": "SUB123",
            "receiver_id": "SIMCH", "usage": "T", "timeout_seconds": 5}
    body.update(kw)
    return body


def test_connection_lifecycle_never_echoes_credentials(api, db, tenancy, callers, sim):
    server, simulator = sim
    admin = callers["agency_admin"]
    r = api.post(URL, json=sftp_body(server), headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    cid = created["id"]
    assert created["has_credentials"] is True and PASSWORD not in r.text and "password" not in created
    assert r.headers["cache-control"] == "no-store"

    # Stored sealed: the row holds no plaintext; the agency key opens it.
    with db.sessions.agency_unit(AgencyScope(tenancy.agency_a)) as s:
        raw = s.execute(sa.text(f"SELECT credentials FROM {TABLE} WHERE id = :i"), {"i": cid}).scalar_one()
        conn = s.get(ClearinghouseConnection, uuid.UUID(cid))
        opened = agency_cipher_for(db).open_bytes(tenancy.agency_a, TABLE, "credentials", conn.id,
                                                  conn.credentials)
    assert PASSWORD.encode() not in bytes(raw) and PASSWORD.encode() in opened

    listed = api.get(URL, headers=admin)
    assert listed.status_code == 200 and cid in [c["id"] for c in listed.json()["items"]]
    assert PASSWORD not in listed.text
    got = api.get(f"{URL}/{cid}", headers=admin)
    assert got.status_code == 200 and got.json()["host_key_fingerprint"] == server.fingerprint

    test = api.post(f"{URL}/{cid}/test", headers=admin)
    assert test.status_code == 200 and test.json()["ok"] is True, test.text
    assert "connected" in test.json()["detail"]

    # The submission run's entry point: settings + a working transport.
    info, transport = open_connection(db, tenancy.agency_a, uuid.UUID(cid))
    assert (info.submitter_id, info.receiver_id, info.usage, info.kind) == ("SUB123", "SIMCH", "T", "sftp")
    with transport:
        transport.upload("api-test.837", file_837([claim("API1")], isa13=501))
    simulator.process_pending()
    with open_connection(db, tenancy.agency_a, uuid.UUID(cid))[1] as transport:
        assert len(transport.list_inbound()) == 3

    # A wrong pinned key: the test says why, and nothing is sent.
    r = api.patch(f"{URL}/{cid}", json={"host_key_fingerprint": "SHA256:" + "C" * 43}, headers=admin)
    assert r.status_code == 200 and r.json()["has_credentials"] is True
    bad = api.post(f"{URL}/{cid}/test", headers=admin).json()
    assert bad["ok"] is False and "host key does not match" in bad["detail"] and bad["retryable"] is False
    assert PASSWORD not in str(bad)

    # A server that is down: a clear, retryable reason.
    api.patch(f"{URL}/{cid}", json={"host_key_fingerprint": server.fingerprint, "port": free_port()},
              headers=admin)
    down = api.post(f"{URL}/{cid}/test", headers=admin).json()
    assert down["ok"] is False and down["retryable"] is True and "connection refused" in down["detail"]

    # New credentials replace the old ones; clearing them leaves an SFTP connection unusable: refused.
    r = api.patch(f"{URL}/{cid}", json={"clear_credentials": True}, headers=admin)
    assert r.status_code == 422 and "needs credentials" in r.json()["detail"]

    assert api.delete(f"{URL}/{cid}", headers=admin).status_code == 204
    assert api.get(f"{URL}/{cid}", headers=admin).status_code == 404


@pytest.mark.parametrize("change, needle", [
    ({"host_key_fingerprint": None}, "host_key_fingerprint is required"),
    ({"host_key_fingerprint": "MD5:11:22"}, "SHA256"),
    ({"password": None}, "needs credentials"),
    ({"port": 70000}, "port must be between"),
    ({"kind": "ftp"}, "kind must be"),
    ({"usage": "X"}, "usage must be"),
    ({"submitter_id": "WAY-TOO-LONG-SUBMITTER-ID"}, "submitter_id"),
    ({"private_key": "not a key"}, "either password or private_key"),
])
def test_bad_connections_are_refused_with_the_field_named(api, callers, sim, change, needle):
    body = sftp_body(sim[0])
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    r = api.post(URL, json=body, headers=callers["agency_admin"])
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"] and PASSWORD not in r.text


def test_mailbox_connection_and_private_keys(api, callers, tmp_path):
    admin = callers["agency_admin"]
    (tmp_path / "out").mkdir()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "999-x.x12").write_text("ISA")
    body = {"name": f"Mailbox {uuid.uuid4().hex[:6]}", "kind": "mailbox", "outbound_dir": str(tmp_path / "out"),
            "inbound_dir": str(tmp_path / "in"), "submitter_id": "SUB123", "receiver_id": "SIMCH"}
    r = api.post(URL, json=body, headers=admin)
    assert r.status_code == 201 and r.json()["has_credentials"] is False
    t = api.post(f"{URL}/{r.json()['id']}/test", headers=admin).json()
    assert t == {"ok": True, "detail": "connected; 1 file(s) waiting in the inbound directory",
                 "retryable": False, "inbound_files": 1}
    assert api.post(URL, json=body, headers=admin).status_code == 409  # names are unique per agency
    rel = api.post(URL, json={**body, "name": "rel", "outbound_dir": "relative/out"}, headers=admin)
    assert rel.status_code == 422 and "absolute path" in rel.json()["detail"]
    extra = api.post(URL, json={**body, "name": "x", "agency_id": str(uuid.uuid4())}, headers=admin)
    assert extra.status_code == 400

    key = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
    sftp = {**body, "name": f"Key {uuid.uuid4().hex[:6]}", "kind": "sftp", "host": "sftp.example.test",
            "port": 22, "username": "u", "host_key_fingerprint": "SHA256:" + "D" * 43, "private_key": key,
            "outbound_dir": "/in", "inbound_dir": "/out"}
    r = api.post(URL, json=sftp, headers=admin)
    assert r.status_code == 201 and r.json()["has_credentials"] is True
    assert "PRIVATE KEY" not in r.text and "PRIVATE KEY" not in api.get(URL, headers=admin).text
    bad = api.post(URL, json={**sftp, "name": "bad key", "private_key": "-----BEGIN nonsense"}, headers=admin)
    assert bad.status_code == 422 and "could not be read" in bad.json()["detail"]


@pytest.mark.parametrize("role", ["agency_manager", "biller", "coder", "practice_admin", "api_token"])
def test_only_agency_admins_manage_connections(api, callers, role):
    headers = callers[role]
    assert api.get(URL, headers=headers).status_code == 403
    body = {"name": "n", "kind": "mailbox", "outbound_dir": "/a", "inbound_dir": "/b", "submitter_id": "S",
            "receiver_id": "R"}
    assert api.post(URL, json=body, headers=headers).status_code == 403


def test_agencies_do_not_see_each_others_connections(api, db, tenancy, callers):
    from conftest import make_user, session_headers
    from clearinghouse_factories import make_connection

    theirs = make_connection(db, tenancy.agency_b)
    admin_a = callers["agency_admin"]
    assert theirs.name not in api.get(URL, headers=admin_a).text
    for method in ("GET", "DELETE"):
        assert api.request(method, f"{URL}/{theirs.id}", headers=admin_a).status_code == 404
    assert api.post(f"{URL}/{theirs.id}/test", headers=admin_a).status_code == 404
    admin_b = session_headers(db, tenancy.agency_b, make_user(db, tenancy.agency_b, "agency_admin")[0])
    assert api.get(f"{URL}/{theirs.id}", headers=admin_b).status_code == 200
