"""`agency clearinghouse-sim`: a fake clearinghouse and payer for demos and tests.

Mailbox mode watches ``ROOT/inbound`` on the local disk; SFTP mode also serves
ROOT over SFTP on a loopback address (users from --users, host key from
--host-key, generated when absent; its SHA256 fingerprint is printed at start-up
for the connection's ``host_key_fingerprint``). Answers: TA1/999/277CA at once,
835 after --remit-delay seconds, per the --rules file (docs/clearinghouse-sim.md).
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click


def _fail(msg: str) -> None:
    click.echo(f"error: {msg}", err=True)
    sys.exit(2)


@click.command(name="clearinghouse-sim")
@click.option("--mode", type=click.Choice(["sftp", "mailbox"]), default="sftp", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on (sftp).")
@click.option("--port", type=click.IntRange(0, 65535), default=2222, show_default=True,
              help="SFTP port (0: a free one).")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Mailbox root / SFTP chroot: inbound/ (837s in), outbound/ (answers out), archive/.")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Adjudication rules (.json or .toml). Default: pay 80% of charges.")
@click.option("--users", multiple=True, help="user:password allowed to log in (sftp; repeatable).")
@click.option("--host-key", type=click.Path(dir_okay=False, path_type=Path),
              help="SSH host private key (generated if absent). Default: ROOT/../<root name>.hostkey")
@click.option("--remit-delay", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Seconds between the 277CA and the 835.")
@click.option("--poll", type=click.FloatRange(0.05, 60), default=1.0, show_default=True,
              help="Seconds between scans of inbound/.")
@click.option("--once", is_flag=True, help="Process what is waiting (and due) and exit (mailbox mode).")
def command(mode: str, host: str, port: int, root: Path, rules_file: Path | None, users: tuple[str, ...],
            host_key: Path | None, remit_delay: float, poll: float, once: bool) -> None:
    """Run the clearinghouse simulator."""
    from agency.clearinghouse.simulator import ClearinghouseSimulator, RulesError, load_rules
    from agency.clearinghouse.simulator.server import (SftpSimulatorServer, SimulatorError, loopback_address,
                                                       parse_users)

    try:
        rules = load_rules(rules_file)
        if mode == "sftp":
            host = loopback_address(host)
            user_map = parse_users(users)
            if not user_map:
                raise SimulatorError("--users user:password is required in sftp mode")
        root.mkdir(parents=True, exist_ok=True)
        sim = ClearinghouseSimulator(root, rules, remit_delay=remit_delay, poll_interval=poll)
    except (RulesError, SimulatorError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"--root {root}: {exc.strerror or exc}")

    if once:
        report = sim.process_pending()
        click.echo(f"processed {len(report.processed)} file(s), rejected {len(report.rejected_files)}, "
                   f"duplicates {len(report.duplicates)}, wrote {len(report.written)} file(s)")
        return

    server = None
    if mode == "sftp":
        key_path = host_key or root.resolve().parent / f"{root.resolve().name}.hostkey"
        try:
            server = SftpSimulatorServer(root, user_map, key_path, host, port).start()
        except SimulatorError as exc:
            _fail(str(exc))
        click.echo(f"SFTP on {server.host}:{server.port} (chroot {root.resolve()})")
        click.echo(f"host key fingerprint: {server.fingerprint}")
    click.echo(f"watching {root.resolve() / 'inbound'}; answers in {root.resolve() / 'outbound'}; "
               f"835 after {remit_delay:g} s. Ctrl-C to stop.")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sim.start()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        if server is not None:
            server.stop()
        click.echo("stopped")
