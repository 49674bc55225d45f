"""The denial work queue and its actions. Services take a session and never commit.

Items are opened by posting (``agency.remittance.service``): one per denied or
underpaid claim line (or claim, for claim-level adjustments). Status flow (guide
rcm-domain §9): new -> in_progress -> corrected / appealed -> awaiting_payer ->
overturned / partially_paid / written_off. A later payment on the line settles
the item automatically (posting). Rejections (999/277CA) never land here: they are
the claims module's rework queue.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agency.api.problems import Conflict, NotFound, Unprocessable
from agency.claims.models import Claim, ClaimLine
from agency.db.base import new_id
from agency.denials.categories import CATEGORIES, LABELS
from agency.denials.letters import render_pdf
from agency.denials.models import Appeal, DenialItem, WriteOff
from agency.remittance.models import Era, EraClaim, LedgerEntry
from tenants.crypto.keyring import PhiCipher

STATUSES = ("new", "in_progress", "corrected", "appealed", "awaiting_payer", "overturned", "partially_paid",
            "written_off")
OPEN = ("new", "in_progress", "corrected", "appealed", "awaiting_payer")
WRITE_OFF_REASONS = ("timely_filing", "non_covered", "small_balance", "contractual", "bad_debt", "administrative",
                     "other")
MAX_NOTE = 4000


@dataclass(frozen=True)
class QueueFilter:
    payer_id: uuid.UUID | None = None
    category: str | None = None
    assignee_id: uuid.UUID | None = None
    status: str | None = None  # default: open items
    claim_id: uuid.UUID | None = None


def check_filter(f: QueueFilter) -> None:
    if f.category is not None and f.category not in CATEGORIES:
        raise Unprocessable(f"category must be one of {', '.join(CATEGORIES)}.")
    if f.status is not None and f.status not in STATUSES + ("open", "all"):
        raise Unprocessable(f"status must be open, all or one of {', '.join(STATUSES)}.")


def queue(s: Session, tenant_id: uuid.UUID, f: QueueFilter, after: tuple[date, uuid.UUID] | None,
          limit: int) -> list[DenialItem]:
    """Deadline first (due date, then id), ``limit + 1`` rows for the pager."""
    check_filter(f)
    far = date(9999, 12, 31)
    due = sa.func.coalesce(DenialItem.due_date, far)
    q = sa.select(DenialItem).where(DenialItem.tenant_id == tenant_id)
    status = f.status or "open"
    if status == "open":
        q = q.where(DenialItem.status.in_(OPEN))
    elif status != "all":
        q = q.where(DenialItem.status == status)
    for col, val in ((DenialItem.payer_id, f.payer_id), (DenialItem.category, f.category),
                     (DenialItem.assignee_id, f.assignee_id), (DenialItem.claim_id, f.claim_id)):
        if val is not None:
            q = q.where(col == val)
    if after is not None:
        q = q.where(sa.tuple_(due, DenialItem.id) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
    return list(s.scalars(q.order_by(due, DenialItem.id).limit(limit + 1)))


def get(s: Session, tenant_id: uuid.UUID, item_id: uuid.UUID, *, lock: bool = False) -> DenialItem:
    item = s.get(DenialItem, (tenant_id, item_id), with_for_update=lock, populate_existing=True)
    if item is None:
        raise NotFound("The denial item does not exist.")
    return item


def _touch(item: DenialItem, status: str | None = None) -> None:
    if status is not None:
        item.status = status
    item.updated_at = datetime.now(timezone.utc)
    item.row_version += 1


def _require_open(item: DenialItem) -> None:
    if item.status not in OPEN:
        raise Conflict(f"The denial item is {item.status}.")


def open_notes(cipher: PhiCipher, item: DenialItem) -> list[dict]:
    raw = cipher.open_text(item.tenant_id, "denial_item", "notes", item.id, item.notes)
    return json.loads(raw) if raw else []


def add_note(s: Session, cipher: PhiCipher, tenant_id: uuid.UUID, item_id: uuid.UUID, text: str,
             actor: str) -> DenialItem:
    text = (text or "").strip()
    if not text or len(text) > MAX_NOTE:
        raise Unprocessable(f"note must be 1 to {MAX_NOTE} characters.")
    item = get(s, tenant_id, item_id, lock=True)
    notes = open_notes(cipher, item)
    notes.append({"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "by": actor, "text": text})
    item.notes = cipher.seal_text(tenant_id, "denial_item", "notes", item.id, json.dumps(notes))
    _touch(item)
    s.flush()
    return item


def update(s: Session, tenant_id: uuid.UUID, item_id: uuid.UUID, *, assignee_id: uuid.UUID | None = None,
           unassign: bool = False, status: str | None = None, agency_user_ids: set[uuid.UUID] | None = None
           ) -> DenialItem:
    """Assign (an agency user; the caller checks the id belongs to the agency) and/or move
    between the work statuses a person sets by hand."""
    item = get(s, tenant_id, item_id, lock=True)
    if assignee_id is not None:
        if agency_user_ids is not None and assignee_id not in agency_user_ids:
            raise Unprocessable("assignee_id is not a user of this agency.")
        item.assignee_id = assignee_id
    if unassign:
        item.assignee_id = None
    if status is not None:
        if status not in ("new", "in_progress", "awaiting_payer", "overturned", "partially_paid"):
            raise Unprocessable("status can be set to new, in_progress, awaiting_payer, overturned or "
                                "partially_paid; the other statuses follow actions.")
        item.status = status
    if item.status == "new" and item.assignee_id is not None and status is None:
        item.status = "in_progress"
    _touch(item)
    s.flush()
    return item


def _era_claim(s: Session, item: DenialItem) -> EraClaim | None:
    return s.get(EraClaim, (item.tenant_id, item.era_claim_id)) if item.era_claim_id else None


def corrected_claim(s: Session, cipher: PhiCipher, tenant_id: uuid.UUID, item_id: uuid.UUID, frequency: str,
                    actor: str) -> Claim:
    """Corrected (7) or void (8) claim with the payer claim number from the remittance
    (REF*F8), same CLM01. The new claim is built and scrubbed by the claims module and
    submitted like any other; the item waits for the payer."""
    from agency.claims import service as claims_service

    item = get(s, tenant_id, item_id, lock=True)
    _require_open(item)
    ec = _era_claim(s, item)
    icn = ec.payer_claim_number if ec else None
    new = claims_service.create_replacement(s, cipher, tenant_id, item.claim_id, frequency, icn, actor)
    _touch(item, "corrected")
    s.flush()
    return new


def rebill_secondary(s: Session, cipher: PhiCipher, agency_id: uuid.UUID, tenant_id: uuid.UUID,
                     item_id: uuid.UUID, actor: str) -> Claim:
    from agency.claims import service as claims_service

    item = get(s, tenant_id, item_id, lock=True)
    _require_open(item)
    nxt = claims_service.build_next_sequence(s, cipher, agency_id, tenant_id, item.claim_id, actor)
    if nxt is None:
        raise Conflict("The patient has no further coverage to bill.")
    _touch(item, "awaiting_payer")
    s.flush()
    return nxt


def write_off(s: Session, cipher: PhiCipher, tenant_id: uuid.UUID, item_id: uuid.UUID, reason_code: str,
              note: str | None, actor: str, amount: Decimal | None = None) -> WriteOff:
    if reason_code not in WRITE_OFF_REASONS:
        raise Unprocessable(f"reason_code must be one of {', '.join(WRITE_OFF_REASONS)}.")
    item = get(s, tenant_id, item_id, lock=True)
    _require_open(item)
    amount = item.amount_at_stake if amount is None else amount
    if amount <= 0 or amount > item.amount_at_stake:
        raise Unprocessable("amount must be more than 0 and at most the amount at stake.")
    if note is not None and len(note) > MAX_NOTE:
        raise Unprocessable(f"note must be at most {MAX_NOTE} characters.")
    wid = new_id()
    wo = WriteOff(tenant_id=tenant_id, id=wid, claim_id=item.claim_id, claim_line_id=item.claim_line_id,
                  denial_item_id=item.id, amount=amount, reason_code=reason_code,
                  note=cipher.seal_text(tenant_id, "write_off", "note", wid, note) if note else None,
                  created_by=actor)
    s.add(wo)
    s.flush()
    s.add(LedgerEntry(tenant_id=tenant_id, id=new_id(), claim_id=item.claim_id, claim_line_id=item.claim_line_id,
                      kind="write_off", group_code=item.group_code, carc=item.carc, rarcs=list(item.rarcs or []),
                      category=item.category, amount=amount, actor=actor))
    _touch(item, "written_off")
    s.flush()
    return wo


def appeal(s: Session, cipher: PhiCipher, tenant_id: uuid.UUID, item_id: uuid.UUID, argument: str, signer: str,
           actor: str) -> Appeal:
    """The next appeal level: a letter from templates/appeal_letter.html as a sealed PDF."""
    argument = (argument or "").strip()
    if not argument or len(argument) > MAX_NOTE:
        raise Unprocessable(f"argument must be 1 to {MAX_NOTE} characters.")
    item = get(s, tenant_id, item_id, lock=True)
    if item.status not in OPEN:
        raise Conflict(f"The denial item is {item.status}.")
    level = (s.execute(sa.select(sa.func.max(Appeal.level)).where(
        Appeal.tenant_id == tenant_id, Appeal.denial_item_id == item.id)).scalar() or 0) + 1
    pdf = render_pdf(letter_context(s, cipher, item, level, argument, signer))
    aid = new_id()
    row = Appeal(tenant_id=tenant_id, id=aid, denial_item_id=item.id, level=level,
                 letter=cipher.seal_bytes(tenant_id, "appeal", "letter", aid, pdf), letter_size=len(pdf),
                 created_by=actor)
    s.add(row)
    _touch(item, "appealed")
    s.flush()
    return row


def letter_pdf(s: Session, cipher: PhiCipher, tenant_id: uuid.UUID, item_id: uuid.UUID,
               appeal_id: uuid.UUID) -> bytes:
    row = s.get(Appeal, (tenant_id, appeal_id))
    if row is None or row.denial_item_id != item_id:
        raise NotFound("The appeal does not exist.")
    return cipher.open_bytes(tenant_id, "appeal", "letter", row.id, row.letter)


def appeals_of(s: Session, tenant_id: uuid.UUID, item_id: uuid.UUID) -> list[Appeal]:
    return list(s.scalars(sa.select(Appeal).where(Appeal.tenant_id == tenant_id, Appeal.denial_item_id == item_id)
                          .order_by(Appeal.level)))


def letter_context(s: Session, cipher: PhiCipher, item: DenialItem, level: int, argument: str,
                   signer: str) -> dict:
    from agency.patients.models import Patient
    from agency.patients.service import open_patient
    from agency.payers.models import Payer
    from agency.practices.models import BillingProvider, Practice

    claim = s.get(Claim, (item.tenant_id, item.claim_id))
    patient = open_patient(cipher, s.get(Patient, (item.tenant_id, claim.patient_id)))
    payer = s.get(Payer, claim.payer_id)
    practice = s.get(Practice, item.tenant_id)
    bp = s.get(BillingProvider, (item.tenant_id, claim.billing_provider_id))
    line = s.get(ClaimLine, (item.tenant_id, item.claim_line_id)) if item.claim_line_id else None
    ec = _era_claim(s, item)
    era = s.get(Era, (item.tenant_id, item.era_id)) if item.era_id else None
    dos = claim.date_of_service_from.isoformat()
    if claim.date_of_service_to != claim.date_of_service_from:
        dos += f" to {claim.date_of_service_to.isoformat()}"
    return dict(
        level=level, today=date.today().isoformat(), payer_name=payer.name if payer else "Payer",
        practice_name=practice.name if practice else "", billing_npi=bp.npi if bp else None,
        patient_name=f"{patient.first_name} {patient.last_name}", patient_dob=patient.date_of_birth.isoformat(),
        pcn=claim.pcn, payer_claim_number=ec.payer_claim_number if ec else claim.payer_claim_number, dos=dos,
        line=(f"{line.procedure_code}{(' ' + ' '.join(line.modifiers)) if line.modifiers else ''} on "
              f"{line.date_of_service.isoformat()}, charge {line.charge}") if line else None,
        group=item.group_code or "", carc=item.carc or "", rarcs=", ".join(item.rarcs or []),
        amount=f"{item.amount_at_stake:.2f}", category_label=LABELS.get(item.category, item.category),
        era_date=(era.payment_date or era.production_date or era.created_at.date()).isoformat() if era else "",
        argument=[p.strip() for p in argument.split("\n\n") if p.strip()], signer=signer)
