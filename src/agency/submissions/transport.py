"""A transport for a clearinghouse connection row, and "is it already there?".

Credentials are opened with the agency's own key only here, in the worker, and
handed straight to the transport (never logged, never in a message).
"""

from __future__ import annotations

import json
import posixpath

from agency.clearinghouse.models import ClearinghouseConnection
from agency.clearinghouse.transport import MailboxTransport, Transport, TransportError


def open_transport(db, conn: ClearinghouseConnection) -> Transport:  # noqa: ANN001
    timeout = float(conn.timeout_seconds or 30)
    if conn.kind == "mailbox":
        return MailboxTransport(conn.outbound_dir, conn.inbound_dir, conn.archive_dir, timeout=timeout)
    if conn.kind == "sftp":
        from agency.clearinghouse.keys import agency_cipher_for
        from agency.clearinghouse.sftp import SftpTransport

        secret: dict = {}
        if conn.credentials is not None:
            raw = agency_cipher_for(db).open_text(conn.agency_id, "clearinghouse_connection", "credentials",
                                                  conn.id, conn.credentials)
            secret = json.loads(raw) if raw else {}
        return SftpTransport(conn.host or "", int(conn.port or 22), conn.username or "",
                             host_key_fingerprint=conn.host_key_fingerprint or "",
                             password=secret.get("password"), private_key=secret.get("private_key"),
                             passphrase=secret.get("passphrase"), outbound_dir=conn.outbound_dir,
                             inbound_dir=conn.inbound_dir, archive_dir=conn.archive_dir, timeout=timeout)
    raise TransportError(f"unknown connection kind {conn.kind!r}")


def outbound_names(transport: Transport) -> set[str] | None:
    """Names now in the remote outbound directory, or None when this transport cannot
    tell (then a crashed upload is repeated: see docs/claims-and-submissions.md)."""
    if isinstance(transport, MailboxTransport):
        try:
            return {p.name for p in transport.outbound.iterdir() if not p.name.startswith(".")}
        except OSError:
            return None
    run = getattr(transport, "_run", None)
    out_dir = getattr(transport, "outbound_dir", None)
    if run is None or out_dir is None:
        return None

    async def ls(sftp):  # noqa: ANN001
        return {e.filename for e in await sftp.readdir(out_dir) if not e.filename.startswith(".")}

    try:
        return run("list the outbound directory", ls)
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
