"""Cross-tenant cases for the coding routes (see tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # loaded by file path from the route walk

from coding_support import make_encounter  # noqa: E402
from conftest import RouteCaseData, route_case  # noqa: E402

P = "/api/v1/practices/{practice_id:uuid}/coding"


def _enc(db, scope):
    return make_encounter(db, scope)


@route_case(P + "/queue")
def _queue(db, scope, method):
    eid = _enc(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id}, markers=[eid])


@route_case(P + "/encounters/{encounter_id:uuid}/codes")
def _codes(db, scope, method):
    eid = _enc(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "encounter_id": eid},
                         json={"diagnoses": ["I10"], "lines": [], "reason": "route walk"})


@route_case(P + "/encounters/{encounter_id:uuid}/coded")
def _coded(db, scope, method):
    from decimal import Decimal

    eid = make_encounter(db, scope, charge=Decimal("10.00"))
    return RouteCaseData(path={"practice_id": scope.tenant_id, "encounter_id": eid})


@route_case(P + "/encounters/{encounter_id:uuid}/history")
def _history(db, scope, method):
    eid = _enc(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "encounter_id": eid})


@route_case(P + "/encounters/{encounter_id:uuid}/queries")
def _raise(db, scope, method):
    eid = _enc(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "encounter_id": eid},
                         json={"question": "Route walk question"}, markers=["Route walk question"])


def _query(db, scope):
    from agency.coding import service
    from agency.identity.policy import Role, make_user_principal
    from agency.keys.runtime import cipher_for
    import uuid

    eid = _enc(db, scope)
    coder = make_user_principal(user_id=uuid.uuid4(), agency_id=scope.agency_id, role=Role.CODER.value,
                                own_practice=None, assigned=frozenset({scope.tenant_id}))
    with db.sessions.tenant_unit(scope) as s:
        q = service.raise_query(s, cipher_for(db), scope.tenant_id, coder, eid, "Secret question text")
    return q.id


@route_case(P + "/queries")
def _queries(db, scope, method):
    qid = _query(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id}, markers=[qid])


@route_case(P + "/queries/{query_id:uuid}")
def _get_query(db, scope, method):
    return RouteCaseData(path={"practice_id": scope.tenant_id, "query_id": _query(db, scope)},
                         markers=["Secret question text"])


@route_case(P + "/queries/{query_id:uuid}/messages")
def _message(db, scope, method):
    return RouteCaseData(path={"practice_id": scope.tenant_id, "query_id": _query(db, scope)},
                         json={"body": "An answer"}, markers=["Secret question text"])


@route_case(P + "/queries/{query_id:uuid}/close")
def _close(db, scope, method):
    return RouteCaseData(path={"practice_id": scope.tenant_id, "query_id": _query(db, scope)})
