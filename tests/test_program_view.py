"""The program view and the program's digest: every agency of a program beside the others and
the whole, every count as it is shown outside an agency (1 to 10 as "<11"), over whole months
that have ended, and no agency's hidden month recoverable by subtraction from the whole, the
other agencies or another period; the digest once a month in the program's zone, to its
coordinators, exactly once."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from reports.metrics.disclosure import SMALL_CELL_MAX, Kind, shown_sum
from reports.models import Digest, ProgramDigest, PublishedMonth
from reports.program import last_month_published, officers_row, summed_row
from reports.program_digest import (
    months_published_by,
    program_digest_send,
    program_digests_send_due,
    reported_month,
)
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db

PHOENIX = ZoneInfo("America/Phoenix")
# The first Monday of December 2026, when November's digest is due.
MONDAY_0730 = datetime(2026, 12, 7, 7, 30, tzinfo=PHOENIX)
NOVEMBER = datetime(2026, 11, 1, 0, 0, tzinfo=PHOENIX)


def test_a_sum_of_months_is_exact_without_a_small_month_and_else_the_range_they_allow():
    def outside(cells):
        return shown_sum(cells, kind=Kind.POLICE_WORK, audience="outside")

    assert outside([14, 0, 12]) == "26"
    assert outside([0, 7, 0]) == "<11"  # one small month alone
    # 12 + 5 + 14: the 5 would be 31 - 12 - 14; only 27 to 36 is said.
    assert outside([12, 5, 14]) == "27–36"
    # Two small months say 2 to 20 whatever they add up to: "<11" for 3 + 4 beside "11–20"
    # for 6 + 6 would tell them apart.
    assert outside([3, 4]) == outside([6, 6]) == "2–20"
    # The agency's own staff see their police work exactly, small months included.
    assert shown_sum([12, 5, 14], kind=Kind.POLICE_WORK) == "31"


@pytest.mark.parametrize(
    "cells",
    [[1] * 10, [1, 1], [4, 4, 0], [10, 10, 11], [12, 5, 14], [0, 3, 0, 25], [9, 1, 30, 2]],
)
def test_a_sum_shown_is_the_same_whatever_its_small_months_hold(cells):
    """Ten agencies with one overdose reversal each, or a year of single ones: any small month
    changed to any other count from 1 to 10 leaves what is shown as it was."""
    shown = shown_sum(cells, kind=Kind.POLICE_WORK, audience="outside")
    for i, n in enumerate(cells):
        if 1 <= n <= SMALL_CELL_MAX:
            for other in range(1, SMALL_CELL_MAX + 1):
                changed = [*cells[:i], other, *cells[i + 1 :]]
                assert shown_sum(changed, kind=Kind.POLICE_WORK, audience="outside") == shown, (cells, i, other)


def test_officers_who_deflected_over_months_are_withheld_where_a_month_had_1_to_10():
    """September 15 officers, October 10, November none: 25 over the three months less
    September's 15 would say October had 10. An agency's officers over months are shown only
    where each month had none or at least 11, and the whole with them."""
    september = list(range(15))
    october = list(range(100, 110))
    three_months = [[september, october, []], [list(range(200, 212)), list(range(200, 215)), []]]
    assert officers_row(three_months, period=3) == (["—", "15"], "—")
    big = [[september, list(range(5, 20)), []], [list(range(200, 212)), [], []]]
    assert officers_row(big, period=3) == (["20", "12"], "32")
    # One month: each agency's count is a month's cell, and the whole the range they allow.
    assert officers_row([[october], [september]], period=1) == (["<11", "15"], "16–25")


def _program_shows(months: list[list[int]]) -> list[str]:
    """Everything a coordinator reads of one figure over the months, as they pass: each month
    on its own (a "last month" view or digest), each run of three and the whole run, each
    agency's and the whole program's."""
    n = len(months[0])
    windows = [range(i, i + 1) for i in range(n)] + [range(i, i + 3) for i in range(n - 2)] + [range(n)]
    shown = []
    for window in windows:
        cells, whole = summed_row([[each[i] for i in window] for each in months], kind=Kind.POLICE_WORK)
        shown += [*cells, whole]
    return shown


@pytest.mark.parametrize(
    "months",
    [
        [[12, 5, 14, 20]],  # 3-month sums less the other months would give the 5
        [[12, 5, 14, 20], [30, 0, 2, 11]],
        [[1, 40, 40, 1], [0, 0, 0, 3]],
        [[10, 10, 11, 0], [11, 0, 1, 50]],
    ],
)
def test_no_agencys_small_month_can_be_worked_out_from_any_periods_agencies_or_wholes(months):
    """A reader who sets every month, every run of months, every agency and every whole side
    by side still finds more than one count possible for each month of 1 to 10: every way of
    filling the small months with 1 to 10 that shows the same is found, by trying them all."""
    seen = _program_shows(months)
    small = [(a, i) for a, each in enumerate(months) for i, n in enumerate(each) if 1 <= n <= SMALL_CELL_MAX]
    possible: dict[tuple[int, int], set[int]] = {cell: set() for cell in small}
    for values in itertools.product(range(1, SMALL_CELL_MAX + 1), repeat=len(small)):
        trial = [list(each) for each in months]
        for (a, i), n in zip(small, values, strict=True):
            trial[a][i] = n
        if _program_shows(trial) == seen:
            for cell, n in zip(small, values, strict=True):
                possible[cell].add(n)
    assert small, "each case holds a small month"
    for cell, found in possible.items():
        assert months[cell[0]][cell[1]] in found
        assert len(found) > 1, (cell, found)


def _deflections(cast, agency_user, partner, n: int, when: datetime, **fields) -> None:
    officer = OfficerFactory(user=agency_user)
    for i in range(n):
        moment = when + timedelta(minutes=i)
        ReferralFactory(officer=officer, partner=partner, occurred_at=moment, created_at=moment, **fields)


def _published(cast) -> None:
    """What the beat has published by now: each program's months up to the last whose digest
    was due (the first Monday after it)."""
    for program in (cast.program_1, cast.program_2):
        months_published_by(program, timezone.now())


def _program_page(cast, who: str, query: str = "") -> str:
    """The program view as `who` reads it now, once the beat has published."""
    _published(cast)
    return cast.login(who).get(reverse("reports:program") + query).content.decode()


def _row(page: str, label: str) -> list[str]:
    """The cells of one figure's row on the program page: the agencies, then the whole (which
    the page shows first)."""
    row = re.search(rf">{re.escape(label)}(?: \([^<]*\))?</th>(.*?)</tr>", page, re.S).group(1)
    whole, *agencies = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    return [*agencies, whole]


def test_the_coordinator_sees_each_agency_beside_the_others_and_the_whole(cast):
    from tests.factories.core import UserFactory

    with time_machine.travel(datetime(2026, 12, 8, 9, tzinfo=PHOENIX), tick=False):
        last_month = datetime(2026, 11, 20, 9, tzinfo=PHOENIX)
        _deflections(cast, cast.officer_a1, cast.partner_y, 14, last_month)
        _deflections(cast, cast.officer_b, cast.partner_y, 3, last_month, naloxone_administered=True)
        officer_c = UserFactory(agency=cast.agency_c)
        _deflections(cast, officer_c, cast.partner_z, 40, last_month)
        # December's are not counted until December has ended.
        _deflections(cast, cast.officer_a1, cast.partner_y, 2, datetime(2026, 12, 2, 9, tzinfo=PHOENIX))
        page = _program_page(cast, "coordinator", "?months=1")
        page_2 = _program_page(cast, "coordinator_2")
    # November's partners' records are published with December's police work, once counted
    # (1 January): agency B's 3 of November are too few for them.
    with time_machine.travel(datetime(2027, 1, 12, 9, tzinfo=PHOENIX), tick=False):
        january = _program_page(cast, "coordinator", "?months=1")
    assert "Agency A Police Department" in page and "Agency B Sheriff" in page
    assert "Agency C" not in page  # the other program's
    # 14 and 3 make 17: agency B's "<11" would be 17 - 14, so the whole shows only what the
    # agencies' cells allow, and agency A, the coordinator's main figure, stays.
    assert _row(page, "Deflections") == ["14", "&lt;11", "15–24"]
    assert _row(page, "Overdose reversals (naloxone)") == ["0", "&lt;11", "&lt;11"]
    # Beside November's police work, October's partners' records: none.
    assert "What the partners recorded, October 2026" in page
    assert _row(page, "Accepted by a partner") == ["0", "0", "0"]
    assert _row(january, "Accepted by a partner") == ["0", "—", "—"]
    assert _row(page, "Officers who deflected") == ["&lt;11", "&lt;11", "2–20"]
    assert "Deflections logged in November 2026: whole months that have ended" in page
    # The second program's coordinator: its own agency, and 40 (police work, at least 11).
    assert "Agency A" not in page_2 and _row(page_2, "Deflections") == ["40", "40"]


def test_the_partners_records_cover_counted_months_and_an_agencys_few_clients_are_withheld(cast):
    """Agency A: 12 deflections accepted in November, and one on December 3; agency B: 3 in
    November. Read on January 12, the police work covers October to December and the partners'
    records September to November, the months counted (a window of days moved a day at a time
    would differ by a day's clients); B's are withheld, and the whole with them."""
    accepted = {"status": "accepted", "accepted_at": datetime(2026, 11, 30, tzinfo=PHOENIX)}
    _deflections(cast, cast.officer_a1, cast.partner_y, 12, datetime(2026, 11, 10, 9, tzinfo=PHOENIX), **accepted)
    _deflections(cast, cast.officer_b, cast.partner_y, 3, datetime(2026, 11, 12, 9, tzinfo=PHOENIX), **accepted)
    ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a2),
        partner=cast.partner_y,
        occurred_at=datetime(2026, 12, 3, 9, tzinfo=PHOENIX),
        status="accepted",
        accepted_at=datetime(2026, 12, 3, 10, tzinfo=PHOENIX),
    )
    with time_machine.travel(datetime(2027, 1, 12, 9, tzinfo=PHOENIX), tick=False):
        page = _program_page(cast, "coordinator")
    # The default: three months.
    assert "Deflections logged in October 2026 to December 2026" in page
    assert "What the partners recorded, September 2026 to November 2026" in page
    # Agency A's December holds 1: the sum shows as the range its months allow.
    assert _row(page, "Deflections") == ["13–22", "&lt;11", "14–32"]
    assert _row(page, "Accepted by a partner") == ["12", "—", "—"]
    assert _row(page, "Reached intake") == ["0", "—", "—"]
    assert "An agency's partners' records are withheld (—) where one of its months" in page


def test_a_small_month_is_never_given_away_by_a_longer_period_less_the_others(cast):
    """Agency A logged 12 in September, 5 in October and 14 in November. The last month shows
    14 and, a month before, the last month showed 5 as "<11" and September's 12: an exact
    three months (31) less them would be October's 5. So three and twelve months show the
    range the months allow, and the whole program too."""
    for month, n in ((9, 12), (10, 5), (11, 14)):
        _deflections(cast, cast.officer_a1, cast.partner_y, n, datetime(2026, month, 10, 9, tzinfo=PHOENIX))
    shown = {}
    for when, months in (
        (datetime(2026, 11, 8, 9), "1"),
        (datetime(2026, 12, 8, 9), "1"),
        (datetime(2026, 12, 8, 9), "3"),
    ):
        with time_machine.travel(when.replace(tzinfo=PHOENIX), tick=False):
            page = _program_page(cast, "coordinator", f"?months={months}")
        shown[when.month, months] = _row(page, "Deflections")
    assert shown[12, "1"] == ["14", "0", "14"]
    assert shown[11, "1"] == ["&lt;11", "0", "&lt;11"]
    assert shown[12, "3"] == ["27–36", "0", "27–36"]
    with time_machine.travel(datetime(2026, 12, 8, 9, tzinfo=PHOENIX), tick=False):
        year = _program_page(cast, "coordinator", "?months=12")
    assert _row(year, "Deflections") == ["27–36", "0", "27–36"]
    assert 'aria-current="page">Last 12 months<' in year


def test_a_superuser_picks_a_program_and_nobody_else_opens_another(cast):
    url = f"{reverse('reports:program')}?program={cast.program_2.pk}&months=12"
    with time_machine.travel(MONDAY_0730 + timedelta(days=1), tick=False):
        _published(cast)
        page = cast.login("admin").get(url).content.decode()
        digest = cast.login("admin").get(f"{reverse('reports:program_digest')}?program={cast.program_2.pk}")
    assert "Agency C Police Department" in page
    assert 'id="program-picker"' in page and 'name="months" value="12"' in page  # the period kept
    assert "Agency C Police Department" in digest.content.decode() and 'id="program-picker"' in digest.content.decode()
    assert cast.login("coordinator").get(url).status_code == 404
    assert cast.login("program_admin").get(url).status_code == 404
    assert cast.login("command_a").get(reverse("reports:program")).status_code == 404


# --- the program's monthly digest -----------------------------------------------------------


@pytest.fixture
def month(cast):
    """November: agency A's 12 deflections and agency B's 2; agency C's 5 (the other program)."""
    from tests.factories.core import UserFactory

    _deflections(cast, cast.officer_a1, cast.partner_y, 12, NOVEMBER + timedelta(days=17, hours=9))
    _deflections(cast, cast.officer_b, cast.partner_y, 2, NOVEMBER + timedelta(days=18, hours=9))
    _deflections(cast, UserFactory(agency=cast.agency_c), cast.partner_z, 5, NOVEMBER + timedelta(days=18))


def test_the_program_digest_goes_to_its_coordinators_with_every_count_as_shown_outside(cast, month):
    assert program_digests_send_due(now=MONDAY_0730) == 2  # both programs: 07:30 and 08:30 there
    digest = ProgramDigest.objects.get(program=cast.program_1)
    assert digest.month_start == NOVEMBER.date() and digest.recipients == [cast.coordinator.email]
    assert digest.subject.endswith(": the agencies in November 2026")
    text = digest.text
    assert "Deflections: whole program 13–22; Agency A Police Department 12; Agency B Sheriff's Office <11" in text
    # Its partners' records are of the three months counted, the last a month before: each part
    # headed with its months, so that November's deflections do not read beside three months'
    # acceptances.
    police, treated = text.split("Police work, November 2026:")[1].split("What the partners recorded, ")
    assert "Deflections: " in police and "Accepted by a partner" not in police
    assert treated.startswith("August 2026 to October 2026:\nAccepted by a partner: whole program")
    html = digest.html
    assert html.index("Police work, November 2026") < html.index(">Deflections<")
    assert html.index(">Deflections<") < html.index("What the partners recorded, August 2026 to October 2026")
    assert html.index("What the partners recorded, August") < html.index(">Accepted by a partner<")
    assert "Agency C" not in text and "Agency C" not in digest.html
    other = ProgramDigest.objects.get(program=cast.program_2)
    assert other.recipients == [cast.coordinator_2.email] and "whole program <11" in other.text
    # The agencies' own digests are their staff's: not the coordinators'.
    from reports.digest import digests_send_due

    digests_send_due(now=MONDAY_0730)
    for agency_digest in Digest.objects.all():
        assert cast.coordinator.email not in agency_digest.recipients
        assert cast.coordinator_2.email not in agency_digest.recipients


def test_the_program_digest_goes_once_however_often_the_task_runs(cast, month):
    assert program_digests_send_due(now=MONDAY_0730) == 2
    assert program_digests_send_due(now=MONDAY_0730) == 0
    # The Mondays after it, and the month's last day: nothing more until December has ended.
    for later in (7, 14, 24):
        assert program_digests_send_due(now=MONDAY_0730 + timedelta(days=later)) == 0
    assert program_digest_send(program_id=cast.program_1.pk, month_start=NOVEMBER.date()) is None
    assert ProgramDigest.objects.filter(program=cast.program_1).count() == 1
    assert len([m for m in mail.outbox if cast.coordinator.email in m.to]) == 1


def test_the_program_digest_waits_for_the_first_monday_at_seven_in_the_programs_own_zone(cast, month):
    # December 1 to 6: November has ended, but its digest waits for the month's first Monday.
    assert reported_month(cast.program_1, datetime(2026, 12, 1, 9, tzinfo=PHOENIX)) == (NOVEMBER.date(), False)
    assert program_digests_send_due(now=datetime(2026, 12, 4, 12, tzinfo=PHOENIX)) == 0
    # 06:30 in Phoenix (the first program), 07:30 in Chicago (the second): only the second's.
    assert program_digests_send_due(now=MONDAY_0730 - timedelta(hours=1)) == 1
    assert list(ProgramDigest.objects.values_list("program", flat=True)) == [cast.program_2.pk]
    # An hour later the first program's goes; the second's is not sent again.
    assert program_digests_send_due(now=MONDAY_0730) == 1
    assert ProgramDigest.objects.filter(month_start=NOVEMBER.date()).count() == 2
    # A month whose first day is a Monday: due that day (February 2027 reports January).
    assert reported_month(cast.program_1, datetime(2027, 2, 1, 7, 0, tzinfo=PHOENIX)) == (
        datetime(2027, 1, 1).date(),
        True,
    )


def test_the_coordinator_reads_the_months_program_digest_in_the_app_as_it_is_mailed(cast, month):
    with time_machine.travel(MONDAY_0730 - timedelta(hours=2), tick=False):  # before it goes
        coordinator = cast.login("coordinator")
        program = coordinator.get(reverse("reports:program")).content.decode()
        assert 'href="/reports/program/digest/"' in program and ">Monthly digest<" in program
        page = coordinator.get(reverse("reports:program_digest")).content.decode()
        assert "the agencies in November 2026" in page
        assert "Goes out Mon Dec 7, 2026 at 07:00, program time" in page
        # November is counted when it is published, with the digest: not before.
        assert "November 2026 is counted when it is published" in page and "<table" not in page
        assert "November 2026 is published on Mon Dec 7, 2026 at 07:00" in program
    with time_machine.travel(MONDAY_0730, tick=False):
        program_digests_send_due()
        page = cast.login("coordinator").get(reverse("reports:program_digest")).content.decode()
    assert "Sent " in page and "to 1 recipient." in page
    # November's, with every count as shown outside an agency (the mail's own rule).
    assert _row(page, "Deflections") == ["12", "&lt;11", "13–22"]
    assert "Agency C" not in page
    assert cast.login("coordinator_2").get(reverse("reports:program_digest")).status_code == 200
    assert cast.login("command_a").get(reverse("reports:program_digest")).status_code == 404


def test_the_agencys_dashboard_and_the_program_view_count_the_same_month(cast):
    """Each agency's month on its own calendar, as its dashboard counts it: a deflection just
    before midnight on November 30 is November's, one just after is December's."""
    from reports import metrics

    _deflections(cast, cast.officer_a1, cast.partner_y, 12, datetime(2026, 11, 30, 23, 30, tzinfo=PHOENIX))
    _deflections(cast, cast.officer_a1, cast.partner_y, 1, datetime(2026, 11, 1, 0, 1, tzinfo=PHOENIX))
    _deflections(cast, cast.officer_a1, cast.partner_y, 3, datetime(2026, 12, 1, 0, 5, tzinfo=PHOENIX))
    november = metrics.Scope(cast.agency_a.pk, NOVEMBER, datetime(2026, 12, 1, tzinfo=PHOENIX))
    with time_machine.travel(datetime(2026, 12, 7, 10, tzinfo=PHOENIX), tick=False):
        program = _program_page(cast, "coordinator", "?months=1")
    assert metrics.deflections(november) == 13
    assert _row(program, "Deflections")[0] == "13"


# --- published months ----------------------------------------------------------------------


def test_a_published_month_does_not_change_as_partners_and_officers_record_late(cast, month):
    """November is published on December 7. On the 8th a partner records the acceptance of
    November's clients, and an officer logs a deflection of November 29: read live, today's
    figures less yesterday's would be those late records. The program view and the digest
    keep November as it was published."""
    program_digests_send_due(now=MONDAY_0730)
    with time_machine.travel(datetime(2026, 12, 8, 9, tzinfo=PHOENIX), tick=False):
        before = _program_page(cast, "coordinator", "?months=1")
        late = datetime(2026, 12, 8, 8, tzinfo=PHOENIX)
        ReferralFactory(
            officer=OfficerFactory(user=cast.officer_a2),
            partner=cast.partner_y,
            occurred_at=datetime(2026, 11, 29, 22, tzinfo=PHOENIX),
            created_at=late,
        )
    with time_machine.travel(datetime(2026, 12, 9, 9, tzinfo=PHOENIX), tick=False):
        after = _program_page(cast, "coordinator", "?months=1")
        program_digests_send_due()
    assert _row(before, "Deflections") == _row(after, "Deflections") == ["12", "&lt;11", "13–22"]
    assert "counted when each month was published" in after
    assert ProgramDigest.objects.filter(program=cast.program_1).count() == 1
    # The agency's own staff read it live: their dashboard has the late deflection.
    from reports import metrics

    november = metrics.Scope(cast.agency_a.pk, NOVEMBER, datetime(2026, 12, 1, tzinfo=PHOENIX))
    assert metrics.deflections(november) == 13


def test_the_partners_records_of_a_month_are_published_once_counted_and_never_move(cast):
    """November: 24 of agency A's deflections, 12 accepted on December 10, before November's
    count day (January 1). They are published with December's police work (January 4), as
    agency A's own dashboard counts November; an acceptance recorded after moves neither."""
    from referrals import services
    from referrals.models import Referral

    _deflections(cast, cast.officer_a1, cast.partner_y, 24, datetime(2026, 11, 10, 9, tzinfo=PHOENIX))
    referrals = list(Referral.objects.filter(agency=cast.agency_a).order_by("pk"))
    with time_machine.travel(datetime(2026, 12, 10, 9, tzinfo=PHOENIX), tick=False):
        for referral in referrals[:12]:
            services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
        december = _program_page(cast, "coordinator", "?months=1")
    with time_machine.travel(datetime(2027, 1, 12, 9, tzinfo=PHOENIX), tick=False):
        january = _program_page(cast, "coordinator", "?months=1")
        services.referral_accept(referral_id=referrals[12].pk, actor=cast.case_manager_y)
        again = _program_page(cast, "coordinator", "?months=1")
        dashboard = cast.login("command_a").get("/reports/dashboard/", {"start": "2026-11", "end": "2026-11"})
    # In December, beside November's police work, October's partners' records.
    assert "What the partners recorded, October 2026" in december
    assert _row(december, "Deflections")[0] == "24" and _row(december, "Accepted by a partner")[0] == "0"
    assert "What the partners recorded, November 2026" in january
    assert _row(january, "Accepted by a partner") == _row(again, "Accepted by a partner") == ["12", "0", "12"]
    assert ("Accepted", "12") in dashboard.context["charts"]["funnel_rows"]
    published = PublishedMonth.objects.get(agency=cast.agency_a, month=datetime(2026, 11, 1).date())
    assert published.treatment_counts["accepted"] == 12
    assert published.treatment_published_at.astimezone(PHOENIX).date() == datetime(2027, 1, 12).date()


def test_reading_the_program_view_publishes_nothing_and_says_when_the_first_month_comes(cast, month):
    with time_machine.travel(datetime(2026, 12, 3, 9, tzinfo=PHOENIX), tick=False):
        page = cast.login("coordinator").get(reverse("reports:program")).content.decode()
        cast.login("coordinator").get(reverse("reports:program_digest"))
    assert not PublishedMonth.objects.exists()
    assert "No month has been published yet" in page and "<table" not in page
    assert "November 2026 is published on Mon Dec 7, 2026 at 07:00" in page


def test_publishing_twice_adds_nothing_and_an_agency_that_joins_gets_its_months(cast, month):
    from tests.factories.core import AgencyFactory, UserFactory

    program_digests_send_due(now=MONDAY_0730)
    published = PublishedMonth.objects.count()
    # Agencies A, B (first program) and C: twelve months each, and the month before them, whose
    # partners' records a year's view shows.
    assert published == 3 * 13
    program_digests_send_due(now=MONDAY_0730 + timedelta(hours=1))
    assert PublishedMonth.objects.count() == published
    joined = AgencyFactory(name="Agency D Marshal", program=cast.program_1)
    _deflections(cast, UserFactory(agency=joined), cast.partner_y, 11, NOVEMBER + timedelta(days=3, hours=9))
    with time_machine.travel(MONDAY_0730 + timedelta(hours=2), tick=False):
        # Until the beat runs, its column (and the whole) are withheld, not a silent 0.
        page = cast.login("coordinator").get(reverse("reports:program") + "?months=1").content.decode()
        assert _row(page, "Deflections") == ["12", "&lt;11", "—", "—"]
        assert program_digests_send_due() == 0  # November's digest went already
        page = cast.login("coordinator").get(reverse("reports:program") + "?months=1").content.decode()
    assert _row(page, "Deflections") == ["12", "&lt;11", "11", "24–33"]
    assert PublishedMonth.objects.filter(agency=joined).count() == 13


def test_an_agency_far_behind_the_programs_zone_is_published_when_its_month_has_ended(cast):
    """A program in Guam, one of its agencies in Honolulu (20 hours behind). February 1, 2027
    is a Monday: at 07:30 there January is not over in Honolulu, so it is not published there
    yet and the digest waits, rather than go out with that agency's column withheld."""
    from tests.factories.core import AgencyFactory, ProgramFactory, UserFactory

    program = ProgramFactory(name="Pacific Islands Deflection Program", timezone="Pacific/Guam")
    guam = AgencyFactory(name="Guam Police", program=program, timezone="Pacific/Guam")
    honolulu = AgencyFactory(name="Honolulu Police", program=program, timezone="Pacific/Honolulu")
    UserFactory(role="command", program=program, agency=None, email="pacific@example.org")
    for agency, zone in ((guam, "Pacific/Guam"), (honolulu, "Pacific/Honolulu")):
        when = datetime(2027, 1, 20, 9, tzinfo=ZoneInfo(zone))
        _deflections(cast, UserFactory(agency=agency), cast.partner_y, 12, when)
    monday = datetime(2027, 2, 1, 7, 30, tzinfo=ZoneInfo("Pacific/Guam"))
    with time_machine.travel(monday, tick=False):
        program_digests_send_due()
    january = datetime(2027, 1, 1).date()
    assert list(PublishedMonth.objects.filter(month=january).values_list("agency__name", flat=True)) == ["Guam Police"]
    assert not ProgramDigest.objects.filter(program=program, sent_at__isnull=False).exists()
    # Meanwhile the view stays on December, whole, rather than January with Honolulu withheld.
    assert last_month_published(program) == datetime(2026, 12, 1).date()
    with time_machine.travel(monday + timedelta(hours=17), tick=False):  # 04:30 on Feb 1 in Honolulu
        program_digests_send_due()
    digest = ProgramDigest.objects.get(program=program)
    assert digest.month_start == january
    assert "Deflections: whole program 24; Guam Police 12; Honolulu Police 12" in digest.text


def test_between_seven_and_the_beat_the_page_says_the_month_is_being_published(cast, month):
    from reports.program import months_publish

    with time_machine.travel(MONDAY_0730 - timedelta(days=7), tick=False):
        months_publish(cast.program_1, through=datetime(2026, 10, 1).date())
    with time_machine.travel(MONDAY_0730, tick=False):
        page = cast.login("coordinator").get(reverse("reports:program") + "?months=1").content.decode()
    assert "November 2026 is being published: its figures appear here within minutes" in page
    assert "Deflections logged in October 2026" in page


@pytest.mark.django_db(transaction=True)
def test_a_month_is_counted_in_one_snapshot_of_the_database(cast, month):
    """Outside a transaction (as the beat runs it) publishing opens its own, at repeatable read
    on PostgreSQL: the month's counts and its check come from the same rows."""
    from reports.program import months_publish

    # Two agencies' thirteen months of police work, and the partners' records of the twelve up
    # to October (November's are counted on 1 January).
    assert months_publish(cast.program_1, through=NOVEMBER.date(), now=MONDAY_0730) == 2 * 13 + 2 * 12
    row = PublishedMonth.objects.get(agency=cast.agency_a, month=NOVEMBER.date())
    assert row.counts["deflections"] == 12 and len(row.officers) == 1
    assert row.treatment_counts is None
    october = PublishedMonth.objects.get(agency=cast.agency_a, month=NOVEMBER.date().replace(month=10))
    assert october.treatment_counts == {"accepted": 0, "intake": 0, "reengagements": 0}
