"""The charge held on the officer intervention pathway: recorded on the log form, decided once
(its state table), at the agency's day boundaries, reminded once, withdrawn by its officer.
What is told of it, and to whom, is in test_held_charge_disclosure.py."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from smtplib import SMTPException
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse

from referrals import services
from referrals.charge_reminders import held_charge_reminders_send, held_charges_sweep
from referrals.models import CaseEvent, ChargeNotice, HeldCharge, Pathway, Referral
from referrals.services import CHARGE_TRANSITIONS, ChargeRefused
from tests.concurrency import SLOW_BACKEND, SlowBackend, twice_at_once
from tests.conftest import MEMBERS, has_word
from tests.factories.referrals import (
    JusticeAgencyFactory,
    OfficerFactory,
    ReferralFactory,
    accepted_referral,
    criminal_justice_consent_given,
    held_charge_on,
    intake_recorded,
    intervention_charge,
)
from tests.test_mail_claims import RecordingBackend

pytestmark = pytest.mark.django_db
PHOENIX = ZoneInfo("America/Phoenix")
UTC = ZoneInfo("UTC")
H = HeldCharge.State


def _state(charge: HeldCharge) -> str:
    charge.refresh_from_db()
    return charge.state


# -- the state table ---------------------------------------------------------------------


def test_every_decision_starts_from_held_and_none_leaves_a_decided_charge():
    assert {target for _sources, target in CHARGE_TRANSITIONS.values()} == {H.SATISFIED, H.NOT_SATISFIED, H.WITHDRAWN}
    assert all(sources == {H.HELD} for sources, _target in CHARGE_TRANSITIONS.values())


def test_the_case_manager_records_the_condition_met_once_intake_shows_it(cast, attorney):
    charge = intervention_charge(cast, attorney)
    with pytest.raises(ChargeRefused, match="not met"):
        services.held_charge_satisfy(charge_id=charge.pk, actor=cast.case_manager_y)
    intake_recorded(charge, cast)
    services.held_charge_satisfy(charge_id=charge.pk, actor=cast.case_manager_y, note="Started MAT")
    assert _state(charge) == H.SATISFIED and charge.decided_by == cast.case_manager_y
    event = CaseEvent.objects.filter(referral=charge.referral, kind=CaseEvent.Kind.HELD_CHARGE).last()
    assert (event.from_status, event.to_status, event.actor) == (H.HELD, H.SATISFIED, cast.case_manager_y)
    assert event.to_status_label() == "Condition met: to be dropped"


@pytest.mark.parametrize("decided", [H.SATISFIED, H.NOT_SATISFIED, H.WITHDRAWN])
@pytest.mark.parametrize("action", ["satisfy", "withdraw"])
def test_a_decided_charge_takes_no_other_decision(cast, attorney, decided, action):
    charge = intervention_charge(cast, attorney)
    intake_recorded(charge, cast)
    HeldCharge.objects.filter(pk=charge.pk).update(state=decided)
    events = CaseEvent.objects.count()
    write = services.held_charge_satisfy if action == "satisfy" else services.held_charge_withdraw
    actor = cast.case_manager_y if action == "satisfy" else cast.officer_a1
    with pytest.raises(ChargeRefused, match="decided already"):
        write(charge_id=charge.pk, actor=actor)
    assert _state(charge) == decided and CaseEvent.objects.count() == events


@pytest.mark.parametrize(
    ("who", "action", "allowed"),
    [
        ("case_manager_y", "satisfy", True),
        ("program_admin", "satisfy", True),
        ("case_manager_x", "satisfy", False),  # another partner's
        ("officer_a1", "satisfy", False),  # police do not decide treatment
        ("officer_a1", "withdraw", True),
        ("admin", "withdraw", True),
        ("officer_a2", "withdraw", False),
        ("supervisor_a", "withdraw", False),
        ("case_manager_y", "withdraw", False),
    ],
)
def test_who_decides_what(cast, attorney, who, action, allowed):
    charge = intervention_charge(cast, attorney)
    intake_recorded(charge, cast)
    write = services.held_charge_satisfy if action == "satisfy" else services.held_charge_withdraw
    if allowed:
        write(charge_id=charge.pk, actor=getattr(cast, who))
        assert _state(charge) == CHARGE_TRANSITIONS[action][1]
    else:
        with pytest.raises(ChargeRefused):
            write(charge_id=charge.pk, actor=getattr(cast, who))
        assert _state(charge) == H.HELD


def test_nobody_marks_a_charge_not_satisfied_by_hand(cast, attorney):
    charge = intervention_charge(cast, attorney, days_ago=40, deadline=datetime.now(PHOENIX).date() - timedelta(days=5))
    with pytest.raises(ChargeRefused):
        services.charges._charge_transition(charge_id=charge.pk, actor=cast.admin, action="not_satisfy")
    assert _state(charge) == H.HELD


def test_stay_engaged_is_met_only_after_the_days_and_not_if_the_referral_failed_before(cast, attorney):
    charge = intervention_charge(cast, attorney, days_ago=20, condition="engaged_days", engaged_days=14)
    intake_recorded(charge, cast, at=datetime.now(UTC) - timedelta(days=10))
    with pytest.raises(ChargeRefused, match="not met"):
        services.held_charge_satisfy(charge_id=charge.pk, actor=cast.case_manager_y)
    Referral.objects.filter(pk=charge.referral_id).update(intake_at=datetime.now(UTC) - timedelta(days=15))
    services.held_charge_satisfy(charge_id=charge.pk, actor=cast.case_manager_y)
    assert _state(charge) == H.SATISFIED

    failed = intervention_charge(cast, attorney, days_ago=20, condition="engaged_days", engaged_days=14)
    intake_recorded(failed, cast, at=datetime.now(UTC) - timedelta(days=15))
    services.referral_fail(referral_id=failed.referral_id, actor=cast.case_manager_y, reason="disengaged")
    Referral.objects.filter(pk=failed.referral_id).update(closed_at=datetime.now(UTC) - timedelta(days=5))
    with pytest.raises(ChargeRefused, match="not met"):
        services.held_charge_satisfy(charge_id=failed.pk, actor=cast.case_manager_y)


# -- the log form --------------------------------------------------------------------------


def _log_form(cast, **fields) -> dict:
    return {
        "submission_token": str(uuid.uuid4()),
        "action": "save",
        "first_name": "Rosalind",
        "last_name": "Achterberg",
        "preferred_language": "en",
        "pathway": "officer_intervention",
        "partner": str(cast.partner_y.pk),
        "officer_minutes": "20",
        **fields,
    }


def _charge_fields(attorney, **fields) -> dict:
    return {
        "charge_description": "Trespass",
        "charge_statute": "PVC 11-32",
        "charge_case_number": "PV26-00123",
        "charge_condition": "intake",
        "charge_deadline": (datetime.now(PHOENIX).date() + timedelta(days=21)).isoformat(),
        "charge_decider": str(attorney.pk),
        **fields,
    }


def test_the_officer_holds_a_charge_on_the_log_form(cast, attorney):
    response = cast.login("officer_a1").post("/log/", _log_form(cast, **_charge_fields(attorney)))
    assert response.status_code == 302
    charge = HeldCharge.objects.get()
    assert (charge.description, charge.case_number, charge.decider, charge.state) == (
        "Trespass",
        "PV26-00123",
        attorney,
        H.HELD,
    )
    assert charge.referral.charge_deflected == "Trespass"  # written and held, not booked
    assert charge.recorded_by == cast.officer_a1
    assert CaseEvent.objects.filter(referral=charge.referral, kind=CaseEvent.Kind.HELD_CHARGE, to_status=H.HELD)


def test_the_referral_shows_the_charge_held_once_not_again_as_a_charge_deflected(cast, attorney):
    cast.login("officer_a1").post("/log/", _log_form(cast, **_charge_fields(attorney)))
    referral = HeldCharge.objects.get().referral
    for who in ("officer_a1", "case_manager_y"):
        page = cast.login(who).get(f"/referrals/{referral.pk}/").content.decode()
        assert 'id="held-charge"' in page and "Charge deflected" not in page, who
    # Without a charge held, the charge deflected is shown as before.
    other = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), charge_deflected="Shoplifting")
    page = cast.login("officer_a1").get(f"/referrals/{other.pk}/").content.decode()
    assert "Charge deflected" in page and "Shoplifting" in page


def test_the_log_form_offers_the_charge_and_its_offices(cast, attorney):
    JusticeAgencyFactory(name="Other County Court", agencies=[cast.agency_b])
    page = cast.login("officer_a1").get("/log/").content.decode()
    assert 'class="held-charge' in page and attorney.name in page and "Other County Court" not in page


def test_another_pathway_records_no_charge_whatever_the_hidden_fields_hold(cast, attorney):
    form = _log_form(cast, pathway="officer_prevention", **_charge_fields(attorney))
    assert cast.login("officer_a1").post("/log/", form).status_code == 302
    assert not HeldCharge.objects.exists() and Referral.objects.count() == 1


def test_a_charge_without_its_case_number_saves_nothing_and_says_where(cast, attorney):
    form = _log_form(cast, **_charge_fields(attorney, charge_case_number=""))
    response = cast.login("officer_a1").post("/log/", form)
    assert response.status_code == 200
    assert "Enter the case or citation number." in response.content.decode()
    assert not Referral.objects.exists() and not HeldCharge.objects.exists()


def test_an_office_that_does_not_decide_the_agencys_charges_is_refused(cast, attorney):
    elsewhere = JusticeAgencyFactory(name="Other County Court", agencies=[cast.agency_b])
    form = _log_form(cast, **_charge_fields(attorney, charge_decider=str(elsewhere.pk)))
    response = cast.login("officer_a1").post("/log/", form)
    assert "Choose one of the offices and courts listed." in response.content.decode()
    assert not HeldCharge.objects.exists()
    with pytest.raises(ChargeRefused):
        held_charge_on(accepted_referral(cast, pathway=Pathway.OFFICER_INTERVENTION), elsewhere)


# -- the deadline, in the agency's day -------------------------------------------------------


def test_the_deadline_ends_at_the_agencys_midnight_not_utcs(cast, attorney):
    """A deadline of March 9 ends at midnight in Phoenix: 07:00 UTC on March 10. At 06:40 UTC
    (when CI runs again) it is still March 9 in Phoenix, and the charge still held."""
    with time_machine.travel(datetime(2026, 2, 20, 18, 0, tzinfo=UTC), tick=False):
        charge = intervention_charge(cast, attorney, deadline=datetime(2026, 3, 9).date())
    with time_machine.travel(datetime(2026, 3, 10, 6, 40, tzinfo=UTC), tick=False):
        assert held_charges_sweep()["decided"] == 0
    assert _state(charge) == H.HELD
    with time_machine.travel(datetime(2026, 3, 10, 7, 0, tzinfo=UTC), tick=False):
        assert held_charges_sweep()["decided"] == 1
    assert _state(charge) == H.NOT_SATISFIED and charge.decided_by is None
    assert charge.state_changed_at == datetime(2026, 3, 10, 7, 0, tzinfo=UTC)


def test_an_intake_late_on_the_deadline_day_in_phoenix_meets_it(cast, attorney):
    with time_machine.travel(datetime(2026, 2, 20, 18, 0, tzinfo=UTC), tick=False):
        charge = intervention_charge(cast, attorney, deadline=datetime(2026, 3, 9).date())
    # 23:30 on March 9 in Phoenix is already March 10 in UTC.
    with time_machine.travel(datetime(2026, 3, 10, 6, 30, tzinfo=UTC), tick=False):
        intake_recorded(charge, cast)
    with time_machine.travel(datetime(2026, 3, 10, 7, 5, tzinfo=UTC), tick=False):
        held_charges_sweep()
    assert _state(charge) == H.SATISFIED and charge.decided_by is None


def test_an_intake_after_the_deadline_day_does_not(cast, attorney):
    with time_machine.travel(datetime(2026, 2, 20, 18, 0, tzinfo=UTC), tick=False):
        charge = intervention_charge(cast, attorney, deadline=datetime(2026, 3, 9).date())
    with time_machine.travel(datetime(2026, 3, 10, 7, 1, tzinfo=UTC), tick=False):
        intake_recorded(charge, cast)  # the sweep has not run yet: 00:01 on March 10 in Phoenix
        with pytest.raises(ChargeRefused, match="not met"):
            services.held_charge_satisfy(charge_id=charge.pk, actor=cast.case_manager_y)
        held_charges_sweep()
    assert _state(charge) == H.NOT_SATISFIED


# -- reminders -------------------------------------------------------------------------------


def _reminded_charge(cast, attorney) -> HeldCharge:
    with time_machine.travel(datetime(2026, 2, 20, 18, 0, tzinfo=UTC), tick=False):
        return intervention_charge(cast, attorney, deadline=datetime(2026, 3, 9).date())


def test_the_officer_and_the_program_admins_are_reminded_three_days_before_at_seven_in_phoenix(cast, attorney):
    charge = _reminded_charge(cast, attorney)
    cast.program_admin.email = "pa@example.org"
    cast.program_admin.save()
    mail.outbox.clear()
    # 06:59 on March 6 in Phoenix (13:59 UTC): not yet.
    assert held_charge_reminders_send(now=datetime(2026, 3, 6, 13, 59, tzinfo=UTC))["before"] == 0
    assert held_charge_reminders_send(now=datetime(2026, 3, 6, 14, 0, tzinfo=UTC))["before"] == 1
    message = mail.outbox[-1]
    assert set(message.to) == {cast.officer_a1.email, cast.admin.email, "pa@example.org"}
    assert "Mon Mar 9, 2026" in message.subject and f"referral #{charge.referral_id}" in message.body
    # The client, the charge and the case number stay in the app.
    client = charge.referral.client
    text = message.subject + message.body
    for secret in (client.first_name, client.last_name, charge.description, charge.case_number):
        assert not has_word(text, secret)


def test_the_deadline_passed_is_reminded_the_morning_after_once_decided(cast, attorney):
    charge = _reminded_charge(cast, attorney)
    mail.outbox.clear()
    with time_machine.travel(datetime(2026, 3, 10, 13, 59, tzinfo=UTC), tick=False):
        assert held_charges_sweep() == {"decided": 1, "notices": 0, "before": 0, "passed": 0}
    with time_machine.travel(datetime(2026, 3, 10, 14, 0, tzinfo=UTC), tick=False):
        assert held_charges_sweep()["passed"] == 1
    assert "passed on Mon Mar 9, 2026" in mail.outbox[-1].subject
    # Not whether the condition was met: police read that only as consent allows.
    assert "not met" not in mail.outbox[-1].body.lower()
    assert _state(charge) == H.NOT_SATISFIED


def test_a_doubled_sweep_reminds_once(cast, attorney):
    _reminded_charge(cast, attorney)
    mail.outbox.clear()
    moment = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    assert held_charge_reminders_send(now=moment)["before"] == 1
    assert held_charge_reminders_send(now=moment)["before"] == 0
    assert held_charge_reminders_send(now=moment + timedelta(days=1))["before"] == 0
    assert len(mail.outbox) == 1


def test_a_withdrawn_charge_is_not_reminded(cast, attorney):
    charge = _reminded_charge(cast, attorney)
    services.held_charge_withdraw(charge_id=charge.pk, actor=cast.officer_a1)
    mail.outbox.clear()
    assert held_charge_reminders_send(now=datetime(2026, 3, 6, 15, 0, tzinfo=UTC)) == {"before": 0, "passed": 0}
    assert held_charge_reminders_send(now=datetime(2026, 3, 10, 15, 0, tzinfo=UTC)) == {"before": 0, "passed": 0}
    assert mail.outbox == []


def test_the_sweep_is_scheduled_and_runs_as_a_task(cast, attorney):
    from deflection.schedules import BEAT_SCHEDULE
    from referrals.tasks import sweep_held_charges

    assert BEAT_SCHEDULE["held-charges"]["task"] == "referrals.tasks.sweep_held_charges"
    charge = intervention_charge(cast, attorney, days_ago=40, deadline=datetime.now(PHOENIX).date() - timedelta(days=2))
    assert sweep_held_charges.delay().get()["decided"] == 1  # eager in tests
    assert _state(charge) == H.NOT_SATISFIED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_remind_once(cast, attorney, settings):
    _reminded_charge(cast, attorney)
    settings.EMAIL_BACKEND = SLOW_BACKEND
    moment = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    assert twice_at_once(lambda: held_charge_reminders_send(now=moment)["before"]) == [0, 1]
    assert len(SlowBackend.sent) == 1


@pytest.mark.django_db(transaction=True)
def test_reminders_and_notices_reach_the_mail_server_outside_any_transaction(cast, attorney, settings):
    # A mail server that hangs must not hold a row lock or an open transaction (issue 16).
    RecordingBackend.in_transaction = []
    settings.EMAIL_BACKEND = "tests.test_mail_claims.RecordingBackend"
    _reminded_charge(cast, attorney)
    assert held_charge_reminders_send(now=datetime(2026, 3, 6, 15, 0, tzinfo=UTC))["before"] == 1
    decided = intervention_charge(cast, attorney)
    intake_recorded(decided, cast)
    criminal_justice_consent_given(decided.referral, cast.case_manager_y)
    services.held_charge_satisfy(charge_id=decided.pk, actor=cast.case_manager_y)  # the notice goes on commit
    assert ChargeNotice.objects.get().emailed_at is not None
    assert len(RecordingBackend.in_transaction) == 2 and not any(RecordingBackend.in_transaction)
    assert not HeldCharge.objects.filter(mail_claimed_at__isnull=False).exists()
    assert not ChargeNotice.objects.filter(mail_claimed_at__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_a_refused_send_leaves_reminder_and_notice_unsent_for_the_next_sweep(cast, attorney, settings):
    charge = _reminded_charge(cast, attorney)
    with time_machine.travel(datetime(2026, 2, 21, 18, 0, tzinfo=UTC), tick=False):
        criminal_justice_consent_given(charge.referral, cast.case_manager_y)
    settings.EMAIL_BACKEND = "tests.test_mail_claims.FailingBackend"
    moment = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    with time_machine.travel(moment, tick=False), pytest.raises(SMTPException):
        held_charges_sweep()
    # Decided and its notice written, but neither the notice nor the reminder counts as sent.
    assert _state(charge) == H.NOT_SATISFIED
    notice = ChargeNotice.objects.get()
    assert notice.emailed_at is None and notice.mail_claimed_at is None
    charge.refresh_from_db()
    assert charge.reminded_passed_at is None and charge.mail_claimed_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(moment + timedelta(minutes=5), tick=False):
        assert held_charges_sweep() == {"decided": 0, "notices": 1, "before": 0, "passed": 1}
        assert held_charges_sweep() == {"decided": 0, "notices": 0, "before": 0, "passed": 0}
    assert len(mail.outbox) == 2


def test_the_officer_withdraws_their_charge_from_their_page(cast, attorney):
    charge = intervention_charge(cast, attorney)
    client = cast.login("officer_a1")
    page = client.get(f"/referrals/{charge.referral_id}/").content.decode()
    url = reverse("referrals:charge_withdraw", kwargs={"charge_id": charge.pk})
    assert f'action="{url}"' in page
    assert client.post(url, {"note": "Entered in error"}).status_code == 302
    assert _state(charge) == H.WITHDRAWN and charge.state_note == "Entered in error"
    assert "Withdrawn on" in client.get(f"/referrals/{charge.referral_id}/").content.decode()


# -- what a page offers is what the services take ------------------------------------------


@pytest.mark.parametrize("who", MEMBERS)
@pytest.mark.parametrize("situation", ["held, not met", "held, met", "satisfied", "withdrawn"])
def test_the_page_offers_a_charges_decision_exactly_when_the_service_takes_it(cast, attorney, who, situation):
    charge = intervention_charge(cast, attorney)
    if situation != "held, not met":
        intake_recorded(charge, cast)
    if situation == "satisfied":
        services.held_charge_satisfy(charge_id=charge.pk, actor=cast.case_manager_y)
    elif situation == "withdrawn":
        services.held_charge_withdraw(charge_id=charge.pk, actor=cast.officer_a1)
    client = cast.login(who)
    page = client.get(f"/referrals/{charge.referral_id}/")
    html = page.content.decode() if page.status_code == 200 else ""
    for action, name in (("satisfy", "referrals:charge_satisfy"), ("withdraw", "referrals:charge_withdraw")):
        url = reverse(name, kwargs={"charge_id": charge.pk})
        offered = f'action="{url}"' in html
        before = (_state(charge), CaseEvent.objects.count())
        response = client.post(url, {"note": ""})
        changed = (_state(charge), CaseEvent.objects.count()) != before
        assert offered == changed, (who, situation, action, offered)
        if not offered:
            # Not theirs: as for a page that is not theirs; theirs but not now: back with the reason.
            assert response.status_code in (302, 404)
        HeldCharge.objects.filter(pk=charge.pk).update(**_as_it_was(situation))


def _as_it_was(situation: str) -> dict:
    state = {"satisfied": H.SATISFIED, "withdrawn": H.WITHDRAWN}.get(situation, H.HELD)
    return {"state": state}
