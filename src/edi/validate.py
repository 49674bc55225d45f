"""Validation: our own structural checks plus, optionally, pyx12 as an oracle.

Own checks (SNIP 1-4 where it matters to us): envelope integrity, delimiters,
reader-detected structure problems (HL/LX sequence, CLM02 sum, composite
separator), 835 balancing, situational rules (REF*F8 <=> frequency 7/8),
and the code values the guides fix (CLP02, CAS groups, BPR01, IK501, AK901,
277CA categories). External code sets (CARC/RARC/ICD) are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edi.envelope import Issue
from edi.errors import X12ContentError, X12SyntaxError
from edi.model.acks import Ack277CA, Ack999
from edi.model.claim837 import Claim, InstitutionalClaim
from edi.model.remit835 import Remittance
from edi.pyx12_oracle import OracleResult, validate_with_pyx12
from edi.r837 import Transaction837
from edi.reader import UnsupportedTransaction, X12File, read_file
from edi.tokenizer import Source

CLP02_5010 = {"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"}
CAS_GROUPS = {"CO", "OA", "PI", "PR"}
BPR01 = {"C", "D", "H", "I", "P", "U", "X"}
IK501 = {"A", "E", "R", "M", "W", "X"}
AK901 = {"A", "E", "P", "R", "M", "W", "X"}
FREQ_P = {"1", "7", "8"}
FREQ_I = {"0", "1", "2", "3", "4", "5", "7", "8", "9"}


@dataclass(slots=True)
class ValidationReport:
    readable: bool
    problems: list[Issue] = field(default_factory=list)  # errors and warnings
    summary: list[str] = field(default_factory=list)  # one line per transaction
    pyx12: OracleResult | None = None
    fatal: str | None = None  # why the file could not be read

    @property
    def errors(self) -> list[Issue]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.readable and not self.errors and (self.pyx12 is None or self.pyx12.ok or self.pyx12.crashed)


def validate_file(source: Source, *, use_pyx12: bool = False) -> ValidationReport:
    try:
        f = read_file(source)
    except X12SyntaxError as ex:
        return ValidationReport(False, fatal=str(ex))
    except X12ContentError as ex:
        rep = ValidationReport(True, [Issue(ex.message, ex.segment_number, ex.segment_id, ex.element)])
        rep.summary.append("a transaction could not be read past the error above")
        return rep
    rep = ValidationReport(True)
    rep.problems += f.issues
    for t in f.transactions:
        rep.problems += t.issues
        rep.problems += _check(t)
        rep.summary.append(_summary(t))
    if use_pyx12:
        text = _text(source)
        if text is not None:
            rep.pyx12 = validate_with_pyx12(text)
    return rep


def _text(source: Source) -> str | None:
    if isinstance(source, Path):
        data = source.read_bytes()
    elif isinstance(source, str):
        return source
    elif isinstance(source, bytes):
        data = source
    else:
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def _summary(t) -> str:
    if isinstance(t, Remittance):
        return (f"835 {t.control_number}: {len(t.claims)} claims, payment {t.payment.amount}, "
                f"balance {'ok' if t.balance.ok else f'{len(t.balance.problems)} problem(s)'}")
    if isinstance(t, Transaction837):
        n = sum(len(g.claims) for g in t.batch.groups)
        return f"{t.type} {t.control_number}: {len(t.batch.groups)} billing provider(s), {n} claim(s)"
    if isinstance(t, Ack999):
        return f"999 {t.control_number}: group {t.group_control_number} status {t.status}, {len(t.sets)} set(s)"
    if isinstance(t, Ack277CA):
        outs = [c.outcome for c in t.claims]
        return (f"277CA {t.control_number}: {len(t.claims)} claim(s), "
                f"{outs.count('accepted')} accepted, {outs.count('rejected')} rejected")
    if isinstance(t, UnsupportedTransaction):
        return f"{t.type} {t.control_number} ({t.implementation}): envelope checked only"
    return f"{t.type} {t.control_number}: ack code {getattr(t, 'ack_code', '?')}"


def _check(t) -> list[Issue]:
    out: list[Issue] = []

    def err(msg: str, sid: str | None = None, severity: str = "error") -> None:
        out.append(Issue(msg, None, sid, None, severity))

    if isinstance(t, Remittance):
        if t.payment.handling_code not in BPR01:
            err("BPR01 is not a valid transaction handling code", "BPR")
        for p in t.balance.problems:
            err(f"835 imbalance ({p.level}): {p.message}", "CLP" if p.level != "transaction" else "BPR")
        if t.payer is None:
            err("835 has no payer (N1*PR)", "N1")
        elif not any(c[0] == "BL" for c in t.payer.contacts):
            err("payer has no PER*BL technical contact (required in X221A1)", "PER", "warning")
        if t.payee is None:
            err("835 has no payee (N1*PE)", "N1")
        for i, c in enumerate(t.claims, 1):
            if c.status_code not in CLP02_5010:
                err(f"claim {i}: CLP02 is not a 5010 claim status code", "CLP")
            for a in c.adjustments + [a for ln in c.lines for a in ln.adjustments]:
                if a.group == "CR":
                    err(f"claim {i}: CAS group CR is not valid in 5010 (legacy reversal)", "CAS", "warning")
                elif a.group not in CAS_GROUPS:
                    err(f"claim {i}: CAS group code is not CO/OA/PI/PR", "CAS")
    elif isinstance(t, Transaction837):
        for claim in t.batch.claims():
            out += _check_claim(claim, t.type)
    elif isinstance(t, Ack999):
        if t.status not in AK901:
            err("AK901 is not a valid acknowledgment code", "AK9")
        for s in t.sets:
            if s.status not in IK501:
                err("IK501 is not a valid acknowledgment code", "IK5")
        accepted = sum(1 for s in t.sets if s.accepted)
        if t.sets and accepted != t.sets_accepted:
            err("AK904 accepted count does not match the IK5 outcomes", "AK9")
        if t.sets and t.sets_received != len(t.sets):
            err("AK903 received count does not match the number of AK2 loops", "AK9", "warning")
    elif isinstance(t, Ack277CA):
        for i, c in enumerate(t.claims, 1):
            if not c.patient_control_number:
                err(f"claim {i}: 2200D TRN02 (patient control number) missing", "TRN")
            if not c.statuses:
                err(f"claim {i}: no STC status", "STC")
            for s in c.statuses:
                if not s.category.startswith(("A", "E", "F", "P", "R")):
                    err(f"claim {i}: unknown status category", "STC")
    return out


def _check_claim(c, kind: str) -> list[Issue]:
    out: list[Issue] = []
    pcn = c.patient_control_number or ""

    def err(msg: str, sid: str | None = None, severity: str = "error") -> None:
        out.append(Issue(f"claim {pcn[:20] or '?'}: {msg}", None, sid, None, severity))

    if not pcn:
        err("CLM01 missing", "CLM")
    elif len(pcn) > 20:
        err("CLM01 longer than 20 characters", "CLM")
    elif len(pcn) > 17:
        err("CLM01 longer than 17 characters (some payers truncate)", "CLM", "warning")
    if c.frequency not in (FREQ_P if kind == "837P" else FREQ_I):
        err("CLM05-3 claim frequency code not allowed", "CLM")
    if c.frequency in ("7", "8") and not c.payer_claim_number:
        err("frequency 7/8 without REF*F8 payer claim control number", "REF")
    if c.frequency not in ("7", "8") and c.payer_claim_number:
        err("REF*F8 sent on a claim that is not a replacement/void", "REF")
    if not c.lines:
        err("no service lines", "LX")
    if not c.subscriber.member_id:
        err("subscriber member id (NM109) missing", "NM1")
    lcns = [ln.line_control_number for ln in c.lines if ln.line_control_number]
    if len(set(lcns)) != len(lcns):
        err("REF*6R line control numbers are not unique within the claim", "REF")
    if any(len(x) > 30 for x in lcns):
        err("REF*6R longer than 30 characters", "REF")
    for op in c.other_payers:
        for a in op.adjustments:
            if a.group not in CAS_GROUPS:
                err("2320 CAS group code is not CO/OA/PI/PR", "CAS")
    if isinstance(c, Claim):
        if not 1 <= len(c.diagnoses) <= 12:
            err("837P needs 1-12 diagnosis codes", "HI")
        for n, ln in enumerate(c.lines, 1):
            if ln.units <= 0:
                err(f"line {n}: SV104 units must be positive", "SV1")
            if ln.service_date is None:
                err(f"line {n}: DTP*472 service date missing", "DTP")
            if any(not 1 <= p <= len(c.diagnoses) for p in ln.diagnosis_pointers):
                err(f"line {n}: diagnosis pointer points past the HI codes", "SV1")
        if any(ln.adjudications for ln in c.lines) and any(op.adjustments for op in c.other_payers):
            err("prior-payer adjudication at claim level and line level together", "CAS")
    elif isinstance(c, InstitutionalClaim):
        if not c.principal_diagnosis:
            err("principal diagnosis (ABK) missing", "HI")
        if not c.patient_status:
            err("CL103 patient status missing", "CL1")
        if c.statement_from is None:
            err("DTP*434 statement period missing", "DTP")
        for n, ln in enumerate(c.lines, 1):
            rc = ln.revenue_code
            if len(rc) != 4 or not rc.isdigit():
                err(f"line {n}: revenue code must be 4 digits", "SV2")
    return out


def render(rep: ValidationReport, name: str) -> str:
    """Readable report for people."""
    lines = [f"{name}:"]
    if not rep.readable:
        lines.append(f"  cannot be read as X12: {rep.fatal}")
        return "\n".join(lines)
    for s in rep.summary:
        lines.append(f"  {s}")
    errs = rep.errors
    warns = [p for p in rep.problems if p.severity != "error"]
    if errs or warns:
        lines.append(f"  {len(errs)} error(s), {len(warns)} warning(s):")
        for p in errs + warns:
            lines.append(f"    - {p}")
    if rep.pyx12 is not None:
        r = rep.pyx12
        if r.crashed:
            lines.append("  pyx12: could not validate (a pyx12 problem, not necessarily the file's):")
        else:
            lines.append(f"  pyx12: {'OK' if r.ok else f'{len(r.errors)} error(s)'}")
        for e in r.errors[:50]:
            lines.append(f"    - {e}")
        if len(r.errors) > 50:
            lines.append(f"    ... {len(r.errors) - 50} more")
    lines.append("  result: " + ("VALID" if rep.ok else "PROBLEMS FOUND"))
    return "\n".join(lines)
