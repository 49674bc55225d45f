"""The denial work queue over the API: filters, assignment, sealed notes, appeal PDF,
corrected claim (frequency 7 with the payer claim number), write-off; rejections never
land here."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from agency.claims.models import Claim
from agency.denials.categories import categorise
from agency.denials.models import DenialItem
from agency.remittance.models import LedgerEntry
from conftest import make_user
from denial_support import posted_denial

D = Decimal


def _base(scope):
    return f"/api/v1/practices/{scope.tenant_id}/denials"


def test_category_map_codes_only():
    assert categorise("CO", "29").category == "timely_filing"
    assert categorise("CO", "16", ["M51"]).category == "coding"
    assert categorise("CO", "16").category == "missing_info"
    assert categorise("PR", "1").category == "patient_responsibility"
    assert categorise("CO", "45").category == "contractual"
    assert categorise("CO", "18").category == "duplicate"
    unknown = categorise("OA", "ZZ9")
    assert (unknown.category, unknown.flagged) == ("other", True)


def test_queue_filters_assign_and_notes(db, tenancy, api, callers):
    scope = tenancy.a1
    auth, *_ = posted_denial(db, scope, carc="197")
    timely, *_ = posted_denial(db, scope, carc="29")
    h = callers["agency_admin"]
    r = api.get(_base(scope), headers=h, params={"category": "timely_filing"})
    assert r.status_code == 200
    assert [i["id"] for i in r.json()["items"]] == [str(timely.id)]
    assert r.json()["items"][0]["category_label"] == "Timely filing"
    assert api.get(_base(scope), headers=h, params={"category": "nonsense"}).status_code == 422
    biller, _ = make_user(db, tenancy.agency_a, "biller", assigned=[scope.tenant_id])
    r = api.patch(f"{_base(scope)}/{auth.id}", headers=h, json={"assignee_id": str(biller)})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = api.get(_base(scope), headers=h, params={"assignee_id": str(biller)})
    assert [i["id"] for i in r.json()["items"]] == [str(auth.id)]
    note = "Auth #A-778 found in chart note Zq"
    r = api.post(f"{_base(scope)}/{auth.id}/notes", headers=h, json={"text": note})
    assert r.status_code == 201 and r.json()["notes"][0]["text"] == note
    with db.sessions.tenant_unit(scope) as s:
        raw = s.execute(sa.text("SELECT notes FROM denial_item WHERE tenant_id = :t AND id = :i"),
                        {"t": scope.tenant_id, "i": auth.id}).scalar_one()
    assert note.encode() not in bytes(raw)  # sealed at rest
    # agency-wide queue over visible practices
    r = api.get("/api/v1/denials", headers=h, params={"category": "authorization"})
    assert r.status_code == 200 and str(auth.id) in [i["id"] for i in r.json()["items"]]
    assert api.get("/api/v1/denials", headers=callers["biller"]).status_code == 200


def test_appeal_letter_pdf_and_write_off(db, tenancy, api, callers):
    scope = tenancy.a1
    item, ctx, cid, _ = posted_denial(db, scope, carc="50")
    h = callers["agency_admin"]
    r = api.post(f"{_base(scope)}/{item.id}/appeals", headers=h,
                 json={"argument": "The service was medically necessary.\n\nRecords attached.", "signer": "B. Iller"})
    assert r.status_code == 201, r.text
    appeal = r.json()
    assert appeal["level"] == 1
    r = api.get(f"{_base(scope)}/{item.id}/appeals/{appeal['id']}/letter", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and len(r.content) == appeal["letter_size"]
    assert api.get(f"{_base(scope)}/{item.id}/appeals/{appeal['id']}/letter",
                   headers=callers["agency_manager"]).status_code == 403  # no phi:print
    detail = api.get(f"{_base(scope)}/{item.id}", headers=h).json()
    assert detail["item"]["status"] == "appealed" and len(detail["appeals"]) == 1
    r = api.post(f"{_base(scope)}/{item.id}/write-off", headers=h, json={"reason_code": "whatever"})
    assert r.status_code == 422
    r = api.post(f"{_base(scope)}/{item.id}/write-off", headers=h, json={"reason_code": "non_covered"})
    assert r.status_code == 201 and D(r.json()["amount"]) == D("200.00")
    with db.sessions.tenant_unit(scope) as s:
        wo = s.scalars(sa.select(LedgerEntry).where(LedgerEntry.tenant_id == scope.tenant_id,
                                                    LedgerEntry.claim_id == cid, LedgerEntry.kind == "write_off")).one()
        assert wo.amount == D("200.00") and wo.category == "medical_necessity"
        assert s.get(DenialItem, (scope.tenant_id, item.id)).status == "written_off"
    assert api.post(f"{_base(scope)}/{item.id}/write-off", headers=h,
                    json={"reason_code": "non_covered"}).status_code == 409


def test_corrected_claim_uses_the_payer_claim_number(db, tenancy, api, callers):
    scope = tenancy.a1
    item, ctx, cid, _ = posted_denial(db, scope, carc="4")
    r = api.post(f"{_base(scope)}/{item.id}/corrected-claim", headers=callers["agency_admin"], json={"frequency": "7"})
    assert r.status_code == 201, r.text
    new_id = r.json()["claim_id"]
    with db.sessions.tenant_unit(scope) as s:
        old = s.get(Claim, (scope.tenant_id, cid))
        new = s.get(Claim, (scope.tenant_id, __import__("uuid").UUID(new_id)))
        assert (new.frequency, new.pcn, new.revision) == ("7", old.pcn, 1)
        assert new.payer_claim_number == f"ICN{old.pcn}"  # CLP07 of the denial
        assert old.state == "replaced"
        assert s.get(DenialItem, (scope.tenant_id, item.id)).status == "corrected"


def test_payment_after_appeal_overturns_the_item(db, tenancy):
    from remit_support import clp, era_text, post_text, svc

    scope = tenancy.a1
    item, ctx, cid, _ = posted_denial(db, scope, carc="197")
    with db.sessions.tenant_unit(scope) as s:
        pcn = s.get(Claim, (scope.tenant_id, cid)).pcn
    # the payer reverses its denial adjudication and pays the line in full
    text = era_text(trn=f"OV{pcn}", payer_code=ctx.payer_code, amount="200.00", control=5, claims=[
        clp(pcn, "22", "-220.00", "-15.00", icn=f"ICN{pcn}", lines=[
            svc("99214", "-200.00", "0", lcn=f"{pcn}-1", cas=["CAS*CO*197*-200.00"]),
            svc("81002", "-20.00", "-15.00", lcn=f"{pcn}-2", cas=["CAS*CO*45*-5.00"])]),
        clp(pcn, "1", "220.00", "215.00", icn=f"ICN{pcn}", lines=[
            svc("99214", "200.00", "200.00", lcn=f"{pcn}-1"),
            svc("81002", "20.00", "15.00", lcn=f"{pcn}-2", cas=["CAS*CO*45*5.00"])])])
    [res] = post_text(db, scope, text)
    assert res.status == "posted", res
    with db.sessions.tenant_unit(scope) as s:
        assert s.get(DenialItem, (scope.tenant_id, item.id)).status == "overturned"
