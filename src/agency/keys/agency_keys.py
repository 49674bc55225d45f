"""The agency's own data key, for agency-level secrets (clearinghouse credentials,
staff TOTP secrets).

Same design as the practices' keys (``tenant_key``, ``tenants.crypto``) with the
agency id in the role of the tenant id: the key provider holds a KEK for the
agency id, and ``agency_key`` stores DEK v1 wrapped by it. Sealing uses
``PhiCipher`` over a keyring whose record source reads ``agency_key`` in an
agency-bound session (RLS), so ``FieldContext(agency_id, table, column, row_id)``
binds every sealed value to its agency, table, column and row.

The key is created on first use in its own short unit of work (``ensure_agency_key``):
the keyring reads records through its own session, so a key inserted in the
caller's still-open transaction would not be visible to it.
"""

from __future__ import annotations

import threading
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.db.runtime import Database
from agency.keys.runtime import provider_for
from tenants.crypto._util import canonical_tenant_id
from tenants.crypto.keyring import Keyring, KeyPurpose, PhiCipher, WrappedKeyRecord, new_key_record
from tenants.crypto.providers.base import KeyProvider
from tenants.scope import AgencyScope
from tenants.sessions import SessionFactory

_lock = threading.Lock()
_COLUMNS = "agency_id, purpose, version, wrapped, kek_ref, status"


class AgencyKeyRecordSource:
    """``KeyRecordSource`` over ``agency_key`` (one short agency-bound session per lookup)."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    def __repr__(self) -> str:
        return "AgencyKeyRecordSource()"

    def _one(self, agency_id: str, where: str, params: dict) -> WrappedKeyRecord | None:
        aid = uuid.UUID(canonical_tenant_id(agency_id))
        with self._sessions.agency_unit(AgencyScope(aid)) as s:
            row = s.execute(sa.text(f"SELECT {_COLUMNS} FROM agency_key WHERE agency_id = :a AND {where}"),
                            {"a": aid, **params}).one_or_none()
        if row is None:
            return None
        return WrappedKeyRecord(str(row.agency_id), row.purpose, row.version, bytes(row.wrapped or b""),
                                row.kek_ref, row.status)

    def active(self, tenant_id: str, purpose: KeyPurpose) -> WrappedKeyRecord | None:
        return self._one(tenant_id, "purpose = :p AND status = 'active'", {"p": purpose})

    def get(self, tenant_id: str, purpose: KeyPurpose, version: int) -> WrappedKeyRecord | None:
        return self._one(tenant_id, "purpose = :p AND version = :v", {"p": purpose, "v": version})


def agency_cipher_for(db: Database) -> PhiCipher:
    """One keyring per process and database for agency keys (cached like the practices')."""
    provider = provider_for(db)
    with _lock:
        if "_agency_cipher" not in db.__dict__:
            keyring = Keyring(provider, AgencyKeyRecordSource(db.sessions),
                              ttl_seconds=db.settings.key_cache_ttl_seconds)
            db.__dict__["_agency_cipher"] = PhiCipher(keyring)
        return db.__dict__["_agency_cipher"]


def has_agency_key(session: Session, agency_id: uuid.UUID) -> bool:
    return session.execute(sa.text(
        "SELECT 1 FROM agency_key WHERE agency_id = :a AND purpose = 'dek' AND status = 'active'"),
        {"a": agency_id}).first() is not None


def provision_agency_key(session: Session, provider: KeyProvider, agency_id: uuid.UUID) -> bool:
    """KEK at the provider and DEK v1 in ``agency_key``; False if the agency already has one.
    Concurrent callers are safe: the loser's insert does nothing."""
    if has_agency_key(session, agency_id):
        return False
    kek_ref = provider.create_kek(agency_id)
    rec = new_key_record(provider, agency_id, "dek", 1, kek_ref=kek_ref)
    result = session.execute(sa.text(
        "INSERT INTO agency_key (agency_id, id, purpose, version, wrapped, kek_ref, status) "
        "VALUES (:a, :id, 'dek', 1, :w, :k, 'active') ON CONFLICT DO NOTHING"),
        {"a": agency_id, "id": uuid.uuid4(), "w": rec.wrapped, "k": rec.kek_ref})
    return result.rowcount == 1


def ensure_agency_key(db: Database, agency_id: uuid.UUID) -> None:
    """Make sure the agency has an active DEK (own unit of work, committed)."""
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        if has_agency_key(s, agency_id):
            return
    with db.sessions.agency_unit(AgencyScope(agency_id)) as s:
        provision_agency_key(s, provider_for(db), agency_id)
