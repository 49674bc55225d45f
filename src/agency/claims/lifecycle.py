"""The claim state machine (guide rcm-domain §4) and its history.

Every change of state is a conditional update (``... WHERE state IN (:expected)``)
plus one immutable ``claim_event`` row in the same transaction, so a duplicate
event (a redelivered message, an acknowledgement processed twice) changes
nothing: the second update finds the claim already moved and reports False.

States of issue 7: ``draft`` → ``held`` | ``ready`` → ``queued`` (in a built 837
file) → ``submitted`` (file transmitted) → ``ack_rejected`` (TA1/999 R) |
``accepted_ch`` (999 A/E, clearinghouse 277CA) → ``rejected`` (277CA
A3/A6/A7/A8) | ``accepted_payer`` (payer 277CA A2) → ``adjudicated_*`` (issue 8).
``ack_rejected``/``rejected`` go back to ``ready``/``held`` after a fix (a new
original, frequency 1). A corrected (7) or void (8) claim is a new row with the
same CLM01; the claim it replaces moves to ``replaced``/``voided``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.claims.models import Claim, ClaimEvent
from agency.db.base import new_id

STATES = ("draft", "held", "ready", "queued", "submitted", "ack_rejected", "accepted_ch", "rejected",
          "accepted_payer", "adjudicated_paid", "adjudicated_partial", "adjudicated_denied", "replaced", "voided")

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"held", "ready"}),
    "held": frozenset({"held", "ready"}),
    "ready": frozenset({"queued", "held", "ready"}),
    # An acknowledgement can be routed before the transmit step commits (a fast clearinghouse
    # answers within the upload's own round trip): it proves delivery, so it may move a queued claim.
    "queued": frozenset({"submitted", "ready", "held", "ack_rejected", "accepted_ch", "rejected", "accepted_payer"}),
    # 999 and 277CA can arrive in any order: a 277CA may be routed before its 999.
    "submitted": frozenset({"ack_rejected", "accepted_ch", "rejected", "accepted_payer"}),
    "accepted_ch": frozenset({"accepted_payer", "rejected", "ack_rejected"}),
    "ack_rejected": frozenset({"ready", "held"}),
    "rejected": frozenset({"ready", "held"}),
    "accepted_payer": frozenset({"adjudicated_paid", "adjudicated_partial", "adjudicated_denied", "rejected",
                                 "replaced", "voided"}),
    "adjudicated_paid": frozenset({"replaced", "voided"}),
    "adjudicated_partial": frozenset({"replaced", "voided"}),
    "adjudicated_denied": frozenset({"replaced", "voided"}),
    "replaced": frozenset(),
    "voided": frozenset(),
}

REWORK_STATES = ("held", "ack_rejected", "rejected")  # the rejection/hold work queue
CORRECTABLE_STATES = ("accepted_payer", "adjudicated_paid", "adjudicated_partial", "adjudicated_denied")

SYSTEM = "system"


class TransitionRefused(Exception):
    """The claim is not in a state that allows the change (message is PHI-free)."""


def sources_of(target: str) -> tuple[str, ...]:
    return tuple(s for s, targets in TRANSITIONS.items() if target in targets)


def record_event(session: Session, tenant_id: uuid.UUID, claim_id: uuid.UUID, from_state: str | None,
                 to_state: str, actor: str, reason_code: str | None = None, reason_text: str | None = None,
                 interchange_id: uuid.UUID | None = None, inbound_file_id: uuid.UUID | None = None) -> None:
    session.add(ClaimEvent(tenant_id=tenant_id, id=new_id(), claim_id=claim_id, from_state=from_state,
                           to_state=to_state, actor=actor, reason_code=reason_code,
                           reason_text=(reason_text or None) and reason_text[:500],
                           interchange_id=interchange_id, inbound_file_id=inbound_file_id))


def transition(session: Session, tenant_id: uuid.UUID, claim_id: uuid.UUID, to: str, *, actor: str,
               expected: Iterable[str] | None = None, reason_code: str | None = None,
               reason_text: str | None = None, interchange_id: uuid.UUID | None = None,
               inbound_file_id: uuid.UUID | None = None, **values: object) -> str | None:
    """Move one claim to ``to`` when it is in one of ``expected`` (default: every state
    the machine allows ``to`` from). Returns the previous state, or None when the claim
    was not in an expected state (nothing changed)."""
    allowed = tuple(expected) if expected is not None else sources_of(to)
    allowed = tuple(s for s in allowed if to in TRANSITIONS.get(s, ()))
    t = Claim.__table__
    row = session.execute(sa.select(t.c.state).where(t.c.tenant_id == tenant_id, t.c.id == claim_id)
                          .with_for_update()).first()
    if row is None or row.state not in allowed:
        return None
    session.execute(t.update().where(t.c.tenant_id == tenant_id, t.c.id == claim_id).values(
        state=to, updated_at=sa.func.now(), row_version=t.c.row_version + 1, **values))
    record_event(session, tenant_id, claim_id, row.state, to, actor, reason_code, reason_text,
                 interchange_id, inbound_file_id)
    return row.state


def transition_many(session: Session, tenant_id: uuid.UUID, claim_ids: list[uuid.UUID], from_state: str,
                    to: str, *, actor: str, reason_code: str | None = None, reason_text: str | None = None,
                    interchange_id: uuid.UUID | None = None, inbound_file_id: uuid.UUID | None = None,
                    **values: object) -> list[uuid.UUID]:
    """Bulk conditional transition; returns the ids that actually moved."""
    if to not in TRANSITIONS.get(from_state, ()):
        raise TransitionRefused(f"a claim cannot go from {from_state} to {to}")
    if not claim_ids:
        return []
    t = Claim.__table__
    moved = [r[0] for r in session.execute(
        t.update().where(t.c.tenant_id == tenant_id, t.c.id.in_(claim_ids), t.c.state == from_state)
        .values(state=to, updated_at=sa.func.now(), row_version=t.c.row_version + 1, **values)
        .returning(t.c.id))]
    if moved:
        session.execute(ClaimEvent.__table__.insert(), [
            dict(tenant_id=tenant_id, id=new_id(), claim_id=cid, from_state=from_state, to_state=to, actor=actor,
                 reason_code=reason_code, reason_text=reason_text, interchange_id=interchange_id,
                 inbound_file_id=inbound_file_id) for cid in moved])
    return moved
