"""Who a unit of work acts for: an agency, and within it one practice (the tenant)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


class TenantNotBound(RuntimeError):
    """A tenant session began a transaction without a tenant: fail closed."""


@dataclass(frozen=True, slots=True)
class TenantScope:
    agency_id: UUID
    tenant_id: UUID  # the practice id; the RLS key of every PHI table

    def info(self) -> dict[str, UUID]:
        return {"agency_id": self.agency_id, "tenant_id": self.tenant_id}


@dataclass(frozen=True, slots=True)
class AgencyScope:
    agency_id: UUID

    def info(self) -> dict[str, UUID]:
        return {"agency_id": self.agency_id}
