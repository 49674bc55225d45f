"""Cross-tenant cases for the payer directory and the practice-setup routes (see conftest)."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # setup_support, when loaded from another test folder

from conftest import RouteCaseData, route_case  # noqa: E402
from setup_support import make_payer  # noqa: E402


@route_case("/api/v1/payers/{payer_id:uuid}")
def _payer(db, scope, method):
    payer = make_payer(db, scope.agency_id, name=f"Hidden payer {uuid.uuid4().hex[:8]}")
    body = {"timely_filing_days": 100} if method == "PATCH" else None
    return RouteCaseData(path={"payer_id": payer.id}, json=body, markers=[payer.name, payer.payer_code])
