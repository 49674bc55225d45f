"""Queries for key rotation: the rotation ledger and sealed values by key version.

The key version of a sealed value sits in bytes 2-5 of its header
(0x01 | version u32 | ...), so the sweep selects on the ciphertext itself:
no separate column can drift out of sync with what is really stored.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.keys.sealed_columns import SEALED_COLUMNS


def _version_bytes(version: int) -> bytes:
    return version.to_bytes(4, "big")


def stale_rows(session: Session, table: str, tenant_id: uuid.UUID, version: int, limit: int) -> list[Any]:
    """Rows of ``table`` with any sealed value not at ``version``, locked for
    update; rows a writer holds are skipped and picked up by a later batch."""
    cols = SEALED_COLUMNS[table]
    stale = " OR ".join(f"({c} IS NOT NULL AND substring({c} from 2 for 4) <> :vb)" for c in cols)
    return list(session.execute(sa.text(
        f"SELECT id, {', '.join(cols)} FROM {table} WHERE tenant_id = :t AND ({stale}) "
        "ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED"),
        {"t": tenant_id, "vb": _version_bytes(version), "n": limit}))


def count_stale(session: Session, table: str, tenant_id: uuid.UUID, version: int) -> int:
    cols = SEALED_COLUMNS[table]
    stale = " OR ".join(f"({c} IS NOT NULL AND substring({c} from 2 for 4) <> :vb)" for c in cols)
    return session.execute(sa.text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t AND ({stale})"),
                           {"t": tenant_id, "vb": _version_bytes(version)}).scalar_one()


def update_sealed(session: Session, table: str, tenant_id: uuid.UUID, row_id: uuid.UUID,
                  values: dict[str, bytes]) -> None:
    assignments = ", ".join(f"{c} = :{c}" for c in values)
    session.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE tenant_id = :t AND id = :id"),
                    {"t": tenant_id, "id": row_id, **values})


def insert_rotation(session: Session, tenant_id: uuid.UUID, rotation_id: uuid.UUID, from_version: int,
                    to_version: int) -> None:
    session.execute(sa.text(
        "INSERT INTO key_rotation (tenant_id, id, purpose, from_version, to_version) "
        "VALUES (:t, :id, 'dek', :f, :to)"),
        {"t": tenant_id, "id": rotation_id, "f": from_version, "to": to_version})


def rotation(session: Session, tenant_id: uuid.UUID, rotation_id: uuid.UUID) -> Any:
    return session.execute(sa.text(
        "SELECT id, from_version, to_version, status, values_resealed, started_at, finished_at "
        "FROM key_rotation WHERE tenant_id = :t AND id = :id"), {"t": tenant_id, "id": rotation_id}).one_or_none()


def running_rotation(session: Session, tenant_id: uuid.UUID) -> Any:
    return session.execute(sa.text(
        "SELECT id, from_version, to_version, status, values_resealed, started_at FROM key_rotation "
        "WHERE tenant_id = :t AND status = 'running' ORDER BY started_at LIMIT 1"), {"t": tenant_id}).one_or_none()


def add_progress(session: Session, tenant_id: uuid.UUID, rotation_id: uuid.UUID, values: int) -> None:
    session.execute(sa.text(
        "UPDATE key_rotation SET values_resealed = values_resealed + :n WHERE tenant_id = :t AND id = :id"),
        {"n": values, "t": tenant_id, "id": rotation_id})


def finish_rotation(session: Session, tenant_id: uuid.UUID, rotation_id: uuid.UUID) -> None:
    session.execute(sa.text(
        "UPDATE key_rotation SET status = 'completed', finished_at = now() "
        "WHERE tenant_id = :t AND id = :id AND status = 'running'"), {"t": tenant_id, "id": rotation_id})
