"""What the referring officer may see of a referral's outcome (42 CFR Part 2).

Police learn that the partner received the referral and whether it is open; anything more
only as a consent to share with the referring agency allows, and only what was recorded
while one covered it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection.models import User
from referrals.models import CaseEvent, Consent, FollowUp, Referral, reason_label
from referrals.selectors import ListedReferral, PastReferrals, other_open_referral

CONSENT_RANK = {
    Consent.Scope.STATUS_ONLY: 1,
    Consent.Scope.STATUS_OUTCOMES: 2,
    Consent.Scope.FULL_RECORD: 3,
}


@dataclass
class OutcomeItem:
    """One outcome police may see, and when it happened."""

    when: datetime
    text: str


@dataclass
class OfficerView:
    """A referral as police see it: only what the client's consent lets flow to the agency."""

    is_open: bool
    label: str
    scope: str  # "" without consent, else the consent's scope
    consent_active: bool
    items: list[OutcomeItem] = field(default_factory=list)
    changed_at: datetime | None = None
    updated: bool = False
    # The 72-hour check in a few words ("Reached within 72 hours"), under status and outcomes.
    check_72h: str = ""
    # When police could learn the client reached intake, or was still engaged at a retention
    # check (30 days or later): an officer's personal milestones count these, nothing else.
    intake_at: datetime | None = None
    retained_at: datetime | None = None
    # Cancelled by its own officer (withdrawn, or entered in error): police's own act.
    cancelled_by_officer: bool = False


def _agency_consents(referral: Referral) -> list[Consent]:
    return [c for c in referral.consents.all() if c.recipient_agency_id == referral.agency_id]


def rank_covering(consents: Iterable[Consent], moment: datetime) -> int:
    """How much of what was recorded at `moment` the referring agency may know, by the
    consents to it (CONSENT_RANK): 0 none (police know only whether the referral is open),
    1 its status, 2 status and outcomes, 3 the full record."""
    return max((CONSENT_RANK.get(c.scope, 0) for c in consents if c.covers(moment)), default=0)


def agency_may_know_outcome(referral: Referral, moment: datetime) -> bool:
    """Whether the client's consent lets the referring agency know an outcome recorded at
    `moment` (intake, a retention check): a consent to the agency of status and outcomes, or
    more, covering it. Expects the consents prefetched, or reads them."""
    return rank_covering(_agency_consents(referral), moment) >= CONSENT_RANK[Consent.Scope.STATUS_OUTCOMES]


def officer_view(
    referral: Referral | ListedReferral, *, now: datetime | None = None, consents: list[Consent] | None = None
) -> OfficerView:
    """What the referring officer (and their supervisor) may see of this referral.

    Without consent to share with the referring agency: only that the partner received
    it and whether it is still open. With it: the status (any scope); intake, the 72-hour
    check (reached within 72 hours of acceptance or not), retention checkpoints and the
    closing outcome (status and outcomes, full record) recorded while a consent covered them.
    Expects consents, events and follow_ups prefetched (see with_officer_view), or
    `consents` given: the referral's consents to its agency, known to be none, say.
    """
    now = now or timezone.now()
    if consents is None:
        consents = _agency_consents(referral)
    closed = referral.status not in Referral.OPEN_STATUSES
    base_label = _("Closed") if closed else _("Received by partner · open")
    if referral.cancelled_by_officer:
        # The officer's own act (withdrawn, or entered in error), not the partner's.
        base_label = Referral.Status.CANCELLED.label
    view = OfficerView(
        is_open=not closed,
        label=str(base_label),
        scope="",
        consent_active=False,
        cancelled_by_officer=referral.cancelled_by_officer,
    )
    view.changed_at = referral.closed_at if closed else None
    if consents:
        best = max(consents, key=lambda c: CONSENT_RANK[c.scope])
        view.scope = best.scope
        view.consent_active = any(c.is_active(now) for c in consents)

        def shown_from(moment: datetime, rank: int) -> datetime | None:
            """When police could first see information recorded at `moment`: once a
            consent of enough scope covering it existed; None if none covers it."""
            times = [max(moment, c.created_at) for c in consents if CONSENT_RANK[c.scope] >= rank and c.covers(moment)]
            return min(times) if times else None

        changes: list[datetime] = [view.changed_at] if view.changed_at else []
        status_events = [e for e in referral.events.all() if e.kind == CaseEvent.Kind.STATUS_CHANGED]
        shown_status = [(e, shown_from(e.created_at, 1)) for e in status_events]
        shown_status = [(e, when) for e, when in shown_status if when is not None]
        if shown_status:
            last, when = shown_status[-1]
            # Closed is always known to police; a closing the consent did not cover stays "Closed".
            if not (closed and last.to_status in Referral.OPEN_STATUSES):
                view.label = str(Referral.Status(last.to_status).label)
                changes.append(when)
        for event in status_events:
            when = shown_from(event.created_at, 2)
            if when is None:
                continue
            if event.to_status == Referral.Status.IN_PROGRESS and event.from_status == Referral.Status.ACCEPTED:
                view.items.append(OutcomeItem(event.created_at, str(_("Intake: the client attended"))))
                view.intake_at = view.intake_at or event.created_at
                changes.append(when)
            elif event.to_status in (Referral.Status.COMPLETED, Referral.Status.FAILED, Referral.Status.REJECTED):
                text = str(Referral.Status(event.to_status).label)
                if event.reason:
                    text += f" ({reason_label(event.reason)})"
                view.items.append(OutcomeItem(event.created_at, text))
                changes.append(when)
        for follow_up in referral.follow_ups.all():
            if follow_up.kind == FollowUp.Kind.CHECK_72H and follow_up.completed_at:
                # Whether the partner reached the client soon after accepting: an outcome.
                when = shown_from(follow_up.completed_at, 2)
                if when is not None:
                    view.check_72h = _check_72h_short(referral, follow_up)
                    view.items.append(OutcomeItem(follow_up.completed_at, _check_72h_text(referral, follow_up)))
                    changes.append(when)
                continue
            if not (
                follow_up.kind.startswith("retention")
                and follow_up.completed_at
                and follow_up.outcome == FollowUp.Outcome.ENGAGED
            ):
                continue
            when = shown_from(follow_up.completed_at, 2)
            if when is not None:
                text = _("%(check)s: still engaged") % {"check": follow_up.get_kind_display()}
                view.items.append(OutcomeItem(follow_up.completed_at, str(text)))
                if view.retained_at is None or follow_up.completed_at < view.retained_at:
                    view.retained_at = follow_up.completed_at
                changes.append(when)
        view.items.sort(key=lambda item: item.when)
        view.changed_at = max(changes) if changes else None
    seen = referral.officer_seen_at
    view.updated = view.changed_at is not None and (seen is None or view.changed_at > seen)
    return view


CHECK_72H_WINDOW = timedelta(hours=72)


def _within_72h(referral: Referral, follow_up: FollowUp) -> bool:
    accepted = referral.accepted_at or follow_up.due_at - CHECK_72H_WINDOW
    return follow_up.completed_at <= accepted + CHECK_72H_WINDOW  # type: ignore[operator]


def _check_72h_short(referral: Referral, follow_up: FollowUp) -> str:
    """The 72-hour check in a few words, for lists (My deflections)."""
    if follow_up.outcome not in (FollowUp.Outcome.ENGAGED, FollowUp.Outcome.NOT_ENGAGED):
        return str(_("Not reached at the 72-hour check"))
    if _within_72h(referral, follow_up):
        return str(_("Reached within 72 hours"))
    return str(_("Reached after 72 hours"))


def _check_72h_text(referral: Referral, follow_up: FollowUp) -> str:
    if _within_72h(referral, follow_up):
        text = _("72-hour check: %(outcome)s, within 72 hours of acceptance")
    else:
        text = _("72-hour check: %(outcome)s, more than 72 hours after acceptance")
    return text % {"outcome": str(follow_up.get_outcome_display()).lower()}


def _consents_prefetch() -> Prefetch:
    # No select_related("referral"): prefetching a referral's consents sets each consent's
    # referral to that referral already (Consent.ends_at reads its closed_at).
    return Prefetch("consents")


def _history_prefetches() -> list[Prefetch]:
    """What officer_view reads of a referral's history (only when there is consent)."""
    return [
        Prefetch(
            "events", queryset=CaseEvent.objects.filter(kind=CaseEvent.Kind.STATUS_CHANGED).order_by("created_at", "id")
        ),
        Prefetch(
            "follow_ups",
            queryset=FollowUp.objects.filter(
                Q(kind__startswith="retention") | Q(kind=FollowUp.Kind.CHECK_72H), completed_at__isnull=False
            ),
        ),
    ]


def with_officer_view(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Prefetch what officer_view needs, so a page of referrals costs a fixed number of queries."""
    return referrals.prefetch_related(_consents_prefetch(), *_history_prefetches())


def officer_views(referrals: Iterable[Referral]) -> list[tuple[Referral, OfficerView]]:
    """Each referral with what police may see of it, in a fixed number of queries: the
    consents first, and the history only of the referrals with a consent to the agency
    (officer_view reads nothing else), so a page without consent costs one query.

    The consents are one plain query grouped here rather than a prefetch: Django's prefetch
    builds a related manager and a queryset for every referral of the page, which cost more
    than the query itself on My deflections (25 rows, most without consent)."""
    referrals = list(referrals)
    by_id = {r.pk: r for r in referrals}
    agency_consents: dict[int, list[Consent]] = {r.pk: [] for r in referrals}
    if by_id:
        for consent in Consent.objects.filter(referral_id__in=by_id):
            referral = by_id[consent.referral_id]
            if consent.recipient_agency_id == referral.agency_id:
                consent.referral = referral  # Consent.ends_at reads its closed_at
                agency_consents[referral.pk].append(consent)
    consented = [r for r in referrals if agency_consents[r.pk]]
    if consented:
        prefetch_related_objects(consented, *_history_prefetches())
    return [(r, officer_view(r, consents=agency_consents[r.pk])) for r in referrals]


def listed_views(rows: list[ListedReferral]) -> list[tuple[ListedReferral, OfficerView]]:
    """Each row of an officer's list with what police may see of it: from the row itself
    where no consent to the agency is on file (no query: the row says so); else from the
    referral and the history of those rows only, as officer_views reads them."""
    consented = [row.pk for row in rows if row.has_agency_consent]
    read = {}
    if consented:
        read = {referral.pk: view for referral, view in officer_views(Referral.objects.filter(pk__in=consented))}
    return [(row, read[row.pk] if row.pk in read else officer_view(row, consents=[])) for row in rows]


def listed_referral_views(referrals: Iterable[Referral]) -> list[tuple[ListedReferral, OfficerView]]:
    """Referrals read as models (their client and partner joined: a search's), each as an
    officer's list shows it, with what police may see of it."""
    return [
        (ListedReferral.of(referral, has_agency_consent=bool(view.scope)), view)
        for referral, view in officer_views(referrals)
    ]


@dataclass(frozen=True)
class ReferralAsPoliceSeeIt:
    """A referral, and what its officer may see of it."""

    referral: Referral
    view: OfficerView


def other_open_referral_as_police_see_it(*, user: User, past: PastReferrals | None) -> ReferralAsPoliceSeeIt | None:
    """The client's latest other open referral in the officer's agency, as police may see it, or None.

    For the re-engagement notice right after a referral was logged: referral_create has
    already read it (see selectors.past_referrals), so that the usual case costs no query;
    with consent to share, its history is read to show what police may see.
    """
    found = other_open_referral(user=user, past=past)
    if found is None:
        return None
    view = _view_as_read(found, consented=found.pk in past.consented)  # type: ignore[union-attr]
    return ReferralAsPoliceSeeIt(referral=found, view=view)


def _view_as_read(referral: Referral, *, consented: bool) -> OfficerView:
    """officer_view of a referral past_referrals read: no query without consent."""
    if not consented:
        return officer_view(referral, consents=[])
    prefetch_related_objects([referral], _consents_prefetch())
    if _agency_consents(referral):
        # officer_view reads the history only under consent.
        prefetch_related_objects([referral], *_history_prefetches())
    return officer_view(referral)
