"""Cross-tenant cases for the identity, practice and audit routes (see conftest)."""

from __future__ import annotations

import uuid

from agency.db.base import new_id
from agency.practices.models import RenderingProvider, ServiceLocation
from conftest import RouteCaseData, make_user, route_case, token_headers


def _location(db, scope) -> ServiceLocation:
    marker = f"LOC-{uuid.uuid4().hex[:8]}"
    loc = ServiceLocation(tenant_id=scope.tenant_id, id=new_id(), code=marker, name="Secret clinic " + marker,
                          place_of_service="11")
    with db.sessions.tenant_unit(scope) as s:
        s.add(loc)
    return loc


def _provider(db, scope) -> RenderingProvider:
    npi = str(uuid.uuid4().int)[:10]
    prov = RenderingProvider(tenant_id=scope.tenant_id, id=new_id(), npi=npi, first_name="Hidden",
                             last_name="Provider" + npi)
    with db.sessions.tenant_unit(scope) as s:
        s.add(prov)
    return prov


@route_case("/api/v1/practices/{practice_id:uuid}")
def _practice(db, scope, method):
    return RouteCaseData(path={"practice_id": scope.tenant_id})


@route_case("/api/v1/practices/{practice_id:uuid}/locations")
def _locations(db, scope, method):
    loc = _location(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id}, markers=[loc.code, loc.id])


@route_case("/api/v1/practices/{practice_id:uuid}/locations/{location_id:uuid}")
def _location_detail(db, scope, method):
    loc = _location(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "location_id": loc.id}, markers=[loc.code])


@route_case("/api/v1/practices/{practice_id:uuid}/providers")
def _providers(db, scope, method):
    prov = _provider(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id}, markers=[prov.last_name, prov.id])


@route_case("/api/v1/practices/{practice_id:uuid}/providers/{provider_id:uuid}")
def _provider_detail(db, scope, method):
    prov = _provider(db, scope)
    return RouteCaseData(path={"practice_id": scope.tenant_id, "provider_id": prov.id}, markers=[prov.last_name])


def _user(db, scope, role="coder"):
    user_id, email = make_user(db, scope.agency_id, role, assigned=[scope.tenant_id] if role == "coder" else ())
    return user_id, email


@route_case("/api/v1/users/{user_id:uuid}")
def _user_detail(db, scope, method):
    user_id, email = _user(db, scope)
    body = {"display_name": "Renamed"} if method == "PATCH" else None
    return RouteCaseData(path={"user_id": user_id}, json=body, markers=[email])


@route_case("/api/v1/users/{user_id:uuid}/assignments")
def _assignments(db, scope, method):
    user_id, email = _user(db, scope)
    body = {"practice_id": str(scope.tenant_id)} if method == "POST" else None
    return RouteCaseData(path={"user_id": user_id}, json=body, markers=[email])


@route_case("/api/v1/users/{user_id:uuid}/assignments/{assigned_practice_id:uuid}")
def _assignment(db, scope, method):
    user_id, email = _user(db, scope)
    return RouteCaseData(path={"user_id": user_id, "assigned_practice_id": scope.tenant_id}, markers=[email])


@route_case("/api/v1/tokens/{token_id:uuid}")
def _token(db, scope, method):
    header = token_headers(db, scope.agency_id, scope.tenant_id, ["practice:read"])
    token_id = uuid.UUID(header["Authorization"].split("_")[1])
    return RouteCaseData(path={"token_id": token_id}, markers=[header["Authorization"].split(" ")[1]])


# Routes without path ids, but with ids in the query or body: the caller must not
# reach another practice through them either.
@route_case("/api/v1/audit")
def _audit(db, scope, method):
    return RouteCaseData(path={}, query={"practice_id": str(scope.tenant_id)})


@route_case("/api/v1/audit/export.csv")
def _audit_csv(db, scope, method):
    return RouteCaseData(path={}, query={"practice_id": str(scope.tenant_id)})


@route_case("/api/v1/tokens")
def _tokens(db, scope, method):
    if method == "POST":
        return RouteCaseData(path={}, json={"name": "x", "practice_id": str(scope.tenant_id),
                                            "permissions": ["practice:read"]}, markers=[scope.tenant_id])
    return RouteCaseData(path={})


@route_case("/api/v1/users")
def _users(db, scope, method):
    if method == "POST":
        return RouteCaseData(path={}, json={"email": f"pu-{uuid.uuid4().hex[:8]}@example.test",
                                            "display_name": "P", "role": "practice_user",
                                            "practice_id": str(scope.tenant_id)})
    return RouteCaseData(path={})
