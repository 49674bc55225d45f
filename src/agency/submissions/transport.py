"""A transport for a clearinghouse connection row, and "is it already there?".

Credentials are opened with the agency's own key only here, in the worker, and
handed straight to the transport (never logged, never in a message).
"""

from __future__ import annotations

import posixpath

from agency.clearinghouse.models import ClearinghouseConnection
from agency.clearinghouse.transport import Transport, TransportError


def open_transport(db, conn: ClearinghouseConnection) -> Transport:  # noqa: ANN001
    """The connection's transport (``agency.clearinghouse.service.build_transport``)."""
    from agency.keys.agency_keys import agency_cipher_for
    from agency.clearinghouse.service import build_transport, open_credentials

    if conn.kind not in ("mailbox", "sftp"):
        raise TransportError(f"unknown connection kind {conn.kind!r}")
    creds = open_credentials(agency_cipher_for(db), conn) if conn.credentials is not None else {}
    return build_transport(conn, creds)


def outbound_names(transport: Transport) -> set[str] | None:
    """Names now in the remote outbound directory, or None when the transport cannot
    tell (then a crashed upload is repeated: see docs/claims-and-submissions.md)."""
    try:
        return set(transport.list_outbound())
    except TransportError:
        return None


def remote_name(kind: str, sender_id: str, isa13: int, attempt: int) -> str:
    """Deterministic per interchange and upload attempt: ``837P-<sender>-<ISA13>-<attempt>.x12``."""
    safe = "".join(ch for ch in sender_id if ch.isalnum())[:15] or "SENDER"
    return f"{kind}-{safe}-{isa13:09d}-{attempt}.x12"


def uploaded_before(names: set[str] | None, kind: str, sender_id: str, isa13: int) -> str | None:
    if not names:
        return None
    prefix = remote_name(kind, sender_id, isa13, 0).rsplit("-", 1)[0] + "-"
    return next((n for n in sorted(names) if n.startswith(prefix)), None)


__all__ = ["open_transport", "outbound_names", "remote_name", "uploaded_before", "posixpath"]
