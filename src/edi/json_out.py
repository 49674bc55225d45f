"""JSON view of parsed transactions (the shape documented in docs/edi.md).

Amounts are decimal strings (never floats), dates ISO 8601, absent values null.
Derived facts people look for (balance.ok, is_reversal, outcome, accepted,
total_charge) are included next to the raw fields.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from typing import Any

from edi.envelope import Issue

# Properties worth showing, per class name.
_EXTRA = {
    "BalanceResult": ("ok",),
    "ClaimPayment": ("is_reversal",),
    "ClaimStatus": ("outcome",),
    "SetResponse": ("accepted",),
    "Ta1": ("accepted",),
    "Claim": ("total_charge",),
    "InstitutionalClaim": ("total_charge", "type_of_bill"),
    "StatusInfo": ("rejected",),
}
_SKIP = {"Remittance": ("issues",), "Transaction837": ("issues",), "Ack999": ("issues",), "Ack277CA": ("issues",),
         "Ta1": ("issues",), "UnsupportedTransaction": ("issues",)}


def to_jsonable(obj: Any) -> Any:
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, Decimal):
        return format(obj, "f")
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, Issue):
        return issue_json(obj)
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj):
        name = type(obj).__name__
        skip = _SKIP.get(name, ())
        out = {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name not in skip}
        for prop in _EXTRA.get(name, ()):
            out[prop] = to_jsonable(getattr(obj, prop))
        return out
    return str(obj)


def issue_json(i: Issue) -> dict:
    return {"severity": i.severity, "message": i.message, "segment_number": i.segment_number,
            "segment_id": i.segment_id, "element": i.element}


def transaction_json(t: Any) -> dict:
    d = to_jsonable(t)
    # Put the identifying keys first for people reading the output.
    head = {"type": d.pop("type", None), "control_number": d.pop("control_number", None)}
    if type(t).__name__ == "Remittance":
        # The CLI promises `claims[].lines[].adjustments` etc. - already there; add patient block for readability.
        pass
    head.update(d)
    head["issues"] = [issue_json(i) for i in getattr(t, "issues", [])]
    return head


def file_json(f, name: str | None = None) -> dict:
    out: dict = {}
    if name is not None:
        out["file"] = name
    out["transactions"] = [transaction_json(t) for t in f.transactions]
    out["issues"] = [issue_json(i) for i in f.issues]
    return out


def dumps(obj: Any, indent: int | None = 2) -> str:
    return json.dumps(obj, indent=indent, ensure_ascii=False)
