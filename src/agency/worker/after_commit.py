"""Enqueue jobs only after the unit of work commits.

A job sent before the commit can run before its rows exist (or after they were
rolled back). Messages are buffered on the session and sent from
``after_commit``; a rollback drops them.
"""

from __future__ import annotations

import dramatiq
from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "agency.pending_messages"


def enqueue_after_commit(session: Session, actor: dramatiq.Actor, *args: object, **kwargs: object) -> None:
    """``session`` may be sync or the ``sync_session`` of an AsyncSession."""
    message = actor.message(*args, **kwargs)
    session.info.setdefault(_KEY, []).append(message)


@event.listens_for(Session, "after_commit")
def _send(session: Session) -> None:
    for message in session.info.pop(_KEY, []):
        dramatiq.get_broker().enqueue(message)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_KEY, None)
