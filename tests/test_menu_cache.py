"""Every page's menu reads the user's unread answers and waiting pulse waves once, then keeps
them (buyin.menu): what changes them shows at the next page, a wave leaves the menu when it
closes without anything written, and a cache that is down costs queries, never a page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buyin.models import PulseSurvey
from buyin.services.pulse import pulse_wave_open
from buyin.services.suggestions import suggestion_review
from tests.factories.buyin import SuggestionFactory, answer, pulse_wave

pytestmark = pytest.mark.django_db

MENU_TABLES = ("buyin_suggestion", "buyin_pulsesurvey")
SIX = [3] * 6  # an answer to the six default statements


def _page(browser, path: str = "/mine/") -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(path)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in captured]


def _reads_menu(sql: list[str]) -> bool:
    return any(table in q for q in sql for table in MENU_TABLES)


def test_the_menu_is_read_once_then_kept_from_page_to_page(cast):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    browser = cast.login("officer_a1")
    first, first_sql = _page(browser)
    second, second_sql = _page(browser, "/log/")
    assert _reads_menu(first_sql) and not _reads_menu(second_sql)
    for page in (first, second):
        assert f'href="/buyin/pulse/{survey.pk}/"' in page and "data-pulse-waiting" in page


def test_a_wave_leaves_the_menu_when_it_closes_with_nothing_written(cast):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    closes_at = timezone.now() + timedelta(seconds=20)
    PulseSurvey.objects.filter(pk=survey.pk).update(closes_at=closes_at)  # closing in a moment
    browser = cast.login("officer_a1")
    assert "data-pulse-waiting" in _page(browser)[0]
    with time_machine.travel(closes_at + timedelta(seconds=1)):
        page, sql = _page(browser)
    assert not _reads_menu(sql)  # still the menu kept a moment ago ...
    assert "data-pulse-waiting" not in page  # ... without the wave that has closed since


def test_an_answer_to_a_suggestion_and_a_wave_answered_show_at_the_next_page(cast):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    suggestion = SuggestionFactory(author=cast.officer_a1)
    browser = cast.login("officer_a1")
    assert "new answer" not in _page(browser)[0]
    suggestion_review(suggestion_id=suggestion.pk, actor=cast.program_admin)
    answer(survey, cast.officer_a1, SIX)
    page = _page(browser)[0]
    assert "1 new answer" in page and "data-pulse-waiting" not in page


def test_a_wave_that_opens_shows_on_the_next_page(cast):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a], opened=False)
    browser = cast.login("officer_a1")
    assert "data-pulse-waiting" not in _page(browser)[0]  # kept: no wave waiting
    pulse_wave_open(survey_id=survey.pk)  # the sweep fixes its audience: one bulk insert
    page = _page(browser)[0]
    assert f'href="/buyin/pulse/{survey.pk}/"' in page and "data-pulse-waiting" in page


def test_a_cache_that_is_down_costs_queries_never_a_page(cast, shared_cache_down):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    browser = cast.login("officer_a1")
    for _ in range(2):
        page, sql = _page(browser)
        assert _reads_menu(sql) and f'href="/buyin/pulse/{survey.pk}/"' in page
    answer(survey, cast.officer_a1, SIX)
    assert "data-pulse-waiting" not in _page(browser)[0]
