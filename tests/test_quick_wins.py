"""Quick wins: milestones once per scope, and a weekly digest with real numbers, sent once."""

from __future__ import annotations

from datetime import datetime, timedelta
from smtplib import SMTPException
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from partners.models import ServicePartner
from referrals import services
from referrals.models import Consent, Referral
from reports.digest import digest_send, digests_send_due, reported_week
from reports.milestones import milestones_detect
from reports.models import Digest, Milestone, SuccessStory
from tests.conftest import MEMBERS, has_word
from tests.factories.core import UnitFactory, UserFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory, consent_on_record, retention_check_recorded

pytestmark = pytest.mark.django_db

PHOENIX = ZoneInfo("America/Phoenix")  # UTC-7 all year
MONDAY_0730 = datetime(2026, 11, 23, 7, 30, tzinfo=PHOENIX)
WEEK_START = datetime(2026, 11, 16, 0, 0, tzinfo=PHOENIX)


def _referral(officer, partner, when, **fields) -> Referral:
    return ReferralFactory(officer=officer, partner=partner, occurred_at=when, created_at=when, **fields)


# --- milestones ------------------------------------------------------------------


def test_firsts_are_found_once_per_officer_unit_and_agency(cast):
    a1 = OfficerFactory(user=cast.officer_a1)
    a2 = OfficerFactory(user=cast.officer_a2)
    t0 = datetime(2026, 10, 1, 9, tzinfo=PHOENIX)
    first = _referral(a1, cast.partner_y, t0)
    _referral(a1, cast.partner_y, t0 + timedelta(hours=1))
    second_officer = _referral(a2, cast.partner_x, t0 + timedelta(hours=2))
    assert milestones_detect() == 4  # agency first, unit (MHST) first, two officers' firsts
    assert milestones_detect() == 0
    got = {(m.kind, m.scope): m.referral_id for m in Milestone.objects.all()}
    assert got == {
        ("agency_first", f"agency:{cast.agency_a.pk}"): first.pk,
        ("unit_first", f"unit:{cast.unit_a.pk}"): first.pk,
        ("officer_first", f"officer:{a1.pk}"): first.pk,
        ("officer_first", f"officer:{a2.pk}"): second_officer.pk,
    }


def test_a_cancelled_referral_is_not_a_first(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    t0 = datetime(2026, 10, 1, 9, tzinfo=PHOENIX)
    cancelled = _referral(officer, cast.partner_y, t0)
    services.referral_cancel(referral_id=cancelled.pk, actor=cast.officer_a1, reason="entered_in_error")
    real = _referral(officer, cast.partner_y, t0 + timedelta(hours=1))
    milestones_detect()
    assert Milestone.objects.get(kind="agency_first").referral_id == real.pk


def _consent(cast, referral, scope, *, partner=None, by=None):
    return consent_on_record(
        referral, scope=scope, discloser=partner or cast.partner_y, captured_by=by or cast.case_manager_y
    )


def test_the_10th_deflection_the_first_naloxone_and_the_first_90_day_retention(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    t0 = datetime(2026, 6, 1, 9, tzinfo=PHOENIX)
    referrals = [
        _referral(officer, cast.partner_y, t0 + timedelta(days=i), naloxone_administered=(i == 4)) for i in range(10)
    ]
    # Two clients still engaged at 90 days: the first did not consent to the agency knowing
    # their outcomes, the second did. Only the second's is the department's to celebrate.
    for referral in referrals[:2]:
        services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
        services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    _consent(cast, referrals[1], Consent.Scope.STATUS_OUTCOMES)
    _consent(cast, referrals[0], Consent.Scope.STATUS_ONLY)
    for referral in referrals[:2]:
        retention_check_recorded(referral, 90, actor=cast.case_manager_y)
    milestones_detect()
    kinds = {m.kind: m.referral_id for m in Milestone.objects.filter(scope=f"agency:{cast.agency_a.pk}")}
    assert kinds["count_10"] == referrals[9].pk
    assert kinds["first_naloxone"] == referrals[4].pk
    assert kinds["first_retained_90"] == referrals[1].pk
    assert "count_100" not in kinds


def test_the_first_intake_at_a_wait_and_see_partner(cast):
    cast.partner_x.engagement_tier = ServicePartner.Tier.WAIT_AND_SEE
    cast.partner_x.save()
    referral = _referral(OfficerFactory(user=cast.officer_a1), cast.partner_x, datetime(2026, 10, 1, tzinfo=PHOENIX))
    milestones_detect()
    assert not Milestone.objects.filter(kind="partner_first_intake").exists()
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_x)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_x)
    # The client's intake is theirs: told to the whole department only once they consent to
    # the agency knowing their outcomes (a wait-and-see partner's few referrals are known).
    milestones_detect()
    assert not Milestone.objects.filter(kind="partner_first_intake").exists()
    _consent(cast, referral, Consent.Scope.STATUS_OUTCOMES, partner=cast.partner_x, by=cast.case_manager_x)
    milestones_detect()
    milestone = Milestone.objects.get(kind="partner_first_intake")
    assert milestone.partner == cast.partner_x and milestone.headline() == "First intake at X Recovery Clinic"


# --- the digest ------------------------------------------------------------------


def _a_digests():
    """Messages of agency A's digest (agency B, with no deflections, gets its own)."""
    return [m for m in mail.outbox if m.subject.startswith("Agency A Police Department")]


@pytest.fixture
def week(cast):
    """Agency A, week of Nov 16 2026 (Phoenix): 12 deflections (4 with a charge deflected,
    30 minutes each; one naloxone), one cancelled; 5 the week before."""
    mhst_officer = OfficerFactory(user=cast.officer_a1)
    other_unit = UnitFactory(agency=cast.agency_a, name="Westside Patrol")
    cast.officer_a2.unit = other_unit
    cast.officer_a2.save()
    patrol_officer = OfficerFactory(user=cast.officer_a2)
    this_week = [
        _referral(
            mhst_officer if i % 2 else patrol_officer,
            cast.partner_y,
            WEEK_START + timedelta(days=i % 7, hours=10),
            charge_deflected="Trespass" if i < 4 else "",
            officer_minutes=30,
            naloxone_administered=(i == 5),
            pathway="naloxone_plus" if i == 5 else "officer_intervention" if i < 4 else "officer_prevention",
        )
        for i in range(12)
    ]
    cancelled = _referral(mhst_officer, cast.partner_y, WEEK_START + timedelta(days=2), charge_deflected="Theft")
    services.referral_cancel(referral_id=cancelled.pk, actor=cast.officer_a1, reason="entered_in_error")
    for i in range(5):
        _referral(mhst_officer, cast.partner_x, WEEK_START - timedelta(days=7 - i))
    for referral, text, shared in [
        (this_week[0], "He called to say thank you for not taking him to jail.", True),
        (this_week[1], "A private note that must not leave the record.", False),
    ]:
        SuccessStory.objects.create(
            referral=referral,
            agency=cast.agency_a,
            text=text,
            consent_to_share=shared,
            consent_recorded_at=WEEK_START + timedelta(days=1) if shared else None,
            created_at=WEEK_START + timedelta(days=1),
            review_state=SuccessStory.Review.APPROVED if shared else SuccessStory.Review.PENDING,
            reviewed_at=WEEK_START + timedelta(days=2) if shared else None,
        )
    return this_week


def test_the_reported_week_is_due_from_monday_seven_in_the_agencys_zone(cast):
    cast.agency_a.timezone = "America/Phoenix"
    assert reported_week(cast.agency_a, MONDAY_0730) == (WEEK_START.date(), True)
    # Monday 06:30: the week just ended is the one to report, but not yet.
    assert reported_week(cast.agency_a, MONDAY_0730 - timedelta(hours=1)) == (WEEK_START.date(), False)
    # Any later day that week: still due (a digest missed on Monday goes out the next run).
    assert reported_week(cast.agency_a, MONDAY_0730 + timedelta(days=3)) == (WEEK_START.date(), True)


def test_the_digest_reports_the_weeks_real_numbers(cast, week):
    # Agencies A and B, and the second program's agency C (07:30 in Phoenix is 08:30 there).
    assert digests_send_due(now=MONDAY_0730) == 3
    digest = Digest.objects.get(agency=cast.agency_a)
    assert digest.week_start == WEEK_START.date()
    text = digest.text
    # Deflections, pathways and overdose reversals are the agency's own police work: its
    # command staff read them exactly, small numbers included (they are the wins).
    assert "Deflections this week: 12 (last week: 5)" in text
    # 4 charges deflected: 4 x 180 booking minutes - 4 x 30 officer minutes = 600 min = 10 h; 4 x $1,500.
    assert "Officer time saved versus arrest: 10 h, about $6,000 in booking costs avoided" in text
    assert "Overdose reversals: 1" in text
    assert "- Officer prevention referral: 7 / 5" in text
    assert "- Officer intervention referral: 4 / 0" in text
    # What the partners recorded covers the months counted before the week ended (October's
    # from November 1; November's deflections come in January's digests), when there were none.
    assert "What the partners recorded, July 2026 to September 2026" in text
    assert "- Logged: 0\n- Accepted by a partner: 0\n- Reached intake: 0" in text
    assert "He called to say thank you" in text
    assert "must not leave the record" not in text
    # This week's milestones: the agency's 10th deflection, Westside Patrol's and its
    # officer's first, the first naloxone deflection (the agency's first was last week).
    assert "- 10th deflection" in text
    assert "- Westside Patrol logged its first deflection" in text
    assert f"- {cast.officer_a2.get_full_name()} logged their first deflection" in text
    assert "- First overdose reversal deflection" in text
    assert "Agency's first deflection" not in text
    # Command staff and every program administrator of the program (agency left blank).
    assert sorted(digest.recipients) == sorted([cast.command_a.email, cast.admin.email, cast.program_admin.email])


def test_the_digest_is_html_and_text_with_an_inline_chart_and_no_client_names(cast, week):
    digests_send_due(now=MONDAY_0730)
    assert len(_a_digests()) == 1
    message = _a_digests()[0]
    assert "12 deflections" in message.subject
    html = message.alternatives[0][0]
    assert 'src="cid:weekly-deflections"' in html and 'alt="Deflections per week' in html
    images = [part for part in message.attachments if getattr(part, "get_content_type", lambda: "")() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<weekly-deflections>"
    everything = message.subject + message.body + html
    # The digest names officers (their firsts): a client who shares a name with one proves nothing.
    officers = {name for m in MEMBERS for name in (getattr(cast, m).first_name, getattr(cast, m).last_name)}
    for referral in week:
        for name in {referral.client.last_name, referral.client.first_name} - officers:
            assert not has_word(everything, name)
        assert str(referral.client.date_of_birth) not in everything


def test_the_digest_is_sent_once_however_often_the_task_runs(cast, week):
    assert digests_send_due(now=MONDAY_0730) == 3  # agencies A, B and C
    assert digests_send_due(now=MONDAY_0730 + timedelta(minutes=10)) == 0
    assert digest_send(agency_id=cast.agency_a.pk, week_start=WEEK_START.date()) is None
    assert len(_a_digests()) == 1
    assert Digest.objects.filter(agency=cast.agency_a).count() == 1


def test_a_failed_send_is_retried_and_then_sent_once(cast, week, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.FailingBackend"
    with pytest.raises(SMTPException):
        digests_send_due(now=MONDAY_0730)
    assert not Digest.objects.filter(sent_at__isnull=False).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digests_send_due(now=MONDAY_0730) == 3  # agencies A, B and C
    assert len(_a_digests()) == 1


def test_nothing_is_sent_before_monday_seven_in_the_agencys_own_zone(cast, week):
    # 06:30 in Phoenix: not yet for agencies A and B; already 07:30 where agency C is.
    assert digests_send_due(now=MONDAY_0730 - timedelta(hours=1)) == 1
    assert list(Digest.objects.values_list("agency", flat=True)) == [cast.agency_c.pk]
    assert [m.subject.split(":")[0] for m in mail.outbox] == [cast.agency_c.name]


def test_command_staff_preview_the_digest_and_the_admin_sends_it_now(cast, week):
    page = cast.login("command_a").get("/reports/digest/").content.decode()
    assert "this week&#x27;s quick wins" in page or "this week's quick wins" in page
    assert 'src="data:image/png;base64,' in page
    response = cast.login("admin").post("/reports/digest/send/", {"agency": cast.agency_a.pk}, follow=True)
    # Command staff and both program administrators of the cast.
    assert "Digest sent to 3 recipient(s)" in response.content.decode()
    again = cast.login("admin").post("/reports/digest/send/", {"agency": cast.agency_a.pk}, follow=True)
    assert "already sent" in again.content.decode()
    assert len(_a_digests()) == 1


def test_an_officer_records_a_story_with_the_clients_consent(cast):
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    response = cast.login("officer_a1").post(
        f"/reports/stories/new/{referral.pk}/",
        {"source": "client", "text": "Thank you for believing in me.", "consent_to_share": "on"},
    )
    assert response.status_code == 302
    story = SuccessStory.objects.get()
    assert story.consent_to_share and story.consent_recorded_at is not None and story.recorded_by == cast.officer_a1
    assert cast.login("officer_a2").get(f"/reports/stories/new/{referral.pk}/").status_code == 404


@pytest.mark.django_db(transaction=True)  # the scheduler closes old connections, as beat does
def test_the_admin_can_see_and_change_the_schedules_and_a_restart_keeps_the_change(cast):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from deflection.beat import Scheduler
    from deflection.celery import app

    Scheduler(app=app)  # beat starting: installs the schedules from deflection/schedules.py
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert {"follow-up-reminders", "detect-milestones", "weekly-digests"} <= names
    assert "weekly-digests" in cast.login("admin").get("/admin/django_celery_beat/periodictask/").content.decode()
    # The administrator makes the sweep hourly; beat restarts; the change stays.
    hourly, _ = IntervalSchedule.objects.get_or_create(every=60, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.filter(name="follow-up-reminders").update(interval=hourly)
    Scheduler(app=app)
    assert PeriodicTask.objects.get(name="follow-up-reminders").interval == hourly


def test_officers_are_recognised_and_never_ranked(cast, week):
    digests_send_due(now=MONDAY_0730)
    text = Digest.objects.get(agency=cast.agency_a).text
    assert "Officers to recognize" in text
    recognised = text.split("Officers to recognize: ")[1].splitlines()[0]
    assert cast.officer_a2.get_full_name() in recognised
    assert not has_word(text.lower(), "rank") and not has_word(text.lower(), "ranking")


def test_a_worker_user_without_email_is_skipped(cast, week):
    UserFactory(role="command", agency=cast.agency_a, email="", badge_number="")
    digests_send_due(now=MONDAY_0730)
    assert "" not in Digest.objects.get(agency=cast.agency_a).recipients


def test_the_referral_pages_offer_to_add_a_story(cast):
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    link = f'href="/reports/stories/new/{referral.pk}/"'
    assert link in cast.login("officer_a1").get(f"/referrals/{referral.pk}/").content.decode()
    assert link in cast.login("case_manager_y").get(f"/referrals/{referral.pk}/").content.decode()
    assert link not in cast.login("supervisor_a").get(f"/referrals/{referral.pk}/").content.decode()


def test_the_preview_says_how_many_it_was_sent_to_in_words_that_agree_with_the_number(cast, week):
    cast.login("admin").post("/reports/digest/send/", {"agency": cast.agency_a.pk})
    page = cast.login("command_a").get("/reports/digest/").content.decode()
    assert "to 3 recipients." in page and "recipient(s)" not in page
