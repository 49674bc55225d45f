"""RFC 9457 problem details (``application/problem+json``) for every error.

Raise one of the :class:`Problem` subclasses from services or handlers; all other
exceptions (Litestar's validation, 404/405 from the router, anything unexpected)
are turned into problems too. Details never carry internals: no exception text
of unexpected errors, no SQL, no values from the request (they may be PHI).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.exceptions import NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from agency.api.request_id import current_request_id

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://agency.invalid/problems/"
log = logging.getLogger("agency.api")

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large", 415: "Unsupported Media Type",
           422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable"}
_SLUGS = {400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
          405: "method-not-allowed", 409: "conflict", 413: "too-large", 415: "unsupported-media-type",
          422: "unprocessable", 429: "rate-limited", 500: "internal", 503: "unavailable"}


class Problem(Exception):
    """An error meant for the API client. ``detail`` must be safe to show: no PHI."""

    status = 400
    slug: str | None = None

    def __init__(self, detail: str | None = None, *, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or _TITLES.get(self.status, "Error"))
        self.detail = detail
        self.extra = extra or {}
        self.headers = headers or {}


class BadRequest(Problem):
    status = 400


class Unauthenticated(Problem):
    status = 401


class Forbidden(Problem):
    status = 403


class NotFound(Problem):
    """Also the answer for objects of a practice the caller may not see."""

    status = 404


class Conflict(Problem):
    status = 409


class Unprocessable(Problem):
    status = 422


def problem_response(status: int, detail: str | None = None, *, slug: str | None = None,
                     extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                     instance: str | None = None, request: Request | None = None) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + (slug or _SLUGS.get(status, "error")),
        "title": _TITLES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    rid = current_request_id()
    if rid is None and request is not None:
        # Router-level errors (unknown path, wrong method) run before any route
        # middleware, so the request id middleware did not see them.
        state = request.scope.setdefault("state", {})
        rid = state.setdefault("request_id", uuid.uuid4().hex)
    body.update(extra or {})
    hdrs = dict(headers or {})
    if rid:
        body["request_id"] = rid
        hdrs["X-Request-ID"] = rid
    if status == 401:
        hdrs.setdefault("WWW-Authenticate", 'Bearer realm="agency"')
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=hdrs)


def _problem(request: Request, exc: Problem) -> Response:
    return problem_response(exc.status, exc.detail, slug=exc.slug, extra=exc.extra, headers=exc.headers,
                            instance=request.url.path, request=request)


_SAFE_DETAILS = {401: "Authentication is required.", 403: "You are not allowed to do this.",
                 404: "The resource does not exist.", 405: "This method is not allowed on this resource."}


def _http(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        errors = []
        for err in (exc.extra if isinstance(exc.extra, list) else []):
            if isinstance(err, dict):
                # key and message only; the message names the expected type, never the value
                errors.append({"key": str(err.get("key", "")), "source": str(err.get("source", "")),
                               "message": str(err.get("message", ""))[:200]})
        return problem_response(400, "The request is not valid.", slug="validation",
                                extra={"errors": errors} if errors else None, instance=request.url.path, request=request)
    if isinstance(exc, (NotFoundException,)) or status == 404:
        return problem_response(404, _SAFE_DETAILS[404], instance=request.url.path, request=request)
    if isinstance(exc, (NotAuthorizedException, PermissionDeniedException)) or status in _SAFE_DETAILS:
        return problem_response(status, _SAFE_DETAILS.get(status), headers=exc.headers,
                                instance=request.url.path, request=request)
    if status >= 500:
        log.error("http error", extra={"status": status, "error": type(exc).__name__})
        return problem_response(status, None, instance=request.url.path, request=request)
    # Litestar's own 4xx details are about the request's shape (e.g. "Missing required header").
    detail = exc.detail if isinstance(exc.detail, str) and len(exc.detail) < 200 else None
    return problem_response(status, detail, headers=exc.headers, instance=request.url.path, request=request)


def _internal(request: Request, exc: Exception) -> Response:
    # Never the message: it may quote SQL parameters, i.e. PHI.
    log.error("unhandled error", extra={"error": type(exc).__name__,
                                        "where": _where(exc)})
    return problem_response(HTTP_500_INTERNAL_SERVER_ERROR, None, instance=request.url.path, request=request)


def _where(exc: BaseException) -> str:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return ""
    code = last.tb_frame.f_code
    return f"{code.co_filename.rsplit('/', 1)[-1]}:{last.tb_lineno}:{code.co_name}"


EXCEPTION_HANDLERS = {
    Problem: _problem,
    HTTPException: _http,
    Exception: _internal,
}
__all__ = ["BadRequest", "Conflict", "EXCEPTION_HANDLERS", "Forbidden", "NotFound", "Problem", "PROBLEM_JSON",
           "Unauthenticated", "Unprocessable", "problem_response", "MediaType"]
