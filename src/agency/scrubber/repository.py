"""Every scrubber query (results per claim, rule configuration rows)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from agency.db.base import new_id
from agency.scrubber.models import ScrubberRuleConfig, ScrubResult


class ScrubResultRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_claim(self, claim_id: uuid.UUID) -> None:
        """Serialise concurrent re-runs for one claim until the end of the transaction."""
        self.session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                             {"k": f"scrub_result:{claim_id}"})

    def for_claim(self, claim_id: uuid.UUID) -> list[ScrubResult]:
        return list(self.session.scalars(
            sa.select(ScrubResult).where(ScrubResult.claim_id == claim_id)
            .order_by(ScrubResult.line_number.nulls_first(), ScrubResult.id)))

    def for_claims(self, claim_ids) -> list[ScrubResult]:  # noqa: ANN001
        return list(self.session.scalars(
            sa.select(ScrubResult).where(ScrubResult.claim_id.in_(list(claim_ids)))
            .order_by(ScrubResult.claim_id, ScrubResult.id)))

    def delete_for_claim(self, claim_id: uuid.UUID) -> list:
        """Delete the claim's results; returns the acknowledged ones (rule_id, rule_version, field,
        line_number, message, acknowledged_by, acknowledged_at) so a re-run can keep them."""
        t = ScrubResult.__table__
        return list(self.session.execute(
            sa.delete(t).where(t.c.claim_id == claim_id).returning(
                t.c.rule_id, t.c.rule_version, t.c.field, t.c.line_number, t.c.message, t.c.acknowledged_by,
                t.c.acknowledged_at, t.c.severity)))

    def insert_rows(self, rows: list[dict]) -> None:
        if rows:
            self.session.execute(sa.insert(ScrubResult.__table__), rows)

    def get(self, claim_id: uuid.UUID, result_id: uuid.UUID) -> ScrubResult | None:
        return self.session.scalar(sa.select(ScrubResult).where(ScrubResult.claim_id == claim_id,
                                                                ScrubResult.id == result_id))


class RuleConfigRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def rows(self, agency_id: uuid.UUID, payer_ids=None) -> list[ScrubberRuleConfig]:  # noqa: ANN001
        q = sa.select(ScrubberRuleConfig).where(ScrubberRuleConfig.agency_id == agency_id)
        if payer_ids is not None:
            q = q.where(sa.or_(ScrubberRuleConfig.payer_id.is_(None), ScrubberRuleConfig.payer_id.in_(list(payer_ids))))
        return list(self.session.scalars(q.order_by(ScrubberRuleConfig.rule_id)))

    def upsert(self, agency_id: uuid.UUID, payer_id: uuid.UUID | None, rule_id: str, enabled: bool | None,
               severity: str | None, params: dict, user_id: uuid.UUID | None) -> ScrubberRuleConfig:
        values = dict(agency_id=agency_id, payer_id=payer_id, rule_id=rule_id, enabled=enabled, severity=severity,
                      params=params, updated_by=user_id)
        stmt = insert(ScrubberRuleConfig).values(id=new_id(), **values)
        if payer_id is None:
            stmt = stmt.on_conflict_do_update(index_elements=["agency_id", "rule_id"],
                                              index_where=sa.text("payer_id IS NULL"),
                                              set_={**_set(stmt), "updated_at": sa.func.now()})
        else:
            stmt = stmt.on_conflict_do_update(index_elements=["agency_id", "payer_id", "rule_id"],
                                              index_where=sa.text("payer_id IS NOT NULL"),
                                              set_={**_set(stmt), "updated_at": sa.func.now()})
        row_id = self.session.execute(stmt.returning(ScrubberRuleConfig.id)).scalar_one()
        self.session.expire_all()
        return self.session.get(ScrubberRuleConfig, (agency_id, row_id))

    def delete(self, agency_id: uuid.UUID, payer_id: uuid.UUID | None, rule_id: str) -> int:
        cond = ScrubberRuleConfig.payer_id.is_(None) if payer_id is None else ScrubberRuleConfig.payer_id == payer_id
        return self.session.execute(sa.delete(ScrubberRuleConfig).where(
            ScrubberRuleConfig.agency_id == agency_id, ScrubberRuleConfig.rule_id == rule_id, cond)).rowcount


def _set(stmt) -> dict:  # noqa: ANN001
    ex = stmt.excluded
    return {"enabled": ex.enabled, "severity": ex.severity, "params": ex.params, "updated_by": ex.updated_by}
