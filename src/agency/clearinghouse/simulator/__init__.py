"""Clearinghouse simulator: takes 837s, answers with TA1/999/277CA and, later, 835s.

``ClearinghouseSimulator`` (the pipeline over a directory tree) and
``SftpSimulatorServer`` (an asyncssh SFTP server on loopback, chrooted to the
same tree). See docs/clearinghouse-sim.md.
"""

from agency.clearinghouse.simulator.engine import ClearinghouseSimulator, RunReport
from agency.clearinghouse.simulator.rules import Rules, RulesError, load_rules, parse_rules

__all__ = ["ClearinghouseSimulator", "RunReport", "Rules", "RulesError", "load_rules", "parse_rules",
           "SftpSimulatorServer"]


def __getattr__(name: str):  # the server pulls in asyncssh: import it only when asked
    if name == "SftpSimulatorServer":
        from agency.clearinghouse.simulator.server import SftpSimulatorServer

        return SftpSimulatorServer
    raise AttributeError(name)
