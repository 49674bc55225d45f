"""All queries on agencies, practices and practice setup rows."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.practices.models import (Agency, BillingProvider, FeeScheduleEntry, PayerEnrollment, Practice,
                                     RenderingProvider, ServiceLocation)


class PracticeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def agency_by_slug(self, slug: str) -> Agency | None:
        return self.session.scalar(sa.select(Agency).where(Agency.slug == slug))

    def practices_of(self, agency_id: uuid.UUID) -> list[Practice]:
        stmt = sa.select(Practice).where(Practice.agency_id == agency_id).order_by(Practice.name)
        return list(self.session.scalars(stmt))

    def practice(self, agency_id: uuid.UUID, practice_id: uuid.UUID) -> Practice | None:
        stmt = sa.select(Practice).where(Practice.agency_id == agency_id, Practice.id == practice_id)
        return self.session.scalar(stmt)

    def locations(self, tenant_id: uuid.UUID) -> list[ServiceLocation]:
        stmt = (sa.select(ServiceLocation).where(ServiceLocation.tenant_id == tenant_id)
                .order_by(ServiceLocation.code))
        return list(self.session.scalars(stmt))

    def location(self, tenant_id: uuid.UUID, location_id: uuid.UUID) -> ServiceLocation | None:
        return self.session.get(ServiceLocation, (tenant_id, location_id))

    def provider(self, tenant_id: uuid.UUID, provider_id: uuid.UUID) -> RenderingProvider | None:
        return self.session.get(RenderingProvider, (tenant_id, provider_id))

    def providers(self, tenant_id: uuid.UUID) -> list[RenderingProvider]:
        stmt = (sa.select(RenderingProvider).where(RenderingProvider.tenant_id == tenant_id)
                .order_by(RenderingProvider.last_name))
        return list(self.session.scalars(stmt))

    def add(self, obj: object) -> None:
        self.session.add(obj)


class SetupRepository:
    """Billing providers, enrollments and the fee schedule of one practice (tenant-filtered; RLS is the backstop)."""

    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def add(self, obj) -> None:  # noqa: ANN001
        if obj.tenant_id != self.tenant_id:
            raise ValueError("object belongs to another practice")
        self.session.add(obj)

    def billing_providers(self) -> list[BillingProvider]:
        return list(self.session.scalars(sa.select(BillingProvider).where(
            BillingProvider.tenant_id == self.tenant_id).order_by(BillingProvider.name, BillingProvider.id)))

    def billing_provider(self, bp_id: uuid.UUID) -> BillingProvider | None:
        return self.session.get(BillingProvider, (self.tenant_id, bp_id))

    def default_billing_provider(self) -> BillingProvider | None:
        return self.session.scalar(sa.select(BillingProvider).where(
            BillingProvider.tenant_id == self.tenant_id, BillingProvider.is_default.is_(True)))

    def clear_default(self, except_id: uuid.UUID | None = None) -> None:
        stmt = sa.update(BillingProvider).where(BillingProvider.tenant_id == self.tenant_id,
                                                BillingProvider.is_default.is_(True))
        if except_id is not None:
            stmt = stmt.where(BillingProvider.id != except_id)
        self.session.execute(stmt.values(is_default=False).execution_options(synchronize_session="fetch"))

    def enrollments(self) -> list[PayerEnrollment]:
        return list(self.session.scalars(sa.select(PayerEnrollment).where(
            PayerEnrollment.tenant_id == self.tenant_id).order_by(PayerEnrollment.created_at, PayerEnrollment.id)))

    def enrollment(self, enrollment_id: uuid.UUID) -> PayerEnrollment | None:
        return self.session.get(PayerEnrollment, (self.tenant_id, enrollment_id))

    def enrollment_for(self, payer_id: uuid.UUID, billing_provider_id: uuid.UUID) -> PayerEnrollment | None:
        return self.session.scalar(sa.select(PayerEnrollment).where(
            PayerEnrollment.tenant_id == self.tenant_id, PayerEnrollment.payer_id == payer_id,
            PayerEnrollment.billing_provider_id == billing_provider_id))

    def fees(self, procedure_code: str | None = None) -> list[FeeScheduleEntry]:
        stmt = sa.select(FeeScheduleEntry).where(FeeScheduleEntry.tenant_id == self.tenant_id)
        if procedure_code:
            stmt = stmt.where(FeeScheduleEntry.procedure_code == procedure_code)
        return list(self.session.scalars(stmt.order_by(FeeScheduleEntry.procedure_code, FeeScheduleEntry.modifier,
                                                       FeeScheduleEntry.effective_from)))

    def fee(self, procedure_code: str, modifier: str, effective_from) -> FeeScheduleEntry | None:  # noqa: ANN001
        return self.session.scalar(sa.select(FeeScheduleEntry).where(
            FeeScheduleEntry.tenant_id == self.tenant_id, FeeScheduleEntry.procedure_code == procedure_code,
            FeeScheduleEntry.modifier == modifier, FeeScheduleEntry.effective_from == effective_from))

    def fees_on(self, procedure_code: str, modifiers: list[str], dos) -> list[FeeScheduleEntry]:  # noqa: ANN001
        """Rows for the code with one of ``modifiers`` in force on ``dos``, newest first."""
        return list(self.session.scalars(sa.select(FeeScheduleEntry).where(
            FeeScheduleEntry.tenant_id == self.tenant_id, FeeScheduleEntry.procedure_code == procedure_code,
            FeeScheduleEntry.modifier.in_(modifiers), FeeScheduleEntry.effective_from <= dos,
            sa.or_(FeeScheduleEntry.effective_to.is_(None), FeeScheduleEntry.effective_to >= dos))
            .order_by(FeeScheduleEntry.effective_from.desc())))
