"""Training sessions and attendance, and what the dashboard makes of them: officers trained,
and the participation of trained against untrained officers, exactly, on hand-built data."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buyin.models import TrainingSession
from buyin.services.training import training_attendance_record, training_session_create
from referrals.models import Referral
from reports import metrics
from reports.rollups import rollups_rebuild
from tests.factories.buyin import TrainingAttendanceFactory, TrainingSessionFactory
from tests.factories.core import UnitFactory, UserFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory
from tests.test_reads_do_not_write import _writes

pytestmark = pytest.mark.django_db


def _officer(cast, name: str, *, unit=None, **fields):
    first, last = name.split()
    user = UserFactory(first_name=first, last_name=last, agency=cast.agency_a, unit=unit or cast.unit_a, **fields)
    return OfficerFactory(user=user)


def _deflected(cast, officer, days_ago: float, **fields) -> Referral:
    return ReferralFactory(
        officer=officer, partner=cast.partner_x, occurred_at=timezone.now() - timedelta(days=days_ago), **fields
    )


@pytest.fixture
def unit(cast):
    """Six active officers of MHST: three trained (two deflected in the last 30 days, one only
    40 days ago), three not (one deflected; one's only referral was cancelled; one never)."""
    session = TrainingSessionFactory(agency=cast.agency_a, held_on=date.today() - timedelta(days=60))
    officers = {name: _officer(cast, name) for name in ["Tara One", "Theo Two", "Tess Three"]}
    officers |= {name: _officer(cast, name) for name in ["Uma One", "Ugo Two", "Ula Three"]}
    for name in ["Tara One", "Theo Two", "Tess Three"]:
        TrainingAttendanceFactory(session=session, officer=officers[name])
    _deflected(cast, officers["Tara One"], 3)
    _deflected(cast, officers["Tara One"], 9)
    _deflected(cast, officers["Theo Two"], 20)
    _deflected(cast, officers["Tess Three"], 40)
    _deflected(cast, officers["Uma One"], 2)
    _deflected(cast, officers["Ugo Two"], 5, status=Referral.Status.CANCELLED, cancelled_by_officer=True)
    return officers


def _shown(page: str, key: str) -> str:
    return re.search(rf'data-training="{key}">([^<]*)<', page).group(1)


def test_participation_of_trained_and_untrained_officers_is_exact(cast, unit):
    split = metrics.training_split(agency_id=cast.agency_a.pk, at=timezone.now())
    assert split.trained == metrics.Participation(participating=2, active=3)
    assert split.untrained == metrics.Participation(participating=1, active=3)
    # The two add up to officer participation itself.
    assert split.whole == metrics.officer_participation(agency_id=cast.agency_a.pk, at=timezone.now())


def test_an_officer_trained_after_the_moment_counts_as_untrained_then(cast, unit):
    zone = zoneinfo.ZoneInfo(cast.agency_a.timezone)
    today = timezone.localdate(timezone=zone)
    later = TrainingSessionFactory(agency=cast.agency_a, held_on=today - timedelta(days=1))
    TrainingAttendanceFactory(session=later, officer=unit["Uma One"])
    # The start of the day of that session: Uma One deflected the day before, untrained.
    then = metrics.training_split(
        agency_id=cast.agency_a.pk, at=datetime.combine(today - timedelta(days=1), time.min, tzinfo=zone)
    )
    now = metrics.training_split(agency_id=cast.agency_a.pk, at=timezone.now())
    assert then.trained.active == 3 and then.untrained == metrics.Participation(participating=1, active=3)
    assert now.trained == metrics.Participation(participating=3, active=4)


def test_an_officer_no_longer_active_who_deflected_counts_as_the_metric_counts_them(cast, unit):
    gone = _officer(cast, "Gil Gone")
    gone.is_active = False
    gone.save()
    _deflected(cast, gone, 4)
    split = metrics.training_split(agency_id=cast.agency_a.pk, at=timezone.now())
    assert split.untrained == metrics.Participation(participating=2, active=3)
    assert split.whole == metrics.officer_participation(agency_id=cast.agency_a.pk, at=timezone.now())


@pytest.mark.parametrize("counted", [False, True], ids=["from referrals", "from rollups"])
def test_the_dashboard_shows_officers_trained_and_both_participations_exactly(cast, unit, counted):
    if counted:
        rollups_rebuild(agency=cast.agency_a)
    page = cast.login("command_a").get("/reports/dashboard/").content.decode()
    # Six officers of the agency's own work: exact, a percentage from 5 up; "n of m" below.
    assert _shown(page, "trained") == "50% (3 of 6)"
    assert _shown(page, "participation_trained") == "2 of 3"
    assert _shown(page, "participation_untrained") == "1 of 3"
    assert "&lt;11" not in page[page.index('id="training-figures"') : page.index('id="scorecard-title"')]


def test_the_rollups_split_equals_the_definition_at_part_days_too(cast, unit):
    rollups_rebuild(agency=cast.agency_a)
    for at in [timezone.now(), timezone.now() - timedelta(days=6, hours=5)]:
        scope = metrics.Scope(cast.agency_a.pk, at - timedelta(days=30), at)
        from_rollups = metrics.buyin_figures(scope, agency=cast.agency_a, now=at, rollups=True).training
        assert from_rollups == metrics.training_split(agency_id=cast.agency_a.pk, at=at)


def test_a_supervisor_sees_the_names_of_their_units_untrained_officers_and_no_other_units(cast, unit):
    other_unit = UnitFactory(agency=cast.agency_a, name="Eastside Patrol")
    _officer(cast, "Zora Eastwood", unit=other_unit)
    page = cast.login("supervisor_a").get("/reports/dashboard/").content.decode()
    untrained = page[page.index('id="untrained"') :]
    untrained = untrained[: untrained.index("</ul>")]
    for name in ["Uma One", "Ugo Two", "Ula Three"]:
        assert name in untrained
    assert "Tara One" not in untrained and "Zora Eastwood" not in untrained
    # The cast's own officers of the unit have no officer row until they log: nobody else's.
    assert "Casey Rivermoor" not in untrained


def test_command_staff_see_no_list_of_untrained_names_on_the_dashboard(cast, unit):
    page = cast.login("command_a").get("/reports/dashboard/").content.decode()
    assert 'id="untrained"' not in page


def test_a_session_and_its_attendance_are_recorded_from_the_pages(cast, unit):
    client = cast.login("command_a")
    response = client.post(
        "/buyin/training/new/",
        {"held_on": (date.today() - timedelta(days=2)).isoformat(), "topic": "aces", "trainer": "Dr. Lane"},
    )
    session = TrainingSession.objects.get(topic="aces")
    assert response["Location"] == f"/buyin/training/{session.pk}/attendance/"
    assert session.agency == cast.agency_a and session.recorded_by == cast.command_a
    page = client.get(response["Location"]).content.decode()
    assert "<legend" in page and "MHST" in page and "Uma One" in page
    ticked = [unit["Uma One"].pk, unit["Ula Three"].pk]
    client.post(response["Location"], {"officers": ticked})
    assert set(session.attendance.values_list("officer_id", flat=True)) == set(ticked)
    listing = client.get("/buyin/training/").content.decode()
    assert f'data-attended="{session.pk}">2<' in listing


def test_attendance_of_an_officer_of_another_agency_is_refused(cast, unit):
    session = TrainingSessionFactory(agency=cast.agency_a)
    outsider = OfficerFactory(user=cast.officer_b)
    with pytest.raises(ValidationError):
        training_attendance_record(actor=cast.command_a, session=session, officer_ids=[unit["Uma One"].pk, outsider.pk])
    assert not session.attendance.exists()
    # Through the page too: the form offers the agency's officers only, and nothing is saved.
    response = cast.login("command_a").post(f"/buyin/training/{session.pk}/attendance/", {"officers": [outsider.pk]})
    assert response.status_code == 200 and not session.attendance.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"held_on": date.today() + timedelta(days=3)}, "held_on"),
        ({"topic": "other", "details": " "}, "details"),
    ],
    ids=["in the future", "other without saying what"],
)
def test_a_session_is_refused_when_it_has_not_taken_place_or_says_nothing(cast, fields, field):
    with pytest.raises(ValidationError) as refused:
        training_session_create(
            **{
                "actor": cast.command_a,
                "agency": cast.agency_a,
                "held_on": date.today() - timedelta(days=1),
                "topic": "naloxone",
                "trainer": "Lt. Ruiz",
                "executive_staff_attended": True,
                **fields,
            }
        )
    assert field in refused.value.message_dict
    assert not TrainingSession.objects.exists()


def test_the_service_refuses_a_session_for_another_agency(cast):
    with pytest.raises(ValidationError):
        training_session_create(
            actor=cast.command_a,
            agency=cast.agency_b,
            held_on=date.today(),
            topic="naloxone",
            trainer="Lt. Ruiz",
            executive_staff_attended=False,
        )
    assert not TrainingSession.objects.exists()


def _attendance(session) -> list[int]:
    return sorted(session.attendance.values_list("officer_id", flat=True))


@pytest.mark.parametrize("who", ["officer_a1", "supervisor_a", "case_manager_y"])
def test_those_who_may_not_record_training_get_404_and_nothing_changes(cast, unit, who):
    session = TrainingSessionFactory(agency=cast.agency_a)
    TrainingAttendanceFactory(session=session, officer=unit["Tara One"])
    client = cast.login(who)
    sessions = TrainingSession.objects.count()
    new = client.post(
        "/buyin/training/new/", {"held_on": date.today().isoformat(), "topic": "naloxone", "trainer": "X"}
    )
    tick = client.post(f"/buyin/training/{session.pk}/attendance/", {"officers": [unit["Uma One"].pk]})
    assert (new.status_code, tick.status_code) == (404, 404)
    assert TrainingSession.objects.count() == sessions and _attendance(session) == [unit["Tara One"].pk]


def test_another_agencys_command_staff_cannot_touch_this_agencys_training(cast, unit, command_b):
    session = TrainingSessionFactory(agency=cast.agency_a)
    TrainingAttendanceFactory(session=session, officer=unit["Tara One"])
    client = command_b
    tick = client.post(f"/buyin/training/{session.pk}/attendance/", {})
    assert client.get(f"/buyin/training/{session.pk}/attendance/").status_code == 404
    # Asking for agency A records a session for their own agency: the agency is the user's.
    client.post(
        "/buyin/training/new/",
        {"held_on": date.today().isoformat(), "topic": "naloxone", "trainer": "X", "agency": cast.agency_a.pk},
    )
    assert tick.status_code == 404 and _attendance(session) == [unit["Tara One"].pk]
    assert TrainingSession.objects.filter(agency=cast.agency_a).count() == 2  # the fixture's and this one
    assert TrainingSession.objects.filter(agency=cast.agency_b).count() == 1
    assert cast.agency_a.name not in client.get(f"/buyin/training/?agency={cast.agency_a.pk}").content.decode()


def test_reading_the_training_pages_writes_nothing(cast, unit):
    session = TrainingSessionFactory(agency=cast.agency_a)
    client = cast.login("admin")
    for path in ["/buyin/training/", "/buyin/training/new/", f"/buyin/training/{session.pk}/attendance/"]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        assert _writes(captured) == [], path


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/reports/dashboard/").status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("who", ["command_a", "supervisor_a"])
def test_the_dashboard_costs_the_same_queries_however_many_sessions_officers_and_champions(cast, unit, who):
    from tests.factories.buyin import ChampionFactory

    rollups_rebuild(agency=cast.agency_a)
    client = cast.login(who)
    client.get("/reports/dashboard/")  # the session's first request does its own bookkeeping
    few = _dashboard_queries(client)
    for i in range(4):
        other = UnitFactory(agency=cast.agency_a)
        officer = _officer(cast, f"Extra Officer{i}", unit=other)
        session = TrainingSessionFactory(agency=cast.agency_a, held_on=date.today() - timedelta(days=10 + i))
        TrainingAttendanceFactory(session=session, officer=officer)
        TrainingAttendanceFactory(session=session, officer=unit["Uma One"])
        ChampionFactory(unit=other, user=officer.user)
        _deflected(cast, officer, 1 + i)
    rollups_rebuild(agency=cast.agency_a)
    assert _dashboard_queries(client) == few
    # Who deflected is read once for the headline and the split; the standing of officers
    # replaces the headline's count of them; champions and units (command) or the untrained
    # names (a supervisor) are one or two more; a supervisor's menu also asks for an open pulse
    # survey wave (command staff are never asked), and everyone's counts new answers to their
    # suggestions; the non-enforcement engagements are one each for the period and the last;
    # whether the partners' records may be shown is one each for the period, the one before,
    # the partners and the units (reports/metrics/cohorts.py), and retention's for the period
    # and the one before (its rollup's days and the cut-off days' facts), most with one more
    # for the referrals with a consent to the agency
    # (counted apart: the parts must be big enough without them too); and the default period runs
    # into the month still running, so the partners' records are counted again over its months
    # that have ended, and the months before them: six queries each (metrics.ended_months).
    assert few <= {"command_a": 67, "supervisor_a": 70}[who], few


def test_the_codebook_defines_officers_trained_and_the_split(cast):
    page = cast.login("command_a").get("/reports/export/codebook/").content.decode()
    assert "Officers trained; participation of trained and untrained officers" in page
    assert "the two add up to officer participation" in page
