"""Practice setup routes under ``/api/v1/practices/{practice_id}``.

Reads need ``practice:read`` and are audited like the existing location/provider
reads; writes need ``setup:write`` (agency admins) and go to the PHI-free agency
audit trail (setup holds no patient data, so ``opt={"audit": None}``).

* ``/billing-providers`` (GET, POST), ``/billing-providers/{billing_provider_id}`` (GET, PATCH)
* ``/locations`` (POST), ``/locations/{location_id}`` (PATCH); GETs live in ``agency.api.practices``
* ``/providers`` (POST), ``/providers/{provider_id}`` (PATCH)
* ``/enrollments`` (GET, POST), ``/enrollments/{enrollment_id}`` (GET, PATCH)
* ``/fee-schedule`` (GET ``?procedure_code=``, POST one entry, PUT bulk upsert ``{"entries": [...]}``)
"""
from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, patch, post, put

from agency.api.dependencies import PracticeContext
from agency.api.guards import requires
from agency.api.idempotency import idempotent
from agency.identity.policy import Perm
from agency.practices import setup
from agency.practices.schemas import (BillingProviderIn, BillingProviderOut, BillingProviderUpdate, EnrollmentIn,
                                      EnrollmentOut, EnrollmentUpdate, FeeBulkIn, FeeBulkOut, FeeIn, FeeOut,
                                      LocationIn, LocationOut, LocationUpdate, ProviderIn, ProviderOut,
                                      ProviderUpdate)

READ = [requires(Perm.PRACTICE_READ)]
WRITE = [requires(Perm.SETUP_WRITE)]


async def _created(request: Request, ctx: PracticeContext, resource_type: str, fn, out, *args) -> Response:  # noqa: ANN001
    async def create() -> tuple[int, Any]:
        row = await ctx.run(fn, *args)
        await ctx.audit_admin("create", resource_type, row.id)
        return 201, out(row)
    return await idempotent(request, ctx, create)


# --- billing providers -------------------------------------------------------------

@get("/billing-providers", opt={"audit": "list"}, guards=READ)
async def list_billing_providers(practice_ctx: PracticeContext) -> list[BillingProviderOut]:
    rows = await practice_ctx.run(setup.list_billing_providers, practice_ctx.practice_id)
    await practice_ctx.audit("list", "billing_provider")
    return [BillingProviderOut.of(x) for x in rows]


@post("/billing-providers", opt={"audit": None}, guards=WRITE)
async def create_billing_provider(request: Request, practice_ctx: PracticeContext,
                                  data: BillingProviderIn) -> Response:
    return await _created(request, practice_ctx, "billing_provider", setup.create_billing_provider,
                          BillingProviderOut.of, practice_ctx.practice_id, data)


@get("/billing-providers/{billing_provider_id:uuid}", opt={"audit": "read"}, guards=READ)
async def get_billing_provider(practice_ctx: PracticeContext, billing_provider_id: uuid.UUID) -> BillingProviderOut:
    row = await practice_ctx.run(setup.get_billing_provider, practice_ctx.practice_id, billing_provider_id)
    await practice_ctx.audit("read", "billing_provider", row.id)
    return BillingProviderOut.of(row)


@patch("/billing-providers/{billing_provider_id:uuid}", opt={"audit": None}, guards=WRITE)
async def update_billing_provider(practice_ctx: PracticeContext, billing_provider_id: uuid.UUID,
                                  data: BillingProviderUpdate) -> BillingProviderOut:
    row = await practice_ctx.run(setup.update_billing_provider, practice_ctx.practice_id, billing_provider_id, data)
    await practice_ctx.audit_admin("update", "billing_provider", row.id)
    return BillingProviderOut.of(row)


# --- locations and rendering providers -----------------------------------------------

@post("/locations", opt={"audit": None}, guards=WRITE)
async def create_location(request: Request, practice_ctx: PracticeContext, data: LocationIn) -> Response:
    return await _created(request, practice_ctx, "service_location", setup.create_location, LocationOut.of,
                          practice_ctx.practice_id, data)


@patch("/locations/{location_id:uuid}", opt={"audit": None}, guards=WRITE)
async def update_location(practice_ctx: PracticeContext, location_id: uuid.UUID, data: LocationUpdate) -> LocationOut:
    row = await practice_ctx.run(setup.update_location, practice_ctx.practice_id, location_id, data)
    await practice_ctx.audit_admin("update", "service_location", row.id)
    return LocationOut.of(row)


@post("/providers", opt={"audit": None}, guards=WRITE)
async def create_provider(request: Request, practice_ctx: PracticeContext, data: ProviderIn) -> Response:
    return await _created(request, practice_ctx, "rendering_provider", setup.create_provider, ProviderOut.of,
                          practice_ctx.practice_id, data)


@patch("/providers/{provider_id:uuid}", opt={"audit": None}, guards=WRITE)
async def update_provider(practice_ctx: PracticeContext, provider_id: uuid.UUID, data: ProviderUpdate) -> ProviderOut:
    row = await practice_ctx.run(setup.update_provider, practice_ctx.practice_id, provider_id, data)
    await practice_ctx.audit_admin("update", "rendering_provider", row.id)
    return ProviderOut.of(row)


# --- payer enrollments -------------------------------------------------------------

@get("/enrollments", opt={"audit": "list"}, guards=READ)
async def list_enrollments(practice_ctx: PracticeContext) -> list[EnrollmentOut]:
    rows = await practice_ctx.run(setup.list_enrollments, practice_ctx.practice_id)
    await practice_ctx.audit("list", "payer_enrollment")
    return [EnrollmentOut.of(x) for x in rows]


@post("/enrollments", opt={"audit": None}, guards=WRITE)
async def create_enrollment(request: Request, practice_ctx: PracticeContext, data: EnrollmentIn) -> Response:
    return await _created(request, practice_ctx, "payer_enrollment", setup.create_enrollment, EnrollmentOut.of,
                          practice_ctx.principal.agency_id, practice_ctx.practice_id, data)


@get("/enrollments/{enrollment_id:uuid}", opt={"audit": "read"}, guards=READ)
async def get_enrollment(practice_ctx: PracticeContext, enrollment_id: uuid.UUID) -> EnrollmentOut:
    row = await practice_ctx.run(setup.get_enrollment, practice_ctx.practice_id, enrollment_id)
    await practice_ctx.audit("read", "payer_enrollment", row.id)
    return EnrollmentOut.of(row)


@patch("/enrollments/{enrollment_id:uuid}", opt={"audit": None}, guards=WRITE)
async def update_enrollment(practice_ctx: PracticeContext, enrollment_id: uuid.UUID,
                            data: EnrollmentUpdate) -> EnrollmentOut:
    row = await practice_ctx.run(setup.update_enrollment, practice_ctx.practice_id, enrollment_id, data)
    await practice_ctx.audit_admin("update", "payer_enrollment", row.id)
    return EnrollmentOut.of(row)


# --- fee schedule --------------------------------------------------------------------

@get("/fee-schedule", opt={"audit": "list"}, guards=READ)
async def list_fees(practice_ctx: PracticeContext, procedure_code: str | None = None) -> list[FeeOut]:
    rows = await practice_ctx.run(setup.list_fees, practice_ctx.practice_id, procedure_code)
    await practice_ctx.audit("list", "fee_schedule_entry")
    return [FeeOut.of(x) for x in rows]


@post("/fee-schedule", opt={"audit": None}, guards=WRITE)
async def create_fee(request: Request, practice_ctx: PracticeContext, data: FeeIn) -> Response:
    return await _created(request, practice_ctx, "fee_schedule_entry", setup.create_fee, FeeOut.of,
                          practice_ctx.practice_id, data)


@put("/fee-schedule", opt={"audit": None}, guards=WRITE)
async def upsert_fees(practice_ctx: PracticeContext, data: FeeBulkIn) -> FeeBulkOut:
    created, updated, rows = await practice_ctx.run(setup.upsert_fees, practice_ctx.practice_id, data.entries)
    await practice_ctx.audit_admin("update", "fee_schedule_entry", None)
    return FeeBulkOut(created, updated, [FeeOut.of(x) for x in rows])


ROUTES = [list_billing_providers, create_billing_provider, get_billing_provider, update_billing_provider,
          create_location, update_location, create_provider, update_provider,
          list_enrollments, create_enrollment, get_enrollment, update_enrollment,
          list_fees, create_fee, upsert_fees]
