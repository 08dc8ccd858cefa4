"""The process evaluation's suggestions and pulse survey trend: exact figures on hand-built
suggestions and waves, who sees whose, the export's rows and codebook, and reads that write nothing."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buyin.models import Suggestion, SuggestionEvent
from reports.metrics.voice import SuggestionCounts, suggestions_by_month
from reports.process_voice import EXPORT_COLUMNS
from tests.factories.buyin import SuggestionFactory, answered_waves
from tests.factories.core import UnitFactory, UserFactory
from tests.test_process_evaluation import AUGUST, PERIOD, SEPTEMBER, TZ, _scope

pytestmark = pytest.mark.django_db
S = Suggestion.State


def _at(month, day: int, hour: int = 9) -> datetime:
    return datetime(month.year, month.month, day, hour, tzinfo=TZ)


def _suggestion(author, sent: datetime, *moves: tuple[datetime, str]) -> Suggestion:
    """A suggestion sent at `sent` and moved (at, to state) as the triage would have."""
    suggestion = SuggestionFactory(author=author, created_at=sent, state_changed_at=sent)
    SuggestionEvent.objects.create(suggestion=suggestion, actor=author, at=sent, to_state=S.NEW)
    state = S.NEW
    for at, to_state in moves:
        SuggestionEvent.objects.create(suggestion=suggestion, actor=author, at=at, from_state=state, to_state=to_state)
        state = to_state
    Suggestion.objects.filter(pk=suggestion.pk).update(
        state=state, answer="" if state in (S.NEW, S.UNDER_REVIEW) else "Done", changed_on=sent.date()
    )
    return suggestion


@pytest.fixture
def suggestions(cast):
    """Agency A:
    - MHST (officer A1), August: 3 sent on the 3rd; one answered after 2 days (under review,
      changed on September 2), one after 6 days (not now), one not answered.
    - Patrol, September 10: one sent, changed a day later.
    Agency B: one sent and answered in August, never counted for agency A."""
    patrol = UnitFactory(agency=cast.agency_a, name="Patrol")
    p = UserFactory(agency=cast.agency_a, unit=patrol, first_name="Pat", last_name="Rollins")
    sent = _at(AUGUST, 3)
    _suggestion(cast.officer_a1, sent, (sent + timedelta(days=2), S.UNDER_REVIEW), (_at(SEPTEMBER, 2), S.CHANGED))
    _suggestion(cast.officer_a1, sent, (sent + timedelta(days=6), S.NOT_NOW))
    _suggestion(cast.officer_a1, sent)
    _suggestion(p, _at(SEPTEMBER, 10), (_at(SEPTEMBER, 11), S.CHANGED))
    _suggestion(cast.officer_b, sent, (sent + timedelta(days=1), S.NOT_NOW))
    return {"patrol": patrol}


def _counts(received, answered, changed, not_now, days) -> SuggestionCounts:
    return SuggestionCounts([float(d) for d in days], received, answered, changed, not_now)


def test_the_suggestion_counts_are_exact(cast, suggestions):
    months = suggestions_by_month(_scope(cast), tz=TZ)
    assert months == {AUGUST: _counts(3, 2, 0, 1, [2, 6]), SEPTEMBER: _counts(1, 1, 2, 0, [1])}
    assert months[AUGUST].median_days == 4
    mhst = suggestions_by_month(_scope(cast, unit_id=cast.unit_a.pk), tz=TZ)
    assert mhst == {AUGUST: _counts(3, 2, 0, 1, [2, 6]), SEPTEMBER: _counts(0, 0, 1, 0, [])}


def _table(page: str, table_id: str) -> str:
    start = page.index(f'id="{table_id}"')
    return page[start : page.index("</table>", start)]


def _row(table: str, label: str) -> list[str]:
    start = table.index(f">{label}</th>")
    cells = table[start : table.index("</tr>", start)].split('<td class="text-end">')[1:]
    return [cell.split("<")[0] for cell in cells]


def test_command_staff_see_their_agencys_suggestions_exactly_and_no_authors(cast, suggestions):
    page = cast.login("command_a").get("/reports/process/", PERIOD).content.decode()
    table = _table(page, "suggestions-by-month")
    assert _row(table, "August 2026") == ["3", "2", "0", "1", "4.0"]
    assert _row(table, "September 2026") == ["1", "1", "2", "0", "1.0"]
    assert _row(table, "October 2026") == ["0", "0", "0", "0", "—"]
    # In all: 4 received (agency B's not among them), answered after 2, 6 and 1 days.
    assert _row(table, "All") == ["4", "3", "2", "1", "2.0"]
    section = page[page.index('id="suggestions"') : page.index("</section>", page.index('id="suggestions"'))]
    assert "Oakhurst" not in section and "Rollins" not in section and "Avery" not in section


def test_a_supervisor_sees_only_their_units_suggestions(cast, suggestions):
    client = cast.login("supervisor_a")
    page = client.get("/reports/process/", {**PERIOD, "unit": suggestions["patrol"].pk}).content.decode()
    table = _table(page, "suggestions-by-month")
    assert _row(table, "All") == ["3", "2", "1", "1", "4.0"]
    # The pulse trend is for command staff and program administration.
    assert 'id="pulse-trend"' not in page and "for command staff and program administration" in page


def test_command_staff_choose_a_unit_and_a_program_admin_an_agency(cast, suggestions):
    unit = cast.login("command_a").get("/reports/process/", {**PERIOD, "unit": suggestions["patrol"].pk})
    assert _row(_table(unit.content.decode(), "suggestions-by-month"), "All") == ["1", "1", "1", "0", "1.0"]
    other = cast.login("program_admin").get("/reports/process/", {**PERIOD, "agency": cast.agency_b.pk})
    assert _row(_table(other.content.decode(), "suggestions-by-month"), "All") == ["1", "1", "0", "1", "1.0"]


def _people(cast, n: int):
    return [
        cast.officer_a1,
        cast.officer_a2,
        cast.supervisor_a,
        *(UserFactory(agency=cast.agency_a, unit=cast.unit_a) for _ in range(n - 3)),
    ]


@pytest.fixture
def waves(cast):
    """Three closed waves of agency A's MHST: Winter (5 answered: 2 everywhere), Spring (4
    answered), Summer (12: five 4s, a 5 and six 3s everywhere, a mean of 43 / 12)."""
    summer = [4] * 5 + [5] + [3] * 6
    return answered_waves(
        cast, _people(cast, 12), [("Winter", 90, [2] * 5), ("Spring", 60, [3] * 4), ("Summer", 30, summer)]
    )


def test_the_pulse_trend_shows_each_waves_mean_and_a_wave_of_4_as_fewer_than_5(cast, waves):
    page = cast.login("command_a").get("/reports/process/").content.decode()
    table = _table(page, "pulse-trend")
    # Six statements asked in three waves: a row each.
    assert table.count("<tr>") == 1 + 18
    first = table[: table.index("Summer")]
    assert ">5</td>" in first and ">2.00</td>" in first
    spring = table[table.index("Spring") : table.index("</tr>", table.index("Spring"))]
    assert "fewer than 5" in spring and ">3.00<" not in spring and ">4</td>" not in spring
    summer = table[table.index("Summer") : table.index("</tr>", table.index("Summer"))]
    assert ">12</td>" in summer and ">3.58</td>" in summer
    # The chart draws the same means, with a gap for the wave of 4.
    assert "[2.0, null, 3.58]" in page
    # The program admin's trend is the chosen agency's: agency B has run no wave.
    other = cast.login("program_admin").get("/reports/process/", {"agency": cast.agency_b.pk}).content.decode()
    assert 'id="pulse-trend"' not in other and "No statement was asked in two or more waves" in other
    mine = cast.login("program_admin").get("/reports/process/", {"agency": cast.agency_a.pk}).content.decode()
    assert ">3.58</td>" in mine


def test_the_export_carries_the_suggestions_and_the_trend_under_the_floor_of_11(cast, suggestions, waves):
    today = datetime.now(TZ).date()
    response = cast.login("command_a").post(
        "/reports/export/",
        {"start": f"{AUGUST:%Y-%m}", "end": f"{today:%Y-%m}", "file_format": "csv", "dataset": "process"},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert rows[0] == [name for name, _meaning in EXPORT_COLUMNS]
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    august = next(r for r in table if r["table"] == "suggestions_by_month" and r["group"] == "2026-08")
    assert [august[c] for c in ("suggestions_received", "suggestions_answered", "suggestions_changed")] == [
        "3",
        "2",
        "0",
    ]
    assert august["suggestions_not_now"] == "1" and august["median_days_to_answer"] == "4.0"
    total = next(r for r in table if r["table"] == "suggestions_total")
    assert total["suggestions_received"] == "4" and total["median_days_to_answer"] == "2.0"
    trend = [r for r in table if r["table"] == "pulse_trend"]
    assert {r["wave"] for r in trend} == {"Winter", "Spring", "Summer"}
    # Winter's 5 and Spring's 4 are under 11: withheld; Summer's 12 show.
    winter = [r for r in trend if r["wave"] == "Winter"]
    assert all(r["respondents"] == "<11" and r["mean_score"] == "withheld" for r in winter)
    summer = [r for r in trend if r["wave"] == "Summer"]
    assert len(summer) == 6 and all(r["respondents"] == "12" and r["mean_score"] == "3.58" for r in summer)
    # Nothing in it names anyone: no author, officer or user column.
    assert not {"author", "author_id", "officer_id", "user_id"} & set(rows[0])
    assert "Oakhurst" not in response.content.decode()


def test_the_codebook_defines_the_new_columns_and_figures(cast):
    page = cast.login("command_a").get("/reports/export/codebook/").content.decode()
    for name, _meaning in EXPORT_COLUMNS:
        assert f"<code>{name}</code>" in page
    assert "Suggestions answered" in page and "Days to answer" in page and "Pulse survey trend" in page
    text = cast.login("command_a").get("/reports/export/codebook/", {"download": 1}).content.decode()
    assert "median_days_to_answer" in text and "Pulse survey trend" in text


def test_the_page_writes_nothing_and_its_queries_do_not_grow_with_suggestions_or_waves(
    cast, suggestions, waves, django_assert_max_num_queries
):
    client = cast.login("command_a")
    client.get("/reports/process/")
    with CaptureQueriesContext(connection) as captured:
        client.get("/reports/process/")
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert [w for w in writes if "django_session" not in w] == []
    before = len(captured.captured_queries)
    _suggestion(cast.officer_a2, _at(SEPTEMBER, 20), (_at(SEPTEMBER, 21), S.NOT_NOW))
    answered_waves(cast, _people(cast, 5), [(f"Old {days}", days, [1] * 5) for days in (120, 150)])
    with django_assert_max_num_queries(before):
        client.get("/reports/process/")
