"""Everything a scrub needs besides the claim itself.

The claim object carries the patient's and subscriber's demographics; the
context carries what the claim does not: the submit date, the billing provider
of the claim's billing group, the payer's profile, and *lookups* the caller
supplies (code sets, NCCI/MUE, eligibility, enrolment, global periods, add-on
code lists, medical-necessity policies, fingerprints of claims already sent).

Lookups are protocols so that rules never query the database per claim: the
caller builds one :class:`CodeSetChecker` (e.g. :class:`CachedCodeSets` over
``agency.codesets.service.CodeSetCache``) and one :class:`NcciLookup` per batch
and a cheap ``ScrubContext`` per claim (``dataclasses.replace`` or
:meth:`ScrubContext.for_claim`). A lookup that is absent, or that answers
``None`` ("unknown"), makes the rules that need it skip with no finding.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable

from edi.model.claim837 import Claim, InstitutionalClaim, Provider, Submitter, Subscriber

# --------------------------------------------------------------------------- payer profile


@dataclass(frozen=True, slots=True)
class PayerProfile:
    """What the scrubber needs to know about the claim's payer.

    ``timely_filing_days=None`` skips the timely-filing edit. Build it from the
    agency payer directory with :meth:`from_payer` (any object with the
    attributes of the ``payer`` table)."""

    payer_id: object | None = None  # uuid of the agency payer row (per-payer rule configuration)
    payer_code: str | None = None  # X12 payer id (2010BB NM109)
    timely_filing_days: int | None = None
    filing_indicator: str | None = None  # SBR09 expected for this payer (CI, MB, MC, ...)
    requires_ndc: bool = False  # drug lines must carry an NDC
    prior_auth_codes: frozenset[str] = frozenset()  # procedure codes that need a prior-auth number
    corrected_claim_needs_payer_claim_number: bool = True
    claim_type: str | None = None  # professional / institutional

    @classmethod
    def from_payer(cls, payer: object, **overrides) -> "PayerProfile":
        get = lambda name, default=None: getattr(payer, name, default)  # noqa: E731
        values = dict(
            payer_id=get("id"), payer_code=get("payer_code"), timely_filing_days=get("timely_filing_days"),
            filing_indicator=get("filing_indicator"), requires_ndc=bool(get("requires_ndc", False)),
            prior_auth_codes=frozenset(get("prior_auth_codes", None) or ()),
            corrected_claim_needs_payer_claim_number=bool(get("corrected_claim_needs_payer_claim_number", True)),
            claim_type=get("claim_type"))
        values.update(overrides)
        return cls(**values)


# --------------------------------------------------------------------------- code sets


@dataclass(frozen=True, slots=True)
class CodeVerdict:
    """A code-set answer. ``wrong_version``: the code exists in another release
    of the code set than the one covering the date (added later or deleted
    since) - edit 5 reports it, edit 4 does not. ``reason`` is plain language
    and may mention the code and code-set release dates, never patient values."""

    ok: bool
    reason: str | None = None
    wrong_version: bool = False
    facility: bool | None = None  # place of service: paid at the facility rate


OK = CodeVerdict(True)


@runtime_checkable
class CodeSetChecker(Protocol):
    def diagnosis(self, code: str, dos: date) -> CodeVerdict: ...
    def procedure(self, code: str, dos: date) -> CodeVerdict: ...
    def modifier(self, modifier: str, dos: date) -> CodeVerdict: ...
    def place_of_service(self, pos: str, dos: date) -> CodeVerdict: ...


class CachedCodeSets:
    """:class:`CodeSetChecker` over ``agency.codesets.service.CodeSetCache``:
    releases are read once, each release's entries once, and each
    ``(kind, code, dos)`` answer is memoised, so scrubbing a batch costs a
    handful of queries. Use it within the life of the cache's session."""

    def __init__(self, cache) -> None:  # noqa: ANN001 - agency.codesets.service.CodeSetCache
        from agency.codesets.loaders.reference import POS

        self.cache = cache
        self._memo: dict[tuple[str, str, date], CodeVerdict] = {}
        self._facility = {code: facility for code, _name, facility, _from in POS}

    @classmethod
    def for_session(cls, session, first_dos: date | None = None, last_dos: date | None = None) -> "CachedCodeSets":
        from agency.codesets.service import CodeSetCache

        cache = CodeSetCache(session)
        if first_dos and last_dos:
            cache.preload(first_dos, last_dos)
        return cls(cache)

    def _verdict(self, kind: str, system: str | None, code: str, dos: date, check: Callable) -> CodeVerdict:
        key = (kind, code, dos)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        result = check(code, dos)
        if result.ok:
            verdict = OK
        else:
            verdict = CodeVerdict(False, _without_dos(result.reason, dos),
                                  self._other_version(system or result.system, result.code, dos))
        self._memo[key] = verdict
        return verdict

    def _other_version(self, system: str | None, code: str, dos: date) -> bool:
        if system not in ("icd10cm", "hcpcs", "cpt"):
            return False
        release, entry = self.cache.covering(system, code, dos)
        if release is None:
            return False
        if entry is not None and entry.covers(dos):
            return False  # present on the date (e.g. a header): not a version problem
        return bool(self.cache.elsewhere(system, code)) or (entry is not None and not entry.covers(dos))

    def diagnosis(self, code: str, dos: date) -> CodeVerdict:
        return self._verdict("dx", "icd10cm", code, dos, self.cache.validate_diagnosis)

    def procedure(self, code: str, dos: date) -> CodeVerdict:
        return self._verdict("px", None, code, dos, self.cache.validate_procedure)

    def modifier(self, modifier: str, dos: date) -> CodeVerdict:
        return self._verdict("mod", "modifier", modifier, dos, self.cache.validate_modifier)

    def place_of_service(self, pos: str, dos: date) -> CodeVerdict:
        key = ("pos", pos, dos)
        hit = self._memo.get(key)
        if hit is None:
            result = self.cache.validate_place_of_service(pos, dos)
            hit = (CodeVerdict(True, facility=self._facility.get(pos)) if result.ok
                   else CodeVerdict(False, _without_dos(result.reason, dos)))
            self._memo[key] = hit
        return hit


def _without_dos(reason: str | None, dos: date) -> str | None:
    """Code-set reasons may quote the date of service (a patient date): say "the date of service"."""
    if not reason:
        return reason
    day = dos.isoformat()
    return (reason.replace(f"for dates of service on {day}", "on the date of service")
            .replace(f"for date of service {day}", "for the date of service")
            .replace(day, "the date of service"))


# --------------------------------------------------------------------------- NCCI / MUE


@dataclass(frozen=True, slots=True)
class PtpEdit:
    column1: str
    column2: str
    modifier_indicator: str  # '0' never bypassable, '1' bypass with an NCCI-associated modifier, '9' n/a


@dataclass(frozen=True, slots=True)
class MueLimit:
    code: str
    value: int
    mai: int  # 1 per line, 2 absolute per date of service, 3 per date of service (clinical exception)


class NcciLookup(Protocol):
    """NCCI procedure-to-procedure edits and medically unlikely edits in force
    on a date of service. Implemented over the loaded tables by
    :class:`agency.scrubber.reference.NcciTables`."""

    def ptp(self, column1: str, column2: str, dos: date) -> PtpEdit | None: ...
    def mue(self, code: str, dos: date) -> MueLimit | None: ...
    def ptp_loaded(self) -> bool: ...
    def mue_loaded(self) -> bool: ...


# --------------------------------------------------------------------------- the context


def claim_fingerprint(claim: Claim | InstitutionalClaim, billing_npi: str | None) -> str:
    """A PHI-free digest that identifies "the same claim sent again": payer,
    member, billing NPI and every line's date, code, modifiers, units and
    charge. The claims module stores it for each claim it sends and passes the
    set back in :attr:`ScrubContext.prior_fingerprints`."""
    from agency.scrubber.view import ClaimView

    view = ClaimView(claim, None)
    parts = [claim.subscriber.payer.id, claim.subscriber.member_id.strip().upper(), billing_npi or "",
             view.patient_person.last_name.strip().upper(),
             str(view.patient_person.birth_date or "")]
    for ln in sorted(view.lines, key=lambda ln: (ln.dos, ln.procedure_code or "", ln.revenue_code or "")):
        parts.append("|".join((ln.dos.isoformat(), str(ln.last_dos), ln.procedure_code or "", ln.revenue_code or "",
                               ",".join(sorted(ln.modifiers)), str(ln.units.normalize()),
                               str(ln.charge.normalize()))))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A billing provider's enrolment with the claim's payer."""

    active: bool
    era_enrolled: bool = True


@dataclass(frozen=True, slots=True)
class ScrubContext:
    """Per-claim context (cheap: share the heavy lookups between claims).

    Optional lookups, all answering ``None`` for "unknown" (the rule then skips):

    * ``eligibility(subscriber, dos) -> bool | None`` - coverage active on the date (cached 270/271)
    * ``enrollment(billing_npi, payer_code) -> Enrollment | None``
    * ``global_days(code) -> int | None`` - global surgical period (0, 10, 90)
    * ``addon_primaries(code) -> set[str] | None`` - primary codes an add-on code needs; None: not an add-on
    * ``medical_necessity(procedure, diagnoses, dos) -> bool | None`` - LCD/NCD diagnosis-procedure match
    * ``manifestation_codes`` - ICD-10-CM codes/categories that may never be first ("code first"); the
      built-in list is used when None
    """

    submit_date: date
    billing_provider: Provider | None = None
    payer: PayerProfile = field(default_factory=PayerProfile)
    code_sets: CodeSetChecker | None = None
    ncci: NcciLookup | None = None
    ncci_kind: str = "practitioner"
    submitter: Submitter | None = None
    claim_total: object | None = None  # the total the caller stored for the claim (Decimal), compared to lines
    prior_fingerprints: frozenset[str] = frozenset()
    prior_procedures: tuple[tuple[str, date], ...] = ()  # the patient's earlier procedures (code, date)
    eligibility: Callable[[Subscriber, date], bool | None] | None = None
    enrollment: Callable[[str, str], Enrollment | None] | None = None
    global_days: Callable[[str], int | None] | None = None
    addon_primaries: Callable[[str], Iterable[str] | None] | None = None
    medical_necessity: Callable[[str, tuple[str, ...], date], bool | None] | None = None
    manifestation_codes: frozenset[str] | None = None

    def for_claim(self, **changes) -> "ScrubContext":
        """A copy for another claim (new billing provider, payer, totals ...)."""
        return dataclasses.replace(self, **changes)
