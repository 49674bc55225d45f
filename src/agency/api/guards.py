"""Litestar guards. The decisions themselves live in ``agency.identity.policy``.

* ``authenticated``: a principal is required (401 problem otherwise).
* ``requires(Perm.X)``: the principal's role or token grants ``X`` (403 otherwise).
* ``practice_access``: for routes with ``{practice_id}``; a practice the caller may
  not see (another agency's, not assigned, unknown) is a **404**, never a 403.
"""

from __future__ import annotations

import uuid

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from agency.api.problems import Forbidden, NotFound, Unauthenticated
from agency.identity import policy
from agency.identity import service as identity
from agency.identity.policy import Perm, Principal
from tenants.scope import AgencyScope


def principal_of(connection: ASGIConnection) -> Principal:
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise Unauthenticated("Authentication is required: a session cookie or 'Authorization: Bearer <token>'.")
    return principal


def authenticated(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    principal_of(connection)


def requires(*perms: Perm):  # noqa: ANN201
    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal = principal_of(connection)
        if not all(policy.has(principal, p) for p in perms):
            raise Forbidden("Your role does not allow this action.")

    guard.__name__ = "requires_" + "_".join(p.value.replace(":", "_") for p in perms)
    guard.perms = perms  # type: ignore[attr-defined]  # read by the route-walk tests
    return guard


async def practice_visible(connection: ASGIConnection, practice_id: uuid.UUID) -> bool:
    principal = principal_of(connection)
    quick = policy.may_see_practice_id(principal, practice_id)
    if quick is False:
        return False
    db = connection.app.state.db
    async with db.sessions.aagency_unit(AgencyScope(principal.agency_id)) as s:
        practice = await s.run_sync(identity.practice_in_agency, principal.agency_id, practice_id)
    return policy.may_see_practice(principal, practice.agency_id if practice else None, practice_id)


async def practice_access(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    raw = connection.path_params.get("practice_id")
    if not isinstance(raw, uuid.UUID):
        raise NotFound()
    # Visibility first (404), then the action (403): a caller learns nothing about
    # practices it cannot see.
    if not await practice_visible(connection, raw):
        raise NotFound("The practice does not exist.")
