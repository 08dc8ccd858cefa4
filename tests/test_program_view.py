"""The program view and the program's digest: every agency of a program beside the others and
the whole, every count as it is shown outside an agency (1 to 10 as "<11"), and no agency's
hidden count recoverable by subtraction from the whole and the other agencies; the digest
once a week in the program's zone, to its coordinators, exactly once."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from reports.metrics.disclosure import SMALL, SMALL_CELL_MAX, WITHHELD, Kind
from reports.models import Digest, ProgramDigest
from reports.program import shown_row
from reports.program_digest import program_digest_send, program_digests_send_due
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db

PHOENIX = ZoneInfo("America/Phoenix")
MONDAY_0730 = datetime(2026, 11, 23, 7, 30, tzinfo=PHOENIX)
WEEK_START = datetime(2026, 11, 16, 0, 0, tzinfo=PHOENIX)


def _possible(cells: list[str], whole: str) -> list[set[int]]:
    """Every count each agency could have, to a reader who knows the whole and the cells:
    an exact cell is itself, "<11" any of 1 to 10, a withheld one anything; together they
    add up to the whole, or to one of the range it shows ("26–35")."""
    low, _dash, high = whole.replace(",", "").partition("–")
    low, high = int(low), int(high or low)
    options = []
    for cell in cells:
        if cell == SMALL:
            options.append(range(1, SMALL_CELL_MAX + 1))
        elif cell == WITHHELD:
            options.append(range(0, high + 1))
        else:
            options.append([int(cell.replace(",", ""))])
    found: list[set[int]] = [set() for _ in cells]
    for counts in itertools.product(*options):
        if low <= sum(counts) <= high:
            for i, n in enumerate(counts):
                found[i].add(n)
    return found


@pytest.mark.parametrize(
    "parts",
    [
        [25, 4, 0],  # one small agency: the whole less the big one would tell it
        [20, 1, 1],  # two small ones that can only be 1 each
        [40, 10, 10],  # two small ones that can only be 10 each
        [12, 7, 9],
        [30, 12],
        [3, 0, 0],
        [9, 1],
        [11, 10, 10, 0],
    ],
)
@pytest.mark.parametrize("kind", [Kind.POLICE_WORK, Kind.TREATMENT])
def test_no_agencys_small_count_can_be_worked_out_from_the_whole(parts, kind):
    cells, whole = shown_row(parts, kind=kind)
    total = sum(parts)
    # Outside the agency every count from 1 to 10 is "<11", the police's own work included.
    if 1 <= total <= SMALL_CELL_MAX:
        assert whole == SMALL
    elif "–" in whole:
        low, high = (int(n) for n in whole.split("–"))
        assert low <= total <= high and low < high
    else:
        assert whole == f"{total:,}"
    # No agency's count is withheld: the whole gives way instead.
    assert WITHHELD not in cells
    for n, cell in zip(parts, cells, strict=True):
        assert cell != str(n) or not 1 <= n <= SMALL_CELL_MAX
    if whole != SMALL:
        for n, possible in zip(parts, _possible(cells, whole), strict=True):
            assert n in possible
            if 1 <= n <= SMALL_CELL_MAX:
                assert len(possible) > 1, (parts, cells)


def test_a_row_with_nothing_small_is_shown_exactly_and_else_the_whole_as_a_range():
    assert shown_row([30, 12], kind=Kind.TREATMENT) == (["30", "12"], "42")
    assert shown_row([25, 4, 0], kind=Kind.POLICE_WORK) == (["25", "<11", "0"], "26–35")


def _deflections(cast, agency_user, partner, n: int, when: datetime, **fields) -> None:
    officer = OfficerFactory(user=agency_user)
    for i in range(n):
        moment = when + timedelta(minutes=i)
        ReferralFactory(officer=officer, partner=partner, occurred_at=moment, created_at=moment, **fields)


def _row(page: str, label: str) -> list[str]:
    """The cells of one figure's row on the program page (agencies, then the whole)."""
    row = re.search(rf">{re.escape(label)}(?: \([^<]*\))?</th>(.*?)</tr>", page, re.S).group(1)
    return re.findall(r"<td[^>]*>([^<]*)</td>", row)


def test_the_coordinator_sees_each_agency_beside_the_others_and_the_whole(cast):
    from tests.factories.core import UserFactory

    now = datetime.now(PHOENIX) - timedelta(days=2)
    _deflections(cast, cast.officer_a1, cast.partner_y, 14, now)
    _deflections(cast, cast.officer_b, cast.partner_y, 3, now, naloxone_administered=True)
    officer_c = UserFactory(agency=cast.agency_c)
    _deflections(cast, officer_c, cast.partner_z, 40, now)
    page = cast.login("coordinator").get(reverse("reports:program")).content.decode()
    assert "Agency A Police Department" in page and "Agency B Sheriff" in page
    assert "Agency C" not in page  # the other program's
    # 14 and 3 make 17: agency B's "<11" would be 17 - 14, so the whole shows only what the
    # agencies' cells allow, and agency A, the coordinator's main figure, stays.
    assert _row(page, "Deflections") == ["14", "&lt;11", "15–24"]
    assert _row(page, "Overdose reversals (naloxone)") == ["0", "&lt;11", "&lt;11"]
    assert _row(page, "Accepted by a partner") == ["0", "0", "0"]
    # The second program's coordinator: its own agency, and 40 (police work, at least 11).
    page_2 = cast.login("coordinator_2").get(reverse("reports:program")).content.decode()
    assert "Agency A" not in page_2 and _row(page_2, "Deflections") == ["40", "40"]


def test_the_partners_records_cover_ended_months_and_an_agencys_few_clients_are_withheld(cast):
    """Agency A: 12 deflections accepted in November, and one on December 3; agency B: 3 in
    November. The partners' records cover September to November (a window of days moved a
    day at a time would differ by a day's clients); B's are withheld, and the whole with them."""
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
    with time_machine.travel(datetime(2026, 12, 8, 9, tzinfo=PHOENIX), tick=False):
        page = cast.login("coordinator").get(reverse("reports:program")).content.decode()
    assert _row(page, "Deflections") == ["13", "&lt;11", "14–23"]
    assert _row(page, "Accepted by a partner") == ["12", "—", "—"]
    assert _row(page, "Reached intake") == ["0", "—", "—"]
    assert "the deflections of September 2026 to November 2026: months that have ended" in page
    assert ">Accepted by a partner (September 2026 to November 2026)</th>" in page


def test_a_superuser_picks_a_program_and_nobody_else_opens_another(cast):
    url = f"{reverse('reports:program')}?program={cast.program_2.pk}&days=30"
    page = cast.login("admin").get(url).content.decode()
    assert "Agency C Police Department" in page
    assert 'id="program-picker"' in page and 'name="days" value="30"' in page  # the period kept
    digest = cast.login("admin").get(f"{reverse('reports:program_digest')}?program={cast.program_2.pk}")
    assert "Agency C Police Department" in digest.content.decode() and 'id="program-picker"' in digest.content.decode()
    assert cast.login("coordinator").get(url).status_code == 404
    assert cast.login("program_admin").get(url).status_code == 404
    assert cast.login("command_a").get(reverse("reports:program")).status_code == 404


# --- the program's weekly digest ------------------------------------------------------------


@pytest.fixture
def week(cast):
    """Last week: agency A's 12 deflections and agency B's 2; agency C's 5 (the other program)."""
    from tests.factories.core import UserFactory

    _deflections(cast, cast.officer_a1, cast.partner_y, 12, WEEK_START + timedelta(days=2, hours=9))
    _deflections(cast, cast.officer_b, cast.partner_y, 2, WEEK_START + timedelta(days=3, hours=9))
    _deflections(cast, UserFactory(agency=cast.agency_c), cast.partner_z, 5, WEEK_START + timedelta(days=3))


def test_the_program_digest_goes_to_its_coordinators_with_every_count_as_shown_outside(cast, week):
    assert program_digests_send_due(now=MONDAY_0730) == 2  # both programs: 07:30 and 08:30 there
    digest = ProgramDigest.objects.get(program=cast.program_1)
    assert digest.week_start == WEEK_START.date() and digest.recipients == [cast.coordinator.email]
    text = digest.text
    assert "Deflections: Agency A Police Department 12; Agency B Sheriff's Office <11; whole program 13–22" in text
    assert "Agency C" not in text and "Agency C" not in digest.html
    other = ProgramDigest.objects.get(program=cast.program_2)
    assert other.recipients == [cast.coordinator_2.email] and "whole program <11" in other.text
    # The agencies' own digests are their staff's: not the coordinators'.
    from reports.digest import digests_send_due

    digests_send_due(now=MONDAY_0730)
    for agency_digest in Digest.objects.all():
        assert cast.coordinator.email not in agency_digest.recipients
        assert cast.coordinator_2.email not in agency_digest.recipients


def test_the_program_digest_goes_once_however_often_the_task_runs(cast, week):
    assert program_digests_send_due(now=MONDAY_0730) == 2
    assert program_digests_send_due(now=MONDAY_0730) == 0
    assert program_digests_send_due(now=MONDAY_0730 + timedelta(days=2)) == 0
    assert program_digest_send(program_id=cast.program_1.pk, week_start=WEEK_START.date()) is None
    assert ProgramDigest.objects.filter(program=cast.program_1).count() == 1
    assert len([m for m in mail.outbox if cast.coordinator.email in m.to]) == 1


def test_the_program_digest_waits_for_monday_seven_in_the_programs_own_zone(cast, week):
    # 06:30 in Phoenix (the first program), 07:30 in Chicago (the second): only the second's.
    assert program_digests_send_due(now=MONDAY_0730 - timedelta(hours=1)) == 1
    assert list(ProgramDigest.objects.values_list("program", flat=True)) == [cast.program_2.pk]
    # An hour later the first program's goes; the second's is not sent again.
    assert program_digests_send_due(now=MONDAY_0730) == 1
    assert ProgramDigest.objects.filter(week_start=WEEK_START.date()).count() == 2


def test_the_coordinator_reads_the_weeks_program_digest_in_the_app_as_it_is_mailed(cast, week):
    import time_machine

    with time_machine.travel(MONDAY_0730 - timedelta(hours=2), tick=False):  # before it goes
        coordinator = cast.login("coordinator")
        program = coordinator.get(reverse("reports:program")).content.decode()
        assert 'href="/reports/program/digest/"' in program
        page = coordinator.get(reverse("reports:program_digest")).content.decode()
        assert "Goes out Monday at 07:00, program time" in page
        # Last week's, with every count as shown outside an agency (the mail's own rule).
        assert _row(page, "Deflections") == ["12", "&lt;11", "13–22"]
        assert "Agency C" not in page
    with time_machine.travel(MONDAY_0730, tick=False):
        program_digests_send_due()
        page = cast.login("coordinator").get(reverse("reports:program_digest")).content.decode()
    assert "Sent " in page and "to 1 recipient." in page
    assert cast.login("coordinator_2").get(reverse("reports:program_digest")).status_code == 200
    assert cast.login("command_a").get(reverse("reports:program_digest")).status_code == 404


def test_the_command_page_and_the_program_view_count_the_same_last_30_days(cast):
    """Whole days on the agency's calendar for both: a deflection 30 days ago at noon is out
    of both, one 29 days ago just after midnight in both, whatever the hour now."""
    now = datetime(2026, 12, 7, 10, tzinfo=PHOENIX)
    with time_machine.travel(now, tick=False):
        _deflections(cast, cast.officer_a1, cast.partner_y, 12, now - timedelta(days=30) + timedelta(hours=2))
        _deflections(cast, cast.officer_a1, cast.partner_y, 13, datetime(2026, 11, 8, 0, 30, tzinfo=PHOENIX))
        command = cast.login("command_a").get("/reports/command/?days=30").content.decode()
        program = cast.login("coordinator").get(reverse("reports:program") + "?days=30").content.decode()
    assert 'id="count-deflections">13<' in command
    assert _row(program, "Deflections")[0] == "13"
    said = command.split('id="period-said">', 1)[1].split("<", 1)[0]
    assert "from Nov 8, 2026 to Dec 7, 2026" in said, said
