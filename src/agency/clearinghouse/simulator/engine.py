"""The simulator's processing pipeline (shared by the SFTP and mailbox modes).

Directory layout under ``root`` (named from the clearinghouse's point of view):

* ``inbound/``  837 files arrive here (what the agency *uploads*),
* ``outbound/`` 999, 277CA, TA1 and 835 files for the agency (what it *downloads*),
* ``archive/``  processed 837s,
* ``.state.json`` content hashes of processed files, counters, scheduled remittances.

For each new file in ``inbound/``: read and check it with ``edi``; an unreadable
interchange or a broken ISA/IEA envelope gets a rejecting TA1 and nothing else; a
group with envelope errors, or a transaction set with structural errors, gets a
999 with ``IK5*R`` / ``AK9*R`` (or ``P``) and the segment errors. Every accepted
837 set gets a 277CA with one claim status per claim (accepted ``A2:20`` with a
payer claim number in REF*1K, or rejected by an edit or a rule), and the
accepted claims are scheduled for an 835 after ``remit_delay`` seconds. One 835
per payer (and payee) is written per run, with BPR02 = the sum of payments and
a unique TRN02.

Idempotent per file: outputs are named after the file's SHA-256 and written
atomically; the hash is recorded before the 837 moves to ``archive/``, and a
file whose hash is already recorded is archived without answering again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from edi.envelope import Interchange
from edi.errors import X12ContentError, X12SyntaxError
from edi.model.acks import Ack277CA, Ack999, ClaimStatus, ElementError, SegmentError, SetResponse, StatusInfo, Ta1
from edi.model.common import Address
from edi.model.remit835 import Party, Payment, Remittance
from edi.r837 import Transaction837
from edi.reader import read_file
from edi.validate import _check  # the library's own claim-level checks (SNIP 3/4)
from edi.wacks import write_277ca, write_835, write_999, write_ta1

from agency.clearinghouse.simulator.adjudicate import adjudicate, claim_edit
from agency.clearinghouse.simulator.rules import Rules

log = logging.getLogger("agency.clearinghouse.simulator")

STATE_FILE = ".state.json"


@dataclass
class RunReport:
    """What one ``process_pending`` run did (file names only, never content)."""

    processed: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    rejected_files: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.processed or self.duplicates or self.written)


def _raw_segments(data: bytes) -> list[list[str]] | None:
    """A plain split with the delimiters ISA declares (for locating ST/GS numbers)."""
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    if not text.startswith("ISA") or len(text) < 106:
        return None
    sep, term = text[3], text[105]
    parts = text.split(term) if term not in "\r\n" else text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [p.strip("\r\n \t").split(sep) for p in parts if p.strip("\r\n \t")]


@dataclass
class _SetPos:
    st_number: int  # file-level, 1-based (ISA = 1)
    control_number: str
    set_id: str
    group_key: tuple[str, str]  # (ISA13, GS06)
    group_version: str
    functional_id: str


def _layout(segs: list[list[str]]) -> tuple[list[_SetPos], dict[tuple[str, str], tuple[int, int]]]:
    """ST positions and the segment-number span of each group."""
    sets: list[_SetPos] = []
    groups: dict[tuple[str, str], tuple[int, int]] = {}
    isa13 = gs06 = version = fid = ""
    gs_start = 0
    for n, e in enumerate(segs, 1):
        tag = e[0]
        if tag == "ISA":
            isa13 = e[13] if len(e) > 13 else ""
        elif tag == "GS":
            gs06, version, fid, gs_start = (e[6] if len(e) > 6 else ""), (e[8] if len(e) > 8 else ""), \
                (e[1] if len(e) > 1 else ""), n
        elif tag == "GE":
            groups[(isa13, gs06)] = (gs_start, n)
        elif tag == "ST":
            sets.append(_SetPos(n, e[2] if len(e) > 2 else "", e[1] if len(e) > 1 else "", (isa13, gs06),
                                version, fid))
    return sets, groups


def _ta1_note(message: str) -> str:
    if "IEA02" in message:
        return "001"
    if "IEA01" in message:
        return "021"
    if "ISA13" in message:
        return "018"
    if "terminator" in message:
        return "004"
    if "separator" in message:
        return "026"
    if "end of file" in message or "missing" in message:
        return "023"
    return "024"


class ClearinghouseSimulator:
    """A fake clearinghouse + payer over a directory tree (see the module doc).

    ``process_pending()`` does one pass; ``start()`` runs passes on a daemon
    thread every ``poll_interval`` seconds until ``stop()``.
    """

    def __init__(self, root: str | Path, rules: Rules | None = None, *, remit_delay: float = 0.0,
                 sender_id: str = "SIMCLEARINGHSE", poll_interval: float = 0.2,
                 clock: Callable[[], float] = time.time, today: Callable[[], date] = date.today) -> None:
        self.root = Path(root)
        self.rules = rules or Rules()
        self.remit_delay = float(remit_delay)
        self.sender_id = sender_id
        self.poll_interval = poll_interval
        self.clock, self.today = clock, today
        self.inbound, self.outbound, self.archive = (self.root / "inbound", self.root / "outbound",
                                                     self.root / "archive")
        for d in (self.inbound, self.outbound, self.archive):
            d.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: dict[str, tuple[int, float]] = {}
        self.last_error: str | None = None

    # --- state ------------------------------------------------------------------------
    def _load_state(self) -> dict:
        try:
            state = json.loads((self.root / STATE_FILE).read_text())
        except FileNotFoundError:
            state = {}
        state.setdefault("processed", {})
        state.setdefault("counters", {})
        state.setdefault("pending_remits", [])
        return state

    def _save_state(self, state: dict) -> None:
        _atomic_write(self.root / STATE_FILE, json.dumps(state, indent=1, sort_keys=True).encode())

    @staticmethod
    def _next(state: dict, name: str, start: int = 1) -> int:
        n = state["counters"].get(name, start - 1) + 1
        state["counters"][name] = n
        return n

    # --- thread -----------------------------------------------------------------------
    def start(self) -> "ClearinghouseSimulator":
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="clearinghouse-sim", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.process_pending(settle=True)
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - keep serving; say what broke
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("clearinghouse simulator pass failed")
            self._stop.wait(self.poll_interval)

    def __enter__(self) -> "ClearinghouseSimulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- one pass -----------------------------------------------------------------------
    def pending_files(self, settle: bool = False) -> list[Path]:
        """837 candidates in ``inbound/``. With ``settle``, a file is taken only once
        its size and mtime did not change since the previous pass (a client that
        writes in place, without a temporary name, is not read half-way)."""
        out = []
        seen: dict[str, tuple[int, float]] = {}
        for entry in sorted(os.scandir(self.inbound), key=lambda e: e.name):
            if not entry.is_file(follow_symlinks=False) or entry.name.startswith(".") \
                    or entry.name.endswith((".part", ".tmp")):
                continue
            st = entry.stat()
            sig = (st.st_size, st.st_mtime)
            seen[entry.name] = sig
            if not settle or self._seen.get(entry.name) == sig:
                out.append(Path(entry.path))
        self._seen = seen
        return out

    def process_pending(self, settle: bool = False) -> RunReport:
        report = RunReport()
        with self._lock:
            state = self._load_state()
            for path in self.pending_files(settle):
                self._process_file(path, state, report)
            self._release_remits(state, report, force=False)
        return report

    def release_remits(self) -> RunReport:
        """Write every scheduled 835 now, whatever its due time (tests, demos)."""
        report = RunReport()
        with self._lock:
            state = self._load_state()
            self._release_remits(state, report, force=True)
        return report

    # --- one file ------------------------------------------------------------------------
    def _process_file(self, path: Path, state: dict, report: RunReport) -> None:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest in state["processed"]:
            self._archive(path, digest)
            report.duplicates.append(path.name)
            return
        outputs, accepted, rejected = self._answer(data, digest, state)
        tag = digest[:12]
        for i, (kind, text) in enumerate(outputs, 1):
            name = f"{kind}-{tag}-{i}.x12"
            _atomic_write(self.outbound / name, text.encode())
            report.written.append(name)
        archived = f"{path.name}.{tag}" if (self.archive / path.name).exists() else path.name
        state["processed"][digest] = {"file": path.name, "archived": archived, "at": self.clock(),
                                      "outputs": len(outputs), "rejected": rejected}
        if accepted:
            state["pending_remits"].append({"hash": digest, "archived": archived, "claims": accepted,
                                            "due": self.clock() + self.remit_delay})
        self._save_state(state)
        self._archive(path, digest, archived)
        (report.rejected_files if rejected else report.processed).append(path.name)
        log.info("clearinghouse simulator processed a file", extra={"outputs": len(outputs)})

    def _archive(self, path: Path, digest: str, name: str | None = None) -> None:
        target = self.archive / (name or path.name)
        if target.exists() and name is None:
            target = self.archive / f"{path.name}.{digest[:12]}"
        try:
            os.replace(path, target)
        except FileNotFoundError:
            pass

    def _interchange(self, state: dict, receiver: str, usage: str, receiver_qualifier: str = "ZZ") -> Interchange:
        now = datetime.fromtimestamp(self.clock())
        n = self._next(state, "isa13")
        return Interchange(self.sender_id, receiver or "UNKNOWN", n, n, self.today(), now.strftime("%H%M"),
                           receiver_qualifier=receiver_qualifier or "ZZ", usage=usage if usage in ("T", "P") else "P")

    def _answer(self, data: bytes, digest: str, state: dict) -> tuple[list[tuple[str, str]], dict, bool]:
        """(outputs [(kind, text)], accepted claims {pcn: payer claim number}, whole file rejected?)"""
        segs = _raw_segments(data)
        isa = segs[0] if segs else []

        def g(i: int) -> str:
            return isa[i].strip() if len(isa) > i else ""

        sender, sender_q, usage = g(6) or "UNKNOWN", g(5) or "ZZ", g(15) or "P"
        isa13 = g(13) if g(13).isdigit() else "000000000"
        isa_date = g(9) if len(g(9)) == 6 and g(9).isdigit() else self.today().strftime("%y%m%d")
        isa_time = g(10) if len(g(10)) == 4 and g(10).isdigit() else "0000"

        def ta1(code: str, note: str) -> tuple[str, str]:
            ic = self._interchange(state, sender, usage, sender_q)
            return "TA1", write_ta1(Ta1(isa13.zfill(9), isa_date, isa_time, code, note), ic)

        try:
            f = read_file(data)
        except X12SyntaxError as exc:
            return [ta1("R", _ta1_note(str(exc)))], {}, True
        except X12ContentError as exc:
            return self._reject_unreadable_set(segs or [], exc, sender, sender_q, usage, state), {}, True
        interchange_errors = [i for i in f.issues if i.severity == "error" and i.segment_id in ("ISA", "IEA")]
        if interchange_errors or segs is None:
            return [ta1("R", _ta1_note(interchange_errors[0].message if interchange_errors else ""))], {}, True

        outputs: list[tuple[str, str]] = []
        if g(14) == "1":
            outputs.append(ta1("A", "000"))
        positions, spans = _layout(segs)
        group_errors: dict[tuple[str, str], list[str]] = {}
        for issue in f.issues:
            if issue.severity != "error":
                continue
            key = next((k for k, (a, b) in spans.items() if issue.segment_number and a <= issue.segment_number <= b),
                       None)
            if key is not None:
                group_errors.setdefault(key, []).append("4" if "GE02" in issue.message else "5")
        transactions = [t for t in f.transactions if not isinstance(t, Ta1)]
        acks: dict[tuple[str, str], list[SetResponse]] = {}
        good: list[Transaction837] = []
        for pos, t in zip(positions, transactions):
            resp = self._set_response(pos, t, group_errors.get(pos.group_key))
            acks.setdefault(pos.group_key, []).append(resp)
            if resp.accepted and isinstance(t, Transaction837):
                good.append(t)
        ic999 = self._interchange(state, sender, usage, sender_q)
        acks999 = []
        for k, (key, sets) in enumerate(acks.items(), 1):
            n_ok = sum(1 for s in sets if s.accepted)
            status = "A" if n_ok == len(sets) else ("R" if n_ok == 0 else "P")
            pos = next(p for p in positions if p.group_key == key)
            acks999.append(Ack999(f"{k:04d}", pos.functional_id or "HC", key[1], pos.group_version or None, status,
                                  len(sets), len(sets), n_ok, sets, sorted(set(group_errors.get(key, [])))))
        if acks999:
            outputs.append(("999", write_999(acks999, ic999)))
        if not good:
            return outputs, {}, not acks999 or all(a.status == "R" for a in acks999)
        accepted: dict[str, str] = {}
        acks277 = []
        for k, t in enumerate(good, 1):
            acks277.append(self._277ca(t, k, state, accepted))
        outputs.append(("277CA", write_277ca(acks277, self._interchange(state, sender, usage, sender_q))))
        return outputs, accepted, False

    def _set_response(self, pos: _SetPos, t, group_codes: list[str] | None) -> SetResponse:  # noqa: ANN001
        if not isinstance(t, Transaction837):
            return SetResponse(pos.set_id, pos.control_number, "R", pos.group_version or None, ["1"])
        errors = [i for i in t.issues if i.severity == "error" and i.segment_number is not None]
        if group_codes:
            return SetResponse("837", t.control_number, "R", pos.group_version or None, ["5"])
        if not errors:
            return SetResponse("837", t.control_number, "A", pos.group_version or None)
        codes: list[str] = []
        seg_errors = []
        for i in errors[:20]:
            if i.segment_id == "SE" and "SE01" in i.message:
                codes.append("4")
            elif i.segment_id == "SE" and "SE02" in i.message:
                codes.append("3")
            else:
                codes.append("5")
            elements = [ElementError(str(i.element), "7")] if i.element else []
            seg_errors.append(SegmentError(i.segment_id or "ST", max(1, i.segment_number - pos.st_number + 1),
                                           "8" if elements else "2", None, elements))
        return SetResponse("837", t.control_number, "R", pos.group_version or None,
                           sorted(set(codes))[:5], seg_errors)

    def _reject_unreadable_set(self, segs: list[list[str]], exc: X12ContentError, sender: str, sender_q: str,
                               usage: str, state: dict) -> list[tuple[str, str]]:
        positions, _ = _layout(segs)
        bad = exc.segment_number or 0
        groups: dict[tuple[str, str], list[SetResponse]] = {}
        for i, p in enumerate(positions):
            end = positions[i + 1].st_number if i + 1 < len(positions) else len(segs) + 1
            if p.st_number <= bad < end:
                err = SegmentError(exc.segment_id or "ST", max(1, bad - p.st_number + 1), "8",
                                   None, [ElementError(str(exc.element), "7")] if exc.element else [])
                resp = SetResponse(p.set_id, p.control_number, "R", p.group_version or None, ["5"], [err])
            else:
                resp = SetResponse(p.set_id, p.control_number, "R", p.group_version or None, ["5"])
            groups.setdefault(p.group_key, []).append(resp)
        acks = []
        for k, (key, sets) in enumerate(groups.items(), 1):
            pos = next(p for p in positions if p.group_key == key)
            acks.append(Ack999(f"{k:04d}", pos.functional_id or "HC", key[1], pos.group_version or None, "R",
                               len(sets), len(sets), 0, sets))
        if not acks:
            ic = self._interchange(state, sender, usage, sender_q)
            return [("TA1", write_ta1(Ta1("000000000", "000000", "0000", "R", "024"), ic))]
        return [("999", write_999(acks, self._interchange(state, sender, usage, sender_q)))]

    def _277ca(self, t: Transaction837, k: int, state: dict, accepted: dict[str, str]) -> Ack277CA:
        today = self.today()
        semantic = {}
        for issue in _check(t):
            if issue.severity == "error" and issue.message.startswith("claim "):
                semantic.setdefault(issue.message[6:].split(":", 1)[0], issue)
        claims: list[ClaimStatus] = []
        n_ok = n_bad = 0
        amt_ok = amt_bad = Decimal(0)
        for group in t.batch.groups:
            npi = group.billing_provider.npi
            for c in group.claims:
                charge = c.total_charge
                edit = claim_edit(c, npi, self.rules, today)
                trace = f"SIM{self._next(state, 'trace'):09d}"
                person = c.patient.person if c.patient else c.subscriber.person
                first = c.lines[0].service_date if c.lines else None
                if edit is None and c.patient_control_number[:20] in semantic:
                    status = StatusInfo("A7", "21", None, today, "U", charge)
                elif edit is not None:
                    status = edit.status_info(today, charge)
                else:
                    status = None
                if status is None:
                    icn = f"{self.rules.payer_claim_prefix}{today:%y%m%d}{self._next(state, 'icn'):07d}"
                    accepted[c.patient_control_number] = icn
                    statuses = [StatusInfo("A2", "20", None, today, "WQ", charge)]
                    n_ok, amt_ok = n_ok + 1, amt_ok + charge
                else:
                    icn = None
                    statuses = [status]
                    n_bad, amt_bad = n_bad + 1, amt_bad + charge
                claims.append(ClaimStatus(c.patient_control_number, statuses, icn, trace, None,
                                          first, None, [], person.last_name, person.first_name,
                                          c.subscriber.member_id, npi))
        ref = f"CA{self._next(state, 'bht'):08d}"
        return Ack277CA(f"{k:04d}", ref, today, "SIMULATED CLEARINGHOUSE", self.sender_id, t.batch.batch_id,
                        [StatusInfo("A1", "19", "PR", today, "WQ", amt_ok + amt_bad)],
                        n_ok, n_bad, amt_ok, amt_bad, claims)

    # --- remittances -----------------------------------------------------------------------
    def _release_remits(self, state: dict, report: RunReport, force: bool) -> None:
        now = self.clock()
        due = [p for p in state["pending_remits"] if force or p["due"] <= now]
        if not due:
            return
        today = self.today()
        by_payer: dict[tuple[str, str], dict] = {}
        for item in due:
            try:
                f = read_file((self.archive / item["archived"]).read_bytes())
            except (OSError, X12SyntaxError, X12ContentError):
                log.warning("clearinghouse simulator: archived 837 for a scheduled 835 is gone or unreadable")
                continue
            for t in f.transactions:
                if not isinstance(t, Transaction837):
                    continue
                for group in t.batch.groups:
                    bp = group.billing_provider
                    for c in group.claims:
                        icn = item["claims"].get(c.patient_control_number)
                        if icn is None:
                            continue
                        payer = c.subscriber.payer
                        slot = by_payer.setdefault((payer.id, bp.npi or ""), {
                            "payer": payer, "payee": bp, "claims": [], "receiver": t.envelope.sender_id
                            if t.envelope else "UNKNOWN", "usage": t.envelope.usage if t.envelope else "P"})
                        slot["claims"].append(adjudicate(c, self.rules, icn))
        tag = f"{int(now * 1000):x}"
        for i, ((payer_id, npi), slot) in enumerate(sorted(by_payer.items()), 1):
            claims = slot["claims"]
            total = sum((c.paid for c in claims), Decimal(0))
            trace = f"{self.rules.payer_claim_prefix}EFT{self._next(state, 'trn'):09d}"
            payment = Payment("I" if total else "H", total, "C", "CHK" if total else "NON", today, trace,
                              "1" + (payer_id.zfill(9)[-9:] if payer_id.isdigit() else "999999999"))
            payer = slot["payer"]
            addr = Address("1 SIMULATION WAY", "TESTVILLE", "CA", "90001")
            rem = Remittance(
                "0001", payment,
                Party(self.rules.payer_name or payer.name, None, None, addr, references=[("2U", payer_id)],
                      contacts=[("BL", "SIMULATOR EDI SUPPORT", "8005550100")]),
                Party(slot["payee"].last_or_org_name, "XX", npi or None, slot["payee"].address),
                today, claims=claims)
            text = write_835(rem, self._interchange(state, slot["receiver"], slot["usage"]))
            name = f"835-{tag}-{i}.x12"
            _atomic_write(self.outbound / name, text.encode())
            report.written.append(name)
        state["pending_remits"] = [p for p in state["pending_remits"] if p not in due]
        self._save_state(state)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
