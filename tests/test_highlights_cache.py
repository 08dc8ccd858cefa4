"""The agency's milestones, stories and latest change are read once for all its officers, and
what changes the Wins shows at the next read: a deflection logged or cancelled (the week's
counts are counted at each read), a story approved, a change published, a suggestion
answered, a milestone found. A cache that is down costs queries, never a page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buyin.services import suggestions as buyin_services
from referrals import services
from referrals.models import Referral
from reports.milestones import milestones_detect
from reports.services import success_story_review
from tests.factories.buyin import SuggestionFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory
from tests.factories.reports import story_told

pytestmark = pytest.mark.django_db

WINS = "/reports/wins/"
AGENCY_TABLES = ("reports_milestone", "reports_successstory", "buyin_changemade", "buyin_suggestion")


def _read(browser) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(WINS, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in captured]


def _deflections(page: str) -> int:
    return int(re.search(r'data-figure="week-deflections">([^<]*)<', page).group(1))


def _deflection(cast, user=None) -> Referral:
    return ReferralFactory(officer=OfficerFactory(user=user or cast.officer_a1), occurred_at=timezone.now())


def test_the_agencys_wins_are_counted_once_for_all_its_officers(cast):
    _deflection(cast)
    story_told(cast, "Back with his kids.")
    first, first_sql = _read(cast.login("officer_a1"))
    second, second_sql = _read(cast.login("officer_a2"))
    assert any(table in sql for sql in first_sql for table in AGENCY_TABLES)
    assert not any(table in sql for sql in second_sql for table in AGENCY_TABLES)
    assert len(second_sql) < len(first_sql)
    assert _deflections(second) == _deflections(first) == 2  # the story's referral is a deflection too
    assert "Back with his kids." in second
    # Another agency's officers get their own agency's wins.
    other, _sql = _read(cast.login("officer_b"))
    assert _deflections(other) == 0 and "Back with his kids." not in other


def test_a_deflection_logged_shows_in_the_weeks_count_at_once(cast):
    officer = cast.login("officer_a1")
    before = _deflections(_read(officer)[0])
    _deflection(cast, cast.officer_a2)
    assert _deflections(_read(officer)[0]) == before + 1


def test_a_cancelled_deflection_leaves_the_weeks_count_at_once(cast):
    referral = _deflection(cast)
    officer = cast.login("officer_a2")
    assert _deflections(_read(officer)[0]) == 1
    services.referral_cancel(referral_id=referral.pk, actor=cast.officer_a1, reason=Referral.CancelReason.WITHDRAWN)
    assert _deflections(_read(officer)[0]) == 0


def test_a_story_approved_shows_at_once(cast):
    officer = cast.login("officer_a2")
    story = story_told(cast, "A note of thanks from a father.", review=None)
    assert "A note of thanks" not in _read(officer)[0]
    success_story_review(story_id=story.pk, actor=cast.admin, approve=True)
    assert "A note of thanks from a father." in _read(officer)[0]


def test_a_change_published_or_a_suggestion_answered_shows_at_once(cast):
    officer = cast.login("officer_a1")
    today = timezone.localdate()
    assert 'id="wins-change"' not in _read(officer)[0]
    buyin_services.change_made_publish(
        actor=cast.program_admin, topic="process", what="A van on nights.", changed_on=today - timedelta(days=1)
    )
    assert "A van on nights." in _read(officer)[0]
    suggestion = SuggestionFactory(author=cast.officer_a2)
    buyin_services.suggestion_change(
        suggestion_id=suggestion.pk, actor=cast.program_admin, answer="The form lost its second page.", changed_on=today
    )
    assert "The form lost its second page." in _read(officer)[0]


def test_a_milestone_found_shows_at_once(cast):
    officer = cast.login("officer_a2")
    _deflection(cast)
    assert 'id="wins-milestones"' not in _read(officer)[0]
    milestones_detect()
    assert 'id="wins-milestones"' in _read(officer)[0]


def test_a_cache_that_is_down_costs_queries_never_a_page_nor_a_write(cast, shared_cache_down):
    officer = cast.login("officer_a1")
    assert _deflections(_read(officer)[0]) == 0
    _deflection(cast, cast.officer_a2)
    story = story_told(cast, "Approved while the cache was down.", review=None)
    success_story_review(story_id=story.pk, actor=cast.admin, approve=True)  # forgetting fails: the write stands
    page = _read(officer)[0]
    assert _deflections(page) == 2 and "Approved while the cache was down." in page
