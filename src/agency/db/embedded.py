"""A private PostgreSQL for a laptop: started on demand under ``<data_dir>/postgres``.

Why the system's PostgreSQL binaries (``initdb``, ``pg_ctl``) rather than a
pip-installed server: Debian's packages get security updates with the rest of
the machine, match the server the tests run against, and the tenancy model
depends on PostgreSQL behaviour (RLS, ``set_config``) that we verify against
that exact version. Binaries are found in ``AGENCY_POSTGRES_BIN_DIR``, on PATH,
or under ``/usr/lib/postgresql/<ver>/bin``.

The server listens on 127.0.0.1 only, with scram-sha-256 passwords generated at
first start and kept in ``<data_dir>/postgres-credentials.json`` (mode 0600).
PostgreSQL refuses to run as root; when we are root it runs as the ``postgres``
OS user, which must be able to reach the data directory.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from agency.errors import UserFacingError
from tenants.roles import RoleNames, bootstrap

DATABASE = "agency"
SUPERUSER = "postgres"


class EmbeddedPostgresError(UserFacingError):
    pass


@dataclass(frozen=True)
class EmbeddedUrls:
    admin: str
    app: str
    owner: str
    system: str


def find_bin_dir(configured: Path | None) -> Path:
    if configured is not None:
        if not (configured / "initdb").exists():
            raise EmbeddedPostgresError(f"AGENCY_POSTGRES_BIN_DIR={configured} has no initdb")
        return configured
    on_path = shutil.which("initdb")
    if on_path:
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if candidates:
        return candidates[0].parent
    raise EmbeddedPostgresError(
        "no PostgreSQL server binaries found for the embedded database: install PostgreSQL "
        "(apt-get install postgresql) or set AGENCY_DATABASE_URL to an existing server"
    )


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int, bin_dir: Path | None = None,
                 roles: RoleNames = RoleNames()) -> None:
        self.root = data_dir.resolve()
        self.pgdata = self.root / "postgres"
        self.creds_file = self.root / "postgres-credentials.json"
        self.port = port
        self.bin_dir = find_bin_dir(bin_dir)
        self.roles = roles
        self._run_as = None
        self.started_here = False
        if os.geteuid() == 0:
            try:
                self._run_as = pwd.getpwnam("postgres")
            except KeyError:
                raise EmbeddedPostgresError(
                    "running as root, and PostgreSQL refuses to: create a 'postgres' OS user "
                    "or run agency as an ordinary user") from None

    # -- helpers ------------------------------------------------------------
    def _cmd(self, *args: str) -> list[str]:
        if self._run_as is None:
            return list(args)
        return ["setpriv", f"--reuid={self._run_as.pw_uid}", f"--regid={self._run_as.pw_gid}",
                "--init-groups", "--", *args]

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise EmbeddedPostgresError(
                f"{Path(args[0]).name} failed (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[-800:]}")
        return proc

    def _credentials(self) -> dict[str, str]:
        if self.creds_file.exists():
            mode = self.creds_file.stat().st_mode & 0o777
            if mode & 0o077:
                raise EmbeddedPostgresError(
                    f"{self.creds_file} is readable by others (mode {mode:o}); chmod 600 it")
            return json.loads(self.creds_file.read_text())
        creds = {name: secrets.token_urlsafe(24)
                 for name in (SUPERUSER, self.roles.owner, self.roles.app, self.roles.system)}
        fd = os.open(self.creds_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(creds, fh)
        return creds

    def url(self, user: str, password: str, database: str = DATABASE) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    # -- lifecycle ----------------------------------------------------------
    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        creds = self._credentials()
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        pwfile = self.root / ".initdb-pw"
        pwfile.write_text(creds[SUPERUSER])
        if self._run_as is not None:
            self._check_reachable()
            os.chown(self.pgdata, self._run_as.pw_uid, self._run_as.pw_gid)
            os.chown(pwfile, self._run_as.pw_uid, self._run_as.pw_gid)
        os.chmod(pwfile, 0o600)
        try:
            self._run(str(self.bin_dir / "initdb"), "-D", str(self.pgdata), "-U", SUPERUSER,
                      f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8",
                      "--locale=C.UTF-8")
        finally:
            pwfile.unlink(missing_ok=True)

    def _check_reachable(self) -> None:
        assert self._run_as is not None
        probe = subprocess.run(self._cmd("test", "-x", str(self.root)), capture_output=True)
        if probe.returncode != 0:
            raise EmbeddedPostgresError(
                f"the embedded PostgreSQL runs as the 'postgres' OS user (we are root) and it "
                f"cannot reach {self.root}: choose AGENCY_DATA_DIR under a traversable path "
                "or set AGENCY_DATABASE_URL")

    def running(self) -> bool:
        proc = subprocess.run(self._cmd(str(self.bin_dir / "pg_ctl"), "status", "-D", str(self.pgdata)),
                              capture_output=True, text=True)
        return proc.returncode == 0

    def start(self) -> None:
        if self.running():
            return
        log = self.pgdata / "server.log"
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories=''"
        self._run(str(self.bin_dir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.pgdata),
                  "-l", str(log), "-o", opts)
        self.started_here = True

    def stop(self) -> None:
        if self.initialised() and self.running():
            self._run(str(self.bin_dir / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.pgdata))

    def ensure(self) -> EmbeddedUrls:
        """Initialise on first use, start, and bootstrap roles and database."""
        if not self.initialised():
            self.init()
        self.start()
        creds = self._credentials()
        admin = self.url(SUPERUSER, creds[SUPERUSER], "postgres")
        self._wait(admin)
        bootstrap(admin, DATABASE, self.roles, passwords=creds)
        return EmbeddedUrls(
            admin=admin,
            app=self.url(self.roles.app, creds[self.roles.app]),
            owner=self.url(self.roles.owner, creds[self.roles.owner]),
            system=self.url(self.roles.system, creds[self.roles.system]),
        )

    @staticmethod
    def _wait(url: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                psycopg.connect(url, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise EmbeddedPostgresError("embedded PostgreSQL did not accept connections "
                                                "within 30 s") from None
                time.sleep(0.2)
