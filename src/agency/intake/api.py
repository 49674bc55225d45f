"""CSV intake routes under ``/api/v1/practices/{practice_id}/intake``.

* ``GET /intake/template.csv``: the header and one example row.
* ``POST /intake/csv``: raw ``text/csv`` body, multipart field ``file``, or JSON
  ``{content, filename?, final_codes?}``; at most 50 MB. 202 with the batch (a
  background job imports it); the same file again: 200 with the same batch,
  nothing new. A file refused as a whole (encoding, delimiter, header) is a 422
  problem and nothing is stored.
* ``GET /intake/batches/{batch_id}``: status and progress counts.
* ``GET /intake/batches/{batch_id}/errors.csv``: row, column, reason per refused row.
"""

from __future__ import annotations

import asyncio
import uuid

import msgspec
from litestar import Request, Response, get, post

from agency.api.dependencies import PracticeContext
from agency.api.guards import requires
from agency.api.problems import BadRequest, NotFound, Problem, Unprocessable
from agency.encounters.schemas import BatchOut, CsvUploadIn
from agency.identity.policy import Perm
from agency.intake import csvfile
from agency.intake import service as intake
from agency.intake.models import IntakeBatch
from agency.intake.repository import IntakeRepository
from agency.worker.after_commit import enqueue_after_commit

MAX_MB = csvfile.MAX_FILE_BYTES // (1024 * 1024)


class TooLarge(Problem):
    status = 413


class UnsupportedType(Problem):
    status = 415


def _cipher(request: Request):  # noqa: ANN202
    from agency.keys.runtime import cipher_for

    return cipher_for(request.app.state.db)


def _out(request: Request, b: IntakeBatch) -> BatchOut:
    progress = round(b.rows_done / b.rows_total, 4) if b.rows_total else 1.0
    errors_url = f"{request.url.path.split('/intake/')[0]}/intake/batches/{b.id}/errors.csv"
    return BatchOut(b.id, b.status, b.rows_total, b.rows_done, b.rows_imported, b.rows_failed, b.encounters_created,
                    b.duplicates_flagged, progress, b.sha256, b.size_bytes, b.final_codes, b.failure, b.created_at,
                    b.started_at, b.finished_at, errors_url)


@get("/intake/template.csv", opt={"audit": None}, guards=[requires(Perm.PRACTICE_READ)])
async def template(practice_ctx: PracticeContext) -> Response:
    return Response(csvfile.template_csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="encounters-template.csv"'})


async def _upload_payload(request: Request, final_codes: bool) -> tuple[bytes, str | None, bool]:
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or not hasattr(upload, "read"):
            raise BadRequest("Send the CSV in a multipart field named 'file'.")
        return await upload.read(), upload.filename, final_codes
    if ctype == "application/json":
        try:
            body = msgspec.json.decode(await request.body(), type=CsvUploadIn)
        except msgspec.ValidationError as exc:
            raise BadRequest(f"The request is not valid: {str(exc)[:120]}") from None
        except msgspec.DecodeError:
            raise BadRequest("The body is not valid JSON.") from None
        return body.content.encode("utf-8"), body.filename, body.final_codes or final_codes
    if ctype in ("text/csv", "application/csv", "text/plain", "application/octet-stream"):
        return await request.body(), None, final_codes
    raise UnsupportedType("Send the CSV as text/csv, as multipart/form-data (field 'file') or as JSON "
                          "{content, filename}.")


@post("/intake/csv", opt={"audit": "create"}, guards=[requires(Perm.PHI_WRITE)],
      request_max_body_size=csvfile.MAX_FILE_BYTES + 1_048_576)
async def upload_csv(request: Request, practice_ctx: PracticeContext, final_codes: bool = False) -> Response:
    data, filename, final = await _upload_payload(request, final_codes)
    if len(data) > csvfile.MAX_FILE_BYTES:
        raise TooLarge(f"The file is larger than {MAX_MB} MB; split it into smaller files.")
    cipher = _cipher(request)
    scope = practice_ctx.scope
    created_by = f"{practice_ctx.principal.kind}:{practice_ctx.principal.id}"
    try:
        batch, created = await practice_ctx.run(
            lambda s: intake.create_batch(s, cipher, scope, data, filename=filename, created_by=created_by,
                                          final_codes=final))
    except csvfile.CsvFileError as exc:
        raise Unprocessable(str(exc), extra={"errors": [{"key": "file", "source": "body",
                                                         "message": str(exc)}]}) from None
    if created:
        from agency.intake.tasks import import_csv  # after the broker is set up (app start-up)

        enqueue_after_commit(practice_ctx.session.sync_session, import_csv, str(scope.tenant_id), str(batch.id))
    await practice_ctx.audit("create", "intake_batch", batch.id)
    body = msgspec.json.encode(_out(request, batch))
    return Response(body, status_code=202 if created else 200, media_type="application/json",
                    headers={"Location": f"{request.url.path.rsplit('/csv', 1)[0]}/batches/{batch.id}"})


@get("/intake/batches/{batch_id:uuid}", opt={"audit": "read"}, guards=[requires(Perm.PHI_READ)])
async def get_batch(request: Request, practice_ctx: PracticeContext, batch_id: uuid.UUID) -> BatchOut:
    b = await practice_ctx.run(lambda s: IntakeRepository(s, practice_ctx.practice_id).get(batch_id))
    if b is None:
        raise NotFound("The intake batch does not exist.")
    await practice_ctx.audit("read", "intake_batch", b.id)
    return _out(request, b)


@get("/intake/batches/{batch_id:uuid}/errors.csv", opt={"audit": "export"}, guards=[requires(Perm.PHI_READ)])
async def batch_errors(request: Request, practice_ctx: PracticeContext, batch_id: uuid.UUID) -> Response:
    cipher = _cipher(request)
    t = practice_ctx.practice_id

    def load(s):  # noqa: ANN001, ANN202
        if IntakeRepository(s, t).get(batch_id) is None:
            return None
        return list(intake.error_rows(s, cipher, t, batch_id))
    rows = await practice_ctx.run(load)
    if rows is None:
        raise NotFound("The intake batch does not exist.")
    await practice_ctx.audit("export", "intake_batch", batch_id)
    content = await asyncio.to_thread(lambda: b"".join(csvfile.iter_error_report(iter(rows))))
    return Response(content, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="errors-{batch_id}.csv"',
                             "Cache-Control": "no-store"})


ROUTES = [template, upload_csv, get_batch, batch_errors]
