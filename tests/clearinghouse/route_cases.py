"""Cross-tenant cases for the clearinghouse connection routes (agency level; see conftest)."""

from __future__ import annotations

import uuid

from agency.clearinghouse.models import ClearinghouseConnection
from agency.db.base import new_id
from conftest import RouteCaseData, route_case
from tenants.scope import AgencyScope


def make_connection(db, agency_id, **kw) -> ClearinghouseConnection:
    marker = f"CH-{uuid.uuid4().hex[:8]}"
    fields = dict(agency_id=agency_id, id=new_id(), name="Hidden " + marker, kind="mailbox",
                  outbound_dir=f"/nonexistent/{marker}/out", inbound_dir=f"/nonexistent/{marker}/in",
                  submitter_id="SUB" + marker[-6:].upper(), receiver_id="RCV", usage="T")
    fields.update(kw)
    conn = ClearinghouseConnection(**fields)
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        s.add(conn)
    return conn


def _case(db, scope, method, body=None):
    conn = make_connection(db, scope.agency_id)
    return RouteCaseData(path={"connection_id": conn.id}, json=body, markers=[conn.name, conn.outbound_dir])


@route_case("/api/v1/clearinghouse/connections/{connection_id:uuid}")
def _connection(db, scope, method):
    return _case(db, scope, method, {"name": "Renamed"} if method == "PATCH" else None)


@route_case("/api/v1/clearinghouse/connections/{connection_id:uuid}/test")
def _connection_test(db, scope, method):
    return _case(db, scope, method)
