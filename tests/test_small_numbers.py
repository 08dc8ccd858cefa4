"""Small numbers are the wins (DESIGN.md, "Small cells"), on hand-built data: the agency's own
police work is exact for its own staff, the partners' treatment records show 1 to 10 as <11
and cannot be worked out from a total, and whatever leaves the agency shows <11 for both."""

from __future__ import annotations

import csv
import html
import io
import itertools
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from deflection.models import User
from reports import metrics, process
from reports.digest import digest_render, reported_week
from tests.factories.buyin import OfficerFeedbackFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def _last_week(agency) -> datetime:
    """Monday 00:00 (agency time) of the week the digest reports now."""
    week_start, _due = reported_week(agency, timezone.now())
    return datetime.combine(week_start, time.min, tzinfo=ZoneInfo(agency.timezone))


def _referral(officer, partner, when, *, intake: bool = False, **fields):
    if intake:
        fields.update(status="in_progress", accepted_at=when + timedelta(hours=2), intake_at=when + timedelta(hours=20))
    return ReferralFactory(officer=officer, partner=partner, occurred_at=when, created_at=when, **fields)


PHOENIX = ZoneInfo("America/Phoenix")  # the cast agencies' zone
MAY_25 = datetime(2026, 5, 25, tzinfo=PHOENIX)  # a Monday: its week ends with the month


def _small_week(cast, monday: datetime) -> list:
    """3 deflections by officer A1 from `monday`, one with naloxone, all 3 accepted by partner
    Y and at intake."""
    officer = OfficerFactory(user=cast.officer_a1)
    return [
        _referral(
            officer, cast.partner_y, monday + timedelta(days=day, hours=10), intake=True, naloxone_administered=day == 1
        )
        for day in range(3)
    ]


@pytest.fixture
def small_week(cast):
    """Agency A, the week just ended: _small_week."""
    return _small_week(cast, _last_week(cast.agency_a))


@pytest.fixture
def counted_may(cast):
    """_small_week in the week of May 25 to 31, read on Wednesday, July 8: May's partners'
    records are counted (from 1 July: referrals.models.count_day), and the week the digest
    reports is June 29 to July 5."""
    with time_machine.travel(datetime(2026, 7, 8, 12, 0, tzinfo=PHOENIX), tick=False):
        yield _small_week(cast, MAY_25)


def test_command_staff_read_their_agencys_small_week_exactly_on_the_dashboard(cast, counted_may):
    page = cast.login("command_a").get("/reports/dashboard/")
    body = page.content.decode()
    assert 'data-figure="deflections">3<' in body
    assert 'data-figure="overdose_reversals">1<' in body
    # The 3 intakes are the partner's records of 3 clients the agency knows: nothing of them is
    # shown, not even "<11" (beside "Logged 3" it is 1 to 3, and a 0 would be none of them).
    funnel = dict(page.context["charts"]["funnel_rows"])
    assert (funnel["Logged"], funnel["Accepted"], funnel["Intake"]) == ("3", "—", "—")
    assert 'data-figure="engagement">—<' in body and 'data-figure="time_to_intake">—<' in body
    assert "data-treatment-withheld" in body
    # The page says which rule each figure follows.
    assert "own police work, shown exactly to its own staff" in body
    assert "Counts from the partners’ treatment records" in body.replace("'", "’")


def test_the_withheld_note_gives_advice_the_reader_can_follow(cast, counted_may):
    """Fewer filters only where the reader chose one: not to command staff with none, nor to a
    supervisor, whose page is of their unit whatever they choose; all are told what does help."""
    command = cast.login("command_a").get("/reports/dashboard/").content.decode()
    supervisor = cast.login("supervisor_a").get("/reports/dashboard/").content.decode()
    for page in (command, supervisor):
        assert "data-treatment-withheld" in page
        assert "fewer filters" not in page and "Choose other months: a month with so few is withheld" in page
        # Which month: the reader can leave it out (each month alone is withheld too).
        assert "The month with so few: May 2026." in page
    # With a filter chosen, there is one to take off: for command staff the unit, for the
    # supervisor a pathway (their unit stays).
    for who, query in (
        ("command_a", {"unit": cast.officer_a1.unit_id}),
        ("supervisor_a", {"pathway": "self_referral"}),
    ):
        filtered = cast.login(who).get("/reports/dashboard/", query).content.decode()
        assert "data-treatment-withheld" in filtered and "Choose other months, or fewer filters." in filtered


def test_command_staff_read_their_agencys_small_week_exactly_on_the_command_page(cast, counted_may):
    body = cast.login("command_a").get("/reports/command/", {"days": "90"}).content.decode()
    assert 'id="count-deflections">3<' in body and 'id="count-reversals">1<' in body
    pathways = body[body.index("Deflections by pathway") : body.index("Where the referrals stand")]
    assert '<td class="text-end">3</td>' in pathways
    statuses = _status_cells(body)
    # All three are "In treatment" (the partner's record): never 3, and not to be worked out from the 3 deflections.
    assert statuses["In treatment"] in ("<11", "—")
    assert _recoverable(statuses, total=3) == set()


def test_command_staff_read_their_agencys_small_week_exactly_in_the_digest(cast, counted_may):
    rendered = digest_render(agency=cast.agency_a, week_start=MAY_25.date())
    assert "3 deflections" in rendered.subject
    expected = [
        # The agency's own police work, exactly.
        "Deflections this week: 3 (last week: 0)",
        "Overdose reversals: 1",
        "- Officer prevention referral: 3 / 0",
        # Which rule each follows, said under the figures.
        "own police work, shown exactly",
        "show 1 to 10 as <11",
    ]
    assert [line for line in expected if line not in rendered.text] == []
    assert "Deflections per week" in rendered.chart_alt and "<11" not in rendered.chart_alt
    # Treatment records of May's 3 clients, whom the agency knows, in the first digest after
    # they are counted (March to May): nothing, not even "<11", in the funnel or per partner
    # (reports/metrics/cohorts.py).
    counted = digest_render(agency=cast.agency_a, week_start=_last_week(cast.agency_a).date()).text
    assert "What the partners recorded, March 2026 to May 2026" in counted
    assert "- Logged: 3\n- Accepted by a partner: —\n- Reached intake: —" in counted
    assert "- Y 24/7 MAT Clinic: 3 / —" in counted
    # The preview in the browser, as the program administrator (inside the program) reads it.
    preview = cast.login("program_admin").get("/reports/digest/", {"agency": cast.agency_a.pk}).content.decode()
    assert 'data-figure="this-week">0<' in preview and "What the partners recorded" in preview


def test_the_officer_reads_their_own_small_numbers_exactly(cast, small_week):
    body = cast.login("officer_a1").get("/reports/my-record/").content.decode()
    assert 'data-figure="this-year">3<' in body
    assert re.search(r"Overdose reversals</div>\s*<div[^>]*>1</div>", body)


def test_whatever_leaves_the_agency_shows_under_eleven_for_police_work_too(cast, small_week):
    # The figures themselves, as the rule gives them to an outside audience.
    outside = metrics.Audience.OUTSIDE
    assert metrics.shown_count(3, kind=metrics.Kind.POLICE_WORK, audience=outside) == "<11"
    assert metrics.shown_count(1, kind=metrics.Kind.POLICE_WORK, audience=outside) == "<11"
    assert metrics.shown_count(3, kind=metrics.Kind.TREATMENT, audience=outside) == "<11"
    # The evaluation export's aggregates: feedback asked on the 3 deflections, 1 of them harder.
    for referral in small_week:
        OfficerFeedbackFactory(referral=referral, answered_at=referral.occurred_at)
    monday = _last_week(cast.agency_a)
    response = cast.login("command_a").post(
        "/reports/export/",
        {
            "start": f"{monday:%Y-%m}",
            "end": f"{monday + timedelta(days=6):%Y-%m}",
            "file_format": "csv",
            "dataset": "process",
        },
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    total = dict(zip(rows[0], next(r for r in rows if r[0] == "feedback_total"), strict=True))
    # 3 answers are under the export's floor of 11: the whole cell is withheld, no 3 in it.
    assert total["asked"] == total["answered"] == total["easier"] == "withheld"
    not_counts = {"table", "group", "booking_minutes", "median_seconds", "p90_seconds"}
    counts = {name for name, _m in process.PROCESS_COLUMNS if not name.endswith("_share")} - not_counts
    for row in rows[1:]:
        cells = dict(zip(rows[0], row, strict=True))
        assert not {cells[name] for name in counts} & {str(n) for n in range(1, 11)}, row


@pytest.fixture
def one_reason_hidden(cast):
    """Monday, May 25: 15 deflections in treatment and 3 declined by the partner (one month:
    the dashboard shows the partners' records only over months of at least 11 deflections),
    read on July 8, when May is counted."""
    officer = OfficerFactory(user=cast.officer_a1)
    for i in range(15):
        _referral(officer, cast.partner_y, MAY_25 + timedelta(hours=10, minutes=i), intake=True)
    for i in range(3):
        _referral(officer, cast.partner_x, MAY_25 + timedelta(hours=11, minutes=i), status="rejected")
    with time_machine.travel(datetime(2026, 7, 8, 12, 0, tzinfo=PHOENIX), tick=False):
        yield


def test_a_hidden_treatment_count_cannot_be_worked_out_from_the_exact_total(cast, one_reason_hidden):
    body = cast.login("command_a").get("/reports/command/", {"days": "90"}).content.decode()
    assert 'id="count-deflections">18<' in body  # police work: exact
    statuses = _status_cells(body)
    # 18 logged less 15 in treatment would tell the 3 declined, and so would the funnel's 15
    # accepted beside the 18: the month is cut into a part of 3 (not accepted), so every
    # status is withheld (reports/metrics/cohorts.py).
    assert set(statuses.values()) == {"—"}
    assert _recoverable(statuses, total=18) == set()


def test_a_rate_over_the_exact_deflections_does_not_tell_a_small_treatment_count(cast, one_reason_hidden):
    body = cast.login("command_a").get("/reports/dashboard/").content.decode()
    assert 'data-figure="deflections">18<' in body
    # 15 of 18 reached intake: 83% would tell the 3 who did not, and so would "Intake 15" beside
    # "Logged 18". The partners' figures of the month are withheld.
    assert 'data-figure="engagement">—<' in body and "83%" not in body
    assert 'data-figure="time_to_intake">—<' in body


def test_no_small_treatment_cell_of_a_three_cell_table_is_ever_recoverable():
    values = [0, 1, 2, 3, 9, 10, 11, 12, 20]
    for cells in itertools.product(values, repeat=3):
        shown = metrics.shown_parts(list(cells), kind=metrics.Kind.TREATMENT)
        assert all(s != str(n) for s, n in zip(shown, cells, strict=True) if 1 <= n <= 10), cells
        assert _recoverable(dict(enumerate(shown)), total=sum(cells)) == set(), (cells, shown)


def test_the_codebook_says_which_rule_each_metric_follows(cast):
    text = cast.login("command_a").get("/reports/export/codebook/", {"download": "1"}).content.decode()
    deflections = text[text.index("\nDeflections\n") :][:400]
    assert "the agency's own police work: exact for the agency's own staff" in deflections
    retention = text[text.index("Retention at 30/60/90 days") :][:600]
    assert "from the partners' treatment records (42 CFR Part 2): 1 to 10 as <11" in retention
    assert "Whatever leaves the agency (this export" in text


# --- helpers ---------------------------------------------------------------------------


def _status_cells(body: str) -> dict[str, str]:
    """The command page's "Where the referrals stand" table: status -> count as shown."""
    table = body[body.index("Where the referrals stand") :]
    table = table[: table.index("</table>")]
    return {
        html.unescape(label): html.unescape(n)
        for label, n in re.findall(r"<tr><td>([^<]+)</td><td[^>]*>([^<]*)</td>", table)
    }


def _recoverable(shown: dict, *, total: int) -> set:
    """The "<11" cells a reader who knows the total could pin to one value: every way of
    filling the hidden cells ("<11": 1 to 10; "—": any count) that adds up to the total, tried."""
    exact = sum(int(s.replace(",", "")) for s in shown.values() if s not in ("<11", "—"))
    hidden = [key for key, s in shown.items() if s in ("<11", "—")]
    if not hidden:
        return set()
    rest = total - exact
    ranges = [range(1, 11) if shown[key] == "<11" else range(rest + 1) for key in hidden]
    seen: dict = {key: set() for key in hidden}
    for filling in itertools.product(*ranges[:-1]):
        last = rest - sum(filling)
        if last in ranges[-1]:
            for key, value in zip(hidden, (*filling, last), strict=True):
                seen[key].add(value)
    assert any(seen.values()), "the cells shown cannot add up to the total"
    return {key for key, values in seen.items() if len(values) == 1 and shown[key] == "<11"}


# --- a table of rows and columns: the held charges by month -----------------------------------

CHARGE_PARTS = ("satisfied", "not_satisfied", "pending")


def _charge_table(months: list[tuple[int, int, int]]) -> tuple[dict, dict]:
    """Each month's (satisfied, not satisfied, pending), as charge_rows shows them with their
    total row, and the true values: {(row, column): count}, rows "All" then 0, 1, ..."""
    from datetime import date

    from reports.dashboard import charge_rows
    from reports.metrics.charges import ChargeFigures, Charges

    def charges(sat: int, not_sat: int, pending: int) -> Charges:
        return Charges(held=sat + not_sat + pending, satisfied=sat, not_satisfied=not_sat, pending=pending)

    total = charges(*(sum(column) for column in zip(*months, strict=True)))
    rows = [(date(2026, 9 + i, 1), charges(*m)) for i, m in enumerate(months)]
    shown = charge_rows(ChargeFigures(total=total, months=rows, units={}), unit_names={})
    table = {("All", name): shown["total"][name] for name in ("held", *CHARGE_PARTS)}
    table |= {(i, name): row[name] for i, row in enumerate(shown["months"]) for name in ("held", *CHARGE_PARTS)}
    truth = {("All", name): getattr(total, name) for name in ("held", *CHARGE_PARTS)}
    truth |= {(i, name): getattr(c, name) for i, (_m, c) in enumerate(rows) for name in ("held", *CHARGE_PARTS)}
    return table, truth


def _pinned_by_the_table(shown: dict, truth: dict) -> set:
    """The "<11" cells a reader could pin to one value from everything the table shows: every
    filling of its hidden cells ("<11": 1 to 10; "—": 0 up to the grand total) in which each
    row's parts add up to its held and each column of the months to the total's, tried (row by
    row, keeping the column sums so far)."""
    columns = ("held", *CHARGE_PARTS)
    months = sorted({row for row, _name in shown if row != "All"})
    most = truth["All", "held"]

    def fits(text: str, n: int) -> bool:
        return 1 <= n <= 10 if text == "<11" else True if text == "—" else n == int(text.replace(",", ""))

    def choices(text: str) -> range:
        return range(1, 11) if text == "<11" else range(most + 1) if text == "—" else [int(text.replace(",", ""))]

    def fillings(row) -> list[tuple]:
        *first, last = (choices(shown[row, name]) for name in CHARGE_PARTS)
        held = shown[row, "held"]
        found = []
        for p in itertools.product(*first):
            # With the held shown, the last part is what is left of it.
            ends = [int(held.replace(",", "")) - sum(p)] if held not in ("<11", "—") else last
            found += [(sum(p) + n, *p, n) for n in ends if n in last and fits(held, sum(p) + n)]
        return found

    def plus(sums: tuple, filling: tuple) -> tuple:
        return tuple(a + b for a, b in zip(sums, filling, strict=True))

    options = [fillings(row) for row in months]
    reached = [{(0, 0, 0, 0)}]
    for row_options in options:
        reached.append({plus(s, f) for s in reached[-1] for f in row_options})
    good = [set() for _ in reached]
    good[-1] = {s for s in reached[-1] if all(fits(shown["All", n], v) for n, v in zip(columns, s, strict=True))}
    seen: dict = {("All", n): {s[i] for s in good[-1]} for i, n in enumerate(columns)}
    for i in range(len(months) - 1, -1, -1):
        used = [(s, f) for s in reached[i] for f in options[i] if plus(s, f) in good[i + 1]]
        good[i] = {s for s, _f in used}
        for j, name in enumerate(columns):
            seen[months[i], name] = {f[j] for _s, f in used}
    assert all(truth[key] in values for key, values in seen.items()), "the true values must be one filling"
    return {key for key, values in seen.items() if shown[key] == "<11" and len(values) == 1}


def test_a_charge_withheld_in_its_month_is_not_given_back_by_its_column():
    # What a reader did with the digest: November's satisfied was withheld beside its "<11"
    # not satisfied, yet the column's total less September's and October's gave it back
    # (54 - 19 - 21 = 14), and then November's held less 14 and the 15 pending gave the 1.
    shown, truth = _charge_table([(19, 12, 9), (21, 13, 11), (14, 1, 15)])
    assert shown[2, "not_satisfied"] == "<11"
    assert _pinned_by_the_table(shown, truth) == set()
    # Only as much is withheld as that takes: the total row and September stay exact.
    assert [shown["All", name] for name in ("held", *CHARGE_PARTS)] == ["115", "54", "26", "35"]
    assert shown[0, "held"] == "40"


@pytest.mark.parametrize("seed", range(40))
def test_no_small_charge_cell_of_a_month_table_can_be_worked_out(seed):
    import random

    rnd = random.Random(seed)
    months = [tuple(rnd.choice([0, 1, 2, 5, 9, 10, 11, 12, 14]) for _ in CHARGE_PARTS) for _ in range(2)]
    shown, truth = _charge_table(months)
    assert all(s != str(truth[key]) for key, s in shown.items() if 1 <= truth[key] <= 10), months
    assert _pinned_by_the_table(shown, truth) == set(), (months, shown)


def test_the_share_satisfied_tells_nothing_the_cells_do_not():
    """Beside a "<11" part, the share is the bound the shown cells give: the same whatever
    the hidden count (from the true count, "at least 28%" of 14 decided gave back 12 and 2)."""
    from reports.dashboard import _charge_share
    from reports.metrics.charges import Charges

    def share(sat: int, not_sat: int) -> str:
        shown = [metrics.shown_count(n, kind=metrics.Kind.TREATMENT) for n in (sat, not_sat)]
        return _charge_share(Charges(sat + not_sat, sat, not_sat, 0), *shown)

    assert {share(12, n) for n in range(1, 11)} == {"≥54%"}
    assert {share(n, 30) for n in range(1, 11)} == {"≤25%"}
    # Beside a 0 fewer than 11 were decided, whatever the "<11" hides: "n<11", not "≤100%".
    assert {share(n, 0) for n in range(1, 11)} == {share(0, n) for n in range(1, 11)} == {"n<11"}
    assert {share(a, b) for a in range(1, 11) for b in range(1, 11)} == {"—"}
    assert share(12, 13) == "48%"


def test_no_scorecard_rate_or_reason_gives_a_small_acceptance_back_from_the_funnels_total():
    """Partner A accepted 5 of 40 (shown as a bound); B 30 of 50. B's exact rate would give 30
    back, and the funnel's exact 35 accepted less it A's 5: B's rate is withheld too, and so
    are the reasons beside a rate that is not exact (received less them is the acceptance)."""
    from reports.dashboard import scorecard_rows

    def score(pk, accepted, rejections, received=40):
        return metrics.PartnerScore(
            partner_id=pk,
            name=f"P{pk}",
            tier="",
            received=received,
            accepted=accepted,
            intake=accepted,
            median_hours_to_accept=None,
            rejections=rejections,
        )

    rows = scorecard_rows([score(1, 5, [("No capacity", 35)]), score(2, 30, [("Other", 20)], received=50)])
    a, b = rows
    assert a["acceptance_shown"].startswith("≤") and b["acceptance_shown"] == "—"
    assert a["rejections_shown"] == [] and b["rejections_shown"] == []
    # With both exact, the reasons are shown, a lone small one taking another with it.
    rows = scorecard_rows([score(1, 20, [("No capacity", 20)]), score(2, 25, [("No capacity", 5), ("Other", 20)], 50)])
    assert [r["acceptance_shown"] for r in rows] == ["50%", "50%"]
    assert rows[0]["rejections_shown"] == [("No capacity", "20")]
    assert rows[1]["rejections_shown"] == [("No capacity", "<11"), ("Other", "—")]


def test_the_withheld_note_names_the_months_in_the_readers_language(cast, counted_may):
    """April's one deflection and May's three: both months are named, in Spanish too (whose
    plural has three forms; one left out read in English)."""
    _referral(OfficerFactory(user=cast.officer_a1), cast.partner_y, datetime(2026, 4, 8, 10, tzinfo=PHOENIX))
    User.objects.filter(pk=cast.command_a.pk).update(language="es")
    with time_machine.travel(datetime(2026, 7, 8, 12, 0, tzinfo=PHOENIX), tick=False):
        page = cast.login("command_a").get("/reports/dashboard/", {"start": "2026-04", "end": "2026-05"})
    assert "Los meses con tan pocos: abril de 2026, mayo de 2026." in page.content.decode()
