"""SftpTransport against the simulator's SFTP server on loopback: 837 up, 999/277CA/835
down; host keys are pinned; a server that is down is a clear, retryable error."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from agency.clearinghouse.sftp import SftpTransport, normalize_fingerprint
from agency.clearinghouse.simulator import ClearinghouseSimulator, SftpSimulatorServer, parse_rules
from agency.clearinghouse.simulator.server import SimulatorError, free_port
from agency.clearinghouse.transport import TransportError, TransportUnavailable
from clearinghouse_factories import claim, file_837, line
from edi.r835 import read_835
from edi.racks import read_277ca, read_999

PASSWORD = "correct-horse-battery"
RULES = {"pay_percent": 90, "rules": [{"match": {"procedure": "85025"}, "deny": {"carc": "96", "rarc": "N130"}}]}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    root = tmp_path_factory.mktemp("sftp-sim")
    server = SftpSimulatorServer(root / "ch", {"agency": PASSWORD}, root / "hostkey").start()
    simulator = ClearinghouseSimulator(root / "ch", parse_rules(RULES), poll_interval=0.05).start()
    yield server, simulator
    simulator.stop()
    server.stop()


def transport(server, **kw) -> SftpTransport:
    args = dict(host_key_fingerprint=server.fingerprint, password=PASSWORD, outbound_dir="/inbound",
                inbound_dir="/outbound", timeout=5)
    args.update(kw)
    return SftpTransport("127.0.0.1", server.port, "agency", **args)


def wait_for(t: SftpTransport, n: int, deadline: float = 10.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        files = t.list_inbound()
        if len(files) >= n:
            return files
        time.sleep(0.05)
    raise AssertionError(f"expected {n} files, have {[f.name for f in files]}")


def test_upload_837_and_download_acknowledgements_and_remittance(sim):
    server, _ = sim
    with transport(server) as t:
        assert "claims-001.837" not in t.list_outbound()
        t.upload("claims-001.837", file_837([claim("S1"), claim("S2", lines=(line("99214", "200", "S2-A"),))],
                                            isa13=101))
        files = wait_for(t, 3)
        assert "claims-001.837" not in t.list_outbound()  # the clearinghouse collected it
        got = {}
        for f in files:
            assert f.size > 0 and f.mtime > 0
            got[f.name.split("-", 1)[0]] = t.download(f.name).decode()
            t.archive(f.name)
        assert t.list_inbound() == []
    assert sorted(got) == ["277CA", "835", "999"]
    assert read_999(got["999"])[0].status == "A"
    ca = read_277ca(got["277CA"])[0]
    assert [(c.patient_control_number, c.outcome) for c in ca.claims] == [("S1", "accepted"), ("S2", "accepted")]
    (rem,) = read_835(got["835"])
    assert rem.balance.ok
    by = {c.patient_control_number: c for c in rem.claims}
    assert by["S2"].paid == Decimal("180.00")  # 90 % of 200
    assert [ln.paid for ln in by["S1"].lines][1] == 0 and by["S1"].lines[1].remarks == ["N130"]
    assert [ln.line_control_number for ln in by["S1"].lines] == ["S1-L1", "S1-L2"]


def test_host_key_pinning_refuses_a_wrong_fingerprint(sim):
    server, _ = sim
    wrong = "SHA256:" + "A" * 43
    with transport(server, host_key_fingerprint=wrong) as t:
        with pytest.raises(TransportError) as info:
            t.list_inbound()
    assert not isinstance(info.value, TransportUnavailable)  # a person must look at it; no blind retry
    msg = str(info.value)
    assert "host key does not match" in msg and wrong in msg and PASSWORD not in msg
    with pytest.raises(TransportError, match="fingerprint is required"):
        transport(server, host_key_fingerprint="")


def test_wrong_password_is_a_clear_error_without_the_secret(sim):
    server, _ = sim
    with transport(server, password="not-the-password") as t:
        with pytest.raises(TransportError, match="login refused for user agency") as info:
            t.list_inbound()
    assert "not-the-password" not in str(info.value) and "not-the-password" not in repr(t)


def test_chroot_keeps_clients_inside_the_root(sim):
    server, simulator = sim
    (simulator.root.parent / "outside.txt").write_text("secret")
    with transport(server, inbound_dir="/../..") as t:
        names = {f.name for f in t.list_inbound()}
    assert "outside.txt" not in names


def test_a_server_that_is_down_is_unavailable_with_a_clear_message():
    port = free_port()
    t = SftpTransport("127.0.0.1", port, "agency", host_key_fingerprint="SHA256:" + "B" * 43, password="x",
                      timeout=2)
    with t, pytest.raises(TransportUnavailable) as info:
        t.upload("a.837", b"ISA")
    assert f"127.0.0.1:{port}" in str(info.value) and "retry" in str(info.value)


def test_simulator_refuses_non_loopback_addresses(tmp_path):
    with pytest.raises(SimulatorError, match="loopback"):
        SftpSimulatorServer(tmp_path, {"a": "b"}, tmp_path / "key", host="0.0.0.0")
    with pytest.raises(SimulatorError, match="at least one user"):
        SftpSimulatorServer(tmp_path, {}, tmp_path / "key")


def test_fingerprints_are_normalised():
    assert normalize_fingerprint("abc+/=") == "SHA256:abc+/"
    assert normalize_fingerprint(" SHA256:abc ") == "SHA256:abc"
    with pytest.raises(TransportError, match="SHA256"):
        normalize_fingerprint("MD5:aa:bb")


def test_list_outbound_shows_our_files_until_the_clearinghouse_collects_them(tmp_path):
    from agency.clearinghouse.transport import MailboxTransport

    t = MailboxTransport(tmp_path / "out", tmp_path / "in")
    (tmp_path / "out").mkdir(), (tmp_path / "in").mkdir()
    assert t.list_outbound() == []
    t.upload("837P-A-000000001-0.x12", b"ISA")
    assert t.list_outbound() == ["837P-A-000000001-0.x12"]  # no temp files shown
    (tmp_path / "out" / "837P-A-000000001-0.x12").unlink()  # collected
    assert t.list_outbound() == []
