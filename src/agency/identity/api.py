"""Identity routes.

HTML (server-rendered, CSRF-protected forms): ``GET/POST /login``,
``GET/POST /login/totp``, ``POST /logout``, ``GET /``.

JSON under ``/api/v1``: ``/auth/me``, ``/auth/totp/setup|confirm``, ``/auth/logout``,
``/roles``, ``/users``, ``/users/{user_id}``, ``/users/{user_id}/assignments``,
``/tokens``, ``/tokens/{token_id}``.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from agency import system_access
from agency.api.authn import SESSION_COOKIE
from agency.api.dependencies import AgencyContext
from agency.api.guards import requires
from agency.api.idempotency import idempotent
from agency.api.pagination import clamp_limit, decode_cursor, encode_cursor
from agency.api.problems import BadRequest, Forbidden
from agency.identity import credentials as cred
from agency.identity import service as identity
from agency.identity.policy import ROLE_PERMISSIONS, USER_ROLES, Perm, Principal, Role, TOKEN_GRANTABLE
from agency.identity.schemas import (AssignmentCreate, AssignmentOut, MeOut, PageOut, RoleOut, TokenCreate,
                                     TokenCreated, TokenOut, TotpCode, TotpSetup, UserCreate, UserOut,
                                     UserUpdate)
from tenants.scope import AgencyScope

LOGIN_CSRF_COOKIE = "agency_login_csrf"
Limit = int | None
Cursor = str | None


def _secure(request: Request) -> bool:
    forced = getattr(request.app.state, "secure_cookies", None)
    return forced if forced is not None else request.url.scheme == "https"


def _session_cookie(response: Response, request: Request, value: str) -> None:
    response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="lax", secure=_secure(request), path="/",
                        max_age=int(identity.SESSION_ABSOLUTE.total_seconds()))


# --- HTML login -------------------------------------------------------------------

@dataclass
class LoginForm:
    email: str
    password: str
    csrf_token: str


@dataclass
class TotpForm:
    code: str
    csrf_token: str


@dataclass
class LogoutForm:
    csrf_token: str


def _login_page(request: Request, error: str | None, status: int = 200) -> Template:
    csrf = cred.new_csrf_token()
    page = Template("login.html", context={"csrf_token": csrf, "error": error}, status_code=status)
    page.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=_secure(request),
                    path="/login")
    return page


class LoginController(Controller):
    path = "/"
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request) -> Template:
        return _login_page(request, None)

    @post("/login", status_code=303)
    async def login(self, request: Request,
                    data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Response:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        if not expected or not cred.same_secret(data.csrf_token or "", expected):
            raise Forbidden("The login form expired or the CSRF check failed; reload the page.")
        db = request.app.state.db
        try:
            email = identity.normalise_email(data.email)
        except BadRequest:
            email = None
        found = await asyncio.to_thread(system_access.find_login_user, db, email) if email else None
        if found is None:
            await asyncio.to_thread(cred.verify_password, None, data.password or "")  # same cost as a real check
            return _login_page(request, "Invalid e-mail or password, or the account is locked.", 401)
        # argon2 is deliberately slow: verify on a worker thread with a sync unit of
        # work instead of blocking the event loop.
        outcome, cookie = await asyncio.to_thread(_password_login, db, *found, data.password or "")
        if not outcome.ok:
            return _login_page(request, "Invalid e-mail or password, or the account is locked.", 401)
        response = Redirect("/login/totp" if outcome.mfa_required else "/", status_code=303)
        _session_cookie(response, request, cookie)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @get("/login/totp")
    async def totp_form(self, request: Request) -> Template | Redirect:
        pending = await _pending_session(request)
        if pending is None:
            return Redirect("/login", status_code=303)
        return Template("totp.html", context={"csrf_token": pending[2].csrf_token, "error": None})

    @post("/login/totp", status_code=303)
    async def totp(self, request: Request,
                   data: Annotated[TotpForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Response:
        pending = await _pending_session(request)
        if pending is None:
            return Redirect("/login", status_code=303)
        agency_id, sid, row = pending
        if not cred.same_secret(data.csrf_token or "", row.csrf_token):
            raise Forbidden("The CSRF check failed; reload the page.")
        db = request.app.state.db
        async with db.sessions.aagency_unit(AgencyScope(agency_id)) as s:
            secrets = await _totp_secrets(db, agency_id)
            ok = await s.run_sync(identity.complete_mfa, agency_id, sid, data.code or "", secrets)
            if ok:
                cookie, _ = await s.run_sync(identity.start_web_session, agency_id, row.user_id, mfa_pending=False)
        if not ok:
            return Template("totp.html", context={"csrf_token": row.csrf_token, "error": "Invalid code."},
                            status_code=401)
        response = Redirect("/", status_code=303)
        _session_cookie(response, request, cookie)
        return response

    @post("/logout", status_code=303)
    async def logout(self, request: Request,
                     data: Annotated[LogoutForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Response:
        principal = request.scope.get("user")
        if isinstance(principal, Principal) and principal.session_id:
            if not cred.same_secret(data.csrf_token or "", principal.csrf_token or ""):
                raise Forbidden("The CSRF check failed.")
            await _revoke(request, principal)
        response = Redirect("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get("/")
    async def home(self, request: Request) -> Template | Redirect:
        principal = request.scope.get("user")
        if not isinstance(principal, Principal) or principal.kind != "user":
            return Redirect("/login", status_code=303)
        return Template("home.html", context={"role": principal.role.value, "csrf_token": principal.csrf_token})


async def _totp_secrets(db, agency_id: uuid.UUID) -> identity.TotpSecrets:  # noqa: ANN001
    """The agency-key box for TOTP secrets (the key is created on first use, in its own unit of work)."""
    from agency.keys.agency_keys import agency_cipher_for, ensure_agency_key

    await asyncio.to_thread(ensure_agency_key, db, agency_id)
    return identity.TotpSecrets(agency_cipher_for(db))


def _password_login(db, agency_id: uuid.UUID, user_id: uuid.UUID, password: str):  # noqa: ANN001, ANN202
    cookie = None
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        outcome = identity.check_password(s, agency_id, user_id, password)
        if outcome.ok:
            cookie, _ = identity.start_web_session(s, agency_id, user_id, mfa_pending=outcome.mfa_required)
    return outcome, cookie


async def _pending_session(request: Request):  # noqa: ANN202
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        sid = cred.session_id_of(cookie)
    except cred.MalformedCredential:
        return None
    db = request.app.state.db
    agency_id = await asyncio.to_thread(system_access.find_web_session_agency, db, sid)
    if agency_id is None:
        return None
    async with db.sessions.aagency_unit(AgencyScope(agency_id)) as s:
        row = await s.run_sync(identity.live_session, agency_id, sid)
    if row is None or not row.mfa_pending:
        return None
    return agency_id, sid, row


async def _revoke(request: Request, principal: Principal) -> None:
    db = request.app.state.db
    async with db.sessions.aagency_unit(AgencyScope(principal.agency_id)) as s:
        await s.run_sync(identity.revoke_session, principal.agency_id, principal.session_id)


# --- JSON: the caller ---------------------------------------------------------------

class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @get("/me")
    async def me(self, request: Request) -> MeOut:
        p: Principal = request.user
        return MeOut(p.kind, p.id, p.agency_id, p.role.value, sorted(x.value for x in p.permissions),
                     None if p.all_practices else sorted(p.practice_ids), p.csrf_token)

    @post("/logout", status_code=204)
    async def logout(self, request: Request) -> None:
        p: Principal = request.user
        if p.session_id:
            await _revoke(request, p)

    @post("/totp/setup", status_code=200)
    async def totp_setup(self, request: Request, agency_ctx: AgencyContext) -> TotpSetup:
        secrets = await _totp_secrets(request.app.state.db, agency_ctx.principal.agency_id)
        secret, uri = await agency_ctx.run(identity.begin_totp, agency_ctx.principal, secrets)
        return TotpSetup(secret, uri)

    @post("/totp/confirm", status_code=204)
    async def totp_confirm(self, request: Request, agency_ctx: AgencyContext, data: TotpCode) -> None:
        secrets = await _totp_secrets(request.app.state.db, agency_ctx.principal.agency_id)
        await agency_ctx.run(identity.confirm_totp, agency_ctx.principal, data.code, secrets)
        await agency_ctx.audit_admin("update", "user_mfa", agency_ctx.principal.id)


@get("/roles", tags=["users"])
async def list_roles() -> list[RoleOut]:
    out = []
    for r in Role:
        scope = ("all practices of the agency" if r in (Role.AGENCY_ADMIN, Role.AGENCY_MANAGER) else
                 "assigned practices" if r in (Role.CODER, Role.BILLER) else
                 "one practice" if r in (Role.PRACTICE_ADMIN, Role.PRACTICE_USER) else "the token's practice")
        perms = ROLE_PERMISSIONS[r] if r is not Role.API_TOKEN else TOKEN_GRANTABLE
        out.append(RoleOut(r.value, sorted(p.value for p in perms), scope))
    return out


# --- JSON: users and assignments ------------------------------------------------------

def _after(cursor: str | None) -> uuid.UUID | None:
    key = decode_cursor(cursor, ("id",))
    if key is None:
        return None
    try:
        return uuid.UUID(key["id"])
    except ValueError:
        raise BadRequest("The cursor is not valid; pass back next_cursor unchanged.") from None


def _page(rows: list, limit: int, out) -> PageOut:  # noqa: ANN001
    more = len(rows) > limit
    rows = rows[:limit]
    return PageOut([out(r) for r in rows], encode_cursor({"id": str(rows[-1].id)}) if more and rows else None)


class UsersController(Controller):
    path = "/users"
    tags = ["users"]
    guards = [requires(Perm.USERS_MANAGE)]

    @get("/")
    async def list_users(self, agency_ctx: AgencyContext, limit: Limit = None, cursor: Cursor = None) -> PageOut:
        n = clamp_limit(limit)
        rows = await agency_ctx.run(identity.list_users, agency_ctx.principal, _after(cursor), n)
        now = identity.utcnow()
        return _page(rows, n, lambda u: UserOut.of(u, now))

    @post("/")
    async def create_user(self, request: Request, agency_ctx: AgencyContext, data: UserCreate) -> Response:
        async def create() -> tuple[int, Any]:
            user = await agency_ctx.run(
                lambda s: identity.create_user(s, agency_ctx.principal.agency_id, email=data.email,
                                               display_name=data.display_name, role=data.role,
                                               practice_id=data.practice_id, password=data.password,
                                               actor=agency_ctx.principal))
            await agency_ctx.audit_admin("create", "user", user.id)
            return 201, UserOut.of(user, identity.utcnow())
        return await idempotent(request, agency_ctx, create)

    @get("/{user_id:uuid}")
    async def get_user(self, agency_ctx: AgencyContext, user_id: uuid.UUID) -> UserOut:
        user = await agency_ctx.run(identity.get_user, agency_ctx.principal, user_id)
        return UserOut.of(user, identity.utcnow())

    @patch("/{user_id:uuid}")
    async def update_user(self, agency_ctx: AgencyContext, user_id: uuid.UUID, data: UserUpdate) -> UserOut:
        user = await agency_ctx.run(
            lambda s: identity.update_user(s, agency_ctx.principal, user_id, role=data.role,
                                           display_name=data.display_name, is_active=data.is_active,
                                           practice_id=data.practice_id, password=data.password,
                                           unlock=data.unlock))
        await agency_ctx.audit_admin("update", "user", user.id)
        return UserOut.of(user, identity.utcnow())

    @get("/{user_id:uuid}/assignments")
    async def list_assignments(self, agency_ctx: AgencyContext, user_id: uuid.UUID) -> list[AssignmentOut]:
        rows = await agency_ctx.run(identity.assignments, agency_ctx.principal, user_id)
        return [AssignmentOut.of(m) for m in rows]

    @post("/{user_id:uuid}/assignments")
    async def assign(self, request: Request, agency_ctx: AgencyContext, user_id: uuid.UUID,
                     data: AssignmentCreate) -> Response:
        async def create() -> tuple[int, Any]:
            m = await agency_ctx.run(identity.assign, agency_ctx.principal, user_id, data.practice_id)
            await agency_ctx.audit_admin("create", "assignment", m.id)
            return 201, AssignmentOut.of(m)
        return await idempotent(request, agency_ctx, create)

    @delete("/{user_id:uuid}/assignments/{assigned_practice_id:uuid}")
    async def unassign(self, agency_ctx: AgencyContext, user_id: uuid.UUID,
                       assigned_practice_id: uuid.UUID) -> None:
        await agency_ctx.run(identity.unassign, agency_ctx.principal, user_id, assigned_practice_id)
        await agency_ctx.audit_admin("delete", "assignment", f"{user_id}:{assigned_practice_id}")


# --- JSON: API tokens --------------------------------------------------------------

class TokensController(Controller):
    path = "/tokens"
    tags = ["tokens"]
    guards = [requires(Perm.TOKENS_MANAGE)]

    @get("/")
    async def list_tokens(self, agency_ctx: AgencyContext, limit: Limit = None, cursor: Cursor = None) -> PageOut:
        n = clamp_limit(limit)
        rows = await agency_ctx.run(identity.list_tokens, agency_ctx.principal, _after(cursor), n)
        return _page(rows, n, TokenOut.of)

    @post("/")
    async def create_token(self, agency_ctx: AgencyContext, data: TokenCreate) -> Response[TokenCreated]:
        """The token is in this response only. No Idempotency-Key replay here: a
        replay would show the secret a second time."""
        plaintext, token = await agency_ctx.run(
            lambda s: identity.issue_token(s, agency_ctx.principal, name=data.name, practice_id=data.practice_id,
                                           permissions=data.permissions, expires_in_days=data.expires_in_days))
        await agency_ctx.audit_admin("create", "api_token", token.id)
        return Response(TokenCreated(plaintext, TokenOut.of(token)), status_code=201,
                        headers={"Cache-Control": "no-store"})

    @get("/{token_id:uuid}")
    async def get_token(self, agency_ctx: AgencyContext, token_id: uuid.UUID) -> TokenOut:
        return TokenOut.of(await agency_ctx.run(identity.get_token, agency_ctx.principal, token_id))

    @delete("/{token_id:uuid}")
    async def revoke_token(self, agency_ctx: AgencyContext, token_id: uuid.UUID) -> None:
        await agency_ctx.run(identity.revoke_token, agency_ctx.principal, token_id)
        await agency_ctx.audit_admin("delete", "api_token", token_id)


ROUTES = [AuthController, list_roles, UsersController, TokensController]
HTML_ROUTES = [LoginController]
_ = USER_ROLES
