"""The referral lifecycle: every transition, legal and illegal, and what each one schedules."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from referrals import services
from referrals.models import CaseEvent, FollowUp, Referral
from referrals.services import TRANSITIONS, TransitionRefused
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db

S = Referral.Status
ALL_STATUSES = [s for s, _ in S.choices]
CALLS = {
    "accept": lambda rid, who: services.referral_accept(referral_id=rid, actor=who),
    "reject": lambda rid, who: services.referral_reject(referral_id=rid, actor=who, reason="no_capacity"),
    "cancel": lambda rid, who: services.referral_cancel(referral_id=rid, actor=who, reason="entered_in_error"),
    "record_intake": lambda rid, who: services.referral_record_intake(referral_id=rid, actor=who),
    "hold": lambda rid, who: services.referral_hold(referral_id=rid, actor=who),
    "resume": lambda rid, who: services.referral_resume(referral_id=rid, actor=who),
    "complete": lambda rid, who: services.referral_complete(referral_id=rid, actor=who),
    "fail": lambda rid, who: services.referral_fail(referral_id=rid, actor=who, reason="disengaged"),
}
# The whole table, written out: (action, from status) -> to status. Anything else is refused.
LEGAL = {
    ("accept", S.REQUESTED): S.ACCEPTED,
    ("reject", S.REQUESTED): S.REJECTED,
    ("cancel", S.REQUESTED): S.CANCELLED,
    ("record_intake", S.ACCEPTED): S.IN_PROGRESS,
    ("hold", S.ACCEPTED): S.ON_HOLD,
    ("hold", S.IN_PROGRESS): S.ON_HOLD,
    ("resume", S.ON_HOLD): S.ACCEPTED,  # held from accepted in this table's set-up
    ("complete", S.IN_PROGRESS): S.COMPLETED,
    ("fail", S.ACCEPTED): S.FAILED,
    ("fail", S.IN_PROGRESS): S.FAILED,
    ("fail", S.ON_HOLD): S.FAILED,
}


def test_the_table_in_the_code_is_the_table_in_the_tests():
    in_code = {(a, s) for a, (sources, _t) in TRANSITIONS.items() for s in sources}
    assert in_code == set(LEGAL)


@pytest.fixture
def referral_in(cast):
    def make(status: str) -> Referral:
        referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
        if status == S.ON_HOLD:
            services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
            services.referral_hold(referral_id=referral.pk, actor=cast.case_manager_y)
        else:
            # Set-up only: put the referral straight into the status under test.
            Referral.objects.filter(pk=referral.pk).update(
                status=status, occurred_at=timezone.now() - timedelta(days=1)
            )
        referral.refresh_from_db()
        return referral

    return make


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("action", sorted(CALLS))
def test_each_transition_is_allowed_only_from_its_statuses(cast, referral_in, action, status):
    referral = referral_in(status)
    events_before = CaseEvent.objects.filter(referral=referral).count()
    if (action, status) in LEGAL:
        result = CALLS[action](referral.pk, cast.case_manager_y)
        assert result.status == LEGAL[(action, status)]
        event = CaseEvent.objects.filter(referral=referral).latest("id")
        assert (event.from_status, event.to_status, event.actor) == (status, result.status, cast.case_manager_y)
    else:
        with pytest.raises(TransitionRefused):
            CALLS[action](referral.pk, cast.case_manager_y)
        referral.refresh_from_db()
        assert referral.status == status
        assert CaseEvent.objects.filter(referral=referral).count() == events_before


def test_accepting_schedules_the_72_hour_check_for_the_case_manager(cast, referral_in):
    referral = services.referral_accept(referral_id=referral_in(S.REQUESTED).pk, actor=cast.case_manager_y)
    check = FollowUp.objects.get(referral=referral)
    assert check.kind == FollowUp.Kind.CHECK_72H
    assert check.assigned_to == cast.case_manager_y
    assert check.due_at == referral.accepted_at + timedelta(hours=72)


def test_intake_schedules_30_60_90_day_checks_for_the_accepting_case_manager(cast, referral_in, django_user_model):
    referral = referral_in(S.REQUESTED)
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    colleague = django_user_model.objects.create_user(
        username="cm_y2", password="x" * 12, role="case_manager", partner=cast.partner_y
    )
    referral = services.referral_record_intake(referral_id=referral.pk, actor=colleague)
    checks = FollowUp.objects.filter(referral=referral, kind__startswith="retention").order_by("due_at")
    assert [(c.kind, c.due_at - referral.intake_at) for c in checks] == [
        ("retention_30", timedelta(days=30)),
        ("retention_60", timedelta(days=60)),
        ("retention_90", timedelta(days=90)),
    ]
    assert {c.assigned_to for c in checks} == {cast.case_manager_y}


def test_resuming_returns_to_the_status_before_the_hold(cast, referral_in):
    referral = referral_in(S.REQUESTED)
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_hold(referral_id=referral.pk, actor=cast.case_manager_y)
    assert services.referral_resume(referral_id=referral.pk, actor=cast.case_manager_y).status == S.IN_PROGRESS


def test_a_second_accept_is_told_who_took_it(cast, referral_in, django_user_model):
    referral = referral_in(S.REQUESTED)
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    colleague = django_user_model.objects.create_user(
        username="cm_y3", password="x" * 12, role="case_manager", partner=cast.partner_y
    )
    with pytest.raises(TransitionRefused) as refused:
        services.referral_accept(referral_id=referral.pk, actor=colleague)
    assert cast.case_manager_y.get_full_name() in str(refused.value)


def test_another_partners_case_manager_cannot_change_the_referral(cast, referral_in):
    referral = referral_in(S.REQUESTED)
    with pytest.raises(TransitionRefused):
        services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_x)
    referral.refresh_from_db()
    assert referral.status == S.REQUESTED


def test_the_referring_officer_may_withdraw_a_referral_not_yet_accepted(cast, referral_in):
    referral = referral_in(S.REQUESTED)
    with pytest.raises(TransitionRefused):
        services.referral_cancel(referral_id=referral.pk, actor=cast.officer_a2, reason="withdrawn")
    cancelled = services.referral_cancel(referral_id=referral.pk, actor=cast.officer_a1, reason="withdrawn")
    assert cancelled.status == S.CANCELLED and cancelled.closed_at is not None


def test_a_rejection_needs_a_reason(cast, referral_in):
    referral = referral_in(S.REQUESTED)
    with pytest.raises(TransitionRefused):
        services.referral_reject(referral_id=referral.pk, actor=cast.case_manager_y, reason="")
    referral.refresh_from_db()
    assert referral.status == S.REQUESTED


def test_completing_a_follow_up_records_its_outcome_once(cast, referral_in):
    referral = services.referral_accept(referral_id=referral_in(S.REQUESTED).pk, actor=cast.case_manager_y)
    check = referral.follow_ups.get()
    done = services.follow_up_complete(follow_up_id=check.pk, actor=cast.case_manager_y, outcome="engaged", note="ok")
    assert done.completed_at is not None and done.outcome == "engaged"
    with pytest.raises(TransitionRefused):
        services.follow_up_complete(follow_up_id=check.pk, actor=cast.case_manager_y, outcome="no_contact")
    with pytest.raises(TransitionRefused):
        services.follow_up_complete(follow_up_id=check.pk, actor=cast.case_manager_x, outcome="engaged")


def test_a_follow_up_added_by_hand_lands_on_the_partner(cast, referral_in):
    referral = services.referral_accept(referral_id=referral_in(S.REQUESTED).pk, actor=cast.case_manager_y)
    due = timezone.now() + timedelta(days=2)
    added = services.follow_up_create(
        referral_id=referral.pk, actor=cast.case_manager_y, kind="contact_attempt", due_at=due, note="call back"
    )
    assert added.assigned_to == cast.case_manager_y
    with pytest.raises(TransitionRefused):
        services.follow_up_create(
            referral_id=referral.pk,
            actor=cast.case_manager_y,
            kind="contact_attempt",
            due_at=due,
            assigned_to=cast.case_manager_x,
        )


def test_a_second_referral_of_the_same_client_is_a_reengagement(cast):
    first = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    second = services.referral_create(
        officer_user=cast.officer_a2,
        partner=cast.partner_x,
        pathway="officer_prevention",
        officer_minutes=10,
        client=first.client,
    ).referral
    assert second.reengagement_of == first


def test_every_transition_has_a_place_on_the_page():
    assert sorted(services.ACTION_ORDER) == sorted(TRANSITIONS)


def test_completing_keeps_the_retention_check_ins(cast, referral_in):
    referral = referral_in(S.REQUESTED)
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_complete(referral_id=referral.pk, actor=cast.case_manager_y)
    kinds = set(referral.follow_ups.filter(completed_at__isnull=True).values_list("kind", flat=True))
    assert kinds == {"retention_30", "retention_60", "retention_90"}


def test_failing_drops_the_check_ins_not_yet_due(cast, referral_in):
    referral = referral_in(S.REQUESTED)
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_fail(referral_id=referral.pk, actor=cast.case_manager_y, reason="disengaged")
    assert not referral.follow_ups.filter(completed_at__isnull=True).exists()


def test_no_step_leads_out_of_a_closed_status():
    """A closed referral stays closed: what is kept of its closing (who cancelled it, say) is
    read without its status."""
    from referrals.services.lifecycle import CLOSED_STATUSES

    assert not any(sources & CLOSED_STATUSES for sources, _target in TRANSITIONS.values())


def test_a_retention_check_is_recorded_from_the_day_it_is_due_not_before(cast, referral_in):
    """Whether the client is still engaged at 30 days is not known before: the page offers no
    outcome and says from when, a post is refused; on the due day (agency time) it is taken."""
    referral = services.referral_accept(referral_id=referral_in(S.REQUESTED).pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    check = referral.follow_ups.get(kind=FollowUp.Kind.RETENTION_30)
    manager = cast.login("case_manager_y")
    page = manager.get(f"/referrals/{referral.pk}/").content.decode()
    item = page[page.index('data-follow-up="retention_30"') :].split("</li>")[0]
    assert "data-opens" in item and "Record outcome" not in item
    assert "Record outcome" in page[page.index('data-follow-up="check_72h"') :].split("</li>")[0]
    with pytest.raises(TransitionRefused):
        services.follow_up_complete(follow_up_id=check.pk, actor=cast.case_manager_y, outcome="engaged")
    response = manager.post(f"/follow-ups/{check.pk}/done/", {"outcome": "engaged"}, follow=True)
    assert "record it from" in response.content.decode()
    check.refresh_from_db()
    assert check.completed_at is None
    # Due at the end of today on the agency's calendar: taken from the start of the day.
    zone = zoneinfo.ZoneInfo(cast.agency_a.timezone)
    FollowUp.objects.filter(pk=check.pk).update(due_at=timezone.now().astimezone(zone).replace(hour=23, minute=59))
    done = services.follow_up_complete(follow_up_id=check.pk, actor=cast.case_manager_y, outcome="engaged")
    assert done.outcome == "engaged"


def test_the_day_a_retention_check_opens_is_the_agencys_whatever_the_readers_zone(cast, referral_in):
    """An agency in New York, a case manager's page in the server's zone (Phoenix, two hours
    behind in winter): due at 10:00 on January 7 in New York, the check opens on January 7,
    and the page and the refusal both say January 7, not the day before."""
    cast.agency_a.timezone = "America/New_York"
    cast.agency_a.save(update_fields=["timezone"])
    referral = services.referral_accept(referral_id=referral_in(S.REQUESTED).pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    check = referral.follow_ups.get(kind=FollowUp.Kind.RETENTION_30)
    new_york = zoneinfo.ZoneInfo("America/New_York")
    FollowUp.objects.filter(pk=check.pk).update(due_at=datetime(2027, 1, 7, 10, tzinfo=new_york))
    # 23:30 on January 6 in New York: 21:30 in Phoenix, and after midnight of January 7 in UTC.
    with time_machine.travel(datetime(2027, 1, 6, 23, 30, tzinfo=new_york), tick=False):
        page = cast.login("case_manager_y").get(f"/referrals/{referral.pk}/").content.decode()
        item = page[page.index('data-follow-up="retention_30"') :].split("</li>")[0]
        assert "recorded from Jan 7, 2027, the day it is due" in item and "Record outcome" not in item
        with pytest.raises(TransitionRefused, match="record it from Thu Jan 7, 2027"):
            services.follow_up_complete(follow_up_id=check.pk, actor=cast.case_manager_y, outcome="engaged")
    # 00:30 on January 7 in New York (22:30 on January 6 in Phoenix): its day has come.
    with time_machine.travel(datetime(2027, 1, 7, 0, 30, tzinfo=new_york), tick=False):
        page = cast.login("case_manager_y").get(f"/referrals/{referral.pk}/").content.decode()
        assert "Record outcome" in page[page.index('data-follow-up="retention_30"') :].split("</li>")[0]
        done = services.follow_up_complete(follow_up_id=check.pk, actor=cast.case_manager_y, outcome="engaged")
    assert done.outcome == "engaged"
