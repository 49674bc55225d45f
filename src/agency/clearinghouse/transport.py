"""How files travel to and from a clearinghouse: one small interface, two implementations.

``Transport`` is what the submission run uses: ``upload`` an 837, ``list_inbound``
the acknowledgements and remittances waiting for us, ``download`` one, then
``archive`` it once it has been processed (moved aside or deleted, so the next
poll does not see it again). Every call has an explicit timeout.

Errors are one type, :class:`TransportError`, with a message a person can act on
and no secret in it (never a password, key or file content). Its subclass
:class:`TransportUnavailable` means "the other side is down or slow": the caller
parks the file with that reason and retries later with backoff. Anything else
(wrong host key, refused login, missing directory) needs a person to fix the
connection, so retrying blindly would not help.

* :class:`MailboxTransport`: local directories (a mounted share, a clearinghouse
  agent's folders, or the simulator's mailbox mode). Writes are atomic: a
  temporary dot-file in the target directory, then ``os.replace``.
* :class:`~agency.clearinghouse.sftp.SftpTransport`: SFTP with a pinned host key.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

DEFAULT_TIMEOUT = 30.0
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class TransportError(Exception):
    """A transport operation failed; ``str(exc)`` is safe to show and to log."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransportUnavailable(TransportError):
    """The clearinghouse could not be reached or did not answer in time: retry later."""

    retryable = True


@dataclass(frozen=True, slots=True)
class RemoteFile:
    name: str
    size: int
    mtime: float  # seconds since the epoch


@runtime_checkable
class Transport(Protocol):
    """What the submission run needs from a clearinghouse connection."""

    def upload(self, name: str, data: bytes) -> None:
        """Deliver ``data`` as ``name`` in the outbound directory (atomically: the
        clearinghouse never sees a half-written file)."""
        ...

    def list_inbound(self) -> list[RemoteFile]:
        """Files waiting for us (999, 277CA, 835, TA1), oldest first."""
        ...

    def list_outbound(self) -> list[str]:
        """Names of our files still waiting in the outbound directory. The submission
        run asks before re-sending after a crash, so an upload is not repeated while
        the clearinghouse has not collected it yet."""
        ...

    def download(self, name: str) -> bytes: ...

    def archive(self, name: str) -> None:
        """Take a processed inbound file out of the way (move or delete)."""
        ...

    def close(self) -> None: ...


def check_name(name: str) -> str:
    """File names are plain: no directories, no hidden files, no odd characters."""
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise TransportError("file name must be 1-200 letters, digits, '.', '_' or '-' and not start with '.'")
    return name


def _visible(name: str) -> bool:
    return not name.startswith(".") and not name.endswith((".part", ".tmp"))


class MailboxTransport:
    """Local directories: ``outbound_dir`` (we drop files for the clearinghouse),
    ``inbound_dir`` (the clearinghouse drops files for us) and ``archive_dir``
    (processed inbound files; default ``<inbound_dir>/archive``)."""

    def __init__(self, outbound_dir: str | Path, inbound_dir: str | Path, archive_dir: str | Path | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.outbound = Path(outbound_dir)
        self.inbound = Path(inbound_dir)
        self.archive_dir = Path(archive_dir) if archive_dir else self.inbound / "archive"
        self.timeout = timeout  # local file systems do not time out; kept for the interface

    def __repr__(self) -> str:
        return f"MailboxTransport(outbound={str(self.outbound)!r}, inbound={str(self.inbound)!r})"

    def _dir(self, path: Path, what: str) -> Path:
        if not path.is_dir():
            # A missing mount point looks exactly like this: worth a retry.
            raise TransportUnavailable(f"mailbox {what} directory {path} does not exist or is not mounted")
        return path

    def upload(self, name: str, data: bytes) -> None:
        check_name(name)
        target = self._dir(self.outbound, "outbound")
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=target)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target / name)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise TransportError(f"mailbox: cannot write {name} to {target}: {exc.strerror or type(exc).__name__}") from None

    def list_inbound(self) -> list[RemoteFile]:
        src = self._dir(self.inbound, "inbound")
        out = []
        try:
            for entry in os.scandir(src):
                if entry.is_file(follow_symlinks=False) and _visible(entry.name):
                    st = entry.stat(follow_symlinks=False)
                    out.append(RemoteFile(entry.name, st.st_size, st.st_mtime))
        except OSError as exc:
            raise TransportError(f"mailbox: cannot list {src}: {exc.strerror or type(exc).__name__}") from None
        return sorted(out, key=lambda f: (f.mtime, f.name))

    def list_outbound(self) -> list[str]:
        dst = self._dir(self.outbound, "outbound")
        try:
            return sorted(e.name for e in os.scandir(dst) if e.is_file(follow_symlinks=False) and _visible(e.name))
        except OSError as exc:
            raise TransportError(f"mailbox: cannot list {dst}: {exc.strerror or type(exc).__name__}") from None

    def download(self, name: str) -> bytes:
        check_name(name)
        path = self._dir(self.inbound, "inbound") / name
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise TransportError(f"mailbox: no inbound file {name}") from None
        except OSError as exc:
            raise TransportError(f"mailbox: cannot read {name}: {exc.strerror or type(exc).__name__}") from None

    def archive(self, name: str) -> None:
        check_name(name)
        src = self._dir(self.inbound, "inbound") / name
        try:
            self.archive_dir.mkdir(parents=True, exist_ok=True)
            target = self.archive_dir / name
            if target.exists():
                target = self.archive_dir / f"{name}.{os.urandom(4).hex()}"
            shutil.move(str(src), str(target))
        except FileNotFoundError:
            raise TransportError(f"mailbox: no inbound file {name}") from None
        except OSError as exc:
            raise TransportError(f"mailbox: cannot archive {name}: {exc.strerror or type(exc).__name__}") from None

    def close(self) -> None:
        pass

    def __enter__(self) -> "MailboxTransport":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def retry_delay(attempt: int, base: float = 60.0, cap: float = 3600.0, jitter: float = 0.1,
                rand: float | None = None) -> float:
    """Seconds to wait before retry ``attempt`` (1, 2, ...) after a :class:`TransportUnavailable`:
    exponential (60 s, 2 min, 4 min ... capped at an hour) with +/-10 % jitter so parked
    files of many practices do not all retry in the same second."""
    import random

    if attempt < 1:
        raise ValueError("attempt counts from 1")
    delay = min(cap, base * 2 ** min(attempt - 1, 30))
    r = random.random() if rand is None else rand
    return round(delay * (1 - jitter + 2 * jitter * r), 3)
