"""Claim building from coded encounters, scrubbing into held/ready, history, PCN rules."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from agency.api.problems import Conflict, Unprocessable
from agency.claims import lifecycle, service
from agency.claims.models import ClaimEvent, ClaimNumber
from agency.keys.runtime import cipher_for
from claims_support import build, claim_row, make_encounter, make_patient, setup_practice

pytestmark = pytest.mark.usefixtures("code_sets")


def test_primary_claim_is_built_ready_with_lines_and_history(db):
    b = setup_practice(db)
    pid = make_patient(db, b)
    eid = make_encounter(db, b, pid)
    (cid, state, pcn), = build(db, b, eid)
    assert state == "ready"
    assert re.fullmatch(r"C[0-9A-Z]{4,16}", pcn) and len(pcn) <= 17
    c = claim_row(db, b, cid)
    assert c.kind == "837P" and c.sequence == 1 and c.frequency == "1" and str(c.total_charge) == "155.50"
    with db.sessions.tenant_unit(b.scope) as s:
        lines = service.claim_lines(s, b.scope.tenant_id, cid)
        assert [ln.line_control_number for ln in lines] == [f"{pcn}-1", f"{pcn}-2"]
        events = service.claim_events(s, b.scope.tenant_id, cid)
        assert [(e.from_state, e.to_state) for e in events] == [(None, "draft"), ("draft", "ready")]
        assert s.get(ClaimNumber, pcn).practice_id == b.scope.tenant_id
    # building again returns the same claim (no second primary)
    assert build(db, b, eid)[0][0] == cid


def test_secondary_waits_and_next_sequence_builds_it(db):
    b = setup_practice(db)
    from setup_support import make_payer
    second = make_payer(db, b.agency_id)
    pid = make_patient(db, b, payers=[b.payer, second])
    eid = make_encounter(db, b, pid)
    claims = build(db, b, eid)
    assert len(claims) == 1
    with db.sessions.tenant_unit(b.scope) as s:
        nxt = service.build_next_sequence(s, cipher_for(db), b.agency_id, b.scope.tenant_id, claims[0][0])
        assert nxt.sequence == 2 and nxt.payer_id == second.id and nxt.pcn != claims[0][2]


def test_missing_charge_holds_the_claim_with_reason(db):
    b = setup_practice(db)
    pid = make_patient(db, b)
    eid = make_encounter(db, b, pid, lines=(("99213", None),))
    (cid, state, _), = build(db, b, eid)
    c = claim_row(db, b, cid)
    assert state == "held"
    assert any(r["rule_id"] == "claims.charge" for r in c.hold_reasons)
    assert "Testperson" not in str(c.hold_reasons)


def test_uncoded_encounter_and_no_coverage_are_refused(db):
    b = setup_practice(db)
    pid = make_patient(db, b)
    eid = make_encounter(db, b, pid, status="to_code")
    with pytest.raises(Conflict):
        build(db, b, eid)
    from agency.patients.service import create_patient
    from agency.patients.schemas import PatientData
    from datetime import date
    with db.sessions.tenant_unit(b.scope) as s:
        bare = create_patient(s, cipher_for(db), b.scope.tenant_id,
                              PatientData(first_name="A", last_name="B", date_of_birth=date(1990, 1, 1)))
    eid2 = make_encounter(db, b, bare)
    with pytest.raises(Unprocessable):
        build(db, b, eid2)


def test_transitions_are_conditional_and_history_is_immutable(db):
    b = setup_practice(db)
    (cid, _, _), = build(db, b, make_encounter(db, b, make_patient(db, b)))
    t = b.scope.tenant_id
    with db.sessions.tenant_unit(b.scope) as s:
        assert lifecycle.transition(s, t, cid, "queued", actor="system") == "ready"
        # the same event again changes nothing
        assert lifecycle.transition(s, t, cid, "queued", actor="system") is None
        assert lifecycle.transition(s, t, cid, "adjudicated_paid", actor="system") is None  # not from queued
    with pytest.raises(sa.exc.DBAPIError):
        with db.sessions.tenant_unit(b.scope) as s:
            s.execute(sa.update(ClaimEvent).where(ClaimEvent.tenant_id == t, ClaimEvent.claim_id == cid)
                      .values(reason_text="changed"))


def _to_accepted(db, b, cid, icn="ICN123"):
    t = b.scope.tenant_id
    with db.sessions.tenant_unit(b.scope) as s:
        for to in ("queued", "submitted", "accepted_ch"):
            assert lifecycle.transition(s, t, cid, to, actor="system")
        assert lifecycle.transition(s, t, cid, "accepted_payer", actor="system", payer_claim_number=icn)


def test_corrected_and_void_claims_keep_the_pcn_and_carry_the_payer_claim_number(db):
    b = setup_practice(db)
    (cid, _, pcn), = build(db, b, make_encounter(db, b, make_patient(db, b)))
    t = b.scope.tenant_id
    with db.sessions.tenant_unit(b.scope) as s:
        with pytest.raises(Conflict):  # not accepted by the payer yet
            service.create_replacement(s, cipher_for(db), t, cid, "7", None, "user:x")
    _to_accepted(db, b, cid)
    with db.sessions.tenant_unit(b.scope) as s:
        corrected = service.create_replacement(s, cipher_for(db), t, cid, "7", None, "user:x")
        assert corrected.pcn == pcn and corrected.frequency == "7" and corrected.payer_claim_number == "ICN123"
        assert corrected.state == "ready" and corrected.revision == 1
        assert service.get_claim(s, t, cid).state == "replaced"
        lines = service.claim_lines(s, t, corrected.id)
        assert lines[0].line_control_number == f"{pcn}-1"
    _to_accepted(db, b, corrected.id, "ICN999")
    with db.sessions.tenant_unit(b.scope) as s:
        void = service.create_replacement(s, cipher_for(db), t, corrected.id, "8", None, "user:x")
        assert void.pcn == pcn and void.frequency == "8" and void.payer_claim_number == "ICN999"


def test_void_without_payer_claim_number_is_refused_when_the_payer_requires_it(db):
    b = setup_practice(db)
    (cid, _, _), = build(db, b, make_encounter(db, b, make_patient(db, b)))
    _to_accepted(db, b, cid, icn=None)
    with db.sessions.tenant_unit(b.scope) as s:
        with pytest.raises(Unprocessable) as exc:
            service.create_replacement(s, cipher_for(db), b.scope.tenant_id, cid, "8", None, "user:x")
    assert "payer claim number" in str(exc.value.detail if hasattr(exc.value, "detail") else exc.value)


def test_pcn_rendering_is_short_and_opaque():
    assert service.render_pcn(1048576) == "C10000"
    assert len(service.render_pcn(2 ** 64)) <= 17


def test_scrub_results_are_stored_and_per_payer_tuning_applies(db):
    from agency.scrubber.service import results_for, set_rule_config
    from tenants.scope import AgencyScope

    b = setup_practice(db)
    pid = make_patient(db, b)
    twice = (("99213", "125.00"), ("99213", "125.00"))  # the same line twice: DUPLICATE-LINE error
    (cid, state, _), = build(db, b, make_encounter(db, b, pid, lines=twice))
    assert state == "held"
    with db.sessions.tenant_unit(b.scope) as s:
        stored = {r.rule_id: r.severity for r in results_for(s, cid)}
    assert stored.get("DUPLICATE-LINE") == "error"  # the biller sees it in the stored results
    # This payer's contract allows repeated lines: the agency lowers the edit to a warning for it.
    with db.sessions.agency_unit(AgencyScope(b.agency_id)) as s:
        set_rule_config(s, b.agency_id, "DUPLICATE-LINE", payer_id=b.payer.id, severity="warning")
    (cid2, state2, _), = build(db, b, make_encounter(db, b, pid, lines=twice))
    c = claim_row(db, b, cid2)
    assert state2 == "held" and not any(r["severity"] == "error" for r in c.hold_reasons)
    assert any(w["rule_id"] == "DUPLICATE-LINE" for w in c.warnings)
    with db.sessions.agency_unit(AgencyScope(b.agency_id)) as s:
        set_rule_config(s, b.agency_id, "DUPLICATE-LINE", payer_id=b.payer.id, enabled=False)
    (_, state3, _), = build(db, b, make_encounter(db, b, pid, lines=twice))
    assert state3 == "ready"
