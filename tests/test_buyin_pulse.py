"""Pulse surveys: a wave is set, opens, invites and reminds once; each person asked answers
once, anonymously; results show only cells of 5 or more, none recoverable by subtraction."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buyin.models import PulseAnswer, PulseParticipation, PulseSurvey
from buyin.selectors.pulse import hidden_cells, pulse_results, pulse_trend
from buyin.services import pulse as pulse_services
from buyin.services.pulse import PulseRefused, pulse_answer_submit, pulse_survey_create, pulse_sweep
from deflection.models import User
from reports.digest import digest_render, reported_week
from tests.factories.buyin import agency_today, answer, inside, pulse_wave
from tests.factories.core import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db
SIX = [3] * 6  # an answer to the six default statements


def _officers(cast, unit, n: int) -> list[User]:
    return [UserFactory(agency=cast.agency_a, unit=unit) for _ in range(n)]


def _closed_wave(cast, **kwargs) -> PulseSurvey:
    """A wave that opened three weeks ago for a week: its answers are in, its results may show."""
    kwargs.setdefault("units", [cast.unit_a])
    kwargs.setdefault("days_ago", 21)
    return pulse_wave(actor=cast.program_admin, agency=cast.agency_a, **kwargs)


# ---------------------------------------------------------------------------
# Results: the floor of 5, exact figures, no subtraction
# ---------------------------------------------------------------------------


def test_a_wave_with_4_answers_shows_fewer_than_5_and_no_figure(cast):
    people = [cast.officer_a1, cast.officer_a2, cast.supervisor_a, *_officers(cast, cast.unit_a, 1)]
    survey = _closed_wave(cast)
    for person in people:
        answer(survey, person, [5] * 6, open_text="More partners at night")
    page = cast.login("program_admin").get(f"/buyin/pulse/{survey.pk}/results/").content.decode()
    assert "Fewer than 5 answers" in page
    assert "data-mean" not in page
    assert "More partners at night" not in page  # open answers wait for 5 too


def test_five_answers_show_the_exact_mean_and_distribution(cast):
    people = [cast.officer_a1, cast.officer_a2, cast.supervisor_a, *_officers(cast, cast.unit_a, 2)]
    survey = _closed_wave(cast)
    for person, first in zip(people, [5, 4, 4, 3, 2], strict=True):
        answer(survey, person, [first, 1, 1, 2, 5, None])
    results = pulse_results(survey)
    first, second, fourth, last = (results.overall.statements[i] for i in (0, 1, 3, 5))
    assert (first.mean, first.distribution) == (Decimal("3.60"), [0, 1, 1, 2, 1])
    assert (second.mean, second.distribution) == (Decimal("1.00"), [5, 0, 0, 0, 0])
    assert fourth.mean == Decimal("2.00")
    assert not last.shown  # everyone left it blank
    page = cast.login("command_a").get(f"/buyin/pulse/{survey.pk}/results/").content.decode()
    assert '<td class="text-end fw-semibold" data-mean>3.60</td>' in page
    assert "5 of the 5 people asked answered." in page


def test_a_statement_left_blank_by_some_is_shown_only_where_5_answered_it(cast):
    people = [cast.officer_a1, cast.officer_a2, cast.supervisor_a, *_officers(cast, cast.unit_a, 3)]
    survey = _closed_wave(cast)
    for i, person in enumerate(people):
        answer(survey, person, [4, 5 if i < 4 else None, 3, 3, 3, 3])
    overall = pulse_results(survey).overall
    assert overall.statements[0].shown and overall.statements[0].n == 6
    assert not overall.statements[1].shown and overall.statements[1].n == 4


def test_one_group_under_5_hides_the_smallest_other_so_that_the_overall_gives_nothing_away(cast):
    patrol, east = UnitFactory(agency=cast.agency_a, name="Patrol"), UnitFactory(agency=cast.agency_a, name="East")
    mhst = [cast.officer_a1, cast.officer_a2, cast.supervisor_a, *_officers(cast, cast.unit_a, 3)]  # 6
    patrol_people, east_people = _officers(cast, patrol, 5), _officers(cast, east, 4)
    survey = _closed_wave(cast, units=[cast.unit_a, patrol, east])
    for person in mhst:
        answer(survey, person, [5] * 6)
    for person in patrol_people:
        answer(survey, person, [1] * 6)
    for person in east_people:
        answer(survey, person, [3] * 6)
    results = pulse_results(survey)
    shown = {group.label: group.shown for group in results.groups}
    # East (4) is under the floor; Patrol (5), the smallest of the others, goes with it: the
    # overall (15) minus MHST (6) gives the 9 of East and Patrol together, never East alone.
    assert shown == {"East": False, "MHST": True, "Patrol": False}
    # (6 × 5 + 5 × 1 + 4 × 3) / 15 = 47 / 15
    assert results.overall.shown and results.overall.statements[0].mean == Decimal("3.13")
    page = cast.login("command_a").get(f"/buyin/pulse/{survey.pk}/results/").content.decode()
    assert page.count("Fewer than 5 answers, or hidden") == 2


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        ({"a": 5, "b": 7}, set()),
        ({"a": 4, "b": 7}, {"a", "b"}),
        ({"a": 4, "b": 5, "c": 6}, {"a", "b"}),
        ({"a": 3, "b": 2, "c": 9}, {"a", "b"}),  # hidden together: 5, enough
        ({"a": 0, "b": 6, "c": 9}, {"a"}),  # nobody to give away
        ({"a": 1, "b": 1, "c": 1}, {"a", "b", "c"}),
    ],
)
def test_the_hidden_cells_hold_5_or_more_answers_together_or_none(counts, hidden):
    assert hidden_cells(counts) == hidden


def test_the_open_answers_go_to_program_administration_only_once_5_answered_shuffled_and_without_groups(cast):
    people = [cast.officer_a1, cast.officer_a2, cast.supervisor_a, *_officers(cast, cast.unit_a, 2)]
    survey = _closed_wave(cast)
    for i, person in enumerate(people):
        answer(survey, person, SIX, open_text=f"Idea number {i}")
    admin_page = cast.login("program_admin").get(f"/buyin/pulse/{survey.pk}/results/").content.decode()
    section = admin_page[admin_page.index('id="open-answers"') :]
    assert all(f"Idea number {i}" in section for i in range(5)) and "MHST" not in section
    command_page = cast.login("command_a").get(f"/buyin/pulse/{survey.pk}/results/").content.decode()
    assert "Idea number" not in command_page


def test_results_wait_until_the_wave_closes(cast):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    answer(survey, cast.officer_a1, SIX)
    page = cast.login("program_admin").get(f"/buyin/pulse/{survey.pk}/results/").content.decode()
    assert 'id="pulse-not-closed"' in page and "data-mean" not in page


def test_command_staff_see_only_their_agencys_waves(cast):
    unit_b = UnitFactory(agency=cast.agency_b, name="Sheriff patrol")
    theirs = pulse_wave(actor=cast.admin, agency=cast.agency_b, units=[unit_b], title="Agency B pulse")
    assert cast.login("command_a").get(f"/buyin/pulse/{theirs.pk}/results/").status_code == 404
    assert "Agency B pulse" not in cast.login("command_a").get("/buyin/pulse/").content.decode()
    assert "Agency B pulse" in cast.login("program_admin").get("/buyin/pulse/").content.decode()


def test_the_waves_are_listed_newest_first_as_the_table_says(cast):
    for days_ago, title in [(90, "August wave"), (1, "December wave"), (40, "October wave")]:
        pulse_wave(actor=cast.admin, agency=cast.agency_a, units=[cast.unit_a], days_ago=days_ago, title=title)
    page = cast.login("command_a").get("/buyin/pulse/").content.decode()
    assert "Waves, newest first" in page
    assert page.index("December wave") < page.index("October wave") < page.index("August wave")


def test_the_trend_follows_a_statement_asked_in_two_closed_waves(cast):
    people = [cast.officer_a1, cast.officer_a2, cast.supervisor_a, *_officers(cast, cast.unit_a, 2)]
    older = _closed_wave(cast, days_ago=60, title="Winter")
    newer = _closed_wave(cast, title="Spring")
    for person in people:
        answer(older, person, [2] * 6)
        answer(newer, person, [4] * 6)
    trend = pulse_trend(user=cast.command_a)
    assert len(trend) == 6
    first = trend[0]
    assert [(p.title, p.mean) for p in first.points] == [("Winter", Decimal("2.00")), ("Spring", Decimal("4.00"))]
    assert pulse_trend(user=cast.officer_a1) == []
    page = cast.login("command_a").get("/buyin/pulse/").content.decode()
    assert page.count("data-trend") == 6


# ---------------------------------------------------------------------------
# Answering: once, only those asked, anonymous
# ---------------------------------------------------------------------------


def _answer_post(survey: PulseSurvey, scores: list[int | str]) -> dict:
    data = {f"s{i}": str(score) for i, score in enumerate(scores)}
    return {**data, "open_text": "More night-shift partners"}


def test_an_officer_asked_answers_on_one_page_once(cast):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    client = cast.login("officer_a1")
    page = client.get(f"/buyin/pulse/{survey.pk}/").content.decode()
    assert page.count("<fieldset") == 6 and "Strongly agree" in page and "No answer" in page
    response = client.post(f"/buyin/pulse/{survey.pk}/", _answer_post(survey, [5, 4, "", 3, 5, 4]))
    assert response.status_code == 302
    stored = PulseAnswer.objects.get()
    assert stored.scores == [5, 4, None, 3, 5, 4] and stored.unit_id == cast.unit_a.pk
    assert stored.open_text == "More night-shift partners"
    # Sent again (a double tap, a second tab): refused, and told that the first answer stands.
    again = client.post(f"/buyin/pulse/{survey.pk}/", _answer_post(survey, [1] * 6), follow=True)
    page = again.content.decode()
    assert "your first answer stands" in page and 'id="pulse-answered"' in page
    assert PulseAnswer.objects.count() == 1 and PulseAnswer.objects.get().scores[0] == 5


def test_a_second_answer_is_refused_by_the_service_too(cast):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    answer(survey, cast.officer_a1, SIX)
    with pytest.raises(PulseRefused):
        answer(survey, cast.officer_a1, SIX)
    assert PulseAnswer.objects.count() == 1


def test_a_case_manager_of_a_partner_asked_answers_under_the_partner(cast):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, partners=[cast.partner_y])
    assert set(survey.participations.values_list("user__username", flat=True)) == {"cm_y"}
    answer(survey, cast.case_manager_y, SIX)
    assert PulseAnswer.objects.get().partner_id == cast.partner_y.pk


@pytest.mark.parametrize("who", ["officer_b", "case_manager_x", "command_a", "program_admin"])
def test_only_those_asked_may_answer_the_others_are_not_found_and_nothing_changes(cast, who):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    client = cast.login(who)
    assert client.get(f"/buyin/pulse/{survey.pk}/").status_code == 404
    assert client.post(f"/buyin/pulse/{survey.pk}/", _answer_post(survey, SIX)).status_code == 404
    assert PulseAnswer.objects.count() == 0
    assert not PulseParticipation.objects.filter(answered=True).exists()


def test_a_closed_wave_takes_no_answer(cast):
    survey = _closed_wave(cast)
    client = cast.login("officer_a1")
    assert 'id="pulse-closed"' in client.get(f"/buyin/pulse/{survey.pk}/").content.decode()
    assert client.post(f"/buyin/pulse/{survey.pk}/", _answer_post(survey, SIX)).status_code == 404
    with pytest.raises(PulseRefused):
        pulse_answer_submit(survey_id=survey.pk, user=cast.officer_a1, scores=SIX)
    assert PulseAnswer.objects.count() == 0


def test_the_menu_and_every_page_show_the_open_wave_until_it_is_answered(cast):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    client = cast.login("officer_a1")
    page = client.get("/mine/").content.decode()
    assert f'href="/buyin/pulse/{survey.pk}/"' in page and "data-pulse-waiting" in page
    answer(survey, cast.officer_a1, SIX)
    page = client.get("/mine/").content.decode()
    assert f'href="/buyin/pulse/{survey.pk}/"' not in page and "data-pulse-waiting" not in page
    assert "data-pulse-waiting" not in cast.login("officer_b").get("/mine/").content.decode()


def test_on_the_log_form_the_open_wave_is_one_line_not_a_banner(cast):
    """An officer opening the log form at 2 a.m. is there to log a deflection: the survey is one
    short line with its link above the form; other pages show the banner."""
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    client = cast.login("officer_a1")
    log = client.get("/log/").content.decode()
    line = log.split("data-pulse-waiting>")[1].split("</aside>")[0]
    assert f'href="/buyin/pulse/{survey.pk}/"' in line and "two minutes, anonymous" in line
    assert 'class="alert' not in log.split("data-pulse-waiting")[0].rsplit("<aside", 1)[1]
    mine = client.get("/mine/").content.decode()
    assert 'class="alert alert-info' in mine.split("data-pulse-waiting")[0].rsplit("<aside", 1)[1]


def test_an_answer_row_holds_no_user_no_time_and_no_sequence(cast):
    fields = {f.name: f for f in PulseAnswer._meta.get_fields() if getattr(f, "concrete", False)}
    assert set(fields) == {"id", "survey", "unit", "partner", "scores", "open_text"}
    assert isinstance(fields["id"], models.UUIDField)
    assert not any(isinstance(f, (models.DateField, models.TimeField, models.AutoField)) for f in fields.values())
    assert not any(f.is_relation and f.related_model is User for f in fields.values())
    participation = {f.name for f in PulseParticipation._meta.get_fields() if getattr(f, "concrete", False)}
    # mail_claimed_at is set only while an invitation or reminder is being sent, then cleared.
    assert participation == {"id", "survey", "user", "answered", "invited_at", "reminded_at", "mail_claimed_at"}
    table = PulseAnswer._meta.db_table
    with connection.cursor() as cursor:
        columns = {c.name: c for c in connection.introspection.get_table_description(cursor, table)}
        if connection.vendor == "postgresql":
            # No sequence behind the key (SQLite names every primary key a "sequence", whatever its type).
            assert connection.introspection.get_sequences(cursor, table) == []
    assert set(columns) == {"id", "survey_id", "unit_id", "partner_id", "scores", "open_text"}


def test_each_answer_rewrites_the_waves_answers_with_new_random_keys(cast, monkeypatch):
    order: list[list[str]] = []

    def reverse_and_note(rows: list[dict]) -> None:
        rows.reverse()
        order.append([r["open_text"] for r in rows])

    monkeypatch.setattr(pulse_services, "_shuffle", reverse_and_note)
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    answer(survey, cast.officer_a1, SIX, open_text="first")
    first_keys = set(PulseAnswer.objects.values_list("id", flat=True))
    answer(survey, cast.officer_a2, SIX, open_text="second")
    answer(survey, cast.supervisor_a, SIX, open_text="third")
    assert first_keys.isdisjoint(PulseAnswer.objects.values_list("id", flat=True))
    # Every answer so far goes through the shuffle, the newest too: appended last, this
    # shuffle (a reversal) writes it first.
    assert [len(rows) for rows in order] == [1, 2, 3] and order[-1][0] == "third"


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_no_system_column_ties_an_answer_to_the_person_who_gave_it(cast, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("xmin and ctid are PostgreSQL's")
    written: list[list[str]] = []
    real = pulse_services._shuffle

    def shuffle_and_note(rows):
        real(rows)
        written.append([r["open_text"] for r in rows])

    monkeypatch.setattr(pulse_services, "_shuffle", shuffle_and_note)
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    people = [cast.officer_a1, cast.officer_a2, cast.supervisor_a]
    for person, text in zip(people, ["one", "two", "three"], strict=True):
        answer(survey, person, SIX, open_text=text)  # each its own committed transaction
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xmin::text, open_text FROM buyin_pulseanswer WHERE survey_id = %s ORDER BY ctid", [survey.pk]
        )
        answers = cursor.fetchall()
        cursor.execute(
            "SELECT xmin::text, user_id FROM buyin_pulseparticipation WHERE survey_id = %s AND answered", [survey.pk]
        )
        participations = cursor.fetchall()
    answer_xmins = {xmin for xmin, _text in answers}
    assert len(answers) == 3 and len(answer_xmins) == 1  # every answer: the last transaction's
    for xmin, _user in participations:
        matching = [text for x, text in answers if x == xmin]
        assert matching == [] or len(matching) == 3  # nobody singled out
    # The physical order is the last shuffle's, not the order of arrival.
    assert [text for _x, text in answers] == written[-1]


def test_a_page_load_writes_nothing(cast):
    survey = _closed_wave(cast)
    open_wave = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    pages = [
        ("officer_a1", f"/buyin/pulse/{open_wave.pk}/"),
        ("officer_a1", "/mine/"),
        ("program_admin", "/buyin/pulse/"),
        ("program_admin", "/buyin/pulse/new/"),
        ("program_admin", f"/buyin/pulse/{survey.pk}/results/"),
        ("command_a", "/buyin/pulse/"),
    ]
    for who, path in pages:
        client = cast.login(who)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        writes = [
            q["sql"]
            for q in captured.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) and "django_session" not in q["sql"]
        ]
        assert writes == [], (who, path)


# ---------------------------------------------------------------------------
# Setting a wave, opening, invitations and the reminder
# ---------------------------------------------------------------------------


def _new_wave_post(cast, **overrides) -> dict:
    data = {
        "agency": cast.agency_a.pk,
        "title": "Autumn pulse",
        "open_question": "What would help?",
        "units": [cast.unit_a.pk],
        "opens_on": (agency_today(cast.agency_a) + timedelta(days=1)).isoformat(),
        "days_open": "10",
    }
    data.update({f"statement_{i}": f"Statement {i}" for i in range(5)})
    data.update(overrides)
    return data


def test_the_program_admin_sets_a_wave_with_the_talks_statements_offered(cast):
    client = cast.login("program_admin")
    page = client.get("/buyin/pulse/new/").content.decode()
    assert "Deflection is a useful tool for me." in page and "My supervisor encourages deflection." in page
    response = client.post("/buyin/pulse/new/", _new_wave_post(cast))
    assert response.status_code == 302
    survey = PulseSurvey.objects.get()
    assert survey.statements == [f"Statement {i}" for i in range(5)] and survey.days_open == 10
    # Midnight at the agency (Phoenix, UTC-7), ten days later closed; the reminder two days before at 09:00.
    assert timezone.localtime(survey.opens_at, timezone.get_fixed_timezone(-420)).hour == 0
    assert survey.closes_at - survey.opens_at == timedelta(days=10)
    assert survey.closes_at - survey.remind_at == timedelta(days=2) - timedelta(hours=9)


@pytest.mark.parametrize(
    "overrides",
    [
        {"statement_4": ""},  # four statements
        {"units": []},  # nobody asked
        {"days_open": "0"},
    ],
)
def test_a_wave_that_breaks_the_rules_is_refused(cast, overrides):
    response = cast.login("program_admin").post("/buyin/pulse/new/", _new_wave_post(cast, **overrides))
    assert response.status_code == 200 and not PulseSurvey.objects.exists()


@pytest.mark.parametrize("who", ["command_a", "supervisor_a", "officer_a1", "case_manager_y"])
def test_only_program_administration_sets_a_wave_others_are_not_found_and_nothing_is_made(cast, who):
    response = cast.login(who).post("/buyin/pulse/new/", _new_wave_post(cast))
    assert response.status_code == 404 and not PulseSurvey.objects.exists()
    with pytest.raises(PermissionDenied):
        pulse_survey_create(actor=getattr(cast, who), **_service_wave(cast))
    assert not PulseSurvey.objects.exists()


def _service_wave(cast) -> dict:
    return {
        "agency": cast.agency_a,
        "title": "Autumn pulse",
        "statements": [f"Statement {i}" for i in range(5)],
        "open_question": "What would help?",
        "units": [cast.unit_a],
        "partners": [],
        "opens_on": agency_today(cast.agency_a),
        "days_open": 10,
    }


def test_a_unit_of_another_agency_is_refused_by_the_service(cast):
    unit_b = UnitFactory(agency=cast.agency_b, name="Sheriff patrol")
    response = cast.login("admin").post("/buyin/pulse/new/", _new_wave_post(cast, units=[unit_b.pk]))
    assert response.status_code == 200 and "Choose units of the wave" in response.content.decode()
    assert not PulseSurvey.objects.exists()


def test_the_wave_opens_at_midnight_agency_time_and_invites_each_person_asked_once(cast):
    survey = pulse_wave(
        actor=cast.program_admin,
        agency=cast.agency_a,
        units=[cast.unit_a],
        partners=[cast.partner_y],
        opens_on=agency_today(cast.agency_a) + timedelta(days=3),
        opened=False,
    )
    assert pulse_sweep(now=survey.opens_at - timedelta(minutes=1)) == {"asked": 0, "invited": 0, "reminded": 0}
    assert pulse_sweep(now=survey.opens_at + timedelta(minutes=5))["invited"] == 4
    assert pulse_sweep(now=survey.opens_at + timedelta(minutes=15))["invited"] == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        u.email for u in [cast.officer_a1, cast.officer_a2, cast.supervisor_a, cast.case_manager_y]
    )
    assert f"/buyin/pulse/{survey.pk}/" in mail.outbox[0].body


def test_the_reminder_goes_once_to_those_who_have_not_answered_even_when_the_sweep_runs_twice(cast):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a], days_open=7)
    pulse_sweep(now=inside(survey))
    answer(survey, cast.officer_a1, SIX)
    mail.outbox.clear()
    assert pulse_sweep(now=survey.remind_at - timedelta(minutes=1))["reminded"] == 0
    assert pulse_sweep(now=survey.remind_at + timedelta(minutes=1))["reminded"] == 2
    assert pulse_sweep(now=survey.remind_at + timedelta(minutes=2))["reminded"] == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cast.officer_a2.email, cast.supervisor_a.email])
    assert all(m.subject.startswith("Reminder:") for m in mail.outbox)


def test_the_sweep_is_scheduled_and_runs_as_a_task(cast):
    from buyin.tasks import sweep_pulse_surveys
    from deflection.schedules import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["pulse-surveys"]["task"] == "buyin.tasks.sweep_pulse_surveys"
    pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a], days_open=3)
    assert sweep_pulse_surveys.delay().get()["invited"] == 3


# ---------------------------------------------------------------------------
# The weekly digest
# ---------------------------------------------------------------------------


def _closing_in_the_reported_week(cast, title: str, answers: int) -> date:
    """A wave answered by `answers` people that closed on the Wednesday of the week the next
    digest reports (agency midnight); returns that week's Monday."""
    week_start, _due = reported_week(cast.agency_a, timezone.now())
    people = [cast.officer_a1, cast.officer_a2, cast.supervisor_a, *_officers(cast, cast.unit_a, 2)][:answers]
    survey = _closed_wave(cast, title=title)
    for person in people:
        answer(survey, person, [4] * 6)
    wednesday = datetime.combine(week_start + timedelta(days=2), time.min, tzinfo=ZoneInfo(cast.agency_a.timezone))
    PulseSurvey.objects.filter(pk=survey.pk).update(closes_at=wednesday)
    return week_start


def test_a_closed_waves_headline_figures_go_into_the_next_weekly_digest_once(cast):
    week_start = _closing_in_the_reported_week(cast, "Summer pulse", answers=5)
    rendered = digest_render(agency=cast.agency_a, week_start=week_start)
    assert "Pulse survey closed: Summer pulse" in rendered.text and "Pulse survey closed: Summer pulse" in rendered.html
    assert "5 of 5 asked answered" in rendered.text and "- Deflection is a useful tool for me.: 4.00" in rendered.text
    for other_week in (week_start - timedelta(days=7), week_start + timedelta(days=7)):
        assert "Summer pulse" not in digest_render(agency=cast.agency_a, week_start=other_week).text


def test_a_digest_shows_fewer_than_5_for_a_wave_with_4_answers(cast):
    week_start = _closing_in_the_reported_week(cast, "Small pulse", answers=4)
    text = digest_render(agency=cast.agency_a, week_start=week_start).text
    assert "Pulse survey closed: Small pulse" in text and "Fewer than 5 answered: no figures." in text
    assert "4.00" not in text


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_invitation_and_reminder_once(cast, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED row claims need PostgreSQL")
    import threading
    import time as clock

    from django.db import connections

    colleagues = _officers(cast, cast.unit_a, 4)  # MHST: seven
    survey = pulse_wave(
        actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a], days_ago=-2, days_open=7, opened=False
    )
    slow_mail = pulse_services._mail

    def mail_slowly(participation, *, reminder):
        clock.sleep(0.05)  # long enough for the other sweep to reach the same rows
        slow_mail(participation, reminder=reminder)

    def two_sweeps_at(moment) -> list[str]:
        mail.outbox.clear()
        start = threading.Barrier(2)

        def sweep():
            start.wait()
            try:
                pulse_sweep(now=moment)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [m.to[0] for m in mail.outbox]

    monkeypatch.setattr(pulse_services, "_mail", mail_slowly)
    invited = two_sweeps_at(survey.opens_at + timedelta(minutes=5))
    assert len(invited) == len(set(invited)) == 7
    answer(survey, colleagues[0], SIX)
    reminded = two_sweeps_at(survey.remind_at + timedelta(minutes=1))
    assert len(reminded) == len(set(reminded)) == 6 and colleagues[0].email not in reminded
