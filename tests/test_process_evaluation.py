"""The process evaluation: exact figures on a small hand-built data set, the floor of 5
(cells under it withheld, exactly 5 shown, nothing recoverable by subtraction), who sees
what, the rollups equal to the definitions, and a page load that writes nothing."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buyin.models import FeedbackObstacle
from referrals.models import Pathway
from reports import process
from reports.metrics import Scope
from reports.metrics.process import (
    BREAKDOWNS,
    FeedbackCounts,
    LogTimes,
    feedback_by,
    log_time_bin,
    log_times_by,
)
from reports.metrics.process_from_rollups import feedback_from_rollups, log_times_from_rollups
from reports.rollup_models import FeedbackRollup
from reports.rollups import rollups_rebuild, rollups_refresh
from tests.factories.buyin import OfficerFeedbackFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory, officers_of_every_unit

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("America/Phoenix")
AUGUST, SEPTEMBER, OCTOBER = (datetime(2026, m, 1, tzinfo=TZ).date() for m in (8, 9, 10))
PERIOD = {"start": "2026-08", "end": "2026-10"}


def _feedback(officer, partner, pathway, day, eases, *, seconds=(), obstacles=None):
    """One referral and its feedback per answer in `eases` ("" a skip), on `day` of a month;
    `seconds`: the times to log of the first referrals; `obstacles`: {index: [kinds]}."""
    for i, ease in enumerate(eases):
        referral = ReferralFactory(
            officer=officer,
            partner=partner,
            pathway=pathway,
            occurred_at=day + timedelta(hours=i),
            seconds_to_log=seconds[i] if i < len(seconds) else None,
        )
        OfficerFeedbackFactory(referral=referral, ease=ease, obstacles=(obstacles or {}).get(i, []))


def _day(month, day: int = 10) -> datetime:
    return datetime(month.year, month.month, day, 9, tzinfo=TZ)


@pytest.fixture
def evaluation(cast):
    """Agency A, August to October 2026:
    - MHST (officer A1), partner Y, naloxone-plus, August: 3 easier, 2 same, 1 harder and a
      skip (7 asked, 6 answered); two named transport, one the form; 7 times to log.
    - Patrol, partner X, self-referral, August: 2 easier, 2 harder (4: under the floor).
    - Patrol, partner Y, naloxone-plus, September: 1 easier, 1 same, 3 harder (exactly 5).
    - An officer without a unit, partner X, self-referral, October: 2 easier.
    Agency B: 6 answers that agency A's pages never count."""
    patrol, (a1, p, loose) = officers_of_every_unit(cast)
    x, y = cast.partner_x, cast.partner_y
    naloxone, self_referral = Pathway.NALOXONE_PLUS, Pathway.SELF_REFERRAL
    _feedback(
        a1,
        y,
        naloxone,
        _day(AUGUST),
        ["easier", "easier", "easier", "same", "same", "harder", ""],
        seconds=[40, 52, 61, 75, 90, 130, 400],
        obstacles={0: ["transport"], 5: ["transport", "form"], 6: ["no_answer"]},
    )
    _feedback(p, x, self_referral, _day(AUGUST, 20), ["easier", "easier", "harder", "harder"])
    _feedback(p, y, naloxone, _day(SEPTEMBER), ["easier", "same", "harder", "harder", "harder"], seconds=[30, 30, 30])
    _feedback(loose, x, self_referral, _day(OCTOBER), ["easier", "easier"])
    _feedback(OfficerFactory(user=cast.officer_b), y, naloxone, _day(AUGUST), ["harder"] * 6)
    return {"patrol": patrol}


def _scope(cast, start=AUGUST, months=3, **filters) -> Scope:
    end = start
    for _ in range(months):
        end = (end + timedelta(days=32)).replace(day=1)
    return Scope(
        cast.agency_a.pk,
        datetime.combine(start, datetime.min.time(), TZ),
        datetime.combine(end, datetime.min.time(), TZ),
        **filters,
    )


def _counts(asked, easier, same, harder, **obstacles) -> FeedbackCounts:
    counts = FeedbackCounts(asked=asked, easier=easier, same=same, harder=harder)
    counts.obstacles.update(obstacles)
    return counts


def test_the_feedback_counts_are_exact(cast, evaluation):
    scope = _scope(cast)
    assert feedback_by(scope, tz=TZ) == {None: _counts(18, 8, 3, 6, transport=2, form=1)}
    assert feedback_by(scope, by="month", tz=TZ) == {
        AUGUST: _counts(11, 5, 2, 3, transport=2, form=1),
        SEPTEMBER: _counts(5, 1, 1, 3),
        OCTOBER: _counts(2, 2, 0, 0),
    }
    by_unit = feedback_by(scope, by="unit", tz=TZ)
    assert by_unit[cast.unit_a.pk] == _counts(7, 3, 2, 1, transport=2, form=1)
    assert by_unit[evaluation["patrol"].pk] == _counts(9, 3, 1, 5)
    assert by_unit[0] == _counts(2, 2, 0, 0)
    # A skip is asked, not answered, and what it named is not counted.
    assert by_unit[cast.unit_a.pk].answered == 6
    assert feedback_by(scope, by="partner", tz=TZ)[cast.partner_x.pk] == _counts(6, 4, 0, 2)


def test_the_time_to_log_is_the_median_and_90th_percentile_of_the_rounded_seconds(cast, evaluation):
    # 40, 50, 60, 75, 90, 130 and 390 seconds (400 rounds to the half minute).
    assert [log_time_bin(s) for s in (40, 52, 61, 75, 90, 130, 400)] == [40, 50, 60, 75, 90, 130, 390]
    times = log_times_by(_scope(cast), tz=TZ)
    assert times[AUGUST] == LogTimes(7, 75, 390)
    assert times[SEPTEMBER] == LogTimes(3, 30, 30)
    assert OCTOBER not in times  # nothing measured


def test_time_to_log_bins_keep_the_order_of_the_seconds():
    bins = [log_time_bin(s) for s in range(0, 9000)]
    assert bins == sorted(bins)
    assert log_time_bin(7199) == 7200 and log_time_bin(50_000) == 7200
    assert all(abs(log_time_bin(s) - s) <= 150 for s in range(0, 7050))


@pytest.mark.parametrize(
    ("answered", "hidden"),
    [
        ([10, 6, 7], set()),
        # One under the floor: the smallest shown one goes with it.
        ([10, 6, 4], {1, 2}),
        # Two under the floor holding 3 together: still fewer than 5, so one more.
        ([10, 6, 1, 2], {1, 2, 3}),
        # Two under the floor holding 7 together: nothing one can work out alone.
        ([10, 3, 4], {1, 2}),
        # Skips only (no answers): nothing to give away.
        ([10, 6, 0], {2}),
        # A total under the floor: everything.
        ([2, 1], {0, 1}),
        ([5], set()),
    ],
)
def test_no_hidden_cell_can_be_worked_out_from_the_total(answered, hidden):
    assert process.hidden_cells(answered, floor=5) == hidden
    withheld = sum(answered[i] for i in hidden)
    assert withheld == 0 or withheld >= 5 or len(hidden) == len(answered)


def _table(page: str, table_id: str) -> str:
    start = page.index(f'id="{table_id}"')
    return page[start : page.index("</table>", start)]


def _row(table: str, label: str) -> str:
    start = table.index(f">{label}</th>")
    return table[start : table.index("</tr>", start)]


def test_command_staff_see_their_agencys_figures_with_cells_under_5_withheld(cast, evaluation):
    page = cast.login("command_a").get("/reports/process/", PERIOD).content.decode()
    months = _table(page, "ease-by-month")
    # August: 10 answered (5 easier, 2 same, 3 harder), 11 asked.
    assert ">11<" in _row(months, "August 2026") and "50% (5)" in _row(months, "August 2026")
    # October holds 2 answers: withheld, and so is September (5), else the total less
    # August would give October away; September says it is withheld, not that it is small.
    assert "fewer than 5" in _row(months, "October 2026") and ">withheld<" in _row(months, "September 2026")
    assert "(3)" not in _row(months, "September 2026")
    # The total: 17 answered, agency B's 6 not among them.
    assert ">17<" in _row(months, "All") and "47% (8)" in _row(months, "All")
    units = _table(page, "ease-by-unit")
    assert "fewer than 5" in _row(units, "No unit")
    # MHST (6) is withheld beside "No unit" (2); Patrol (9) is shown.
    assert ">withheld<" in _row(units, "MHST") and ">9<" in _row(units, "Patrol")
    obstacles = _table(page, "obstacles-by-partner")
    # Partner Y: 11 answered, 2 named transport, 1 the form.
    assert ">11<" in _row(obstacles, cast.partner_y.name)
    log = _table(page, "log-time-by-month")
    assert "1 min 15 s" in _row(log, "August 2026") and "6 min 30 s" in _row(log, "August 2026")
    assert "fewer than 5" in _row(log, "September 2026")


def test_a_cell_of_exactly_5_answers_is_shown(cast, evaluation):
    page = cast.login("command_a").get("/reports/process/", {"start": "2026-08", "end": "2026-09"}).content.decode()
    september = _row(_table(page, "ease-by-month"), "September 2026")
    assert "fewer than 5" not in september and "60% (3)" in september


def test_a_supervisor_sees_only_their_unit_whatever_the_url_asks(cast, evaluation):
    client = cast.login("supervisor_a")
    page = client.get("/reports/process/", {**PERIOD, "unit": evaluation["patrol"].pk}).content.decode()
    units = _table(page, "ease-by-unit")
    assert "MHST" in units and "Patrol" not in units and "No unit" not in units
    # MHST's August: 6 answered, 3 easier.
    assert "50% (3)" in _row(_table(page, "ease-by-month"), "August 2026")


def test_command_staff_cannot_ask_for_another_agency(cast, evaluation):
    page = cast.login("command_a").get("/reports/process/", {**PERIOD, "agency": cast.agency_b.pk}).content.decode()
    assert cast.agency_a.name in page and ">17<" in _row(_table(page, "ease-by-month"), "All")


def test_a_program_admin_picks_the_agency(cast, evaluation):
    page = cast.login("program_admin").get("/reports/process/", {**PERIOD, "agency": cast.agency_b.pk}).content.decode()
    assert "100% (6)" in _row(_table(page, "ease-by-month"), "August 2026")


def test_the_dashboards_partner_scorecard_links_to_what_got_in_the_way(cast, evaluation):
    page = cast.login("command_a").get("/reports/dashboard/").content.decode()
    assert "/reports/process/#obstacles" in page


def test_the_page_reads_the_rollups_writes_nothing_and_its_queries_do_not_grow(
    cast, evaluation, django_assert_max_num_queries
):
    rollups_rebuild(agency=cast.agency_a)
    client = cast.login("command_a")
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/reports/process/", PERIOD).content.decode()
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert [w for w in writes if "django_session" not in w] == []
    assert "data-counted-at" in page and "50% (5)" in _row(_table(page, "ease-by-month"), "August 2026")
    # The feedback and times from the rollups; the suggestions (2 reads) and the pulse trend (2).
    with django_assert_max_num_queries(20):
        client.get("/reports/process/", PERIOD)
    # Twice the data, the same queries.
    _feedback(
        OfficerFactory(user=cast.officer_a2), cast.partner_x, Pathway.ACTIVE_OUTREACH, _day(SEPTEMBER, 3), ["same"] * 8
    )
    rollups_rebuild(agency=cast.agency_a)
    with django_assert_max_num_queries(20):
        client.get("/reports/process/", PERIOD)


def test_feedback_given_after_the_count_is_taken_in_by_the_next_refresh(cast, evaluation):
    rollups_rebuild(agency=cast.agency_a)
    referral = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a2), partner=cast.partner_x, occurred_at=_day(SEPTEMBER, 4)
    )
    rollups_rebuild(agency=cast.agency_a)  # the referral is counted; its feedback comes after
    OfficerFeedbackFactory(referral=referral, ease="harder", obstacles=["form"])
    scope = _scope(cast)
    assert feedback_from_rollups(scope, TZ) != feedback_by(scope, tz=TZ)
    assert rollups_refresh(agency=cast.agency_a) == 1
    assert feedback_from_rollups(scope, TZ) == feedback_by(scope, tz=TZ)
    # Within the margin the same feedback comes back: counted already, nothing is recounted.
    assert rollups_refresh(agency=cast.agency_a) == 0


@pytest.fixture
def history(cast):
    """Random feedback and times to log over three months, units, pathways and partners."""
    rnd = random.Random(13)
    patrol, officers = officers_of_every_unit(cast)
    for _ in range(150):
        when = datetime(2026, 8, 1, tzinfo=TZ) + timedelta(days=rnd.randrange(92), hours=rnd.choice([0, 9, 23]))
        referral = ReferralFactory(
            officer=rnd.choice(officers),
            partner=rnd.choice([cast.partner_x, cast.partner_y]),
            pathway=rnd.choice(Pathway.values),
            occurred_at=when,
            status=rnd.choice(["requested", "accepted", "cancelled"]),
            seconds_to_log=rnd.choice([None, rnd.randrange(10, 200), rnd.randrange(200, 9000)]),
        )
        if rnd.random() < 0.7:
            kinds = rnd.sample(FeedbackObstacle.Kind.values, rnd.choice([0, 0, 1, 2]))
            OfficerFeedbackFactory(
                referral=referral, ease=rnd.choice(["", "easier", "same", "harder"]), obstacles=kinds
            )
    rollups_rebuild(agency=cast.agency_a)
    return patrol


def test_the_rollups_give_the_figures_of_the_definitions(cast, history):
    assert FeedbackRollup.objects.exists()
    scopes = [
        _scope(cast),
        _scope(cast, months=1),
        _scope(cast, unit_id=history.pk),
        _scope(cast, pathway="naloxone_plus"),
        _scope(cast, partner_id=cast.partner_y.pk),
        _scope(cast, unit_id=history.pk, partner_id=cast.partner_x.pk),
    ]
    for scope in scopes:
        for by in BREAKDOWNS:
            assert feedback_from_rollups(scope, TZ, by=by) == feedback_by(scope, by=by, tz=TZ), (scope, by)
        for by in (None, "month"):
            assert log_times_from_rollups(scope, TZ, by=by) == log_times_by(scope, by=by, tz=TZ), (scope, by)
    # Not a trivial equality: the months have answers of every kind and measured times.
    months = feedback_by(scopes[0], by="month", tz=TZ)
    assert len(months) == 3 and all(c.easier and c.same and c.harder and c.asked > c.answered for c in months.values())
    assert all(t.measured > 5 for t in log_times_by(scopes[0], tz=TZ).values())


def _process_export(client, **fields) -> list[list[str]]:
    import csv
    import io

    data = {**PERIOD, "file_format": "csv", "dataset": "process", **fields}
    response = client.post("/reports/export/", data)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]


def _export_by_row(client) -> dict:
    rows = _process_export(client)
    return {(r[0], r[1]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}


def test_the_export_gains_the_aggregates_under_the_stricter_floor_of_11(cast, evaluation):
    from reports.models import ExportRecord

    row = _export_by_row(cast.login("command_a"))
    # The total: 17 answered, 8 easier; 3 "same" is from 1 to 10: <11, and so is its share.
    total = row["feedback_total", "All"]
    assert total["answered"] == "17" and total["easier"] == "<11" and total["same"] == "<11"
    assert total["same_share"] == "<11" and total["obstacle_transport"] == "<11"
    # August's 10 answers are under 11: withheld; so is every other month, as nothing would
    # otherwise hide them from the total.
    assert all(row["feedback_by_month", m]["answered"] == "withheld" for m in ("2026-08", "2026-09", "2026-10"))
    # Partner Y's 11 answers would show, but partner X's 6 cannot: both withheld.
    assert row["feedback_by_partner", cast.partner_y.name]["answered"] == "withheld"
    assert row["feedback_by_partner", cast.partner_x.name]["easier_share"] == "withheld"
    # Seven times measured in August: fewer than 11, no median leaves the agency.
    august = row["log_time_by_month", "2026-08"]
    assert august["measured"] == "<11" and august["median_seconds"] == "withheld"
    assert august["booking_minutes"] == str(cast.agency_a.booking_minutes)
    assert ExportRecord.objects.get().filters["dataset"] == "process"
    # No officer, no referral: nothing in it says who answered what.
    assert not {"officer_id", "referral_id"} & set(total)


def test_the_export_shows_cells_of_11_answers_or_more_and_no_small_count_by_subtraction(cast, evaluation):
    officer = OfficerFactory(user=cast.officer_a2)
    for month, ease in ((AUGUST, "harder"), (SEPTEMBER, "same"), (OCTOBER, "easier")):
        _feedback(officer, cast.partner_x, Pathway.ACTIVE_OUTREACH, _day(month, 3), [ease] * 12)
    row = _export_by_row(cast.login("command_a"))
    months = [row["feedback_by_month", f"{m:%Y-%m}"] for m in (AUGUST, SEPTEMBER, OCTOBER)]
    # Every month has 11 answers or more: shown. September: 17, 13 the same (76%), 1 easier.
    assert [m["answered"] for m in months] == ["22", "17", "14"]
    assert months[1]["easier"] == "<11" and months[1]["easier_share"] == "<11"
    # "Harder": 15 in August, 3 in September (<11), 0 in October: with October's 0 alone
    # exact the total would give September's away, so August's 15 is withheld too.
    assert row["feedback_total", "All"]["harder"] == "18"
    assert [m["harder"] for m in months] == ["withheld", "<11", "withheld"]
    # In every column, the total less the exact counts is 0 or more than 10.
    total = row["feedback_total", "All"]
    for column, value in total.items():
        if column in ("table", "group") or not value.isdigit() or column.endswith("_share"):
            continue
        exact = sum(int(m[column]) for m in months if m[column].isdigit())
        assert not 1 <= int(value) - exact <= 10, (column, value, [m[column] for m in months])


def test_the_codebook_defines_the_process_columns(cast):
    page = cast.login("command_a").get("/reports/export/codebook/").content.decode()
    for name, _meaning in process.PROCESS_COLUMNS:
        assert f"<code>{name}</code>" in page
    assert "Time to log" in page and "Fewer than 5" in page
