"""The simulator's SFTP server: asyncssh on loopback, password logins, chrooted to the root.

Runs its own event loop on a daemon thread so tests and the CLI can start and
stop it from sync code. Loopback only: the simulator accepts any file from any
configured user and is meant for demos and tests on one machine.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import os
import socket
import threading
from pathlib import Path

import asyncssh

from agency.errors import UserFacingError


class SimulatorError(UserFacingError):
    pass


def loopback_address(host: str) -> str:
    """The address itself if it is a loopback address ('localhost' -> 127.0.0.1); refuse anything else."""
    h = (host or "").strip()
    if h == "localhost":
        return "127.0.0.1"
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        raise SimulatorError(f"--host {h!r}: give a loopback IP address (127.0.0.1 or ::1)") from None
    if not ip.is_loopback:
        raise SimulatorError(f"--host {h}: the simulator only listens on loopback addresses (127.0.0.0/8, ::1)")
    return str(ip)


def load_or_create_host_key(path: str | Path) -> asyncssh.SSHKey:
    """Read the server's private host key, or generate an ed25519 key there (mode 0600)."""
    p = Path(path)
    if p.exists():
        try:
            return asyncssh.read_private_key(str(p))
        except (asyncssh.KeyImportError, OSError, ValueError):
            raise SimulatorError(f"--host-key {p}: not a readable SSH private key") from None
    key = asyncssh.generate_private_key("ssh-ed25519")
    p.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.export_private_key())
    return key


def parse_users(values: list[str] | tuple[str, ...]) -> dict[str, str]:
    users: dict[str, str] = {}
    for v in values:
        name, sep, password = v.partition(":")
        if not sep or not name or not password:
            raise SimulatorError("--users: expected user:password")
        users[name] = password
    return users


class _Server(asyncssh.SSHServer):
    def __init__(self, users: dict[str, str]) -> None:
        self._users = users

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        expected = self._users.get(username)
        # Compare even for unknown users so timing does not tell which names exist.
        return hmac.compare_digest((expected or "\0").encode(), password.encode()) and expected is not None

    def public_key_auth_supported(self) -> bool:
        return False


class SftpSimulatorServer:
    """``start()`` binds ``host:port`` (port 0: a free one, see ``.port``) and serves
    SFTP with ``root`` as the chroot; ``stop()`` closes it."""

    def __init__(self, root: str | Path, users: dict[str, str], host_key: str | Path | asyncssh.SSHKey,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        if not users:
            raise SimulatorError("the SFTP simulator needs at least one user (--users user:password)")
        self.users = dict(users)
        self.host_key = host_key if isinstance(host_key, asyncssh.SSHKey) else load_or_create_host_key(host_key)
        self.host = loopback_address(host)
        self.port = int(port)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptor = None

    @property
    def fingerprint(self) -> str:
        return self.host_key.get_fingerprint("sha256")

    def start(self) -> "SftpSimulatorServer":
        if self._loop is not None:
            return self
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="clearinghouse-sim-sftp", daemon=True)
        thread.start()
        root = str(self.root)

        async def listen():
            return await asyncssh.listen(
                self.host, self.port, server_host_keys=[self.host_key],
                server_factory=lambda: _Server(self.users),
                sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=root),
                allow_scp=False, agent_forwarding=False, x11_forwarding=False, allow_pty=False,
                login_timeout=30, reuse_address=True)

        try:
            self._acceptor = asyncio.run_coroutine_threadsafe(listen(), loop).result(15)
        except OSError as exc:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            raise SimulatorError(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}") from None
        self._loop, self._thread = loop, thread
        self.port = self._acceptor.get_port()
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        loop, acceptor = self._loop, self._acceptor

        async def close():
            acceptor.close()
            await acceptor.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        except Exception:  # noqa: BLE001 - stopping is best effort
            pass
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        loop.close()
        self._loop = self._thread = self._acceptor = None

    def __enter__(self) -> "SftpSimulatorServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
