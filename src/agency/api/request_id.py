"""Request ids: ASGI middleware (not a dependency: Litestar resolves dependencies
in separate tasks, so a ContextVar set there would not reach the handler; guide §4).

The id is taken from a well-formed incoming ``X-Request-ID`` or generated, put in
``scope["state"]["request_id"]``, a ContextVar for logs, and the response header.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "x-request-id"
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_current: ContextVar[str | None] = ContextVar("agency_request_id", default=None)


def current_request_id() -> str | None:
    return _current.get()


def request_id_of(scope) -> str | None:  # noqa: ANN001
    return scope.get("state", {}).get("request_id")


class RequestIdMiddleware:
    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        rid = incoming if incoming and _VALID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        token = _current.set(rid)

        async def send_with_id(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)
