"""OWASP API1 (BOLA) over the application's own route table.

Every /api/v1 route × every role × every practice the role may not see: the
answer is 403 or 404 (never the object, never a 5xx) and carries none of the
foreign object's ids or values. A new route is covered automatically; a route
with an ``*_id`` path parameter and no registered case fails the meta-test.
"""

from __future__ import annotations

import re
import uuid

import pytest

from agency.db.base import new_id
from agency.practices.models import ServiceLocation
from conftest import api_routes, fill_path, load_route_cases, make_user

ID_PARAM = re.compile(r"\{(\w+_id)(?::\w+)?\}")
SEES_EVERY_PRACTICE = {"agency_admin", "agency_manager"}


def test_every_route_with_an_id_parameter_has_a_cross_tenant_case(api_app):
    cases = load_route_cases()
    missing = sorted({p for p, _, _ in api_routes(api_app) if ID_PARAM.search(p) and p not in cases})
    assert missing == [], f"register a cross-tenant case (tests/**/route_cases.py) for: {missing}"
    stale = sorted(set(cases) - {p for p, _, _ in api_routes(api_app)})
    assert stale == [], f"cases for routes that no longer exist: {stale}"


def _request(api, method, path, headers, data):
    return api.request(method, fill_path(path, data.path), headers=headers, params=data.query,
                       json=data.json)


def _refused(resp, markers, what):
    assert resp.status_code in (403, 404), f"{what}: {resp.status_code} {resp.text[:300]}"
    assert resp.headers["content-type"].startswith("application/problem+json"), what
    body = resp.json()
    body.pop("instance", None)  # the request's own path, echoed back: what the caller sent
    text = str(body)
    for marker in markers:
        assert str(marker) not in text, f"{what}: leaked {marker!r}"


def test_no_route_gives_any_role_another_practices_objects(api, api_app, db, tenancy, callers):
    cases = load_route_cases()
    checked = 0
    for path, method, _ in api_routes(api_app):
        factory = cases.get(path)
        if factory is None:
            continue
        practice_level = "{practice_id" in path
        for foreign in ([tenancy.b1, tenancy.a2] if practice_level else [tenancy.b1]):
            data = factory(db, foreign, method)
            if not (data.path or data.query or data.json):
                continue  # a plain listing: covered by the listing test below
            for role, headers in callers.items():
                if foreign is tenancy.a2 and role in SEES_EVERY_PRACTICE:
                    continue  # A2 is theirs to see
                _refused(_request(api, method, path, headers, data), data.all_markers(),
                         f"{role} {method} {path} in {'agency B' if foreign is tenancy.b1 else 'A2'}")
                checked += 1
                # own practice in the path, foreign object ids after it
                if practice_level and len(data.path) > 1:
                    mixed = type(data)(path={**data.path, "practice_id": tenancy.a1.tenant_id},
                                       json=data.json, query=data.query, markers=data.markers)
                    _refused(_request(api, method, path, headers, mixed),
                             [str(v) for k, v in data.path.items() if k != "practice_id"] + (data.markers or []),
                             f"{role} {method} {path} with A1 and a foreign object")
                    checked += 1
    assert checked > 100


def test_listings_never_show_another_agency_or_unassigned_practice(api, api_app, db, tenancy, callers):
    b_loc = ServiceLocation(tenant_id=tenancy.b1.tenant_id, id=new_id(), code=f"B-{uuid.uuid4().hex[:8]}",
                            name="B secret", place_of_service="11")
    with db.sessions.tenant_unit(tenancy.b1) as s:
        s.add(b_loc)
    _, b_email = make_user(db, tenancy.agency_b, "agency_admin")
    foreign = [str(tenancy.b1.tenant_id), str(tenancy.agency_b), b_loc.code, str(b_loc.id), b_email]
    for path, method, _ in api_routes(api_app):
        if method != "GET" or ID_PARAM.search(path):
            continue
        for role, headers in callers.items():
            resp = api.get(path, headers=headers)
            assert resp.status_code < 500, (role, path)
            hidden = foreign + ([] if role in SEES_EVERY_PRACTICE else [str(tenancy.a2.tenant_id)])
            for marker in hidden:
                assert marker not in resp.text, f"{role} GET {path} leaked {marker}"


@pytest.mark.parametrize("path", ["/api/v1/practices/not-a-uuid", "/api/v1/practices/123/locations",
                                  "/api/v1/users/%27%3B--", "/api/v1/tokens/00000000-0000-0000-0000-00000000000g"])
def test_malformed_ids_are_clear_404_problems(api, callers, path):
    r = api.get(path, headers=callers["agency_admin"])
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_unknown_and_foreign_ids_answer_the_same(api, callers, tenancy):
    admin = callers["agency_admin"]
    unknown = api.get(f"/api/v1/practices/{uuid.uuid4()}", headers=admin)
    foreign = api.get(f"/api/v1/practices/{tenancy.b1.tenant_id}", headers=admin)
    assert unknown.status_code == foreign.status_code == 404
    strip = lambda j: {k: v for k, v in j.items() if k not in ("instance", "request_id")}  # noqa: E731
    assert strip(unknown.json()) == strip(foreign.json())
