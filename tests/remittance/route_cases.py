"""Cross-tenant cases for the remittance routes (see tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "denials"))

import sqlalchemy as sa  # noqa: E402

from conftest import RouteCaseData, route_case  # noqa: E402
from denial_support import parked_era, posted_denial  # noqa: E402

P = "/api/v1/practices/{practice_id:uuid}"


@route_case(P + "/eras")
def _eras(db, scope, method):
    era_id, _ = parked_era(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id}, markers=[era_id])


@route_case(P + "/eras/{era_id:uuid}")
def _era(db, scope, method):
    era_id, _ = parked_era(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "era_id": era_id})


@route_case(P + "/eras/{era_id:uuid}/repost")
def _repost(db, scope, method):
    era_id, _ = parked_era(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "era_id": era_id})


@route_case(P + "/claims/{claim_id:uuid}/ledger")
def _ledger(db, scope, method):
    _, _, cid, _ = posted_denial(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "claim_id": cid})


@route_case(P + "/posting-exceptions")
def _exceptions(db, scope, method):
    era_id, _ = parked_era(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id}, markers=[era_id])


@route_case(P + "/posting-exceptions/{exception_id:uuid}/resolve")
def _resolve(db, scope, method):
    from agency.claims.models import ClaimLine
    from agency.remittance.models import PostingException

    era_id, cid = parked_era(db, scope, ambiguous=True)
    with db.sessions.tenant_unit(scope) as s:
        exc = s.scalars(sa.select(PostingException).where(PostingException.tenant_id == scope.tenant_id,
                                                          PostingException.era_id == era_id)
                        .order_by(PostingException.line_index)).first()
        line = s.scalars(sa.select(ClaimLine.id).where(ClaimLine.tenant_id == scope.tenant_id,
                                                       ClaimLine.claim_id == cid)
                         .order_by(ClaimLine.line_number)).first()
    return RouteCaseData(path={"practice_id": scope.tenant_id, "exception_id": exc.id},
                         json={"claim_line_id": str(line)})
