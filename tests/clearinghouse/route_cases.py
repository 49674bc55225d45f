"""Cross-tenant cases for the clearinghouse connection routes (agency level; see conftest)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # loaded by file path from the route walk

from clearinghouse_factories import make_connection  # noqa: E402
from conftest import RouteCaseData, route_case  # noqa: E402


def _case(db, scope, method, body=None):
    conn = make_connection(db, scope.agency_id)
    return RouteCaseData(path={"connection_id": conn.id}, json=body, markers=[conn.name, conn.outbound_dir])


@route_case("/api/v1/clearinghouse/connections/{connection_id:uuid}")
def _connection(db, scope, method):
    return _case(db, scope, method, {"name": "Renamed"} if method == "PATCH" else None)


@route_case("/api/v1/clearinghouse/connections/{connection_id:uuid}/test")
def _connection_test(db, scope, method):
    return _case(db, scope, method)
