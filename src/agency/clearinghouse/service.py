"""Clearinghouse connections: rules, sealing of credentials, building transports.

Services take a session and never commit. Credentials are sealed with the
agency's own DEK (``agency.keys.agency_keys``); the caller makes sure the key
exists first (``ensure_agency_key``) because the keyring reads key records in
its own session.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from agency.api.problems import Conflict, NotFound, Unprocessable
from agency.clearinghouse.models import ClearinghouseConnection
from agency.clearinghouse.repository import ConnectionRepository
from agency.clearinghouse.schemas import ConnectionCreate, ConnectionUpdate
from agency.clearinghouse.transport import MailboxTransport, Transport, TransportError
from agency.db.base import new_id
from tenants.crypto.keyring import PhiCipher

TABLE, COLUMN = "clearinghouse_connection", "credentials"
KINDS = ("sftp", "mailbox")
_X12_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,14}$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")
MAX_SECRET = 16_384


@dataclass(frozen=True)
class ConnectionInfo:
    """What the submission run needs besides the transport (no secrets)."""

    id: uuid.UUID
    agency_id: uuid.UUID
    name: str
    kind: str
    submitter_id: str  # ISA06 / 1000A NM109
    receiver_id: str  # ISA08 / 1000B NM109
    usage: str  # ISA15
    active: bool


@dataclass(frozen=True)
class TestOutcome:
    ok: bool
    detail: str
    retryable: bool = False
    inbound_files: int | None = None


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _check(c: ClearinghouseConnection, has_secret: bool) -> None:
    """Whole-row rules; each message names the field."""
    from agency.clearinghouse.sftp import normalize_fingerprint

    if c.kind not in KINDS:
        raise Unprocessable("kind must be 'sftp' or 'mailbox'")
    if not c.name or not c.name.strip() or len(c.name) > 100:
        raise Unprocessable("name must be 1-100 characters")
    c.name = c.name.strip()
    for field in ("submitter_id", "receiver_id"):
        if not _X12_ID.match(getattr(c, field) or ""):
            raise Unprocessable(f"{field} must be 1-15 letters, digits, spaces or . _ - (an X12 ISA id)")
    if c.usage not in ("T", "P"):
        raise Unprocessable("usage must be 'T' (test) or 'P' (production)")
    if not isinstance(c.timeout_seconds, int) or not 1 <= c.timeout_seconds <= 600:
        raise Unprocessable("timeout_seconds must be between 1 and 600")
    for field in ("outbound_dir", "inbound_dir", "archive_dir"):
        v = getattr(c, field)
        if v is None and field == "archive_dir":
            continue
        if not v or "\x00" in v or len(v) > 1000:
            raise Unprocessable(f"{field} must be a directory path")
        if c.kind == "mailbox" and not os.path.isabs(v):
            raise Unprocessable(f"{field} must be an absolute path for a mailbox connection")
    if c.kind == "sftp":
        if not c.host or not _HOST.match(c.host):
            raise Unprocessable("host must be a host name or IP address for an SFTP connection")
        if c.port is None or not 1 <= c.port <= 65535:
            raise Unprocessable("port must be between 1 and 65535 for an SFTP connection")
        if not c.username or len(c.username) > 100 or any(ch in c.username for ch in "\r\n\x00"):
            raise Unprocessable("username is required for an SFTP connection (1-100 characters)")
        if not c.host_key_fingerprint:
            raise Unprocessable("host_key_fingerprint is required for an SFTP connection (SHA256:... as "
                                "`ssh-keygen -lf` prints it): host keys are always pinned")
        try:
            c.host_key_fingerprint = normalize_fingerprint(c.host_key_fingerprint)
        except TransportError as exc:
            raise Unprocessable(f"host_key_fingerprint: {exc.message}") from None
        if not has_secret:
            raise Unprocessable("an SFTP connection needs credentials: password or private_key")
    else:
        for field in ("host", "port", "username", "host_key_fingerprint"):
            if getattr(c, field) is not None:
                raise Unprocessable(f"{field} does not apply to a mailbox connection")


def _secret(password: str | None, private_key: str | None, passphrase: str | None) -> dict[str, str] | None:
    if password is not None and private_key is not None:
        raise Unprocessable("give either password or private_key, not both")
    if password is None and private_key is None:
        if passphrase is not None:
            raise Unprocessable("passphrase applies to a private_key only")
        return None
    out: dict[str, str] = {}
    if password is not None:
        if not password or len(password) > 1024:
            raise Unprocessable("password must be 1-1024 characters")
        out["password"] = password
    else:
        if not private_key or len(private_key) > MAX_SECRET:
            raise Unprocessable("private_key must be an OpenSSH or PEM private key")
        import asyncssh

        try:
            asyncssh.import_private_key(private_key, passphrase)
        except (asyncssh.KeyImportError, ValueError, TypeError):
            raise Unprocessable("private_key could not be read (wrong format or passphrase)") from None
        out["private_key"] = private_key
        if passphrase:
            out["passphrase"] = passphrase
    return out


def _seal(cipher: PhiCipher, conn: ClearinghouseConnection, secret: dict[str, str]) -> None:
    conn.credentials = cipher.seal_bytes(conn.agency_id, TABLE, COLUMN, conn.id,
                                         json.dumps(secret, separators=(",", ":")).encode())


def open_credentials(cipher: PhiCipher, conn: ClearinghouseConnection) -> dict[str, str]:
    """The plaintext credentials, for building a transport only. Never log or return them."""
    if conn.credentials is None:
        return {}
    return json.loads(cipher.open_bytes(conn.agency_id, TABLE, COLUMN, conn.id, conn.credentials))


def _flush(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except sa_exc.IntegrityError:
        raise Conflict("A clearinghouse connection with this name already exists.") from None


def create_connection(session: Session, cipher: PhiCipher, agency_id: uuid.UUID,
                      data: ConnectionCreate) -> ClearinghouseConnection:
    secret = _secret(data.password, data.private_key, data.passphrase)
    conn = ClearinghouseConnection(
        agency_id=agency_id, id=new_id(), name=data.name, kind=data.kind, host=data.host, port=data.port,
        username=data.username, outbound_dir=data.outbound_dir, inbound_dir=data.inbound_dir,
        archive_dir=data.archive_dir, host_key_fingerprint=data.host_key_fingerprint,
        submitter_id=data.submitter_id, receiver_id=data.receiver_id, usage=data.usage,
        timeout_seconds=data.timeout_seconds, active=data.active, created_at=_utcnow(), updated_at=_utcnow())
    _check(conn, secret is not None)
    if secret is not None:
        _seal(cipher, conn, secret)
    ConnectionRepository(session).add(conn)
    _flush(session)
    return conn


def list_connections(session: Session, agency_id: uuid.UUID, after: uuid.UUID | None = None,
                     limit: int = 50) -> list[ClearinghouseConnection]:
    return ConnectionRepository(session).page(agency_id, after, limit)


def get_connection(session: Session, agency_id: uuid.UUID, connection_id: uuid.UUID) -> ClearinghouseConnection:
    conn = ConnectionRepository(session).get(agency_id, connection_id)
    if conn is None:
        raise NotFound("The clearinghouse connection does not exist.")
    return conn


_PLAIN_FIELDS = ("name", "host", "port", "username", "host_key_fingerprint", "outbound_dir", "inbound_dir",
                 "archive_dir", "submitter_id", "receiver_id", "usage", "timeout_seconds", "active")


def update_connection(session: Session, cipher: PhiCipher, agency_id: uuid.UUID, connection_id: uuid.UUID,
                      data: ConnectionUpdate) -> ClearinghouseConnection:
    conn = get_connection(session, agency_id, connection_id)
    secret = _secret(data.password, data.private_key, data.passphrase)
    if secret is not None and data.clear_credentials:
        raise Unprocessable("give new credentials or clear_credentials, not both")
    changes: dict[str, Any] = {f: getattr(data, f) for f in _PLAIN_FIELDS if getattr(data, f) is not None}
    # Validate on a detached copy first: nothing is half-changed when a rule fails.
    probe = ClearinghouseConnection(**{f: getattr(conn, f) for f in ("agency_id", "id", "kind", *_PLAIN_FIELDS)})
    for k, v in changes.items():
        setattr(probe, k, v)
    has_secret = secret is not None or (conn.credentials is not None and not data.clear_credentials)
    _check(probe, has_secret)
    for k in changes:
        setattr(conn, k, getattr(probe, k))
    if data.clear_credentials:
        conn.credentials = None
    elif secret is not None:
        _seal(cipher, conn, secret)
    conn.updated_at = _utcnow()
    _flush(session)
    return conn


def delete_connection(session: Session, agency_id: uuid.UUID, connection_id: uuid.UUID) -> None:
    conn = get_connection(session, agency_id, connection_id)
    ConnectionRepository(session).delete(conn)
    session.flush()


def build_transport(conn: ClearinghouseConnection, credentials: dict[str, str]) -> Transport:
    if conn.kind == "mailbox":
        return MailboxTransport(conn.outbound_dir, conn.inbound_dir, conn.archive_dir,
                                timeout=conn.timeout_seconds)
    from agency.clearinghouse.sftp import SftpTransport

    return SftpTransport(conn.host or "", conn.port or 22, conn.username or "",
                         host_key_fingerprint=conn.host_key_fingerprint or "",
                         password=credentials.get("password"), private_key=credentials.get("private_key"),
                         passphrase=credentials.get("passphrase"), outbound_dir=conn.outbound_dir,
                         inbound_dir=conn.inbound_dir, archive_dir=conn.archive_dir,
                         timeout=conn.timeout_seconds)


def connection_info(conn: ClearinghouseConnection) -> ConnectionInfo:
    return ConnectionInfo(conn.id, conn.agency_id, conn.name, conn.kind, conn.submitter_id, conn.receiver_id,
                          conn.usage, conn.active)


def transport_for(session: Session, cipher: PhiCipher, agency_id: uuid.UUID,
                  connection_id: uuid.UUID) -> tuple[ConnectionInfo, Transport]:
    """The connection's settings and a ready transport (not yet connected).
    Raises NotFound for an unknown connection, TransportError when its settings
    cannot make a transport (e.g. an unreadable key)."""
    conn = get_connection(session, agency_id, connection_id)
    return connection_info(conn), build_transport(conn, open_credentials(cipher, conn))


def open_connection(db, agency_id: uuid.UUID, connection_id: uuid.UUID) -> tuple[ConnectionInfo, Transport]:  # noqa: ANN001
    """For jobs (sync, outside a request): own short agency unit of work. Close the
    transport when done (``with transport: ...``)."""
    from agency.keys.agency_keys import agency_cipher_for
    from tenants.scope import AgencyScope

    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        return transport_for(s, agency_cipher_for(db), agency_id, connection_id)


def test_transport(transport: Transport) -> TestOutcome:
    """Connect and list the inbound directory; ok, or the reason (secret-free)."""
    try:
        files = transport.list_inbound()
    except TransportError as exc:
        return TestOutcome(False, exc.message, exc.retryable)
    finally:
        transport.close()
    return TestOutcome(True, f"connected; {len(files)} file(s) waiting in the inbound directory", False, len(files))


test_transport.__test__ = False  # not a pytest test despite the name
