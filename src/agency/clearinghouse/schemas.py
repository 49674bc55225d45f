"""Request and response shapes of the clearinghouse connection API.

Credentials go in (``password`` or ``private_key`` [+ ``passphrase``]) and never
come out: responses carry ``has_credentials`` only."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from agency.clearinghouse.models import ClearinghouseConnection


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class ConnectionCreate(Strict):
    name: str
    kind: str  # sftp | mailbox
    outbound_dir: str
    inbound_dir: str
    submitter_id: str
    receiver_id: str
    host: str | None = None
    port: int | None = None
    username: str | None = None
    host_key_fingerprint: str | None = None
    archive_dir: str | None = None
    usage: str = "T"
    timeout_seconds: int = 30
    active: bool = True
    password: str | None = None
    private_key: str | None = None
    passphrase: str | None = None

    def __repr__(self) -> str:
        return f"ConnectionCreate(name={self.name!r}, kind={self.kind!r})"


class ConnectionUpdate(Strict):
    name: str | None = None
    host: str | None = None
    port: int | None = None
    username: str | None = None
    host_key_fingerprint: str | None = None
    outbound_dir: str | None = None
    inbound_dir: str | None = None
    archive_dir: str | None = None
    submitter_id: str | None = None
    receiver_id: str | None = None
    usage: str | None = None
    timeout_seconds: int | None = None
    active: bool | None = None
    password: str | None = None  # replaces the stored credentials
    private_key: str | None = None
    passphrase: str | None = None
    clear_credentials: bool = False

    def __repr__(self) -> str:
        return "ConnectionUpdate(...)"


class ConnectionOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: str
    host: str | None
    port: int | None
    username: str | None
    host_key_fingerprint: str | None
    outbound_dir: str
    inbound_dir: str
    archive_dir: str | None
    submitter_id: str
    receiver_id: str
    usage: str
    timeout_seconds: int
    active: bool
    has_credentials: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: ClearinghouseConnection) -> "ConnectionOut":
        return cls(c.id, c.name, c.kind, c.host, c.port, c.username, c.host_key_fingerprint, c.outbound_dir,
                   c.inbound_dir, c.archive_dir, c.submitter_id, c.receiver_id, c.usage, c.timeout_seconds,
                   c.active, c.credentials is not None, c.created_at, c.updated_at)


class ConnectionTestOut(msgspec.Struct):
    ok: bool
    detail: str
    retryable: bool = False
    inbound_files: int | None = None
