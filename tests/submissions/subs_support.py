"""Helpers for submission tests: a mailbox connection, a broker whose sends are recorded."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "claims"))

from agency.clearinghouse.models import ClearinghouseConnection  # noqa: E402
from agency.db.base import new_id  # noqa: E402
from tenants.scope import AgencyScope  # noqa: E402


def make_mailbox(db, agency_id, root: Path, *, submitter=None, receiver="SIMCH", name=None) -> ClearinghouseConnection:
    submitter = submitter or "SUB" + uuid.uuid4().hex[:8].upper()
    for d in ("inbound", "outbound"):
        (root / d).mkdir(parents=True, exist_ok=True)
    conn = ClearinghouseConnection(agency_id=agency_id, id=new_id(), name=name or f"sim-{uuid.uuid4().hex[:6]}",
                                   kind="mailbox", outbound_dir=str(root / "inbound"),
                                   inbound_dir=str(root / "outbound"), archive_dir=str(root / "ours-archive"),
                                   submitter_id=submitter, receiver_id=receiver, usage="T")
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        s.add(conn)
        s.flush()
        s.expunge(conn)
    return conn


class Recorder:
    """Replaces the broker's ``enqueue`` so messages sent after commit are kept, not run."""

    def __init__(self) -> None:
        self.messages = []

    def __call__(self, message, *, delay=None):  # noqa: ANN001
        self.messages.append(message)
        return message

    def named(self, actor: str) -> list[tuple]:
        return [tuple(m.args) for m in self.messages if m.actor_name == actor]
