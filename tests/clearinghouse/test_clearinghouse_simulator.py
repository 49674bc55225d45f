"""The simulator pipeline in mailbox mode: acknowledgements and remittances follow the rules,
parse with our readers, balance, and pass pyx12; bad files are rejected; runs are idempotent."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from agency.clearinghouse.simulator import ClearinghouseSimulator, RulesError, load_rules, parse_rules
from agency.clearinghouse.transport import MailboxTransport, TransportError, TransportUnavailable
from clearinghouse_factories import BAD_NPI, claim, file_837, line
from edi.pyx12_oracle import validate_with_pyx12
from edi.r835 import read_835
from edi.racks import read_277ca, read_999, read_ta1
from edi.validate import validate_file

RULES = {
    "pay_percent": 80,
    "rules": [
        {"match": {"procedure": "85025"}, "deny": {"carc": "50", "rarc": "N115"}},
        {"match": {"procedure": "97110"}, "pay_percent": 50},
        {"match": {"claim_prefix": "PR"}, "pay_percent": 100,
         "patient_responsibility": {"copay": "15.00", "deductible": "20.00", "coinsurance_percent": 20}},
        {"match": {"payer": "66666"}, "deny": {"carc": "27", "group": "CO"}},
        {"match": {"claim_prefix": "REJ"}, "reject": {"category": "A7", "status": "562", "entity": "85"}},
    ],
}


def mailbox(tmp_path, rules=RULES, **kw):
    sim = ClearinghouseSimulator(tmp_path / "ch", parse_rules(rules), **kw)
    transport = MailboxTransport(sim.inbound, sim.outbound, tmp_path / "received")
    return sim, transport


def fetch(transport) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in transport.list_inbound():
        out.setdefault(f.name.split("-", 1)[0], []).append(transport.download(f.name).decode())
        transport.archive(f.name)
    return out


def test_claims_are_acknowledged_and_paid_by_the_rules(tmp_path):
    sim, transport = mailbox(tmp_path)
    claims = [
        claim("PLAIN1"),                                                    # 80 % of 99213, 85025 denied CO-50
        claim("PR2", lines=(line("99213", "125.00", "PR2-A"),)),            # copay/deductible/coinsurance
        claim("HALF3", lines=(line("97110", "60.00", "H3-A"), line("99213", "40.00", "H3-B"))),
        claim("DENY4", payer_id="66666", payer_name="OTHER PLAN"),          # whole payer denied CO-27
        claim("REJ5"),                                                      # rejected in the 277CA
    ]
    transport.upload("batch1.837", file_837(claims))
    report = sim.process_pending()
    assert report.processed == ["batch1.837"] and (sim.archive / "batch1.837").exists()
    got = fetch(transport)
    assert sorted(got) == ["277CA", "835", "999"] and len(got["835"]) == 2  # one 835 per payer

    (ack,) = read_999(got["999"][0])
    assert (ack.status, ack.group_control_number, ack.sets[0].control_number, ack.sets[0].status) == \
        ("A", "1", "0001", "A")

    (ca,) = read_277ca(got["277CA"][0])
    outcome = {c.patient_control_number: c for c in ca.claims}
    assert {k: v.outcome for k, v in outcome.items()} == {
        "PLAIN1": "accepted", "PR2": "accepted", "HALF3": "accepted", "DENY4": "accepted", "REJ5": "rejected"}
    assert [(s.category, s.code, s.entity) for s in outcome["REJ5"].statuses] == [("A7", "562", "85")]
    assert outcome["REJ5"].payer_claim_number is None
    assert ca.receiver_batch == "BATCH1" and (ca.accepted_count, ca.rejected_count) == (4, 1)

    paid = {}
    trns = set()
    for text in got["835"]:
        (rem,) = read_835(text)
        assert rem.balance.ok, rem.balance.problems
        assert rem.payment.amount == sum((c.paid for c in rem.claims), Decimal(0))  # BPR02
        trns.add(rem.payment.trace_number)
        for c in rem.claims:
            paid[c.patient_control_number] = c
            assert c.payer_claim_number == outcome[c.patient_control_number].payer_claim_number  # CLP07 = REF*1K
    assert len(trns) == 2 and "REJ5" not in paid

    p1 = paid["PLAIN1"]
    assert (p1.status_code, p1.charge, p1.paid, p1.patient_responsibility) == ("1", Decimal("155.50"),
                                                                              Decimal("100.00"), Decimal("0"))
    l1, l2 = p1.lines
    assert (l1.line_control_number, l1.paid, [(a.group, a.reason, a.amount) for a in l1.adjustments]) == \
        ("PLAIN1-L1", Decimal("100.00"), [("CO", "45", Decimal("25.00"))])
    assert (l2.line_control_number, l2.paid, [(a.group, a.reason) for a in l2.adjustments], l2.remarks) == \
        ("PLAIN1-L2", Decimal("0"), [("CO", "50")], ["N115"])

    p2 = paid["PR2"]  # allowed 125: copay 15, deductible 20, coinsurance 20 % of 90 = 18 -> paid 72
    assert (p2.paid, p2.patient_responsibility) == (Decimal("72.00"), Decimal("53.00"))
    assert sorted((a.reason, a.amount) for a in p2.lines[0].adjustments if a.group == "PR") == \
        [("1", Decimal("20.00")), ("2", Decimal("18.00")), ("3", Decimal("15.00"))]

    p3 = paid["HALF3"]  # partial payment: 50 % of 60 + 80 % of 40
    assert [ln.paid for ln in p3.lines] == [Decimal("30.00"), Decimal("32.00")] and p3.status_code == "1"

    p4 = paid["DENY4"]
    assert (p4.status_code, p4.paid) == ("4", Decimal("0"))
    # Line rules come before claim rules: 85025 keeps its own denial (CO-50).
    assert [(a.group, a.reason) for ln in p4.lines for a in ln.adjustments] == [("CO", "27"), ("CO", "50")]

    # Every generated file is valid for our validator and for pyx12.
    for kind, texts in got.items():
        for text in texts:
            assert validate_file(text).ok, kind
            oracle = validate_with_pyx12(text)
            assert oracle.ok or oracle.crashed, (kind, oracle.errors[:5])


def test_invalid_files_get_ta1_or_rejecting_999(tmp_path):
    sim, transport = mailbox(tmp_path)
    good = file_837([claim("C1")], isa13=7).decode()
    transport.upload("junk.txt", b"this is not X12 at all")
    transport.upload("bad-iea.837", good.replace("IEA*1*000000007", "IEA*1*000000008").encode())
    bad_se = re.sub(r"SE\*(\d+)\*", lambda m: f"SE*{int(m.group(1)) + 3}*", good)
    transport.upload("bad-se.837", bad_se.encode())
    report = sim.process_pending()
    assert sorted(report.rejected_files) == ["bad-iea.837", "bad-se.837", "junk.txt"]
    got = fetch(transport)
    assert sorted(got) == ["999", "TA1"] and len(got["TA1"]) == 2  # nothing else: no 277CA, no 835
    notes = sorted((t.interchange_control_number, t.ack_code, t.note_code)
                   for text in got["TA1"] for t in read_ta1(text))
    assert notes == [("000000000", "R", "024"), ("000000007", "R", "001")]
    (ack,) = read_999(got["999"][0])
    assert ack.status == "R" and ack.sets_accepted == 0
    (s,) = ack.sets
    assert s.status == "R" and "4" in s.codes
    assert [(e.segment_id, e.code) for e in s.segment_errors] == [("SE", "8")]
    assert s.segment_errors[0].position > 10  # counted from ST = 1
    assert validate_with_pyx12(got["999"][0]).ok


def test_claim_level_edits_reject_in_the_277ca(tmp_path):
    sim, transport = mailbox(tmp_path)
    transport.upload("npi.837", file_837([claim("N1"), claim("N2")], billing=BAD_NPI))
    sim.process_pending()
    got = fetch(transport)
    assert "835" not in got  # rejected claims get no remittance
    (ca,) = read_277ca(got["277CA"][0])
    assert {(c.outcome, c.statuses[0].category, c.statuses[0].code, c.statuses[0].entity) for c in ca.claims} == \
        {("rejected", "A7", "562", "85")}
    (ack,) = read_999(got["999"][0])
    assert ack.status == "A"  # syntax was fine: acceptance is not adjudication


def test_ta1_is_sent_when_requested(tmp_path):
    sim, transport = mailbox(tmp_path)
    transport.upload("c.837", file_837([claim("T1")], isa13=42, ack_requested="1"))
    sim.process_pending()
    got = fetch(transport)
    (ta1,) = read_ta1(got["TA1"][0])
    assert (ta1.interchange_control_number, ta1.ack_code, ta1.note_code) == ("000000042", "A", "000")


def test_remittance_waits_for_the_delay_and_runs_are_idempotent(tmp_path):
    now = [1_000_000.0]
    sim, transport = mailbox(tmp_path, remit_delay=30, clock=lambda: now[0])
    data = file_837([claim("D1")], isa13=9)
    transport.upload("d.837", data)
    sim.process_pending()
    assert sorted(fetch(transport)) == ["277CA", "999"]
    now[0] += 10
    assert not sim.process_pending().written
    # The same content again (a resend): archived, not answered twice.
    transport.upload("d-again.837", data)
    again = sim.process_pending()
    assert again.duplicates == ["d-again.837"] and not again.written
    now[0] += 25
    later = sim.process_pending()
    assert [n.split("-")[0] for n in later.written] == ["835"]
    (rem,) = read_835(fetch(transport)["835"][0])
    assert [c.patient_control_number for c in rem.claims] == ["D1"] and rem.balance.ok
    # A second run with another file gets another TRN02.
    transport.upload("e.837", file_837([claim("E1")], isa13=10))
    sim.process_pending()
    now[0] += 31
    sim.process_pending()
    (rem2,) = read_835(fetch(transport)["835"][0])
    assert rem2.payment.trace_number != rem.payment.trace_number
    state = json.loads((sim.root / ".state.json").read_text())
    assert len(state["processed"]) == 2 and state["pending_remits"] == []


def test_a_crash_after_answering_does_not_answer_twice(tmp_path):
    sim, transport = mailbox(tmp_path)
    data = file_837([claim("K1")], isa13=11)
    transport.upload("k.837", data)
    sim.process_pending()
    n_out = len(list(sim.outbound.iterdir()))
    # As if the process died between recording the hash and archiving the file.
    (sim.archive / "k.837").rename(sim.inbound / "k.837")
    report = sim.process_pending()
    assert report.duplicates == ["k.837"] and len(list(sim.outbound.iterdir())) == n_out


def test_rules_files_json_and_toml_and_clear_errors(tmp_path):
    toml = tmp_path / "rules.toml"
    toml.write_text('pay_percent = 70\n[[rules]]\nmatch = {procedure = "99213"}\n'
                    'deny = {carc = "96", rarc = "N130"}\n')
    rules = load_rules(toml)
    assert rules.pay_percent == 70 and rules.rules[0].deny.carc == "96"
    bad = tmp_path / "bad.json"
    for content, needle in [("{not json", "not valid JSON"),
                            ('{"rules": [{"match": {"procedure": "1"}}]}', "rule 1: needs an action"),
                            ('{"rules": [{"match": {"cpt": "1"}, "pay_percent": 5}]}', "rule 1: match keys"),
                            ('{"pay_percent": 120}', "between 0 and 100"),
                            ('{"rules": [{"match": {"procedure": "1"}, "reject": {}}]}', "whole claims")]:
        bad.write_text(content)
        with pytest.raises(RulesError, match=needle):
            load_rules(bad)
    with pytest.raises(RulesError, match="cannot be read|No such file"):
        load_rules(tmp_path / "missing.json")


def test_mailbox_transport_errors_are_clear(tmp_path):
    down = MailboxTransport(tmp_path / "not-mounted" / "out", tmp_path / "not-mounted" / "in")
    with pytest.raises(TransportUnavailable, match="does not exist or is not mounted"):
        down.upload("a.837", b"x")
    with pytest.raises(TransportUnavailable):
        down.list_inbound()
    (tmp_path / "out").mkdir()
    (tmp_path / "in").mkdir()
    ok = MailboxTransport(tmp_path / "out", tmp_path / "in")
    for bad in ("../escape", ".hidden", "a/b", ""):
        with pytest.raises(TransportError, match="file name"):
            ok.upload(bad, b"x")
    with pytest.raises(TransportError, match="no inbound file"):
        ok.download("nothing.x12")
    ok.upload("a.837", b"data")
    assert (tmp_path / "out" / "a.837").read_bytes() == b"data"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.837"]  # no temp file left behind


def test_retry_delay_backs_off_and_caps():
    from agency.clearinghouse.transport import retry_delay

    assert [retry_delay(n, rand=0.5) for n in (1, 2, 3, 7, 8, 50)] == [60, 120, 240, 3600, 3600, 3600]
    assert 54 <= retry_delay(1) <= 66
    with pytest.raises(ValueError):
        retry_delay(0)
