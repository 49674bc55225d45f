"""Local file keystore: one 32-byte KEK file per tenant (dev, CI, single host).

The keystore directory lives outside the database (and outside its backups),
so a database dump alone never holds anything that unwraps a DEK
(guide §10: keys stored apart from the data).

Layout::

    <keystore>/                      0700, owned by the service user
        <tenant-uuid>.kek            0600, 32 random bytes
        <tenant-uuid>.destroyed      0600, tombstone written by destroy_kek

Wrapped key format: ``0x01 | nonce 12 | AES-256-GCM(KEK, key, aad) || tag 16``
with ``aad = canonical JSON of the encryption context``.

Shredding overwrites the KEK file with random bytes, fsyncs and unlinks it.
On SSDs and copy-on-write or journalling filesystems an overwrite does not
guarantee the old blocks are gone; for production shredding use KMS
(``AwsKmsKeyProvider``), where key deletion is enforced by the service.
"""

from __future__ import annotations

import datetime as _dt
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .._util import canonical_json, canonical_tenant_id, check_context
from ..errors import (
    DecryptionFailed,
    KekNotFound,
    KeyDestroyed,
    KeyProviderError,
    KeystorePermissionError,
    UnknownCiphertextFormat,
)
from .base import DATA_KEY_LEN

__all__ = ["LocalKeyProvider"]

_KEK_LEN = 32
_WRAP_V1 = 0x01
_NONCE_LEN = 12
_TAG_LEN = 16
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class LocalKeyProvider:
    """Per-tenant KEK files in ``keystore_dir``.

    On construction the directory is created (0700) if missing, then the
    directory and every entry in it are checked: the directory must be mode
    0700 and every file 0600 (or stricter), all owned by the current user, no
    symlinks or subdirectories.  Anything else raises
    :class:`KeystorePermissionError` naming the path and the problem.
    Each KEK read re-checks the file (``fstat`` on the opened descriptor).
    """

    KEK_SUFFIX = ".kek"
    TOMBSTONE_SUFFIX = ".destroyed"

    def __init__(self, keystore_dir: Path | str, *, create: bool = True) -> None:
        self._dir = Path(keystore_dir).absolute()
        self._uid = os.geteuid()
        if not os.path.lexists(self._dir):
            if not create:
                raise KeyProviderError(f"keystore directory {self._dir} does not exist")
            os.makedirs(self._dir, mode=0o700)
            os.chmod(self._dir, 0o700)
        self._check_dir()
        with os.scandir(self._dir) as it:
            for entry in it:
                self._check_entry(Path(entry.path))

    def __repr__(self) -> str:
        return f"<LocalKeyProvider dir={str(self._dir)!r}>"

    @property
    def keystore_dir(self) -> Path:
        return self._dir

    # --- permission checks -------------------------------------------------

    def _check_dir(self) -> None:
        path = self._dir
        try:
            st = os.lstat(path)
        except OSError as exc:
            raise KeyProviderError(f"cannot stat keystore directory {path}: {exc.strerror}") from None
        if stat.S_ISLNK(st.st_mode):
            raise KeystorePermissionError(f"keystore directory {path} is a symlink; use the real path")
        if not stat.S_ISDIR(st.st_mode):
            raise KeystorePermissionError(f"keystore path {path} is not a directory")
        if st.st_uid != self._uid:
            raise KeystorePermissionError(
                f"keystore directory {path} is owned by uid {st.st_uid}, expected uid {self._uid} (the current user)"
            )
        mode = stat.S_IMODE(st.st_mode)
        if mode != 0o700:
            raise KeystorePermissionError(
                f"keystore directory {path} has mode {mode:04o}, expected 0700 (fix: chmod 700 {path})"
            )

    def _check_stat(self, path: Path, st: os.stat_result) -> None:
        if stat.S_ISLNK(st.st_mode):
            raise KeystorePermissionError(f"keystore entry {path} is a symlink; refusing")
        if not stat.S_ISREG(st.st_mode):
            raise KeystorePermissionError(f"keystore entry {path} is not a regular file; refusing")
        if st.st_uid != self._uid:
            raise KeystorePermissionError(
                f"keystore file {path} is owned by uid {st.st_uid}, expected uid {self._uid} (the current user)"
            )
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            raise KeystorePermissionError(
                f"keystore file {path} has mode {mode:04o}, expected 0600 (fix: chmod 600 {path})"
            )

    def _check_entry(self, path: Path) -> None:
        self._check_stat(path, os.lstat(path))

    # --- paths -----------------------------------------------------------

    def _kek_path(self, t: str) -> Path:
        return self._dir / f"{t}{self.KEK_SUFFIX}"

    def _tombstone_path(self, t: str) -> Path:
        return self._dir / f"{t}{self.TOMBSTONE_SUFFIX}"

    def _fsync_dir(self) -> None:
        fd = os.open(self._dir, os.O_RDONLY | _O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _read_kek(self, t: str) -> bytes:
        if os.path.lexists(self._tombstone_path(t)):
            raise KeyDestroyed("tenant KEK was destroyed", tenant_id=t)
        path = self._kek_path(t)
        try:
            fd = os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC)
        except FileNotFoundError:
            raise KekNotFound(f"no KEK file for tenant in keystore {self._dir}", tenant_id=t) from None
        except OSError as exc:
            raise KeyProviderError(f"cannot open KEK file {path}: {exc.strerror}", tenant_id=t) from None
        try:
            self._check_stat(path, os.fstat(fd))
            data = os.read(fd, _KEK_LEN + 1)
        finally:
            os.close(fd)
        if len(data) != _KEK_LEN:
            raise KeyProviderError(f"KEK file {path} is corrupt (wrong length)", tenant_id=t)
        return data

    # --- KeyProvider -------------------------------------------------------

    def kek_ref(self, tenant_id: Any) -> str:
        return f"local:{canonical_tenant_id(tenant_id)}"

    def create_kek(self, tenant_id: Any) -> str:
        t = canonical_tenant_id(tenant_id)
        if os.path.lexists(self._tombstone_path(t)):
            raise KeyDestroyed("tenant KEK was destroyed; a destroyed tenant id is never re-keyed", tenant_id=t)
        final = self._kek_path(t)
        if os.path.lexists(final):
            self._read_kek(t)  # validates permissions and length
            return self.kek_ref(t)
        tmp = self._dir / f".{t}.{secrets.token_hex(8)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, os.urandom(_KEK_LEN))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            # link() fails if the target exists: concurrent creators agree on one KEK.
            os.link(tmp, final)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        self._fsync_dir()
        self._read_kek(t)
        return self.kek_ref(t)

    def kek_exists(self, tenant_id: Any) -> bool:
        t = canonical_tenant_id(tenant_id)
        return os.path.lexists(self._kek_path(t)) and not os.path.lexists(self._tombstone_path(t))

    @staticmethod
    def _aad(t: str, context: Mapping[str, str]) -> bytes:
        ctx = check_context(context)
        if "tenant_id" in ctx and ctx["tenant_id"] != t:
            raise ValueError("encryption context tenant_id does not match tenant_id")
        return canonical_json(ctx)

    def wrap(self, tenant_id: Any, plaintext_key: bytes, context: Mapping[str, str]) -> bytes:
        t = canonical_tenant_id(tenant_id)
        if not isinstance(plaintext_key, (bytes, bytearray)) or not 16 <= len(plaintext_key) <= 64:
            raise ValueError("plaintext_key must be 16..64 bytes")
        aad = self._aad(t, context)
        kek = self._read_kek(t)
        nonce = os.urandom(_NONCE_LEN)
        return bytes([_WRAP_V1]) + nonce + AESGCM(kek).encrypt(nonce, bytes(plaintext_key), aad)

    def unwrap(self, tenant_id: Any, wrapped: bytes, context: Mapping[str, str]) -> bytes:
        t = canonical_tenant_id(tenant_id)
        aad = self._aad(t, context)
        purpose = context.get("purpose")
        version = context.get("version")
        kv = int(version) if isinstance(version, str) and version.isdigit() else None
        if (
            not isinstance(wrapped, (bytes, bytearray))
            or len(wrapped) < 1 + _NONCE_LEN + _TAG_LEN
            or wrapped[0] != _WRAP_V1
        ):
            raise UnknownCiphertextFormat("not a local-keystore wrapped key", tenant_id=t, purpose=purpose, key_version=kv)
        kek = self._read_kek(t)
        nonce = bytes(wrapped[1 : 1 + _NONCE_LEN])
        try:
            return AESGCM(kek).decrypt(nonce, bytes(wrapped[1 + _NONCE_LEN :]), aad)
        except InvalidTag:
            raise DecryptionFailed(
                "wrapped key does not authenticate under this tenant's KEK and context",
                tenant_id=t,
                purpose=purpose,
                key_version=kv,
            ) from None

    def generate_data_key(self, tenant_id: Any, context: Mapping[str, str]) -> tuple[bytes, bytes]:
        plain = os.urandom(DATA_KEY_LEN)
        return plain, self.wrap(tenant_id, plain, context)

    def destroy_kek(self, tenant_id: Any) -> None:
        """Crypto-shred the tenant KEK.  Idempotent and crash-safe: the
        tombstone is written first, so a half-finished destroy still reads as
        destroyed and a retry completes it."""
        t = canonical_tenant_id(tenant_id)
        tomb = self._tombstone_path(t)
        if not os.path.lexists(tomb):
            fd = os.open(tomb, os.O_WRONLY | os.O_CREAT | _O_NOFOLLOW | _O_CLOEXEC, 0o600)
            try:
                os.fchmod(fd, 0o600)
                stamp = _dt.datetime.now(_dt.timezone.utc).isoformat()
                os.write(fd, f"destroyed {stamp}\n".encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
            self._fsync_dir()
        path = self._kek_path(t)
        try:
            fd = os.open(path, os.O_RDWR | _O_NOFOLLOW | _O_CLOEXEC)
        except FileNotFoundError:
            return
        try:
            size = max(os.fstat(fd).st_size, _KEK_LEN)
            os.pwrite(fd, os.urandom(size), 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.unlink(path)
        self._fsync_dir()
