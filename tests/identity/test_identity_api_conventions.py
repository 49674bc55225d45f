"""API conventions: problem+json for every error, request ids, OpenAPI, idempotency,
structured logs without PHI."""

from __future__ import annotations

import io
import json
import logging
import uuid

from litestar import Litestar, get
from litestar.testing import TestClient

from agency.api.logging import JsonFormatter, RedactingFilter
from agency.api.problems import EXCEPTION_HANDLERS
from agency.api.request_id import RequestIdMiddleware

PROBLEM = "application/problem+json"


def test_unknown_route_and_wrong_method_are_problems(api, callers):
    r = api.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["type"].endswith("/not-found") and r.json()["request_id"] == r.headers["x-request-id"]
    r = api.put("/api/v1/practices", headers=callers["agency_admin"])
    assert r.status_code == 405 and r.headers["content-type"].startswith(PROBLEM)


def test_validation_errors_are_problems_without_values(api, callers):
    r = api.post("/api/v1/users", headers=callers["agency_admin"],
                 json={"email": 12345, "display_name": "SECRET-VALUE", "role": "coder"})
    assert r.status_code == 400 and r.headers["content-type"].startswith(PROBLEM)
    assert "SECRET-VALUE" not in r.text and "12345" not in r.text
    r = api.post("/api/v1/users", headers={**callers["agency_admin"], "Content-Type": "application/json"},
                 content=b"{not json")
    assert r.status_code == 400 and r.headers["content-type"].startswith(PROBLEM)


def test_unexpected_errors_are_500_problems_without_internals():
    @get("/boom")
    async def boom() -> None:
        raise RuntimeError("SELECT * FROM patient WHERE ssn = '123-45-6789'")

    app = Litestar([boom], exception_handlers=EXCEPTION_HANDLERS, middleware=[RequestIdMiddleware])
    with TestClient(app) as client:
        r = client.get("/boom")
    assert r.status_code == 500 and r.headers["content-type"].startswith(PROBLEM)
    assert "ssn" not in r.text and "SELECT" not in r.text and "RuntimeError" not in r.text
    assert r.json()["request_id"] == r.headers["x-request-id"]


def test_request_id_is_kept_or_generated(api):
    r = api.get("/health", headers={"X-Request-ID": "client-req-0001"})
    assert r.headers["x-request-id"] == "client-req-0001"
    r = api.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces" and len(r.headers["x-request-id"]) == 32


def test_openapi_is_served_under_api_v1(api):
    r = api.get("/api/v1/schema/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/practices/{practice_id}/locations" in paths and "/api/v1/audit" in paths


def test_idempotency_key_replays_and_refuses_a_different_body(api, db, callers, tenancy):
    admin = callers["agency_admin"]
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {"email": f"idem-{uuid.uuid4().hex[:8]}@example.test", "display_name": "Idem", "role": "biller"}
    first = api.post("/api/v1/users", headers={**admin, **key}, json=body)
    second = api.post("/api/v1/users", headers={**admin, **key}, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers.get("idempotent-replayed") == "true"
    other = api.post("/api/v1/users", headers={**admin, **key}, json={**body, "display_name": "Other"})
    assert other.status_code == 422 and other.headers["content-type"].startswith(PROBLEM)
    # without a key: a second identical POST is a new request (here a conflict on the e-mail)
    assert api.post("/api/v1/users", headers=admin, json=body).status_code == 409
    # keys are per principal: another admin's same key is a different request
    from conftest import make_user, session_headers

    admin2 = session_headers(db, tenancy.agency_a, make_user(db, tenancy.agency_a, "agency_admin")[0])
    body2 = {**body, "email": f"idem2-{uuid.uuid4().hex[:8]}@example.test"}
    assert api.post("/api/v1/users", headers={**admin2, **key}, json=body2).status_code == 201
    assert api.post("/api/v1/users", headers={**admin, "Idempotency-Key": "bad key\x01"}, json=body).status_code == 400


def test_json_logs_redact_phi_and_secrets():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("agency.test-redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        logger.info("lookup for jane.doe@example.com ssn 123-45-6789 token agt_%s_%s", "0" * 32, "A" * 43,
                    extra={"patient_name": "Jane Doe", "dob": "1970-01-01", "status": 200, "password": "pw"})
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    text = json.dumps(line)
    for secret in ("jane.doe@example.com", "123-45-6789", "A" * 43, "Jane Doe", "1970-01-01", '"pw"'):
        assert secret not in text
    assert line["status"] == 200 and line["level"] == "INFO"


def test_access_log_has_request_id_and_no_query_string(api, callers):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("agency.access")
    logger.addHandler(handler)
    try:
        r = api.get("/api/v1/practices", params={"search": "Jane Doe"}, headers=callers["coder"])
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    entry = [x for x in lines if x.get("path") == "/api/v1/practices"][-1]
    assert entry["request_id"] == r.headers["x-request-id"] and entry["status"] == 200
    assert "Jane" not in stream.getvalue() and entry["principal"].startswith("user:")
