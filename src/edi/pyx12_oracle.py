"""pyx12 4.0.0 as an independent validation oracle (tests and `--pyx12`; never
in the request path: it manages ~700 claims/s). Guide section 17.

We call its API and read its result (the bool it returns plus its JSON error
document); the `x12valid` script's exit code is meaningless. A crash inside
pyx12 is reported as a pyx12 problem, not as a problem of the file.
Note: pyx12 messages may quote element values; they are for the person who
inspects the file, not for logs.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field


@dataclass(slots=True)
class OracleResult:
    ok: bool
    errors: list[str] = field(default_factory=list)
    crashed: bool = False  # pyx12 itself failed; `errors` holds the exception summary
    map_missing: bool = False  # pyx12 has no map for this version (e.g. X222A2)


def _collect(node, out: list[str], ctx: str = "") -> None:
    if isinstance(node, dict):
        here = ctx
        if "seg_id" in node:
            here = f"{node['seg_id']} (line {node.get('cur_line')})"
        elif "trn_set_id" in node:
            here = f"ST {node['trn_set_id']}"
        for e in node.get("errors") or []:
            out.append(f"{here}: [{e.get('err_cde')}] {e.get('err_str')}".strip(": "))
        for k, v in node.items():
            if k != "errors" and isinstance(v, (list, dict)):
                _collect(v, out, here)
    elif isinstance(node, list):
        for v in node:
            _collect(v, out, ctx)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.messages.append(record.getMessage())


def validate_with_pyx12(text: str) -> OracleResult:
    try:
        import pyx12.params
        import pyx12.x12n_document
    except ImportError as exc:  # pragma: no cover - pyx12 is a dependency
        return OracleResult(False, [f"pyx12 not available: {exc}"], crashed=True)
    text = text.lstrip("\ufeff")  # pyx12 crashes on a BOM
    head = text[:3000]
    is_835 = "835" in head and ("*835*" in head or "~835" in head)
    ack = None if is_835 else io.StringIO()  # every 835 crashes pyx12's 999 writer
    js = io.StringIO()
    logger = logging.getLogger("pyx12")
    cap = _Capture()
    old = (logger.level, logger.propagate)
    logger.addHandler(cap)
    logger.propagate = False  # keep pyx12's chatter off our stderr
    try:
        ok = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(), src_file=io.StringIO(text), fd_997=ack, fd_html=None, fd_json=js
        )
    except Exception as exc:  # noqa: BLE001 - any pyx12 failure is pyx12's, report it as such
        msg = f"pyx12 crashed: {type(exc).__name__}: {exc}"
        return OracleResult(False, [msg], crashed=True, map_missing="Map not found" in str(exc))
    finally:
        logger.removeHandler(cap)
        logger.level, logger.propagate = old
    errors: list[str] = []
    try:
        _collect(json.loads(js.getvalue() or "{}"), errors)
    except ValueError:
        pass
    if not errors:
        errors = cap.messages
    map_missing = any("Map not found" in m for m in cap.messages)
    return OracleResult(bool(ok), [] if ok else errors or ["pyx12 rejected the file"], map_missing=map_missing)
