"""837 builders for the clearinghouse tests (synthetic data, no real people)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from edi.envelope import Interchange
from edi.model.claim837 import (BillingGroup, Claim, ClaimBatch, Contact, Payer, Person, Provider, Receiver,
                                ServiceLine, Submitter, Subscriber)
from edi.model.common import Address
from edi.w837 import write_837p

ADDR = Address("123 MAIN ST", "SPRINGFIELD", "IL", "627011234")
BILLING = Provider("ACME CLINIC", "1234567893", address=ADDR, taxonomy="207Q00000X", tax_id="123456789")
BAD_NPI = Provider("BROKEN CLINIC", "1234567890", address=ADDR, taxonomy="207Q00000X", tax_id="123456789")
SUBMITTER = Submitter("ACME BILLING AGENCY", "SUB123", Contact("JANE DOE", "5555551234"))
RECEIVER = Receiver("SIM CLEARINGHOUSE", "SIMCH")
DOS = date(2024, 4, 2)


def claim(pcn: str, payer_id: str = "12345", lines=None, payer_name: str = "ACME HEALTH PLAN") -> Claim:
    lines = lines or (
        ServiceLine("99213", Decimal("125.00"), Decimal("1"), DOS, (1,), line_control_number=f"{pcn}-L1"),
        ServiceLine("85025", Decimal("30.50"), Decimal("2"), DOS, (1,), line_control_number=f"{pcn}-L2"),
    )
    sub = Subscriber(Person("TESTPERSON", "ALPHA", None, ADDR, date(1970, 1, 2), "M"), "MEMBER1",
                     Payer(payer_name, payer_id))
    return Claim(pcn, sub, "11", ("J0190",), tuple(lines))


def line(code: str, charge: str, lcn: str, units: str = "1") -> ServiceLine:
    return ServiceLine(code, Decimal(charge), Decimal(units), DOS, (1,), line_control_number=lcn)


def file_837(claims, isa13: int = 1, billing: Provider = BILLING, st02: str = "0001", batch_id: str = "BATCH1",
             ack_requested: str = "0") -> bytes:
    batch = ClaimBatch(SUBMITTER, RECEIVER, (BillingGroup(billing, tuple(claims)),), st02, batch_id,
                       date(2024, 5, 1), "1030")
    ic = Interchange("SUB123", "SIMCH", isa13, isa13, date(2024, 5, 1), "1030", usage="T",
                     ack_requested=ack_requested)
    return write_837p(batch, ic).encode()


def make_connection(db, agency_id, **kw):
    """A mailbox connection row in ``agency_id`` (directly, as a fixture)."""
    from agency.clearinghouse.models import ClearinghouseConnection
    from agency.db.base import new_id
    from tenants.scope import AgencyScope

    marker = f"CH-{uuid.uuid4().hex[:8]}"
    fields = dict(agency_id=agency_id, id=new_id(), name="Hidden " + marker, kind="mailbox",
                  outbound_dir=f"/nonexistent/{marker}/out", inbound_dir=f"/nonexistent/{marker}/in",
                  submitter_id="SUB" + marker[-6:].upper(), receiver_id="RCV", usage="T")
    fields.update(kw)
    conn = ClearinghouseConnection(**fields)
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        s.add(conn)
    return conn
