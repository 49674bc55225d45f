"""Authentication middleware: resolves who is calling before any route runs.

* ``Authorization: Bearer agt_<id>_<secret>``: an API token (machines).
* Cookie ``agency_session``: a browser session; unsafe methods on ``/api/``
  also need the session's CSRF token in ``X-CSRF-Token`` (or ``csrf_token`` in
  an HTML form post, checked by the form handler itself).

The lookup of the token's or session's agency happens before any agency is known,
through the listed system jobs (``agency.system_access``); everything else runs in
an agency-bound session. ``scope["user"]`` is the :class:`Principal` or None;
a credential that was presented but is bad is answered here with a 401/403 problem.
"""

from __future__ import annotations

import asyncio
import logging
from http.cookies import SimpleCookie

from agency import system_access
from agency.identity import credentials as cred
from agency.identity import service as identity
from agency.identity.policy import Principal
from tenants.scope import AgencyScope

SESSION_COOKIE = "agency_session"
CSRF_HEADER = b"x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
log = logging.getLogger("agency.auth")


class AuthFailure(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def _header(scope, name: bytes) -> str | None:  # noqa: ANN001
    for k, v in scope.get("headers", []):
        if k == name:
            return v.decode("latin-1")
    return None


def _cookie(scope, name: str) -> str | None:  # noqa: ANN001
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    try:
        jar = SimpleCookie()
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a broken Cookie header is no session
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


async def principal_from_token(db, header: str) -> Principal:  # noqa: ANN001
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthFailure(401, "The Authorization header must be 'Bearer <API token>'.")
    try:
        token_id, secret = cred.parse_api_token(token.strip())
    except cred.MalformedCredential:
        raise AuthFailure(401, "The API token is malformed.") from None
    agency_id = await asyncio.to_thread(system_access.find_api_token_agency, db, token_id)
    principal = None
    if agency_id is not None:
        async with db.sessions.aagency_unit(AgencyScope(agency_id)) as s:
            principal = await s.run_sync(identity.token_principal, agency_id, token_id, secret)
    if principal is None:
        raise AuthFailure(401, "The API token is invalid, expired or revoked.")
    return principal


async def principal_from_cookie(db, cookie: str) -> Principal | None:  # noqa: ANN001
    try:
        sid = cred.session_id_of(cookie)
    except cred.MalformedCredential:
        return None
    agency_id = await asyncio.to_thread(system_access.find_web_session_agency, db, sid)
    if agency_id is None:
        return None
    async with db.sessions.aagency_unit(AgencyScope(agency_id)) as s:
        return await s.run_sync(identity.session_principal, agency_id, sid)


class AuthenticationMiddleware:
    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["user"] = None
        scope["auth"] = None
        state = scope["litestar_app"].state
        db = state.db
        try:
            header = _header(scope, b"authorization")
            if header is not None:
                scope["user"] = await principal_from_token(db, header)
                scope["auth"] = "token"
            else:
                cookie = _cookie(scope, SESSION_COOKIE)
                if cookie:
                    principal = await principal_from_cookie(db, cookie)
                    if principal is not None:
                        scope["user"], scope["auth"] = principal, "session"
                        if scope["method"] not in SAFE_METHODS and scope["path"].startswith("/api/"):
                            given = _header(scope, CSRF_HEADER) or ""
                            if not principal.csrf_token or not cred.same_secret(given, principal.csrf_token):
                                raise AuthFailure(403, "Missing or wrong CSRF token (X-CSRF-Token header).")
        except AuthFailure as failure:
            log.info("authentication refused", extra={"status": failure.status, "path": scope["path"]})
            await _send_problem(scope, send, failure.status, failure.detail)
            return
        await self.app(scope, receive, send)


async def _send_problem(scope, send, status: int, detail: str) -> None:  # noqa: ANN001
    import json

    from agency.api.problems import PROBLEM_JSON, TYPE_BASE
    from agency.api.request_id import request_id_of

    slug = "unauthenticated" if status == 401 else "csrf"
    body = {"type": TYPE_BASE + slug, "title": "Unauthorized" if status == 401 else "Forbidden",
            "status": status, "detail": detail, "instance": scope["path"]}
    rid = request_id_of(scope)
    if rid:
        body["request_id"] = rid
    raw = json.dumps(body).encode()
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(raw)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="agency"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
