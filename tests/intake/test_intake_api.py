"""CSV intake over HTTP: template, upload (raw, multipart, JSON), the background
job run by the app's in-process dramatiq worker, progress, errors.csv, the same
file twice, and files refused as a whole (encoding, delimiter, size)."""

from __future__ import annotations

import csv
import io
import time

from agency.intake.csvfile import MAX_FILE_BYTES, NAMES
from intake_support import ref, row, to_csv
from support import make_practice_setup


def url(scope, rest):
    return f"/api/v1/practices/{scope.tenant_id}/intake{rest}"


def wait_done(api, scope, batch_id, headers, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        b = api.get(url(scope, f"/batches/{batch_id}"), headers=headers).json()
        if b["status"] in ("completed", "failed"):
            return b
        time.sleep(0.1)
    raise AssertionError(f"batch still {b['status']} after {timeout}s")


def test_template_has_every_column_and_an_example_row(api, tenancy, callers):
    r = api.get(url(tenancy.a1, "/template.csv"), headers=callers["practice_user"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert tuple(rows[0]) == NAMES and len(rows) == 2


def test_upload_runs_in_the_background_and_reports_bad_rows(api, db, tenancy, callers, code_sets):
    scope, h = tenancy.a1, callers["practice_user"]
    setup = make_practice_setup(db, scope)
    good, bad = ref(), ref()
    data = to_csv([row(setup, good), row(setup, good, procedure_code="G0439"),
                   row(setup, bad, patient_date_of_birth="1970-13-01")])
    r = api.post(url(scope, "/csv"), content=data, headers={**h, "Content-Type": "text/csv"})
    assert r.status_code == 202, r.text
    batch = r.json()
    assert batch["rows_total"] == 3 and batch["status"] in ("queued", "running", "completed")
    done = wait_done(api, scope, batch["id"], h)
    assert done["status"] == "completed" and done["progress"] == 1.0
    assert (done["rows_imported"], done["rows_failed"], done["encounters_created"]) == (2, 1, 1)
    report = api.get(url(scope, f"/batches/{batch['id']}/errors.csv"), headers=h)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(report.text))) == [
        ["row", "column", "reason"],
        ["4", "patient_date_of_birth",
         "patient_date_of_birth is not a real calendar date (month 1-12, day within the month)"]]
    listed = api.get(f"/api/v1/practices/{scope.tenant_id}/encounters", params={"batch_id": batch["id"]},
                     headers=h).json()["items"]
    assert [i["external_id"] for i in listed] == [good]
    # the same file again, as multipart this time: the same batch, nothing new
    again = api.post(url(scope, "/csv"), files={"file": ("visits.csv", data, "text/csv")}, headers=h)
    assert again.status_code == 200 and again.json()["id"] == batch["id"]
    assert again.json()["encounters_created"] == 1


def test_json_upload_and_final_codes(api, db, tenancy, callers, code_sets):
    scope, h = tenancy.a1, callers["api_token"]
    setup = make_practice_setup(db, scope)
    r = api.post(url(scope, "/csv"), json={"content": to_csv([row(setup, ref())]).decode(), "filename": "a.csv",
                                           "final_codes": True}, headers=h)
    assert r.status_code == 202, r.text
    done = wait_done(api, scope, r.json()["id"], h)
    assert done["encounters_created"] == 1 and done["final_codes"]
    items = api.get(f"/api/v1/practices/{scope.tenant_id}/encounters", params={"batch_id": done["id"]},
                    headers=h).json()["items"]
    assert [i["status"] for i in items] == ["coded"]


def test_files_refused_whole_get_one_clear_problem(api, db, tenancy, callers, code_sets):
    scope, h = tenancy.a1, callers["practice_user"]
    setup = make_practice_setup(db, scope)
    text = to_csv([row(setup, ref(), patient_last_name="Müller")]).decode()
    cases = [
        (text.encode("utf-16"), "UTF-16"),
        (text.encode("latin-1"), "not UTF-8: line 2"),
        (text.replace(",", ";").encode(), "separated by semicolons"),
        (text.replace(",", "\t").encode(), "separated by tabs"),
        (b"encounter_ref,patient_lastname\nX,Y\n", "Unknown column(s) in the header: 'patient_lastname'"),
        (",".join(NAMES).encode() + b"\n", "no data rows"),
    ]
    for data, message in cases:
        r = api.post(url(scope, "/csv"), content=data, headers={**h, "Content-Type": "text/csv"})
        assert r.status_code == 422, (message, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert message in r.json()["detail"], r.json()["detail"]
        assert "Müller" not in r.text
    big = b"x" * (MAX_FILE_BYTES + 1)
    r = api.post(url(scope, "/csv"), content=big, headers={**h, "Content-Type": "text/csv"})
    assert r.status_code == 413 and "larger than 50 MB" in r.json()["detail"]
    r = api.post(url(scope, "/csv"), content=b"x" * (MAX_FILE_BYTES + 2_000_000),
                 headers={**h, "Content-Type": "text/csv"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
    r = api.post(url(scope, "/csv"), content=b"<xml/>", headers={**h, "Content-Type": "application/xml"})
    assert r.status_code == 415
    b = api.get(f"/api/v1/practices/{scope.tenant_id}/encounters", headers=h).json()
    assert b["items"] == []
