"""Cross-tenant cases for the denial work-queue routes (see tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from conftest import RouteCaseData, route_case  # noqa: E402
from denial_support import posted_denial  # noqa: E402

P = "/api/v1/practices/{practice_id:uuid}/denials"


def _item(db, scope, **kw):
    item, *_ = posted_denial(db, scope, **kw)
    return {"practice_id": scope.tenant_id, "item_id": item.id}


@route_case(P)
def _queue(db, scope, method):
    path = _item(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id}, markers=[path["item_id"]])


@route_case(P + "/{item_id:uuid}")
def _one(db, scope, method):
    return RouteCaseData(path=_item(db, scope), json={"status": "in_progress"} if method == "PATCH" else None)


@route_case(P + "/{item_id:uuid}/notes")
def _notes(db, scope, method):
    return RouteCaseData(path=_item(db, scope), json={"text": "Route walk note Zqx"}, markers=["Route walk note Zqx"])


@route_case(P + "/{item_id:uuid}/corrected-claim")
def _corrected(db, scope, method):
    return RouteCaseData(path=_item(db, scope), json={"frequency": "7"})


@route_case(P + "/{item_id:uuid}/rebill-secondary")
def _rebill(db, scope, method):
    return RouteCaseData(path=_item(db, scope, secondary=True))


@route_case(P + "/{item_id:uuid}/appeals")
def _appeal(db, scope, method):
    return RouteCaseData(path=_item(db, scope), json={"argument": "Authorization was on file.", "signer": "B. Iller"})


@route_case(P + "/{item_id:uuid}/appeals/{appeal_id:uuid}/letter")
def _letter(db, scope, method):
    from agency.denials import service
    from agency.keys.runtime import cipher_for

    path = _item(db, scope)
    with db.sessions.tenant_unit(scope) as s:
        appeal = service.appeal(s, cipher_for(db), scope.tenant_id, path["item_id"], "Records attached.", "B. Iller",
                                "system")
        path["appeal_id"] = appeal.id
    return RouteCaseData(path=path)


@route_case(P + "/{item_id:uuid}/write-off")
def _write_off(db, scope, method):
    return RouteCaseData(path=_item(db, scope), json={"reason_code": "non_covered", "note": "Route walk"})
