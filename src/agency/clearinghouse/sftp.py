"""SFTP transport (asyncssh) for sync callers.

dramatiq actors and services are synchronous; asyncssh is asyncio. Each
:class:`SftpTransport` owns a private event loop on a daemon thread and submits
coroutines to it, so it works the same from a worker thread, a CLI command, or
``asyncio.to_thread`` inside the API. One SSH connection is opened lazily and
reused until :meth:`close` (use it as a context manager).

Host keys are pinned: the connection's ``host_key_fingerprint`` (OpenSSH
``SHA256:...`` form, as ``ssh-keygen -lf`` prints it) must match the server's
key, checked by asyncssh *before* any credential is sent. There is no "accept
any key" mode; without a fingerprint the transport refuses to connect.
Neither ``~/.ssh/known_hosts``, ``~/.ssh/config`` nor an SSH agent is consulted.
"""

from __future__ import annotations

import asyncio
import posixpath
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import asyncssh

from agency.clearinghouse.transport import (
    DEFAULT_TIMEOUT,
    RemoteFile,
    TransportError,
    TransportUnavailable,
    _visible,
    check_name,
)


def normalize_fingerprint(value: str) -> str:
    """``SHA256:<base64 without padding>``; accepts the value with or without the prefix."""
    v = (value or "").strip()
    if not v:
        raise TransportError("SFTP host key fingerprint is required (SHA256:... as ssh-keygen -lf prints it)")
    if v.upper().startswith("SHA256:"):
        v = v[7:]
    v = v.rstrip("=")
    if not v or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" for c in v):
        raise TransportError("SFTP host key fingerprint must look like SHA256:<base64>")
    return "SHA256:" + v


def key_fingerprint(key: asyncssh.SSHKey) -> str:
    return normalize_fingerprint(key.get_fingerprint("sha256"))


class _PinnedClient(asyncssh.SSHClient):
    def __init__(self, fingerprint: str, seen: list[str]) -> None:
        self._fingerprint = fingerprint
        self._seen = seen

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        fp = key_fingerprint(key)
        self._seen.append(fp)
        return fp == self._fingerprint


class _Loop:
    """A private event loop on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sftp-transport", daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float) -> Any:  # noqa: ANN001
        fut = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), self.loop)
        try:
            return fut.result(timeout + 5)
        except FutureTimeout:
            fut.cancel()
            raise asyncio.TimeoutError() from None

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.loop.is_running():
            self.loop.close()


class SftpTransport:
    """SFTP to ``host:port`` as ``username`` with a password or a private key
    (OpenSSH/PEM text, optionally with ``passphrase``). ``outbound_dir`` is
    where we put 837s, ``inbound_dir`` where the clearinghouse leaves files for
    us; ``archive_dir`` (optional, remote) receives processed inbound files,
    otherwise they are deleted."""

    def __init__(self, host: str, port: int, username: str, *, host_key_fingerprint: str,
                 password: str | None = None, private_key: str | None = None, passphrase: str | None = None,
                 outbound_dir: str = ".", inbound_dir: str = ".", archive_dir: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        if not host or not username:
            raise TransportError("SFTP host and username are required")
        if not (password or private_key):
            raise TransportError("SFTP needs a password or a private key")
        self.host, self.port, self.username = host, int(port), username
        self.fingerprint = normalize_fingerprint(host_key_fingerprint)
        self._password = password
        self._key = None
        if private_key:
            try:
                self._key = asyncssh.import_private_key(private_key, passphrase)
            except (asyncssh.KeyImportError, ValueError, TypeError):
                raise TransportError("SFTP private key could not be read (wrong format or passphrase)") from None
        self.outbound_dir, self.inbound_dir, self.archive_dir = outbound_dir, inbound_dir, archive_dir
        self.timeout = float(timeout)
        self._loop: _Loop | None = None
        self._conn: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the password or key
        return f"SftpTransport({self.username}@{self.host}:{self.port}, host key {self.fingerprint})"

    @property
    def where(self) -> str:
        return f"SFTP server {self.host}:{self.port}"

    # --- connection -----------------------------------------------------------------
    async def _connect(self) -> asyncssh.SFTPClient:
        if self._sftp is not None:
            return self._sftp
        seen: list[str] = []
        options: dict[str, Any] = dict(
            username=self.username, known_hosts=([], [], []), config=None, agent_path=None,
            client_keys=[self._key] if self._key is not None else None,
            password=self._password, preferred_auth="publickey,password,keyboard-interactive"
            if self._key is not None else "password,keyboard-interactive",
            connect_timeout=self.timeout, login_timeout=self.timeout, keepalive_interval=0,
        )
        try:
            conn = await asyncssh.connect(self.host, self.port,
                                          client_factory=lambda: _PinnedClient(self.fingerprint, seen), **options)
        except asyncssh.HostKeyNotVerifiable:
            got = f" (server presented {seen[-1]})" if seen else ""
            raise TransportError(f"{self.where}: host key does not match the pinned fingerprint "
                                 f"{self.fingerprint}{got}; refusing to connect") from None
        except asyncssh.PermissionDenied:
            raise TransportError(f"{self.where}: login refused for user {self.username} "
                                 "(check the password or key)") from None
        except (asyncssh.ConnectionLost, asyncssh.DisconnectError) as exc:
            raise TransportUnavailable(f"{self.where}: connection closed during login ({exc.reason or 'no reason'})") from None
        try:
            sftp = await conn.start_sftp_client()
        except (asyncssh.Error, OSError) as exc:
            conn.close()
            raise TransportError(f"{self.where}: SFTP subsystem not available ({type(exc).__name__})") from None
        self._conn, self._sftp = conn, sftp
        return sftp

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = self._sftp = None

    def _run(self, what: str, fn) -> Any:  # noqa: ANN001
        """Run ``fn(sftp)`` (a coroutine function) with connect + timeout + error mapping."""
        with self._lock:
            if self._loop is None:
                self._loop = _Loop()

            async def op():
                sftp = await self._connect()
                return await fn(sftp)

            try:
                return self._loop.run(op(), self.timeout)
            except TransportError:
                self._drop_async()
                raise
            except asyncio.TimeoutError:
                self._drop_async()
                raise TransportUnavailable(f"{self.where}: no answer within {self.timeout:g} s while trying to "
                                           f"{what}") from None
            except asyncssh.SFTPError as exc:
                # The connection is fine; the request was refused (missing file/dir, permissions).
                raise TransportError(f"{self.where}: cannot {what}: {exc.reason or 'refused'}") from None
            except (ConnectionRefusedError, ConnectionResetError) as exc:
                self._drop_async()
                raise TransportUnavailable(f"{self.where}: {_oserror(exc)}; will retry later") from None
            except (asyncssh.ConnectionLost, asyncssh.DisconnectError, BrokenPipeError):
                self._drop_async()
                raise TransportUnavailable(f"{self.where}: connection lost while trying to {what}") from None
            except OSError as exc:
                self._drop_async()
                raise TransportUnavailable(f"{self.where}: {_oserror(exc)}; will retry later") from None

    def _drop_async(self) -> None:
        if self._loop is not None and self._conn is not None:
            conn = self._conn
            self._loop.loop.call_soon_threadsafe(conn.close)
        self._conn = self._sftp = None

    # --- Transport --------------------------------------------------------------------
    def upload(self, name: str, data: bytes) -> None:
        check_name(name)
        final = posixpath.join(self.outbound_dir, name)
        part = posixpath.join(self.outbound_dir, f".{name}.part")

        async def put(sftp: asyncssh.SFTPClient) -> None:
            async with sftp.open(part, "wb") as fh:
                await fh.write(data)
            try:
                await sftp.posix_rename(part, final)
            except asyncssh.SFTPOpUnsupported:
                await sftp.rename(part, final)

        self._run(f"upload {name}", put)

    def list_inbound(self) -> list[RemoteFile]:
        async def ls(sftp: asyncssh.SFTPClient) -> list[RemoteFile]:
            out = []
            for entry in await sftp.readdir(self.inbound_dir):
                a = entry.attrs
                if a.type == asyncssh.FILEXFER_TYPE_REGULAR and _visible(entry.filename):
                    out.append(RemoteFile(entry.filename, int(a.size or 0), float(a.mtime or 0)))
            return sorted(out, key=lambda f: (f.mtime, f.name))

        return self._run("list the inbound directory", ls)

    def list_outbound(self) -> list[str]:
        async def ls(sftp: asyncssh.SFTPClient) -> list[str]:
            return sorted(e.filename for e in await sftp.readdir(self.outbound_dir)
                          if e.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR and _visible(e.filename))

        return self._run("list the outbound directory", ls)

    def download(self, name: str) -> bytes:
        check_name(name)

        async def get(sftp: asyncssh.SFTPClient) -> bytes:
            async with sftp.open(posixpath.join(self.inbound_dir, name), "rb") as fh:
                return await fh.read()

        return self._run(f"download {name}", get)

    def archive(self, name: str) -> None:
        check_name(name)
        src = posixpath.join(self.inbound_dir, name)

        async def arc(sftp: asyncssh.SFTPClient) -> None:
            if self.archive_dir:
                if not await sftp.isdir(self.archive_dir):
                    await sftp.makedirs(self.archive_dir, exist_ok=True)
                await sftp.rename(src, posixpath.join(self.archive_dir, name))
            else:
                await sftp.remove(src)

        self._run(f"archive {name}", arc)

    def close(self) -> None:
        with self._lock:
            if self._loop is not None:
                conn = self._conn
                if conn is not None:
                    async def shut():
                        conn.close()
                        await conn.wait_closed()
                    try:
                        self._loop.run(shut(), 5)
                    except Exception:  # noqa: BLE001 - closing is best effort
                        pass
                self._conn = self._sftp = None
                self._loop.stop()
                self._loop = None

    def __enter__(self) -> "SftpTransport":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if self._loop is not None:
                self._loop.stop()
        except Exception:  # noqa: BLE001
            pass


def _oserror(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (server down or wrong port)"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the server"
    return (exc.strerror or type(exc).__name__).lower() if exc.strerror else type(exc).__name__
