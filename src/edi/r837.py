"""837P/837I reader into the same typed objects the writer takes.

Round-trip guarantee: `read(write(batch)) == batch` for anything the writer
accepts. Tolerant of real-world files: unknown segments are skipped, missing
optional data becomes None, and structural defects become `issues` (the
validator reports them) rather than exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from edi.envelope import EnvelopeChecker, EnvelopeInfo, Issue, RawTransaction, iter_transactions
from edi.errors import X12ContentError, X12Error
from edi.model.claim837 import (
    BillingGroup,
    CasAdjustment,
    Claim,
    ClaimBatch,
    Contact,
    DrugDetail,
    InstitutionalClaim,
    InstitutionalLine,
    LineAdjudication,
    OtherPayer,
    Patient,
    Payer,
    Person,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
)
from edi.model.common import Address
from edi.tokenizer import Source
from edi.values import d8, money, rd8

_ALT_COMPONENT = "><:^|\\!"


@dataclass(slots=True)
class Transaction837:
    """One 837 set: the batch plus where it came from and what was wrong with it."""

    type: str  # "837P" or "837I"
    control_number: str
    batch: ClaimBatch
    envelope: EnvelopeInfo | None = None
    issues: list[Issue] = field(default_factory=list)


def _g(e: list[str], n: int) -> str:
    return e[n] if n < len(e) else ""


def _o(e: list[str], n: int) -> str | None:
    return (e[n] or None) if n < len(e) else None


class _Entity(dict):
    """Mutable collector for an NM1 and its N3/N4/DMG/PRV/REF before freezing."""


def _provider(ent: _Entity | None) -> Provider | None:
    if ent is None:
        return None
    return Provider(
        ent["name"], ent.get("npi"), ent.get("is_person", False), ent.get("first"), ent.get("middle"),
        _address(ent), ent.get("taxonomy"), ent.get("tax_id"), ent.get("tax_id_qualifier", "EI"),
    )


def _address(ent: _Entity) -> Address | None:
    if "city" not in ent and "line1" not in ent:
        return None
    return Address(ent.get("line1", ""), ent.get("city", ""), ent.get("state", ""), ent.get("zip", ""),
                   ent.get("line2"), ent.get("country"))


def _person(ent: _Entity) -> Person:
    return Person(ent["name"], ent.get("first"), ent.get("middle"), _address(ent), ent.get("dob"), ent.get("sex"))


def read_837(source: Source) -> list[Transaction837]:
    checker = EnvelopeChecker()
    out = []
    for tx in iter_transactions(source, checker):
        if tx.set_id == "837":
            out.append(parse_837_transaction(tx, checker))
    return out


def kind_of(implementation: str) -> str:
    return "837I" if "X223" in implementation else "837P"


def parse_837_transaction(tx: RawTransaction, checker: EnvelopeChecker) -> Transaction837:
    p = _Parser(tx, checker)
    try:
        p.run()
    except X12Error as ex:
        if ex.segment_number is None:
            ex.segment_number, ex.segment_id = tx.stream.number, p.tag
            ex.args = (str(ex),)
        raise
    except (IndexError, KeyError, TypeError, AttributeError, ValueError):
        raise X12ContentError("segment is missing a required element or is out of place",
                              segment_number=tx.stream.number, segment_id=p.tag) from None
    return p.result


class _Parser:
    def __init__(self, tx: RawTransaction, checker: EnvelopeChecker) -> None:
        self.tx = tx
        self.checker = checker
        self.first_issue = len(checker.issues)
        self.kind = kind_of(tx.implementation)
        self.comp = tx.stream.delimiters.component
        self.comp_checked = False
        self.issues: list[Issue] = []
        self.tag = "ST"

    def warn(self, msg: str, sid: str | None = None, el: int | None = None, severity: str = "error",
             number: int | None = None) -> None:
        n = number if number is not None else self.tx.stream.number
        self.issues.append(Issue(msg, n, sid or self.tag, el, severity))

    def split(self, v: str) -> list[str]:
        parts = v.split(self.comp)
        if len(parts) == 1 and not self.comp_checked and len(v) > 3:
            for alt in _ALT_COMPONENT:
                if alt != self.comp and alt in v:
                    self.warn(f"composite separator used '{alt}' differs from ISA16 '{self.comp}'; read with '{alt}'")
                    self.comp = alt
                    self.comp_checked = True
                    return v.split(alt)
        if len(parts) > 1:
            self.comp_checked = True
        return parts

    def run(self) -> None:
        bht = None
        submitter = receiver = None
        sub_contact = None
        groups: list[dict] = []
        group = None
        sub = None  # subscriber collector
        pat = None
        claim = None
        line = None
        op = None  # other payer collector
        adj = None  # 2430 collector
        ent: _Entity | None = None  # current NM1 collector
        hl_count = 0
        self.hl_ids: dict[str, str] = {}

        def finish_claim():
            nonlocal claim, line, op, adj
            if claim is not None:
                group["claims"].append(claim)
            claim = line = op = adj = None

        for e in self.tx.body:
            t = self.tag = e[0]
            if t == "HL":
                finish_claim()
                hl_count += 1
                if _g(e, 1) != str(hl_count):
                    self.warn("HL01 is not the next number in sequence", "HL", 1)
                parent = _g(e, 2)
                if parent and parent not in self.hl_ids:
                    self.warn("HL02 names a parent HL that does not exist", "HL", 2)
                self.hl_ids[_g(e, 1)] = _g(e, 3)
                level = _g(e, 3)
                ent = None
                if level == "20":
                    group = {"billing": None, "pay_to": None, "claims": [], "taxonomy": None}
                    groups.append(group)
                    sub = pat = None
                elif level == "22":
                    if group is None:
                        raise X12ContentError("subscriber HL before any billing provider HL")
                    sub = {"sbr": None, "person": None, "payer": None}
                    pat = None
                elif level == "23":
                    pat = {"rel": None, "person": None}
                else:
                    self.warn("unexpected HL03 level code", "HL", 3)
                continue
            if t == "NM1":
                code = _g(e, 1)
                ent = _Entity(name=_g(e, 3), is_person=_g(e, 2) == "1", first=_o(e, 4), middle=_o(e, 5),
                              idq=_o(e, 8), id=_o(e, 9))
                if ent["idq"] == "XX":
                    ent["npi"] = ent["id"]
                if code == "41":
                    submitter = ent
                elif code == "40":
                    receiver = ent
                elif line is not None:
                    if code == "82":
                        line["rendering"] = ent
                    # other 2420 providers not modelled
                elif claim is not None:
                    if op is not None and code in ("IL", "PR"):
                        op["sub" if code == "IL" else "payer"] = ent
                    elif code == "82":
                        claim["rendering"] = ent
                    elif code == "DN":
                        claim["referring"] = ent
                    elif code == "77":
                        claim["facility"] = ent
                    elif code == "71":
                        claim["attending"] = ent
                    elif code == "72":
                        claim["operating"] = ent
                elif code == "85":
                    group["billing"] = ent
                elif code == "87":
                    group["pay_to"] = ent
                elif code == "IL" and sub is not None:
                    sub["person"] = ent
                elif code == "PR" and sub is not None:
                    sub["payer"] = ent
                elif code == "QC" and pat is not None:
                    pat["person"] = ent
                continue
            if t == "N3" and ent is not None:
                ent["line1"], ent["line2"] = _g(e, 1), _o(e, 2)
            elif t == "N4" and ent is not None:
                ent["city"], ent["state"], ent["zip"], ent["country"] = _g(e, 1), _g(e, 2), _g(e, 3), _o(e, 4)
            elif t == "DMG" and ent is not None:
                ent["dob"] = d8(e[2]) if _g(e, 2) else None
                ent["sex"] = _o(e, 3)
            elif t == "PRV":
                if _g(e, 1) == "BI" and group is not None and claim is None:
                    group["taxonomy"] = _o(e, 3)
                elif ent is not None:
                    ent["taxonomy"] = _o(e, 3)
            elif t == "PER":
                if submitter is not None and sub_contact is None:
                    comm = {}
                    for i in range(3, len(e) - 1, 2):
                        comm.setdefault(e[i], e[i + 1])
                    sub_contact = Contact(_g(e, 2), comm.get("TE"), comm.get("EM"))
            elif t == "BHT":
                bht = e
            elif t == "SBR":
                if claim is not None:
                    line = adj = None
                    op = {"sbr": e, "cas": [], "paid": None, "eaf": None, "sub": None, "payer": None, "date": None,
                          "oi": None}
                    claim["ops"].append(op)
                    ent = None
                elif sub is not None:
                    sub["sbr"] = e
            elif t == "PAT":
                if pat is not None:
                    pat["rel"] = _g(e, 1)
            elif t == "CLM":
                finish_claim()
                if sub is None or group is None:
                    raise X12ContentError("CLM outside a subscriber/patient HL")
                ent = None
                claim = {"n": self.tx.stream.number, "clm": e, "sub": sub, "pat": pat, "dtp": {}, "ref": {}, "hi": [], "lines": [], "ops": [],
                         "nte": None, "cl1": None, "amt": {}}
            elif t == "DTP":
                q = _g(e, 1)
                if adj is not None and q == "573":
                    adj["date"] = d8(e[3])
                elif line is not None:
                    if q == "472":
                        if _g(e, 2) == "RD8":
                            line["date"], line["date_end"] = rd8(e[3])
                        else:
                            line["date"] = d8(e[3])
                elif op is not None and q == "573":
                    op["date"] = d8(e[3])
                elif claim is not None:
                    claim["dtp"][q] = (e[2], e[3])
            elif t == "REF":
                if line is not None:
                    if _g(e, 1) == "6R":
                        line["lcn"] = _g(e, 2)
                elif claim is not None and op is None:
                    claim["ref"][_g(e, 1)] = _g(e, 2)
                elif ent is not None and _g(e, 1) in ("EI", "SY") and claim is None:
                    ent["tax_id"], ent["tax_id_qualifier"] = _g(e, 2), e[1]
            elif t == "NTE":
                if claim is not None and line is None:
                    claim["nte"] = _g(e, 2)
            elif t == "HI":
                if claim is not None:
                    claim["hi"].append([self.split(v) for v in e[1:] if v])
            elif t == "CL1":
                if claim is not None:
                    claim["cl1"] = e
            elif t == "AMT":
                q = _g(e, 1)
                if adj is not None and q == "EAF":
                    adj["eaf"] = money(e[2])
                elif op is not None and line is None:
                    if q == "D":
                        op["paid"] = money(e[2])
                    elif q == "EAF":
                        op["eaf"] = money(e[2])
                elif claim is not None and line is None:
                    claim["amt"][q] = money(e[2])
            elif t == "OI":
                if op is not None:
                    op["oi"] = e
            elif t == "CAS":
                target = adj["cas"] if adj is not None else (op["cas"] if op is not None and line is None else None)
                if target is not None:
                    g = e[1]
                    for i in range(2, len(e), 3):
                        if e[i]:
                            q = _g(e, i + 2)
                            target.append(CasAdjustment(g, e[i], money(e[i + 1]), money(q) if q else None))
            elif t == "LX":
                if claim is None:
                    raise X12ContentError("LX outside a claim")
                op = adj = None
                ent = None
                line = {"lx": _g(e, 1), "sv": None, "date": None, "date_end": None, "lcn": None, "lin": None,
                        "ctp": None, "rendering": None, "adj": []}
                if line["lx"] != str(len(claim["lines"]) + 1):
                    self.warn("LX01 is not the next line number", "LX", 1)
                claim["lines"].append(line)
            elif t in ("SV1", "SV2"):
                if line is None:
                    raise X12ContentError(f"{t} outside a service line")
                line["sv"] = e
            elif t == "LIN":
                if line is not None:
                    line["lin"] = e
            elif t == "CTP":
                if line is not None:
                    line["ctp"] = e
            elif t == "SVD":
                if line is None:
                    raise X12ContentError("SVD outside a service line")
                ent = None
                adj = {"svd": e, "cas": [], "date": None, "eaf": None}
                line["adj"].append(adj)
        finish_claim()
        if bht is None:
            raise X12ContentError("837 has no BHT segment")
        if submitter is None or receiver is None:
            raise X12ContentError("837 lacks the submitter (NM1*41) or receiver (NM1*40)")
        built_groups = []
        for g in groups:
            if g["billing"] is None:
                self.warn("billing provider HL without NM1*85", "NM1")
                continue
            bp = _provider(g["billing"])
            if g["taxonomy"]:
                bp = Provider(bp.last_or_org_name, bp.npi, bp.is_person, bp.first_name, bp.middle_name, bp.address,
                              g["taxonomy"], bp.tax_id, bp.tax_id_qualifier)
            pay_to = None
            if g["pay_to"] is not None:
                pt = _provider(g["pay_to"])
                pay_to = Provider("", address=pt.address)
            claims = tuple(self.build_claim(c) for c in g["claims"])
            built_groups.append(BillingGroup(bp, claims, pay_to))
        sname = submitter
        batch = ClaimBatch(
            Submitter(sname["name"], sname.get("id") or "", sub_contact or Contact(""), sname["is_person"],
                      sname.get("first")),
            Receiver(receiver["name"], receiver.get("id") or ""),
            tuple(built_groups),
            self.tx.control_number,
            _g(bht, 3),
            d8(_g(bht, 4)),
            _g(bht, 5),
            _g(bht, 6),
            self.kind,
        )
        issues = self.checker.issues[self.first_issue :] + self.issues
        self.result = Transaction837(self.kind, self.tx.control_number, batch, self.tx.envelope, issues)

    # -- claims --------------------------------------------------------------
    def subscriber(self, sub: dict, pat: dict | None):
        from edi.model.claim837 import Subscriber

        sbr = sub["sbr"] or ["SBR"]
        person = _person(sub["person"]) if sub["person"] else Person("")
        payer = sub["payer"]
        return Subscriber(
            person, (sub["person"] or {}).get("id") or "",
            Payer(payer["name"], payer.get("id") or "", _address(payer)) if payer else Payer("", ""),
            _g(sbr, 1), _o(sbr, 3), _o(sbr, 4), _g(sbr, 9),
        )

    def other_payer(self, op: dict) -> OtherPayer:
        sbr, oi = op["sbr"], op["oi"] or []
        s = op["sub"] or _Entity(name="")
        p = op["payer"] or _Entity(name="")
        return OtherPayer(
            _person(s), s.get("id") or "", Payer(p["name"], p.get("id") or "", _address(p)),
            _g(sbr, 1), _g(sbr, 2), _o(sbr, 3), _g(sbr, 9), op["paid"], tuple(op["cas"]), op["eaf"], op["date"],
            _g(oi, 3), _g(oi, 6),
        )

    def line_adj(self, a: dict) -> LineAdjudication:
        svd = a["svd"]
        proc = self.split(_g(svd, 3))
        return LineAdjudication(
            _g(svd, 1), money(_g(svd, 2)), proc[1] if len(proc) > 1 else "", money(_g(svd, 5) or "0"), a["date"],
            tuple(proc[2:6]), tuple(a["cas"]), a["eaf"],
        )

    def build_claim(self, c: dict):
        clm = c["clm"]
        subscriber = self.subscriber(c["sub"], c["pat"])
        pat = c["pat"]
        patient = None
        if pat is not None and pat["person"] is not None:
            patient = Patient(_person(pat["person"]), pat["rel"] or "")
        clm05 = self.split(_g(clm, 5))
        freq = clm05[2] if len(clm05) > 2 else ""
        refs = c["ref"]
        ops = tuple(self.other_payer(op) for op in c["ops"])
        charge = money(_g(clm, 2))
        if self.kind == "837P":
            claim = self.build_professional(c, clm, clm05, freq, refs, ops, subscriber, patient)
        else:
            claim = self.build_institutional(c, clm, clm05, freq, refs, ops, subscriber, patient)
        if claim.total_charge != charge:
            self.warn("CLM02 total charge is not the sum of the service line charges", "CLM", 2, number=c["n"])
        return claim

    def build_professional(self, c, clm, clm05, freq, refs, ops, subscriber, patient) -> Claim:
        dx: list[str] = []
        for hi in c["hi"]:
            for comp in hi:
                if comp[0] in ("ABK", "ABF", "BK", "BF"):
                    dx.append(comp[1] if len(comp) > 1 else "")
        related = ()
        state = None
        if _g(clm, 11):
            r = self.split(clm[11])
            related = tuple(x for x in r[:3] if x)
            state = r[3] if len(r) > 3 and r[3] else None
        dtp = c["dtp"]
        lines = []
        for ln in c["lines"]:
            sv = ln["sv"]
            if sv is None or sv[0] != "SV1":
                raise X12ContentError("service line without SV1")
            proc = self.split(_g(sv, 1))
            ptr = tuple(int(x) for x in self.split(_g(sv, 7)) if x.isdigit()) if _g(sv, 7) else ()
            drug = None
            if ln["lin"] is not None:
                ctp = ln["ctp"] or []
                unit = self.split(_g(ctp, 5))[0] if _g(ctp, 5) else "UN"
                drug = DrugDetail(_g(ln["lin"], 3), money(_g(ctp, 4) or "0"), unit)
            rendering = _provider(ln["rendering"])
            lines.append(ServiceLine(
                proc[1] if len(proc) > 1 else "", money(_g(sv, 2)), money(_g(sv, 4) or "0"), ln["date"], ptr,
                tuple(proc[2:6]), _g(sv, 3), _o(sv, 5), ln["date_end"], ln["lcn"], _g(sv, 9) == "Y", drug,
                rendering, tuple(self.line_adj(a) for a in ln["adj"]),
            ))
        return Claim(
            _g(clm, 1), subscriber, clm05[0], tuple(dx), tuple(lines), patient, freq, refs.get("F8"),
            _g(clm, 6), _g(clm, 7), _g(clm, 8), _g(clm, 9), related, state, _o(clm, 20),
            d8(dtp["431"][1]) if "431" in dtp else None, d8(dtp["439"][1]) if "439" in dtp else None,
            refs.get("G1"), refs.get("9F"), refs.get("EA"), refs.get("D9"), c["nte"],
            _provider(c.get("rendering")), _provider(c.get("referring")), _provider(c.get("facility")), ops,
        )

    def build_institutional(self, c, clm, clm05, freq, refs, ops, subscriber, patient) -> InstitutionalClaim:
        principal = admitting = None
        rfv: list[str] = []
        others: list[str] = []
        poa: list[str] = []
        cond: list[str] = []
        values: list = []
        occ: list = []
        pp = None
        procs: list = []
        drg = None
        for hi in c["hi"]:
            for comp in hi:
                q = comp[0]
                code = comp[1] if len(comp) > 1 else ""
                p = comp[8] if len(comp) > 8 else ""
                if q in ("ABK", "BK"):
                    principal = code
                    poa.insert(0, p)
                elif q in ("ABF", "BF"):
                    others.append(code)
                    poa.append(p)
                elif q in ("ABJ", "BJ"):
                    admitting = code
                elif q in ("APR", "PR"):
                    rfv.append(code)
                elif q == "BG":
                    cond.append(code)
                elif q == "BE":
                    values.append((code, money(comp[4]) if len(comp) > 4 and comp[4] else Decimal(0)))
                elif q == "BH":
                    occ.append((code, d8(comp[3])))
                elif q == "BBR":
                    pp = (code, d8(comp[3]))
                elif q == "BBQ":
                    procs.append((code, d8(comp[3])))
                elif q == "DR":
                    drg = code
        while poa and not poa[-1]:
            poa.pop()
        dtp = c["dtp"]
        sf = st = None
        if "434" in dtp:
            fmt, v = dtp["434"]
            sf, st = rd8(v) if fmt == "RD8" else (d8(v), d8(v))
        adm_date = adm_hour = None
        if "435" in dtp:
            fmt, v = dtp["435"]
            adm_date = d8(v[:8])
            adm_hour = v[8:] or None if fmt == "DT" else None
        dis = dtp["096"][1] if "096" in dtp else None
        cl1 = c["cl1"] or ["CL1"]
        lines = []
        for ln in c["lines"]:
            sv = ln["sv"]
            if sv is None or sv[0] != "SV2":
                raise X12ContentError("service line without SV2")
            proc = self.split(_g(sv, 2)) if _g(sv, 2) else []
            lines.append(InstitutionalLine(
                _g(sv, 1), money(_g(sv, 3)), money(_g(sv, 5) or "0"), ln["date"],
                proc[1] if len(proc) > 1 else None, tuple(proc[2:6]), _g(sv, 4),
                money(sv[7]) if _g(sv, 7) else None, ln["date_end"], ln["lcn"],
                tuple(self.line_adj(a) for a in ln["adj"]),
            ))
        if c.get("attending") is None:
            self.warn("837I claim without attending provider (NM1*71)", "CLM", number=c["n"])
        return InstitutionalClaim(
            _g(clm, 1), subscriber, clm05[0], sf, st, _g(cl1, 1), _o(cl1, 2), _g(cl1, 3), principal or "",
            tuple(lines), _provider(c.get("attending")) or Provider(""), patient, freq, refs.get("F8"),
            admitting, tuple(rfv), tuple(others), tuple(poa), adm_date, adm_hour, dis, tuple(cond), tuple(values),
            tuple(occ), pp, tuple(procs), drg, _g(clm, 7), _g(clm, 8), _g(clm, 9), refs.get("G1"), refs.get("EA"),
            c["amt"].get("F3"), _provider(c.get("operating")), _provider(c.get("rendering")),
            _provider(c.get("facility")), _provider(c.get("referring")), ops,
        )
