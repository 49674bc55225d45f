"""Provisioning, DEK rotation and crypto-shredding for one practice.

Services never commit; the functions that must commit per batch
(:func:`reseal_all`) take the session factory and own their units of work,
because a rotation must survive a crash half-way and resume where it stopped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from agency.db.base import new_id
from agency.errors import UserFacingError
from agency.keys import repository as repo
from agency.keys.sealed_columns import SEALED_COLUMNS
from tenants import keystore_db
from tenants.crypto.keyring import PhiCipher, new_key_record, provision_tenant_keys
from tenants.crypto.providers.base import KeyProvider
from tenants.crypto.sealing import FieldContext, open_sealed, parse_header, seal
from tenants.sessions import SessionFactory

# Blind-index length: with R = 100,000 patients per practice and one high-entropy
# input, 2 <= R / 2^L < sqrt(R) holds for 9 <= L <= 15 (guide §9.5).
DEFAULT_INDEX_BITS = 14


class KeyManagementError(UserFacingError):
    pass


def provision_practice_keys(session: Session, provider: KeyProvider, tenant_id: uuid.UUID,
                            index_bits: int = DEFAULT_INDEX_BITS) -> None:
    """Onboarding: KEK at the provider, DEK v1 and index key v1 wrapped in ``tenant_key``."""
    for record in provision_tenant_keys(provider, tenant_id, index_bits=index_bits):
        keystore_db.insert_key(session, record)


@dataclass(frozen=True)
class RotationStarted:
    rotation_id: uuid.UUID
    from_version: int
    to_version: int


def start_rotation(session: Session, provider: KeyProvider, tenant_id: uuid.UUID) -> RotationStarted:
    """New DEK version n+1 becomes active, n becomes decrypt-only. New writes use
    n+1 at once (after other processes' key caches expire); a job re-seals the rest."""
    if repo.running_rotation(session, tenant_id) is not None:
        raise KeyManagementError(f"practice {tenant_id}: a key rotation is already running; "
                                 "resume it with `agency keys rotate --practice ID --resume`")
    versions = keystore_db.key_versions(session, tenant_id, "dek")
    active = [v for v, status in versions if status == "active"]
    if not active:
        raise KeyManagementError(f"practice {tenant_id}: no active data key (offboarded or never provisioned)")
    current = active[0]
    new_version = max(v for v, _ in versions) + 1
    if not provider.kek_exists(tenant_id):
        # Never mint a new KEK here: for an offboarded practice that would undo the shredding.
        raise KeyManagementError(f"practice {tenant_id}: its key-encryption key is missing at the key provider")
    kek_ref = _kek_ref(session, tenant_id)
    keystore_db.set_status(session, tenant_id, "dek", current, "decrypt_only")
    keystore_db.insert_key(session, new_key_record(provider, tenant_id, "dek", new_version, kek_ref=kek_ref))
    rotation_id = new_id()
    repo.insert_rotation(session, tenant_id, rotation_id, current, new_version)
    return RotationStarted(rotation_id, current, new_version)


def _kek_ref(session: Session, tenant_id: uuid.UUID) -> str:
    import sqlalchemy as sa

    return session.execute(sa.text("SELECT kek_ref FROM tenant_key WHERE tenant_id = :t ORDER BY version DESC "
                                   "LIMIT 1"), {"t": tenant_id}).scalar_one()


def reseal_value(cipher: PhiCipher, ctx: FieldContext, blob: bytes, version: int) -> bytes | None:
    """The value re-sealed under ``version``, or None when it already is."""
    if parse_header(blob)[1] == version:
        return None
    keyring = cipher.keyring
    plaintext = open_sealed(lambda v: keyring.dek(ctx.tenant_id, v), ctx, blob)
    return seal(keyring.dek(ctx.tenant_id, version), version, ctx, plaintext).blob


def reseal_all(sessions: SessionFactory, cipher: PhiCipher, tenant_id: uuid.UUID, rotation_id: uuid.UUID,
               *, batch_size: int = 500, settle_seconds: float = 0.0,
               progress: Callable[[int], None] | None = None) -> int:
    """Re-seal every sealed value of the practice under the rotation's new version,
    committing per batch; safe to run again after a crash or alongside another
    runner (SKIP LOCKED). Then retire the old version (destroyed: its wrapped
    key is erased). Returns the number of values re-sealed by this call.

    ``settle_seconds``: other processes may keep sealing with the old version
    until their key caches expire; the final sweep waits that long after the
    rotation started, so nothing written with the old key is left behind."""
    with sessions.tenant_unit_for(tenant_id) as s:
        row = repo.rotation(s, tenant_id, rotation_id)
    if row is None:
        raise KeyManagementError(f"practice {tenant_id}: no key rotation {rotation_id}")
    if row.status == "completed":
        return 0
    version, total = row.to_version, 0
    started = row.started_at.timestamp()
    while True:
        done = _sweep(sessions, cipher, tenant_id, rotation_id, version, batch_size, progress)
        total += done
        if done:
            continue
        wait = started + settle_seconds - time.time()
        if wait > 0:
            time.sleep(min(wait, settle_seconds))
            continue
        with sessions.tenant_unit_for(tenant_id) as s:
            if any(repo.count_stale(s, t, tenant_id, version) for t in SEALED_COLUMNS):
                continue  # rows a writer held during the last sweep
            for old, status in keystore_db.key_versions(s, tenant_id, "dek"):
                if old < version and status == "decrypt_only":
                    keystore_db.set_status(s, tenant_id, "dek", old, "destroyed")
            repo.finish_rotation(s, tenant_id, rotation_id)
        cipher.keyring.invalidate(tenant_id)
        return total


def _sweep(sessions: SessionFactory, cipher: PhiCipher, tenant_id: uuid.UUID, rotation_id: uuid.UUID,
           version: int, batch_size: int, progress: Callable[[int], None] | None) -> int:
    done = 0
    for table, columns in SEALED_COLUMNS.items():
        while True:
            with sessions.tenant_unit_for(tenant_id) as s:
                rows = repo.stale_rows(s, table, tenant_id, version, batch_size)
                if not rows:
                    break
                count = 0
                for row in rows:
                    values = {}
                    for col in columns:
                        blob = getattr(row, col)
                        if blob is None:
                            continue
                        new = reseal_value(cipher, FieldContext(tenant_id, table, col, row.id), bytes(blob), version)
                        if new is not None:
                            values[col] = new
                    if values:
                        repo.update_sealed(s, table, tenant_id, row.id, values)
                        count += len(values)
                repo.add_progress(s, tenant_id, rotation_id, count)
            done += count
            if progress:
                progress(count)
    return done


def offboard(session: Session, provider: KeyProvider, cipher: PhiCipher, tenant_id: uuid.UUID) -> int:
    """Crypto-shredding: erase every wrapped key of the practice and destroy its KEK.
    Afterwards its PHI cannot be decrypted by anyone; other practices are untouched
    (their keys are wrapped by their own KEKs)."""
    destroyed = keystore_db.destroy_all(session, tenant_id)
    provider.destroy_kek(tenant_id)
    cipher.keyring.invalidate(tenant_id)
    return destroyed
