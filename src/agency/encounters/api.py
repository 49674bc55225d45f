"""Encounter routes under ``/api/v1/practices/{practice_id}``.

* ``POST /encounters`` (Idempotency-Key honoured): one encounter as JSON.
* ``GET /encounters`` (cursor; ``status``, ``dos_from``, ``dos_to``, ``batch_id``) and
  ``GET /encounters/{encounter_id}``.
* ``POST /encounters/{encounter_id}/attachments`` (multipart ``file`` or JSON
  ``{filename, content_type, content_base64}``, at most 10 MB), ``GET .../attachments``
  and ``GET .../attachments/{attachment_id}`` (the file).

Every route audits ids only; bodies and file names never reach logs.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import uuid
from datetime import date
from urllib.parse import quote

import msgspec
from litestar import Request, Response, Router, get, post

from agency.api.dependencies import PracticeContext
from agency.api.guards import practice_access, requires
from agency.api.idempotency import idempotent
from agency.api.pagination import clamp_limit, decode_cursor, encode_cursor
from agency.api.problems import BadRequest, NotFound, Problem
from agency.encounters import service
from agency.encounters.models import STATUSES
from agency.encounters.repository import EncounterRepository
from agency.encounters.schemas import (AttachmentIn, AttachmentOut, EncounterIn, EncounterOut, EncounterPageOut,
                                       EncounterSummaryOut, attachment_out)
from agency.identity.policy import Perm

PREFIX = "/practices/{practice_id:uuid}"


class TooLarge(Problem):
    status = 413


class UnsupportedType(Problem):
    status = 415


def _cipher(request: Request):  # noqa: ANN202
    from agency.keys.runtime import cipher_for

    return cipher_for(request.app.state.db)


def _load_view(request: Request, ctx: PracticeContext, encounter_id: uuid.UUID):  # noqa: ANN202
    cipher = _cipher(request)

    def run(session):  # noqa: ANN001, ANN202
        v = service.get_encounter(session, cipher, ctx.practice_id, encounter_id)
        if v is None:
            return None, {}
        return v, {a.id: service.attachment_filename(cipher, a) for a in v.attachments}
    return ctx.run(run)


@post("/encounters", opt={"audit": "create"}, guards=[requires(Perm.PHI_WRITE)], status_code=201)
async def create_encounter(request: Request, practice_ctx: PracticeContext, data: EncounterIn) -> Response:
    cipher = _cipher(request)

    async def create():  # noqa: ANN202
        eid = await practice_ctx.run(service.create_encounter, cipher, practice_ctx.practice_id,
                                     practice_ctx.principal.agency_id, data.encounter_input(), data.patient_input(),
                                     today=date.today())
        await practice_ctx.audit("create", "encounter", eid)
        view, names = await _load_view(request, practice_ctx, eid)
        return 201, EncounterOut.view(view, names)
    return await idempotent(request, practice_ctx, create)


@get("/encounters", opt={"audit": "list"}, guards=[requires(Perm.PHI_READ)])
async def list_encounters(practice_ctx: PracticeContext, limit: int | None = None, cursor: str | None = None,
                          status: str | None = None, dos_from: date | None = None, dos_to: date | None = None,
                          batch_id: uuid.UUID | None = None) -> EncounterPageOut:
    n = clamp_limit(limit)
    if status is not None and status not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}.")
    if dos_from and dos_to and dos_to < dos_from:
        raise BadRequest("dos_to is before dos_from.")
    key = decode_cursor(cursor, ("id",))
    after = None
    if key:
        try:
            after = uuid.UUID(key["id"])
        except ValueError:
            raise BadRequest("The cursor is not valid; pass back next_cursor unchanged.") from None
    rows = await practice_ctx.run(lambda s: EncounterRepository(s, practice_ctx.practice_id).page(
        after=after, limit=n, status=status, dos_from=dos_from, dos_to=dos_to, batch_id=batch_id))
    more = len(rows) > n
    rows = rows[:n]
    await practice_ctx.audit_many("list", "encounter", [r.id for r in rows]) if rows else \
        await practice_ctx.audit("list", "encounter")
    return EncounterPageOut([EncounterSummaryOut.of(r) for r in rows],
                            encode_cursor({"id": str(rows[-1].id)}) if more and rows else None)


@get("/encounters/{encounter_id:uuid}", opt={"audit": "read"}, guards=[requires(Perm.PHI_READ)])
async def get_encounter(request: Request, practice_ctx: PracticeContext, encounter_id: uuid.UUID) -> EncounterOut:
    view, names = await _load_view(request, practice_ctx, encounter_id)
    if view is None:
        raise NotFound("The encounter does not exist.")
    await practice_ctx.audit("read", "encounter", encounter_id)
    return EncounterOut.view(view, names)


async def _attachment_payload(request: Request) -> tuple[str, str, bytes]:
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    limit = service.MAX_ATTACHMENT_BYTES
    if ctype == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or not hasattr(upload, "read"):
            raise BadRequest("Send the file in a multipart field named 'file'.")
        content = await upload.read()
        name, content_type = upload.filename or "attachment", (upload.content_type or "").lower()
    elif ctype == "application/json":
        try:
            body = msgspec.json.decode(await request.body(), type=AttachmentIn)
        except msgspec.ValidationError as exc:
            raise BadRequest(f"The request is not valid: {str(exc)[:120]}") from None
        except msgspec.DecodeError:
            raise BadRequest("The body is not valid JSON.") from None
        if len(body.content_base64) > (limit * 4) // 3 + 8:
            raise TooLarge(f"The attachment is larger than {limit // (1024 * 1024)} MB.")
        try:
            content = base64.b64decode(body.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("content_base64 is not valid base64.") from None
        name, content_type = body.filename, body.content_type.lower()
    else:
        raise UnsupportedType("Send the attachment as multipart/form-data (field 'file') or JSON "
                              "{filename, content_type, content_base64}.")
    if len(content) > limit:
        raise TooLarge(f"The attachment is larger than {limit // (1024 * 1024)} MB.")
    if not content:
        raise BadRequest("The attachment is empty.")
    if content_type not in service.ATTACHMENT_TYPES:
        raise UnsupportedType(f"Attachments must be one of: {', '.join(service.ATTACHMENT_TYPES)}.")
    name = name.strip()[:255] or "attachment"
    return name, content_type, content


@post("/encounters/{encounter_id:uuid}/attachments", opt={"audit": "create"}, guards=[requires(Perm.PHI_WRITE)],
      request_max_body_size=service.MAX_ATTACHMENT_BYTES * 4 // 3 + 1_048_576)
async def add_attachment(request: Request, practice_ctx: PracticeContext, encounter_id: uuid.UUID) -> Response:
    exists = await practice_ctx.run(lambda s: EncounterRepository(s, practice_ctx.practice_id).get(encounter_id))
    if exists is None:
        raise NotFound("The encounter does not exist.")
    name, content_type, content = await _attachment_payload(request)
    cipher = _cipher(request)

    async def create():  # noqa: ANN202
        att = await practice_ctx.run(lambda s: service.add_attachment(s, cipher, practice_ctx.practice_id,
                                                                      encounter_id, name, content_type, content))
        await practice_ctx.audit("create", "encounter_attachment", att.id)
        return 201, attachment_out(att, name)
    return await idempotent(request, practice_ctx, create)


@get("/encounters/{encounter_id:uuid}/attachments", opt={"audit": "list"}, guards=[requires(Perm.PHI_READ)])
async def list_attachments(request: Request, practice_ctx: PracticeContext,
                           encounter_id: uuid.UUID) -> list[AttachmentOut]:
    view, names = await _load_view(request, practice_ctx, encounter_id)
    if view is None:
        raise NotFound("The encounter does not exist.")
    await practice_ctx.audit("list", "encounter_attachment", encounter_id)
    return [attachment_out(a, names[a.id]) for a in view.attachments]


@get("/encounters/{encounter_id:uuid}/attachments/{attachment_id:uuid}", opt={"audit": "read"},
     guards=[requires(Perm.PHI_READ)])
async def get_attachment(request: Request, practice_ctx: PracticeContext, encounter_id: uuid.UUID,
                         attachment_id: uuid.UUID) -> Response:
    att = await practice_ctx.run(lambda s: EncounterRepository(s, practice_ctx.practice_id).attachment(
        encounter_id, attachment_id))
    if att is None:
        raise NotFound("The attachment does not exist.")
    name, content = await asyncio.to_thread(service.open_attachment, _cipher(request), att)
    await practice_ctx.audit("read", "encounter_attachment", att.id)
    disposition = f"attachment; filename=\"attachment-{att.id}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(content, media_type=att.content_type,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


ROUTES = [create_encounter, list_encounters, get_encounter, add_attachment, list_attachments, get_attachment]


def router() -> Router:
    from agency.intake import api as intake_api

    return Router(path=PREFIX, guards=[practice_access], tags=["encounters"],
                  route_handlers=[*ROUTES, *intake_api.ROUTES])
