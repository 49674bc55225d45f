"""Patient routes under ``/api/v1/practices/{practice_id}/patients``.

* ``POST /patients`` — register a patient with coverages (Idempotency-Key honoured), 201
* ``GET /patients/{patient_id}`` — decrypted record with coverages; ``ETag: "<row_version>"``
* ``PATCH /patients/{patient_id}`` — change fields; needs ``If-Match`` or ``row_version`` (409 when stale)
* ``POST /patients/search`` — ``{last_name, date_of_birth}`` | ``{mrn}`` | ``{member_id}``: a POST so
  PHI never lands in a URL (URLs are logged by proxies)
* ``GET/PUT /patients/{patient_id}/coverages`` — the coverages in rank order; PUT replaces them

Reads need ``phi:read``, writes ``phi:write``; every call records an audit event
(ids only). Responses are allow-listed shapes; write shapes refuse unknown fields.
"""
from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from litestar import Request, Response, get, patch, post, put

from agency.api.dependencies import PracticeContext
from agency.api.guards import requires
from agency.api.idempotency import idempotent
from agency.api.problems import BadRequest, Problem
from agency.identity.policy import Perm
from agency.patients import service
from agency.patients.models import Patient, PatientCoverage
from agency.patients.schemas import (AddressOut, CoverageData, CoverageOut, CoveragesOut, CoveragesPut, PatientIn,
                                     PatientOut, PatientPatch, PatientSummaryOut, SearchIn, SearchOut,
                                     SubscriberOut, UNSET)
from agency.payers.repository import PayerRepository

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


class PreconditionRequired(Problem):
    status = 428
    slug = "precondition-required"


def _cipher(request: Request):  # noqa: ANN202
    from agency.keys.runtime import cipher_for

    return cipher_for(request.app.state.db)


async def _ready_cipher(request: Request, ctx: PracticeContext):  # noqa: ANN202
    """The PHI cipher with the practice's keys loaded off the event loop (a cache miss reads the key table)."""
    cipher = _cipher(request)

    def warm() -> None:
        cipher.keyring.active_dek(ctx.practice_id)
        cipher.keyring.index_key(ctx.practice_id)

    await asyncio.to_thread(warm)
    return cipher


def _address_out(a: Any) -> AddressOut | None:
    if a is None:
        return None
    get_ = (lambda k: a.get(k)) if isinstance(a, dict) else (lambda k: getattr(a, k))
    return AddressOut(get_("line1"), get_("line2"), get_("city"), get_("state"), get_("zip"))


def _coverage_out(row: PatientCoverage, c: CoverageData, payers: dict) -> CoverageOut:
    from datetime import date

    payer = payers.get(c.payer_id)
    s = c.subscriber
    sub = None if not s else SubscriberOut(s["first_name"], s["last_name"], s.get("middle_name"),
                                           date.fromisoformat(s["date_of_birth"]), s.get("sex"),
                                           _address_out(s.get("address")))
    return CoverageOut(row.id, c.rank, c.payer_id, payer.payer_code if payer else None,
                       payer.name if payer else None, c.member_id, c.group_number, c.relationship_code, sub,
                       c.effective_from, c.effective_to)


def _coverages_out(session, ctx: PracticeContext, cipher, patient_id: uuid.UUID) -> list[CoverageOut]:  # noqa: ANN001
    pairs = service.open_coverages(session, cipher, ctx.practice_id, patient_id)
    payers = PayerRepository(session, ctx.principal.agency_id).many({c.payer_id for _, c in pairs if c.payer_id})
    return [_coverage_out(row, c, payers) for row, c in pairs]


def _patient_out(session, ctx: PracticeContext, cipher, patient: Patient) -> PatientOut:  # noqa: ANN001
    d = service.open_patient(cipher, patient)
    return PatientOut(patient.id, patient.row_version, d.first_name, d.middle_name, d.last_name, d.date_of_birth,
                      d.mrn, d.sex, _address_out(d.address), d.phone, d.email,
                      _coverages_out(session, ctx, cipher, patient.id))


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def _expected_version(request: Request, body_version: Any, required: bool) -> int | None:
    header = request.headers.get("if-match")
    from_header = None
    if header is not None:
        m = _ETAG.match(header)
        if not m:
            raise BadRequest('If-Match must be the row_version in quotes, e.g. If-Match: "3".')
        from_header = int(m.group(1))
    from_body = None if body_version is UNSET else body_version
    if from_header is not None and from_body is not None and from_header != from_body:
        raise BadRequest("If-Match and row_version disagree; send one of them.")
    version = from_header if from_header is not None else from_body
    if version is None and required:
        raise PreconditionRequired('Send the row_version you read: header If-Match: "<row_version>" '
                                   "or row_version in the body.")
    return version


@post("/patients", opt={"audit": "create"}, guards=[requires(Perm.PHI_WRITE)])
async def create_patient(request: Request, practice_ctx: PracticeContext, data: PatientIn) -> Response:
    cipher = await _ready_cipher(request, practice_ctx)

    async def create() -> tuple[int, Any]:
        def work(session):  # noqa: ANN001, ANN202
            pid = service.register_patient(session, cipher, practice_ctx.principal.agency_id,
                                           practice_ctx.practice_id, data)
            patient = service.get_patient(session, practice_ctx.practice_id, pid)
            return _patient_out(session, practice_ctx, cipher, patient)
        out = await practice_ctx.run(work)
        await practice_ctx.audit("create", "patient", out.id)
        await practice_ctx.audit_many("create", "patient_coverage", [c.id for c in out.coverages])
        return 201, out
    return await idempotent(request, practice_ctx, create)


@post("/patients/search", opt={"audit": "search"}, guards=[requires(Perm.PHI_READ)], status_code=200)
async def search_patients(request: Request, practice_ctx: PracticeContext, data: SearchIn) -> SearchOut:
    cipher = await _ready_cipher(request, practice_ctx)
    found = await practice_ctx.run(lambda s: service.search(
        s, cipher, practice_ctx.practice_id, last_name=data.last_name, date_of_birth=data.date_of_birth,
        mrn=data.mrn, member_id=data.member_id))
    if found:
        await practice_ctx.audit_many("search", "patient", [p.id for p in found])
    else:
        await practice_ctx.audit("search", "patient")
    return SearchOut([PatientSummaryOut(p.id, p.data.first_name, p.data.last_name, p.data.date_of_birth,
                                        p.data.mrn, p.data.sex) for p in found])


@get("/patients/{patient_id:uuid}", opt={"audit": "read"}, guards=[requires(Perm.PHI_READ)])
async def get_patient(request: Request, practice_ctx: PracticeContext, patient_id: uuid.UUID) -> Response:
    cipher = await _ready_cipher(request, practice_ctx)
    out = await practice_ctx.run(lambda s: _patient_out(
        s, practice_ctx, cipher, service.get_patient(s, practice_ctx.practice_id, patient_id)))
    await practice_ctx.audit("read", "patient", out.id)
    return Response(out, headers=_etag(out.row_version))


@patch("/patients/{patient_id:uuid}", opt={"audit": "update"}, guards=[requires(Perm.PHI_WRITE)])
async def update_patient(request: Request, practice_ctx: PracticeContext, patient_id: uuid.UUID,
                         data: PatientPatch) -> Response:
    expected = _expected_version(request, data.row_version, required=True)
    cipher = await _ready_cipher(request, practice_ctx)
    changes = {k: getattr(data, k) for k in ("first_name", "last_name", "middle_name", "date_of_birth", "mrn", "sex",
                                             "address", "phone", "email") if getattr(data, k) is not UNSET}
    if "address" in changes:
        changes["address"] = service._address_of(changes["address"])

    def work(session):  # noqa: ANN001, ANN202
        patient, _ = service.update_patient(session, cipher, practice_ctx.practice_id, patient_id, changes, expected)
        return _patient_out(session, practice_ctx, cipher, patient)
    out = await practice_ctx.run(work)
    await practice_ctx.audit("update", "patient", out.id)
    return Response(out, headers=_etag(out.row_version))


@get("/patients/{patient_id:uuid}/coverages", opt={"audit": "read"}, guards=[requires(Perm.PHI_READ)])
async def get_coverages(request: Request, practice_ctx: PracticeContext, patient_id: uuid.UUID) -> Response:
    cipher = await _ready_cipher(request, practice_ctx)

    def work(session):  # noqa: ANN001, ANN202
        patient = service.get_patient(session, practice_ctx.practice_id, patient_id)
        return CoveragesOut(patient.id, patient.row_version, _coverages_out(session, practice_ctx, cipher, patient.id))
    out = await practice_ctx.run(work)
    await practice_ctx.audit("read", "patient", out.patient_id)
    return Response(out, headers=_etag(out.row_version))


@put("/patients/{patient_id:uuid}/coverages", opt={"audit": "update"}, guards=[requires(Perm.PHI_WRITE)])
async def put_coverages(request: Request, practice_ctx: PracticeContext, patient_id: uuid.UUID,
                        data: CoveragesPut) -> Response:
    expected = _expected_version(request, data.row_version, required=False)
    cipher = await _ready_cipher(request, practice_ctx)

    def work(session):  # noqa: ANN001, ANN202
        patient, outcome = service.replace_coverages(session, cipher, practice_ctx.principal.agency_id,
                                                     practice_ctx.practice_id, patient_id, data.coverages, expected)
        return CoveragesOut(patient.id, patient.row_version,
                            _coverages_out(session, practice_ctx, cipher, patient.id)), outcome
    out, outcome = await practice_ctx.run(work)
    await practice_ctx.audit("update", "patient", out.patient_id)
    for action, key in (("create", "created"), ("update", "updated"), ("delete", "deleted")):
        await practice_ctx.audit_many(action, "patient_coverage", outcome[key])
    return Response(out, headers=_etag(out.row_version))


ROUTES = [create_patient, search_patients, get_patient, update_patient, get_coverages, put_coverages]
