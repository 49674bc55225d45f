"""Deadlines of a denial work item (guide rcm-domain §8).

* Appeal deadline = denial (remittance) date + 5 days presumed receipt + the
  payer's appeal window. The payer directory has no appeal-window column yet, so
  the window is ``DEFAULT_APPEAL_WINDOW_DAYS`` (120: Medicare redetermination,
  also a common commercial minimum). Change it here when the directory grows a column.
* Timely filing = date of service + the payer's ``timely_filing_days`` (a
  corrected claim must still reach the payer inside it).
* Due date = the earlier of the two, minus ``WORK_LEAD_DAYS`` so the item is
  worked before the deadline, never before the item was opened.
"""

from __future__ import annotations

from datetime import date, timedelta

DEFAULT_APPEAL_WINDOW_DAYS = 120
RECEIPT_PRESUMPTION_DAYS = 5
DEFAULT_TIMELY_FILING_DAYS = 365
WORK_LEAD_DAYS = 14


def appeal_deadline(denial_date: date, window_days: int | None = None) -> date:
    return denial_date + timedelta(days=RECEIPT_PRESUMPTION_DAYS + (window_days or DEFAULT_APPEAL_WINDOW_DAYS))


def timely_filing_deadline(date_of_service: date, timely_filing_days: int | None) -> date:
    return date_of_service + timedelta(days=timely_filing_days or DEFAULT_TIMELY_FILING_DAYS)


def due_date(opened: date, appeal: date | None, timely: date | None) -> date | None:
    candidates = [d for d in (appeal, timely) if d is not None]
    if not candidates:
        return None
    return max(opened, min(candidates) - timedelta(days=WORK_LEAD_DAYS))
