"""Champions of a unit with since and until: named and ended by command staff and program
administration, their history kept, and the units without one shown beside participation."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buyin.models import Champion
from buyin.selectors.champions import unit_champions
from buyin.services.champions import champion_end, champion_set
from deflection.models import User
from reports import metrics
from tests.factories.buyin import ChampionFactory
from tests.factories.core import UnitFactory, UserFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory
from tests.test_reads_do_not_write import _writes

pytestmark = pytest.mark.django_db
TODAY = date.today()


@pytest.fixture
def units(cast):
    """MHST with a current champion (supervisor_a); Westside whose champion's time ended;
    Eastside that never had one. Participation: MHST 1 of 2 (officer_a1 deflected), Westside
    2 of 6, Eastside none of its one officer."""
    west = UnitFactory(agency=cast.agency_a, name="Westside Patrol")
    east = UnitFactory(agency=cast.agency_a, name="Eastside Patrol")
    ChampionFactory(unit=cast.unit_a, user=cast.supervisor_a, kind=Champion.Kind.SERGEANT)
    past = UserFactory(first_name="Pat", last_name="Former", agency=cast.agency_a, unit=west)
    ChampionFactory(unit=west, user=past, since=TODAY - timedelta(days=300), until=TODAY - timedelta(days=20))
    ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_x)
    OfficerFactory(user=cast.officer_a2)
    west_officers = [OfficerFactory(user=UserFactory(agency=cast.agency_a, unit=west)) for _ in range(6)]
    for officer in west_officers[:2]:
        ReferralFactory(officer=officer, partner=cast.partner_x, occurred_at=timezone.now() - timedelta(days=3))
    east_officer = UserFactory(first_name="Eli", last_name="Eastman", agency=cast.agency_a, unit=east)
    OfficerFactory(user=east_officer)
    return {"west": west, "east": east, "past": past, "east_officer": east_officer}


def _rows(page: str) -> list[list[str]]:
    table = page[page.index('id="unit-champions"') :]
    table = table[table.index("<tbody>") : table.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table)
    ]


def test_command_sees_units_without_a_current_champion_first_with_participation_beside(cast, units):
    page = cast.login("command_a").get("/reports/dashboard/").content.decode()
    assert _rows(page) == [
        ["Eastside Patrol", "No current champion", "0 of 1"],
        ["Westside Patrol", "No current champion", "33% (2 of 6)"],
        ["MHST", "Dana Stonebridge (Sergeant)", "1 of 2"],
    ]


def test_participation_per_unit_equals_the_metric_of_each_unit(cast, units):
    now = timezone.now()
    scope = metrics.Scope(cast.agency_a.pk, now - timedelta(days=30), now)
    per_unit = metrics.buyin_figures(scope, agency=cast.agency_a, now=now).units
    for unit in [cast.unit_a, units["west"], units["east"]]:
        assert per_unit[unit.pk] == metrics.officer_participation(agency_id=cast.agency_a.pk, at=now, unit_id=unit.pk)


def test_a_supervisor_does_not_see_the_agencys_champion_table(cast, units):
    page = cast.login("supervisor_a").get("/reports/dashboard/").content.decode()
    assert 'id="unit-champions"' not in page


def test_a_champion_named_for_later_is_the_succession_not_yet_current(cast, units):
    ChampionFactory(unit=units["east"], user=units["east_officer"], since=TODAY + timedelta(days=10))
    current = {row.unit.name: row.champions for row in unit_champions(agency_id=cast.agency_a.pk, on=TODAY)}
    assert current["Eastside Patrol"] == []
    later = unit_champions(agency_id=cast.agency_a.pk, on=TODAY + timedelta(days=10))
    later = {row.unit.name: row.champions for row in later}
    assert [c.user for c in later["Eastside Patrol"]] == [units["east_officer"]]


def test_naming_and_ending_a_champion_keeps_the_history(cast, units):
    client = cast.login("command_a")
    client.post(
        "/buyin/champions/",
        {
            "unit": units["east"].pk,
            "user": units["east_officer"].pk,
            "kind": "fto",
            "since": (TODAY - timedelta(days=5)).isoformat(),
        },
    )
    champion = Champion.objects.get(unit=units["east"])
    assert champion.set_by == cast.command_a and champion.until is None
    client.post(f"/buyin/champions/{champion.pk}/end/", {"until": TODAY.isoformat()})
    champion.refresh_from_db()
    assert champion.until == TODAY and not champion.serves_on(TODAY)
    page = client.get("/buyin/champions/").content.decode()
    history = page[page.index('id="champion-history"') :]
    assert "Eli Eastman" in history and "Pat Former" in history
    assert Champion.objects.filter(unit__agency=cast.agency_a).count() == 3


def test_an_officer_of_another_unit_is_not_named_its_champion(cast, units):
    """What a walker did: an Eastside officer named champion of Westside, which then no longer
    showed it had no champion of its own. The page offers everyone (with their unit); the
    service refuses."""
    client = cast.login("command_a")
    page = client.get("/buyin/champions/").content.decode()
    assert "Eli Eastman · Officer · Eastside Patrol" in page
    data = {"unit": units["west"].pk, "user": units["east_officer"].pk, "kind": "fto", "since": TODAY.isoformat()}
    response = client.post("/buyin/champions/", data)
    assert response.status_code == 200 and "is one of the unit&#x27;s own officers or supervisors" in (
        response.content.decode()
    )
    assert not Champion.objects.filter(unit=units["west"], user=units["east_officer"]).exists()
    with pytest.raises(ValidationError) as refused:
        champion_set(actor=cast.command_a, unit=units["west"], user=units["east_officer"], kind="fto", since=TODAY)
    assert "user" in refused.value.message_dict


def test_a_champion_who_moved_to_another_unit_no_longer_leads_the_old_one(cast, units):
    champion_set(actor=cast.command_a, unit=units["east"], user=units["east_officer"], kind="fto", since=TODAY)
    assert [c.user for c in _current(cast)["Eastside Patrol"]] == [units["east_officer"]]
    User.objects.filter(pk=units["east_officer"].pk).update(unit=units["west"])
    assert _current(cast)["Eastside Patrol"] == [] and _current(cast)["Westside Patrol"] == []
    page = cast.login("command_a").get("/reports/dashboard/").content.decode()
    assert ["Eastside Patrol", "No current champion"] == _rows(page)[0][:2]


def _current(cast) -> dict:
    return {row.unit.name: row.champions for row in unit_champions(agency_id=cast.agency_a.pk, on=TODAY)}


def test_an_end_before_the_start_is_refused(cast, units):
    with pytest.raises(ValidationError) as refused:
        champion_set(
            actor=cast.command_a,
            unit=units["east"],
            user=cast.officer_a2,
            kind="fto",
            since=TODAY,
            until=TODAY - timedelta(days=1),
        )
    assert "until" in refused.value.message_dict
    current = Champion.objects.get(unit=cast.unit_a)
    with pytest.raises(ValidationError):
        champion_end(actor=cast.command_a, champion=current, until=current.since - timedelta(days=1))
    current.refresh_from_db()
    assert current.until is None
    assert not Champion.objects.filter(unit=units["east"]).exists()


def test_overlapping_times_of_the_same_champion_in_a_unit_are_refused(cast, units):
    with pytest.raises(ValidationError):
        champion_set(actor=cast.admin, unit=cast.unit_a, user=cast.supervisor_a, kind="fto", since=TODAY)
    # After the earlier time ended, a new one may start.
    again = champion_set(
        actor=cast.admin, unit=units["west"], user=units["past"], kind="tenured", since=TODAY - timedelta(days=1)
    )
    assert again.serves_on(TODAY) and Champion.objects.filter(user=units["past"]).count() == 2


@pytest.mark.parametrize("who", ["officer_b", "case_manager_x"])
def test_a_champion_is_an_active_officer_or_supervisor_of_the_units_agency(cast, units, who):
    with pytest.raises(ValidationError) as refused:
        champion_set(actor=cast.command_a, unit=units["east"], user=getattr(cast, who), kind="fto", since=TODAY)
    assert "user" in refused.value.message_dict


def test_the_service_refuses_command_staff_of_another_agency(cast, units):
    command_b = UserFactory(role=User.Role.COMMAND, agency=cast.agency_b, badge_number="")
    with pytest.raises(ValidationError):
        champion_set(actor=command_b, unit=units["east"], user=cast.officer_a2, kind="fto", since=TODAY)
    with pytest.raises(ValidationError):
        champion_end(actor=command_b, champion=Champion.objects.get(unit=cast.unit_a), until=TODAY)
    assert Champion.objects.filter(until__isnull=True).count() == 1


def _champions_state() -> list[tuple]:
    return sorted(Champion.objects.values_list("pk", "unit_id", "user_id", "since", "until"))


@pytest.mark.parametrize("who", ["officer_a1", "supervisor_a", "case_manager_y", "command_b"])
def test_those_who_may_not_name_or_end_champions_get_404_and_nothing_changes(cast, units, command_b, who):
    client = command_b if who == "command_b" else cast.login(who)
    before = _champions_state()
    current = Champion.objects.get(unit=cast.unit_a)
    name = client.post(
        "/buyin/champions/",
        {
            "unit": units["east"].pk,
            "user": cast.officer_a2.pk,
            "kind": "fto",
            "since": TODAY.isoformat(),
            "agency": cast.agency_a.pk,
        },
    )
    end = client.post(f"/buyin/champions/{current.pk}/end/", {"until": TODAY.isoformat()})
    assert end.status_code == 404
    # Agency B's command staff post to their own agency's page, where agency A's unit is no choice.
    assert name.status_code == (200 if who == "command_b" else 404)
    assert _champions_state() == before


def test_reading_the_champions_page_writes_nothing(cast, units):
    client = cast.login("program_admin")
    with CaptureQueriesContext(connection) as captured:
        page = client.get(f"/buyin/champions/?agency={cast.agency_a.pk}")
    assert page.status_code == 200 and "Pat Former" in page.content.decode()
    assert _writes(captured) == []


def test_the_page_says_why_it_refuses_a_champion_in_words_not_a_constraints_name(cast, units):
    """What a walker saw: "Constraint “champion_until_after_since” is violated." for an end
    before the start, and the same for naming again someone whose time has no end."""
    client = cast.login("command_a")
    east = {"unit": units["east"].pk, "user": units["east_officer"].pk, "kind": "fto"}
    backwards = {**east, "since": TODAY.isoformat(), "until": (TODAY - timedelta(days=4)).isoformat()}
    page = html.unescape(client.post("/buyin/champions/", backwards).content.decode())
    assert "The end comes on or after the start." in page and "Constraint" not in page
    client.post("/buyin/champions/", {**east, "since": (TODAY - timedelta(days=30)).isoformat()})
    page = html.unescape(client.post("/buyin/champions/", {**east, "since": TODAY.isoformat()}).content.decode())
    assert "Constraint" not in page and "already this unit" in page
    assert Champion.objects.filter(unit=units["east"]).count() == 1


def test_a_champion_named_from_a_later_day_is_listed_as_upcoming(cast, units):
    ChampionFactory(unit=units["east"], user=units["east_officer"], since=TODAY + timedelta(days=13))
    page = cast.login("command_a").get("/buyin/champions/").content.decode()
    entry = page[page.index("Eli Eastman", page.index('id="champion-history"')) :][:400]
    assert "<strong>upcoming</strong>" in entry and "<strong>current</strong>" not in entry


def test_a_champion_named_from_a_later_day_is_told_as_such_and_can_be_called_off(cast, units):
    client = cast.login("command_a")
    later = TODAY + timedelta(days=13)
    data = {"unit": units["east"].pk, "user": units["east_officer"].pk, "kind": "fto", "since": later.isoformat()}
    page = html.unescape(client.post("/buyin/champions/", data, follow=True).content.decode())
    assert "Eli Eastman will be a champion of Eastside Patrol from" in page
    champion = Champion.objects.get(unit=units["east"])
    # The end offered is the start: called off before it began, kept in the history.
    assert f'value="{later.isoformat()}"' in page[page.index(f'id="until-{champion.pk}"') - 200 :][:400]
    client.post(f"/buyin/champions/{champion.pk}/end/", {"until": later.isoformat()})
    champion.refresh_from_db()
    assert champion.until == later and not champion.serves_on(later)
