"""All queries on agencies, practices and practice setup rows."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.practices.models import Agency, Practice, RenderingProvider, ServiceLocation


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
