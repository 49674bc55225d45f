"""The ``tenant_key`` table: wrapped keys per practice, read by the keyring.

Raw SQL (``tenants`` never imports the application's models). Every query is
tenant-filtered explicitly and runs in a tenant-bound session, so RLS backs
the filter.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenants.crypto.keyring import KeyPurpose, WrappedKeyRecord
from tenants.crypto._util import canonical_tenant_id

_COLUMNS = "tenant_id, purpose, version, wrapped, kek_ref, status, index_bits"


def _record(row: Any) -> WrappedKeyRecord:
    # Destroyed rows have no key left: hand the keyring an empty blob with the
    # destroyed status so it raises KeyDestroyed, naming tenant and version.
    return WrappedKeyRecord(str(row.tenant_id), row.purpose, row.version, bytes(row.wrapped or b""),
                            row.kek_ref, row.status, row.index_bits)


class DbKeyRecordSource:
    """KeyRecordSource over ``tenant_key``; opens a short tenant-bound session per lookup
    (the keyring caches the unwrapped key, so this runs once per TTL per key)."""

    def __init__(self, open_tenant_session: Callable[[uuid.UUID], Session]) -> None:
        self._open = open_tenant_session

    def __repr__(self) -> str:
        return "DbKeyRecordSource()"

    def _one(self, tenant_id: str, where: str, params: dict[str, Any]) -> WrappedKeyRecord | None:
        tid = uuid.UUID(canonical_tenant_id(tenant_id))
        with self._open(tid) as session, session.begin():
            row = session.execute(sa.text(
                f"SELECT {_COLUMNS} FROM tenant_key WHERE tenant_id = :t AND {where}"),
                {"t": tid, **params}).one_or_none()
        return None if row is None else _record(row)

    def active(self, tenant_id: str, purpose: KeyPurpose) -> WrappedKeyRecord | None:
        return self._one(tenant_id, "purpose = :p AND status = 'active'", {"p": purpose})

    def get(self, tenant_id: str, purpose: KeyPurpose, version: int) -> WrappedKeyRecord | None:
        return self._one(tenant_id, "purpose = :p AND version = :v", {"p": purpose, "v": version})


def insert_key(session: Session, record: WrappedKeyRecord) -> None:
    session.execute(sa.text(
        "INSERT INTO tenant_key (tenant_id, id, purpose, version, wrapped, kek_ref, status, index_bits) "
        "VALUES (:t, :id, :p, :v, :w, :k, :s, :b)"),
        {"t": uuid.UUID(record.tenant_id), "id": uuid.uuid4(), "p": record.purpose, "v": record.version,
         "w": record.wrapped, "k": record.kek_ref, "s": record.status, "b": record.index_bits})


def key_versions(session: Session, tenant_id: uuid.UUID, purpose: KeyPurpose) -> list[tuple[int, str]]:
    rows = session.execute(sa.text(
        "SELECT version, status FROM tenant_key WHERE tenant_id = :t AND purpose = :p ORDER BY version"),
        {"t": tenant_id, "p": purpose})
    return [(r.version, r.status) for r in rows]


def set_status(session: Session, tenant_id: uuid.UUID, purpose: KeyPurpose, version: int, status: str) -> int:
    wrapped = ", wrapped = NULL" if status == "destroyed" else ""
    result = session.execute(sa.text(
        f"UPDATE tenant_key SET status = :s, status_changed_at = now(){wrapped} "
        "WHERE tenant_id = :t AND purpose = :p AND version = :v"),
        {"s": status, "t": tenant_id, "p": purpose, "v": version})
    return result.rowcount


def destroy_all(session: Session, tenant_id: uuid.UUID) -> int:
    result = session.execute(sa.text(
        "UPDATE tenant_key SET status = 'destroyed', wrapped = NULL, status_changed_at = now() "
        "WHERE tenant_id = :t AND status <> 'destroyed'"), {"t": tenant_id})
    return result.rowcount
