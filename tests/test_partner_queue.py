"""The partner's queue: its order and counts equal their definition (tests/queue_oracle.py) on
referrals built by hand, its cost does not grow with it, and a charge held on a referral shows
in its row while it waits on the client's engagement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from deflection import l10n
from referrals import selectors, services
from referrals.models import FollowUp, HeldCharge, OfficerContact, Pathway, Referral
from tests.factories.referrals import OfficerFactory, ReferralFactory, held_charge_on
from tests.queue_oracle import expected_queue

pytestmark = pytest.mark.django_db
S = Referral.Status


def _referral(cast, status: str = S.REQUESTED, *, hours_ago: float = 1, partner=None, **fields) -> Referral:
    created = timezone.now() - timedelta(hours=hours_ago)
    referral = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1),
        partner=partner or cast.partner_y,
        occurred_at=created - timedelta(minutes=5),
        pathway=Pathway.OFFICER_INTERVENTION,
        **fields,
    )
    closed = None if status in Referral.OPEN_STATUSES else created + timedelta(minutes=30)
    Referral.objects.filter(pk=referral.pk).update(status=status, created_at=created, closed_at=closed)
    referral.refresh_from_db()
    return referral


def _follow_up(referral: Referral, *, due_in_hours: float, kind: str = "check_72h", done: bool = False) -> FollowUp:
    due = timezone.now() + timedelta(hours=due_in_hours)
    return FollowUp.objects.create(
        referral=referral, kind=kind, due_at=due, completed_at=due if done else None, outcome="engaged" if done else ""
    )


def _contact(referral: Referral, officer, *, hours_ago: float) -> None:
    OfficerContact.objects.create(
        referral=referral,
        officer=officer,
        pathway=referral.pathway,
        occurred_at=timezone.now() - timedelta(hours=hours_ago),
        officer_minutes=10,
    )


@pytest.fixture
def queue(cast, attorney) -> dict[str, Referral]:
    """Partner Y's referrals, one for each way the order could go wrong."""
    r = {
        # New: the one with a follow-up due first, then the rest oldest first.
        "new_old": _referral(cast, hours_ago=50),
        "new_recent": _referral(cast, hours_ago=1),
        "new_with_due": _referral(cast, hours_ago=2),
        # Overdue: longest overdue first (its earliest open follow-up), ties by age, then id.
        "overdue_long": _referral(cast, S.ACCEPTED, hours_ago=200),
        "overdue_tie_a": _referral(cast, S.ACCEPTED, hours_ago=100),
        "overdue_tie_b": _referral(cast, S.IN_PROGRESS, hours_ago=100),
        "overdue_short": _referral(cast, S.ACCEPTED, hours_ago=300),
        # The rest by the next follow-up due; none due last.
        "calm_soon": _referral(cast, S.IN_PROGRESS, hours_ago=400),
        "calm_later": _referral(cast, S.ACCEPTED, hours_ago=20),
        "calm_none": _referral(cast, S.ON_HOLD, hours_ago=10),
        "calm_none_older": _referral(cast, S.IN_PROGRESS, hours_ago=500),
        # Closed: latest closed first; only a completed referral's retention check is still chased.
        "completed_chased": _referral(cast, S.COMPLETED, hours_ago=600),
        "completed_done": _referral(cast, S.COMPLETED, hours_ago=90),
        "failed": _referral(cast, S.FAILED, hours_ago=30),
        "rejected": _referral(cast, S.REJECTED, hours_ago=3),
    }
    tie = r["overdue_tie_b"]
    Referral.objects.filter(pk=tie.pk).update(created_at=r["overdue_tie_a"].created_at)
    _follow_up(r["new_with_due"], kind="contact_attempt", due_in_hours=30)
    _follow_up(r["overdue_long"], due_in_hours=-72)
    _follow_up(r["overdue_long"], kind="retention_30", due_in_hours=24)
    for name in ("overdue_tie_a", "overdue_tie_b"):
        _follow_up(r[name], due_in_hours=-48)
    FollowUp.objects.filter(referral=r["overdue_tie_b"]).update(
        due_at=FollowUp.objects.get(referral=r["overdue_tie_a"]).due_at
    )
    _follow_up(r["overdue_short"], due_in_hours=-2)
    _follow_up(r["calm_soon"], kind="retention_30", due_in_hours=48)
    _follow_up(r["calm_soon"], due_in_hours=-100, done=True)  # done: neither overdue nor next
    _follow_up(r["calm_later"], due_in_hours=120)
    _follow_up(r["calm_none"], due_in_hours=-10, done=True)
    _follow_up(r["completed_chased"], kind="retention_30", due_in_hours=-24)
    _follow_up(r["completed_done"], kind="check_72h", due_in_hours=-24)  # not chased once completed
    _follow_up(r["failed"], kind="retention_30", due_in_hours=-24)  # nor once failed
    # Seen again twice: the latest contact is the one shown.
    _contact(r["overdue_short"], OfficerFactory(user=cast.officer_a2), hours_ago=3)
    _contact(r["overdue_short"], OfficerFactory(user=cast.officer_a1), hours_ago=30)
    held_charge_on(r["calm_soon"], attorney)
    held_charge_on(r["new_old"], attorney)
    decided = held_charge_on(r["completed_done"], attorney)
    HeldCharge.objects.filter(pk=decided.pk).update(state=HeldCharge.State.SATISFIED)
    other = _referral(cast, S.ACCEPTED, partner=cast.partner_x)  # another partner's
    _follow_up(other, due_in_hours=-5)
    return r


def _page_rows(client, filter_name: str) -> list[tuple]:
    """Every row of the queue's pages under a filter, as the view hands them to the page."""
    rows, number = [], 1
    while True:
        page = client.get(f"/queue/?filter={filter_name}&page={number}").context["page"]
        rows += [(r.pk, r.next_due, r.overdue, r.seen_again_at, r.seen_again_by, r.charge_held_until) for r in page]
        if not page.has_next():
            return rows
        number += 1


def test_the_queue_is_in_the_order_its_page_states(cast, queue):
    names = {r.pk: name for name, r in queue.items()}
    order = selectors.queue_for_partner(user=cast.case_manager_y)
    assert [names[r.pk] for r in order] == [
        "new_with_due",
        "new_old",
        "new_recent",
        "overdue_long",
        "overdue_tie_a",
        "overdue_tie_b",
        "overdue_short",
        "calm_soon",
        "calm_later",
        "calm_none_older",
        "calm_none",
    ]
    assert [names[r.pk] for r in selectors.queue_for_partner(user=cast.case_manager_y, filter_name="closed")] == [
        "rejected",
        "failed",
        "completed_done",
        "completed_chased",
    ]


def test_every_filters_pages_and_count_equal_the_oracle(cast, queue, settings):
    settings.DEFLECTION = {**settings.DEFLECTION, "PAGE_SIZE": 3}  # several pages each
    client = cast.login("case_manager_y")
    now = timezone.now()
    counts = selectors.queue_counts(user=cast.case_manager_y, now=now)
    for name in selectors.QUEUE_FILTERS:
        expected = expected_queue(partner_id=cast.partner_y.pk, filter_name=name, now=now)
        assert _page_rows(client, name) == [
            (r.pk, r.next_due, r.overdue, r.seen_again_at, r.seen_again_by, r.charge_held_until) for r in expected
        ], name
        assert counts[name] == len(expected), name
    assert counts == {
        "open": 11,
        "new": 3,
        "accepted": 4,
        "in_progress": 3,
        "on_hold": 1,
        "overdue": 5,
        "closed": 4,
    }


def test_the_queue_costs_the_same_queries_with_contacts_follow_ups_and_charges(
    cast, attorney, django_assert_max_num_queries
):
    for i in range(30):
        referral = _referral(cast, S.ACCEPTED, hours_ago=i + 1)
        _follow_up(referral, due_in_hours=i - 15)
        _contact(referral, OfficerFactory(user=cast.officer_a2), hours_ago=1)
        held_charge_on(referral, attorney)
    client = cast.login("case_manager_y")
    client.get("/queue/")  # the first page of a session also notes the time zone in it
    # The queue's two (its counts, its page in order with what the rows show), the session
    # and user, the partner's name, the access record's last list, and the menu's two.
    with django_assert_max_num_queries(8):
        page = client.get("/queue/").content.decode()
    assert page.count("data-charge-held") == 25 and page.count("data-seen-again") == 25


# -- a charge held on the referral ----------------------------------------------------------


def test_a_case_manager_sees_in_the_row_that_a_charge_is_held_until_its_deadline(cast, attorney):
    referral = _referral(cast, S.ACCEPTED)
    charge = held_charge_on(referral, attorney)
    page = cast.login("case_manager_y").get("/queue/").content.decode()
    assert f"Charge held until {l10n.day(charge.deadline)}" in page
    assert charge.case_number not in page and charge.description not in page  # those are on its page


def test_the_charge_held_reads_in_the_case_managers_language(cast, attorney):
    charge = held_charge_on(_referral(cast), attorney, deadline=timezone.localdate() + timedelta(days=9))
    cast.case_manager_y.language = "es"
    cast.case_manager_y.save(update_fields=["language"])
    page = cast.login("case_manager_y").get("/queue/").content.decode()
    with translation.override("es"):
        deadline = l10n.day(charge.deadline)  # 15 dic 2026
    assert f"Cargo en suspenso hasta el {deadline}" in page and "Charge held" not in page


@pytest.mark.parametrize("decision", ["satisfy", "withdraw"])
def test_a_charge_decided_no_longer_shows_in_the_row(cast, attorney, decision):
    referral = _referral(cast, S.ACCEPTED)
    charge = held_charge_on(referral, attorney)
    if decision == "satisfy":
        services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
        services.held_charge_satisfy(charge_id=charge.pk, actor=cast.case_manager_y)
    else:
        services.held_charge_withdraw(charge_id=charge.pk, actor=cast.officer_a1)
    page = cast.login("case_manager_y").get("/queue/").content.decode()
    assert f'data-referral="{referral.pk}"' in page and "data-charge-held" not in page


def test_another_partner_sees_no_charge_held_on_a_referral_that_is_not_theirs(cast, attorney):
    """The charge hangs on the referral it was held on: the same client referred to another
    partner is that partner's row, without it (nor the charge's date)."""
    held = _referral(cast, S.ACCEPTED)
    held_charge_on(held, attorney)
    elsewhere = _referral(cast, partner=cast.partner_x, client=held.client)
    mine = cast.login("case_manager_y").get("/queue/").content.decode()
    theirs = cast.login("case_manager_x").get("/queue/").content.decode()
    assert "data-charge-held" in mine
    assert f'data-referral="{elsewhere.pk}"' in theirs and "data-charge-held" not in theirs


def test_a_new_referral_says_how_long_it_has_waited_and_stands_out_after_a_day(cast):
    fresh = _referral(cast, hours_ago=3)
    old = _referral(cast, hours_ago=50)
    accepted = _referral(cast, S.ACCEPTED, hours_ago=80)
    page = cast.login("case_manager_y").get("/queue/").content.decode()

    def row(referral) -> str:
        start = page.index(f'data-referral="{referral.pk}"')
        return page[start : page.index("</li>", start)]

    assert "Waiting 3\xa0hours for an answer" in row(fresh) and "text-danger-emphasis" not in row(fresh)
    assert "Waiting 2\xa0days, 2\xa0hours for an answer" in row(old) and "text-danger-emphasis" in row(old)
    assert "data-waiting" not in row(accepted)  # answered: its follow-ups say what is next
