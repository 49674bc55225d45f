"""Structured JSON logs without PHI.

* One JSON object per line: time, level, logger, message, request_id (from the
  ASGI middleware's ContextVar) and whitelisted extra fields.
* :class:`RedactingFilter` drops extra fields that are not whitelisted (or whose
  names suggest secrets or PHI) and masks token-, SSN- and e-mail-shaped substrings in every string.
* The access log records method, path (ids only; never the query string, which
  may carry search terms), status, duration and the principal id. Bodies are
  never logged.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime

from agency.api.request_id import current_request_id

_STD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
SENSITIVE_KEYS = re.compile(
    r"pass|secret|token|authorization|cookie|csrf|ssn|dob|birth|name|email|phone|address|body|member|"
    r"diagnos|note|totp|otp", re.I)
# Extra fields allowed through (everything else is dropped): ids, codes, timings.
ALLOWED_KEYS = frozenset({"status", "path", "method", "duration_ms", "principal", "error", "where", "role",
                          "practice_id", "agency_id", "job", "count"})
_PATTERNS = [
    (re.compile(r"agt_[0-9a-f]{32}_[A-Za-z0-9_-]+"), "agt_[REDACTED]"),
    (re.compile(r"(?i)bearer\s+\S+"), "Bearer [REDACTED]"),
    (re.compile(r"\b\d{3}-?\d{2}-?\d{4}\b"), "[REDACTED-SSN]"),
    (re.compile(r"[^@\s\"']+@[^@\s\"']+\.[A-Za-z]{2,}"), "[REDACTED-EMAIL]"),
]


def scrub(text: str) -> str:
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key in list(vars(record)):
            if key in _STD:
                continue
            if key not in ALLOWED_KEYS or SENSITIVE_KEYS.search(key):
                delattr(record, key)
        record.msg = scrub(str(record.msg))
        if record.args:
            record.args = tuple(scrub(str(a)) for a in (record.args if isinstance(record.args, tuple)
                                                       else (record.args,)))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": scrub(record.getMessage())}
        rid = current_request_id()
        if rid:
            data["request_id"] = rid
        for key in ALLOWED_KEYS:
            if hasattr(record, key):
                value = getattr(record, key)
                data[key] = scrub(value) if isinstance(value, str) else value
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type only: messages and tracebacks may quote PHI values.
            data["exception"] = record.exc_info[0].__name__
        return json.dumps(data, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Idempotent: one JSON handler on the ``agency`` logger."""
    logger = logging.getLogger("agency")
    logger.setLevel(level)
    if not any(getattr(h, "_agency_json", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RedactingFilter())
        handler._agency_json = True  # type: ignore[attr-defined]
        logger.addHandler(handler)


access_log = logging.getLogger("agency.access")


class AccessLogMiddleware:
    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            principal = scope.get("user")
            access_log.info("request", extra={
                "method": scope.get("method"), "path": scope.get("path"), "status": status["code"],
                "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                "principal": getattr(principal, "actor", None)})
