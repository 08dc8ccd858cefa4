"""The partner queue's oracle: each filter's referrals, in order, with what each row shows,
worked out in Python one referral at a time from the definitions the queue's page states, so
that a test can check the selectors' statements against them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from referrals.models import Referral

OPEN = Referral.OPEN_STATUSES


@dataclass(frozen=True)
class Row:
    pk: int
    next_due: datetime | None
    overdue: bool
    seen_again_at: datetime | None
    seen_again_by: str | None
    charge_held_until: date | None


def _chased(referral: Referral, follow_up, now: datetime) -> bool:
    """An overdue follow-up someone is still chased for (the reminders' rule): any of an open
    referral, a retention check of a completed one."""
    if follow_up.completed_at is not None or follow_up.due_at >= now:
        return False
    completed = referral.status == Referral.Status.COMPLETED
    return referral.status in OPEN or (completed and follow_up.kind.startswith("retention"))


def _in_filter(name: str, referral: Referral, now: datetime) -> bool:
    if name == "open":
        return referral.status in OPEN
    if name == "new":
        return referral.status == Referral.Status.REQUESTED
    if name == "overdue":
        return any(_chased(referral, f, now) for f in referral.follow_ups.all())
    if name == "closed":
        return referral.status not in OPEN
    return referral.status == name  # accepted, in_progress, on_hold


def _row(referral: Referral, now: datetime) -> Row:
    due = [f.due_at for f in referral.follow_ups.all() if f.completed_at is None]
    contacts = sorted(referral.contacts.select_related("officer"), key=lambda c: (c.occurred_at, c.pk))
    last = contacts[-1] if contacts else None
    charge = getattr(referral, "held_charge", None)
    return Row(
        pk=referral.pk,
        next_due=min(due) if due else None,
        overdue=any(d < now for d in due),
        seen_again_at=last.occurred_at if last else None,
        seen_again_by=last.officer.display_name if last else None,
        charge_held_until=charge.deadline if charge is not None and charge.is_held else None,
    )


def _urgency(referral: Referral, row: Row) -> int:
    """New referrals first, then those with an overdue follow-up, then the other open ones."""
    if referral.status == Referral.Status.REQUESTED:
        return 0
    if row.overdue:
        return 1
    return 2 if referral.status in OPEN else 3


def expected_queue(*, partner_id: int, filter_name: str, now: datetime) -> list[Row]:
    """The queue of the partner's referrals under one filter, as the page describes its order:
    most urgent first, then by the next follow-up due (none last), then oldest first; closed
    ones by when they closed, latest first (every closed referral here has that date)."""
    referrals = [
        r
        for r in Referral.objects.filter(partner_id=partner_id).select_related("held_charge")
        if _in_filter(filter_name, r, now)
    ]
    rows = {r.pk: _row(r, now) for r in referrals}
    if filter_name == "closed":
        referrals.sort(key=lambda r: (r.closed_at, r.pk), reverse=True)
    else:
        referrals.sort(
            key=lambda r: (
                _urgency(r, rows[r.pk]),
                rows[r.pk].next_due is None,
                rows[r.pk].next_due or now,
                r.created_at,
                r.pk,
            )
        )
    return [rows[r.pk] for r in referrals]
