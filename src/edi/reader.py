"""Read any supported X12 file into typed transactions (the CLI's entry point).

`read_file(source)` walks every interchange and dispatches each set on ST01
(and GS08 to tell 837P from 837I, 277CA from 277 X212):
835 -> Remittance, 837 -> Transaction837, 999 -> Ack999, 277 X214 -> Ack277CA,
TA1 -> Ta1, anything else -> UnsupportedTransaction (still envelope-checked).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edi.envelope import EnvelopeChecker, EnvelopeInfo, Issue, iter_transactions
from edi.r835 import parse_835_transaction
from edi.r837 import parse_837_transaction
from edi.racks import parse_277ca_transaction, parse_999_transaction, parse_ta1
from edi.tokenizer import Source


@dataclass(slots=True)
class UnsupportedTransaction:
    type: str  # ST01 (e.g. "270", "277" for X212)
    control_number: str
    implementation: str
    segment_count: int
    envelope: EnvelopeInfo | None = None
    issues: list[Issue] = field(default_factory=list)


@dataclass(slots=True)
class X12File:
    transactions: list = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)  # envelope issues not tied to one transaction

    @property
    def all_issues(self) -> list[Issue]:
        out = list(self.issues)
        for t in self.transactions:
            out += t.issues
        return out


def read_file(source: Source) -> X12File:
    """Materialise every transaction. Raises X12ParseError (X12SyntaxError when
    the input is not X12, X12ContentError when a transaction is unusable)."""
    chk = EnvelopeChecker()
    sink: list = []
    found: list[tuple[int, object]] = []
    claimed: set[int] = set()
    for tx in iter_transactions(source, chk, sink):
        start = len(chk.issues)
        if tx.set_id == "835":
            rem = None
            for kind, obj in parse_835_transaction(tx, chk):
                if kind == "remittance":
                    rem = obj
                elif kind == "claim":
                    rem.claims.append(obj)
            t = rem
        elif tx.set_id == "837":
            t = parse_837_transaction(tx, chk)
        elif tx.set_id == "999":
            t = parse_999_transaction(tx, chk)
        elif tx.set_id == "277" and "X214" in tx.implementation:
            t = parse_277ca_transaction(tx, chk)
        else:
            n = 0
            for _ in tx.body:
                n += 1
            t = UnsupportedTransaction(tx.set_id, tx.control_number, tx.implementation, n + 2, tx.envelope,
                                       chk.issues[start:])
        claimed.update(range(start, len(chk.issues)))
        found.append((tx.st_number, t))
    for els, n, env in sink:
        found.append((n, parse_ta1(els, n, env)))
    found.sort(key=lambda x: x[0])
    rest = [i for k, i in enumerate(chk.issues) if k not in claimed]
    return X12File([t for _, t in found], rest)
