"""Officers follow up: the referring officer records a non-enforcement check-in with the person
they referred; it counts on the dashboards and in My record, and the partner sees it only
within the client's consent."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from deflection.models import AccessEvent
from referrals import services
from referrals.models import CaseEvent, OfficerCheckIn, Referral
from reports.metrics import Scope
from reports.metrics.check_ins import non_enforcement_engagements
from reports.rollups import rollups_rebuild
from tests.conftest import MEMBERS, has_word
from tests.factories.core import UserFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory, accepted_referral, consent_given

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("America/Phoenix")  # the cast agencies' zone (the factory's default)


def _url(referral: Referral) -> str:
    return reverse("referrals:check_in_add", args=[referral.pk])


def _today() -> date:
    return timezone.now().astimezone(TZ).date()


def _form(**overrides) -> dict:
    form = {"on": _today().isoformat(), "kind": "doing_well", "where": "Library steps", "note": "Looked well."}
    return {**form, **overrides}


def _check_in(referral: Referral, **fields) -> OfficerCheckIn:
    """A check-in of the referral's officer through the service (override any field)."""
    return services.check_in_record(
        user=referral.officer.user, referral=referral, **{"on": _today(), "kind": "offered_help", **fields}
    )


def test_the_referring_officer_records_a_check_in_from_the_referral_page(cast):
    referral = accepted_referral(cast)
    client = cast.login("officer_a1")
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert f'action="{_url(referral)}#check-in"' in page and "Record a check-in" in page
    response = client.post(_url(referral), _form(note="Working at the shelter kitchen now."))
    assert response.status_code == 302 and response["Location"] == reverse("referrals:detail", args=[referral.pk])
    check_in = referral.check_ins.get()
    assert (check_in.officer.user, check_in.on, check_in.kind) == (cast.officer_a1, _today(), "doing_well")
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Check-in recorded" in page and "Working at the shelter kitchen now." in page
    assert "Saw them doing well" in page and "Library steps" in page


def test_the_case_event_says_a_check_in_happened_and_nothing_the_officer_wrote(cast):
    referral = accepted_referral(cast)
    check_in = _check_in(referral, where="Bus stop on 6th", note="Asked about housing.")
    event = referral.events.get(kind=CaseEvent.Kind.OFFICER_CHECK_IN)
    assert (event.actor, event.created_at) == (cast.officer_a1, check_in.created_at)
    assert event.note == event.reason == event.from_status == event.to_status == ""


@pytest.mark.parametrize("status", ["requested", "completed", "failed", "cancelled", "rejected"])
def test_a_check_in_is_taken_on_an_open_or_closed_referral(cast, status):
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, status=status)
    response = cast.login("officer_a1").post(_url(referral), _form())
    assert response.status_code == 302 and referral.check_ins.count() == 1


@pytest.mark.parametrize("who", [None, *(m for m in MEMBERS if m != "officer_a1")], ids=lambda w: w or "anonymous")
def test_nobody_but_the_referring_officer_may_record_one_not_even_by_posting_the_form(cast, who):
    """Their sergeant sees the referral but is not offered the form; the partner works it; the
    rest cannot see it: every one of them is refused as for a missing page, nothing written."""
    referral = accepted_referral(cast)
    events = referral.events.count()
    client = cast.login(who)
    page = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert _url(referral) not in page.content.decode()
    response = client.post(_url(referral), _form())
    if who is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == 404
    assert not OfficerCheckIn.objects.exists() and referral.events.count() == events


def test_the_service_refuses_anyone_but_the_referring_officer(cast):
    referral = accepted_referral(cast)
    for user in (cast.supervisor_a, cast.officer_a2, cast.case_manager_y, cast.admin):
        with pytest.raises(services.CheckInRefused):
            services.check_in_record(user=user, referral=referral, on=_today(), kind="other")
    assert not OfficerCheckIn.objects.exists()


def test_a_check_in_cannot_be_in_the_future_or_before_the_encounter(cast):
    referral = accepted_referral(cast, occurred_at=timezone.now() - timedelta(days=3))
    client = cast.login("officer_a1")
    for day, error in (
        (_today() + timedelta(days=1), "A check-in cannot be in the future."),
        (_today() - timedelta(days=4), "A check-in cannot be before the encounter."),
    ):
        response = client.post(_url(referral), _form(on=day.isoformat()))
        assert response.status_code == 422
        page = response.content.decode()
        # Said at the date field, the form kept open with what was typed.
        assert error in page and 'id="id_on"' in page and "Looked well." in page
    assert client.post(_url(referral), _form(on=(_today() - timedelta(days=3)).isoformat())).status_code == 302
    assert referral.check_ins.count() == 1


def test_the_days_are_the_agencys_when_utc_has_moved_on_to_tomorrow(cast):
    """06:40 UTC is 23:40 the day before in Phoenix (when CI runs the suite again): today is
    Phoenix's date, and the UTC date is still in the future there."""
    with time_machine.travel(datetime(2026, 3, 10, 6, 40, tzinfo=ZoneInfo("UTC")), tick=False):
        referral = accepted_referral(cast, occurred_at=datetime(2026, 3, 9, 22, 0, tzinfo=TZ))
        with pytest.raises(ValidationError) as refused:
            _check_in(referral, on=date(2026, 3, 10))
        assert "on" in refused.value.message_dict
        assert _check_in(referral, on=date(2026, 3, 9)).on == date(2026, 3, 9)
        # The encounter at 22:00 in Phoenix was already the 10th in UTC: the 9th is its day.
        assert services.agency_today(referral) == date(2026, 3, 9)


def test_the_note_is_short(cast):
    referral = accepted_referral(cast)
    response = cast.login("officer_a1").post(_url(referral), _form(note="x" * 281))
    assert response.status_code == 422 and not OfficerCheckIn.objects.exists()


def test_an_empty_check_in_says_what_it_needs_in_its_own_words(cast):
    referral = accepted_referral(cast)
    response = cast.login("officer_a1").post(_url(referral), _form(on="", kind=""))
    page = response.content.decode()
    assert response.status_code == 422 and not OfficerCheckIn.objects.exists()
    assert "Enter the day you saw them." in page and "Choose what happened." in page
    assert "This field is required." not in page


def test_recording_one_is_on_record_and_a_refused_form_shown_again_is_a_view_on_record(cast):
    referral = accepted_referral(cast)
    client = cast.login("officer_a1")
    client.post(_url(referral), _form(on="2999-01-01"))
    shown = AccessEvent.objects.filter(user=cast.officer_a1, referral_id=referral.pk, action="viewed")
    assert list(shown.values_list("what", "client_id")) == [("referral page", referral.client_id)]
    client.post(_url(referral), _form())
    # The write itself: who recorded which check-in when, in the referral's history.
    assert referral.events.filter(kind=CaseEvent.Kind.OFFICER_CHECK_IN, actor=cast.officer_a1).count() == 1


def _partner_page(cast, referral: Referral, who: str = "case_manager_y") -> str:
    return cast.login(who).get(reverse("referrals:detail", args=[referral.pk])).content.decode()


def test_the_partner_sees_nothing_of_a_check_in_without_a_consent_to_share_the_full_record(cast):
    """Not even that it happened: that the police met the client again is not the treatment
    record's (a walker saw "Recorded Dec 7" and "Checked in by the referring officer")."""
    referral = accepted_referral(cast)
    _check_in(referral, where="Day center", note="Not going to the clinic lately.")
    consent_given(referral, cast.case_manager_y)  # status and outcomes: not the officer's observations
    page = _partner_page(cast, referral)
    assert "Check-ins by the referring officer" not in page and "Checked in by the referring officer" not in page
    assert "Day center" not in page and "Not going to the clinic lately." not in page
    assert "Offered help again" not in page
    # Program administration reads the whole history.
    assert "Checked in by the referring officer" in _partner_page(cast, referral, "program_admin")


def test_the_partner_sees_the_check_in_within_a_consent_to_share_the_full_record_with_the_agency(cast):
    referral = accepted_referral(cast)
    _check_in(referral, where="Day center", note="Not going to the clinic lately.")
    consent_given(referral, cast.case_manager_y, scope="full_record")
    page = _partner_page(cast, referral)
    assert "Day center" in page and "Not going to the clinic lately." in page and "Offered help again" in page
    assert "Checked in by the referring officer" in page


def test_after_the_consent_is_revoked_new_check_ins_stay_with_the_police(cast):
    referral = accepted_referral(cast)
    consent = consent_given(referral, cast.case_manager_y, scope="full_record")
    _check_in(referral, note="Before it was revoked.")
    services.consent_revoke(consent_id=consent.pk, actor=cast.case_manager_y, note="By phone")
    _check_in(referral, note="After it was revoked.")
    page = _partner_page(cast, referral)
    assert "Before it was revoked." in page and "After it was revoked." not in page
    # Police work, shown as it is to the police, and program administration sees it all.
    for who in ("officer_a1", "supervisor_a", "program_admin"):
        page = _partner_page(cast, referral, who)
        assert "Before it was revoked." in page and "After it was revoked." in page, who


def test_my_record_counts_the_officers_check_ins_and_lists_the_latest_without_the_client(cast):
    mine = accepted_referral(cast)
    _check_in(mine, kind="doing_well")
    _check_in(mine, kind="other", on=_today())
    other = ReferralFactory(officer=OfficerFactory(user=cast.officer_a2), partner=cast.partner_y)
    _check_in(other)
    page = cast.login("officer_a1").get(reverse("reports:my_record")).content.decode()
    assert 'data-figure="check-ins">2<' in page
    assert "Check-ins with people you referred" in page
    assert "Saw them doing well" in page and reverse("referrals:detail", args=[mine.pk]) in page
    assert not has_word(page, mine.client.last_name) and not has_word(page, mine.client.first_name)
    assert reverse("referrals:detail", args=[other.pk]) not in page
    assert 'data-figure="check-ins">1<' in cast.login("officer_a2").get(reverse("reports:my_record")).content.decode()


def _dashboard_figure(client, start: date, end: date) -> str:
    page = client.get("/reports/dashboard/", {"start": start.isoformat(), "end": end.isoformat()}).content.decode()
    return page.split('data-figure="check_ins">', 1)[1].split("<", 1)[0]


@pytest.mark.parametrize("rollups", [False, True], ids=["before the first count", "from the rollups"])
def test_the_dashboard_counts_check_ins_exactly_by_their_own_day(cast, rollups):
    """Three check-ins in the period (one on a referral logged before it), one the day after
    it, one on another agency's referral: the dashboard says 3, not "<11"; the unit's 2."""
    patrol_officer = OfficerFactory(user=UserFactory(agency=cast.agency_a, unit=None))
    start, end = date(2026, 5, 1), date(2026, 5, 31)
    early = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1),
        partner=cast.partner_y,
        occurred_at=datetime(2026, 4, 20, 9, 0, tzinfo=TZ),
    )
    elsewhere = ReferralFactory(
        officer=patrol_officer, partner=cast.partner_x, occurred_at=datetime(2026, 5, 2, 23, 30, tzinfo=TZ)
    )
    theirs = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_b), partner=cast.partner_y, occurred_at=datetime(2026, 5, 3, tzinfo=TZ)
    )
    for referral, day in ((early, date(2026, 5, 1)), (early, date(2026, 5, 31)), (elsewhere, date(2026, 5, 2))):
        OfficerCheckIn.objects.create(referral=referral, officer=referral.officer, on=day, kind="doing_well")
    OfficerCheckIn.objects.create(referral=early, officer=early.officer, on=date(2026, 6, 1), kind="other")
    OfficerCheckIn.objects.create(referral=theirs, officer=theirs.officer, on=date(2026, 5, 4), kind="other")
    if rollups:
        rollups_rebuild(agency=cast.agency_a)
    scope = Scope(cast.agency_a.pk, datetime(2026, 5, 1, tzinfo=TZ), datetime(2026, 6, 1, tzinfo=TZ))
    assert non_enforcement_engagements(scope) == 3
    assert _dashboard_figure(cast.login("command_a"), start, end) == "3"
    # The sergeant's unit dashboard: the unit's officers' check-ins only (not the officer in no unit).
    assert _dashboard_figure(cast.login("supervisor_a"), start, end) == "2"


def test_a_get_of_the_referral_page_writes_no_check_in(cast):
    referral = accepted_referral(cast)
    before = (OfficerCheckIn.objects.count(), referral.events.count())
    cast.login("officer_a1").get(reverse("referrals:detail", args=[referral.pk]))
    assert (OfficerCheckIn.objects.count(), referral.events.count()) == before
    # The form's own address, opened with a GET, goes to the referral and writes nothing either.
    assert cast.login("officer_a1").get(_url(referral)).status_code == 302
    assert (OfficerCheckIn.objects.count(), referral.events.count()) == before
