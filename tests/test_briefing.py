"""The roll-call briefing: each unit's week, on screen, as one printed page, and emailed once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from buyin.models import ChangeMade
from deflection.models import User
from referrals import services
from reports.briefing import briefing_document, briefing_send, briefings_send_due
from reports.models import Briefing, SuccessStory
from tests.conftest import MEMBERS, has_word
from tests.factories.buyin import CommendationFactory
from tests.factories.core import AgencyFactory, UnitFactory, UserFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db

PHOENIX = ZoneInfo("America/Phoenix")  # UTC-7 all year
WEEK_START = datetime(2026, 11, 16, 0, 0, tzinfo=PHOENIX)
MONDAY_0730 = datetime(2026, 11, 23, 7, 30, tzinfo=PHOENIX)
# 06:40 UTC on that Monday is still Sunday 23:40 in Phoenix: the week reported is the one before.
MONDAY_0640_UTC = datetime(2026, 11, 23, 6, 40, tzinfo=UTC)
WEEK = WEEK_START.date()


class Week:
    """Agency A's week of Nov 16: MHST and Westside Patrol, their referrals, stories,
    commendations and changes; and a sergeant for each unit."""

    def __init__(self, cast) -> None:
        self.cast = cast
        self.mhst = cast.unit_a
        self.westside = UnitFactory(agency=cast.agency_a, name="Westside Patrol")
        cast.officer_a2.unit = self.westside
        cast.officer_a2.save()
        self.westside_sergeant = UserFactory(
            username="sgt_west", role=User.Role.SUPERVISOR, agency=cast.agency_a, unit=self.westside
        )
        a1, sergeant = OfficerFactory(user=cast.officer_a1), OfficerFactory(user=cast.supervisor_a)
        a2 = OfficerFactory(user=cast.officer_a2)
        day = WEEK_START + timedelta(hours=10)
        # MHST: 4 deflections (3 charges deflected, 1 naloxone) by 2 officers, and a cancelled one.
        self.referrals = [
            self._referral(a1, day, charge_deflected="Trespass", naloxone_administered=True),
            self._referral(a1, day + timedelta(days=1), charge_deflected="Theft"),
            self._referral(a1, day + timedelta(days=2)),
            self._referral(sergeant, day + timedelta(days=6), charge_deflected="Trespass"),
            # Westside: 2 deflections, both charges deflected, 1 naloxone, by 1 officer.
            self._referral(a2, day + timedelta(days=3), charge_deflected="Trespass", naloxone_administered=True),
            self._referral(a2, day + timedelta(days=4), charge_deflected="Theft"),
        ]
        cancelled = self._referral(a1, day + timedelta(days=2), charge_deflected="Theft")
        services.referral_cancel(referral_id=cancelled.pk, actor=cast.officer_a1, reason="entered_in_error")
        # Outside the week, or another agency's: not counted.
        self._referral(a1, WEEK_START - timedelta(hours=2), charge_deflected="Theft")
        self._referral(a1, WEEK_START + timedelta(days=7, hours=1), charge_deflected="Theft")
        b = OfficerFactory(user=cast.officer_b)
        ReferralFactory(officer=b, partner=cast.partner_y, occurred_at=day, created_at=day)

        self._story(self.referrals[4], "Westside's note: thank you for the ride.", WEEK_START + timedelta(days=4))
        self._story(self.referrals[0], "MHST's note: he is three weeks clean.", WEEK_START + timedelta(days=2))
        self._story(self.referrals[1], "An old note from the summer.", WEEK_START - timedelta(days=40))
        self._story(self.referrals[2], "A private note that must not leave the record.", None)

        self.named = CommendationFactory(
            officer=cast.officer_a2, may_name=True, text="Calm under pressure.", created_at=day
        )
        CommendationFactory(officer=cast.officer_a1, may_name=False, created_at=day)
        self._change("A second van on nights.", date(2026, 11, 18))
        self._change("Shorter form, first try.", date(2026, 11, 2))
        self._change("Not yet: next week's change.", date(2026, 11, 24))

    def _referral(self, officer, when, **fields):
        fields.setdefault("officer_minutes", 30)
        partner = self.cast.partner_y
        return ReferralFactory(officer=officer, partner=partner, occurred_at=when, created_at=when, **fields)

    def _story(self, referral, text: str, approved_at: datetime | None) -> None:
        created = (approved_at or WEEK_START) - timedelta(hours=12)
        SuccessStory.objects.create(
            referral=referral,
            agency=self.cast.agency_a,
            text=text,
            consent_to_share=approved_at is not None,
            consent_recorded_at=created if approved_at else None,
            created_at=created,
            review_state=SuccessStory.Review.APPROVED if approved_at else SuccessStory.Review.PENDING,
            reviewed_at=approved_at,
        )

    def _change(self, what: str, on: date) -> None:
        ChangeMade.objects.create(
            topic="process", what=what, changed_on=on, published_by=self.cast.program_admin, program=self.cast.program_1
        )


@pytest.fixture
def week(cast) -> Week:
    return Week(cast)


def _sent(unit) -> list:
    return [m for m in mail.outbox if f"{unit.name} roll-call briefing" in m.subject]


def test_each_unit_gets_its_and_the_departments_exact_numbers(cast, week):
    # MHST and Westside Patrol; and the second program's Patrol C (08:30 where it is).
    assert briefings_send_due(now=MONDAY_0730) == 3
    mhst = Briefing.objects.get(unit=week.mhst).text
    # 3 charges deflected: 3 x 180 booking minutes - 3 x 30 officer minutes = 450 min = 7.5 h.
    assert "- Deflections: 4 / 6" in mhst
    assert "- Overdose reversals (naloxone): 1 / 2" in mhst
    assert "- Hours saved versus arrest: 7.5 / 12.5" in mhst
    assert "- Officers who deflected: 2 / 3" in mhst
    westside = Briefing.objects.get(unit=week.westside).text
    assert "- Deflections: 2 / 6" in westside and "- Hours saved versus arrest: 5 / 12.5" in westside
    assert "- Officers who deflected: 1 / 3" in westside
    assert "<11" not in mhst + westside


def test_the_briefing_has_approved_stories_the_unit_first_a_named_commendation_and_the_weeks_change(cast, week):
    briefings_send_due(now=MONDAY_0730)
    mhst = Briefing.objects.get(unit=week.mhst).text
    assert mhst.index("MHST's note") < mhst.index("Westside's note")
    assert "old note from the summer" not in mhst and "must not leave the record" not in mhst
    # Officer A2 agreed to be named; officer A1's commendation is only counted.
    assert "Blake Pinecrest, Commendation: Calm under pressure." in mhst
    assert "And 1 more commendation this week." in mhst
    assert not has_word(mhst, "Oakhurst")
    assert "A second van on nights." in mhst
    assert "Shorter form" not in mhst and "next week's change" not in mhst


def test_every_officer_who_agreed_is_named_and_only_the_others_are_counted(cast, week):
    """Four officers agreed to be named: one commendation is told in full (the unit's first),
    the other three are named; the officer who did not agree is only counted."""
    day = WEEK_START + timedelta(days=3)
    for last in ("Ashgrove", "Birchfield", "Cedarly"):
        officer = UserFactory(agency=cast.agency_a, unit=week.mhst, first_name="Sam", last_name=last)
        CommendationFactory(officer=officer, may_name=True, text="Stayed late.", created_at=day)
    briefings_send_due(now=MONDAY_0730)
    mhst = Briefing.objects.get(unit=week.mhst).text
    assert "Sam Ashgrove, Commendation: Stayed late." in mhst
    also = mhst.split("Also commended:")[1].split("\n")[0]
    named = ["Sam Birchfield (MHST)", "Sam Cedarly (MHST)", "Blake Pinecrest (Westside Patrol)"]
    assert [also.index(name) for name in named] == sorted(also.index(name) for name in named)
    assert "And 1 more commendation this week." in mhst and not has_word(mhst, "Oakhurst")
    page = cast.login("supervisor_a").get(f"/reports/briefing/?unit={week.mhst.pk}&week={WEEK}").content.decode()
    shown = page.split("data-also-commended>")[1].split("</p>")[0]
    assert all(name.split(" (")[0] in shown for name in named)


def test_an_officer_with_several_commendations_is_named_once(cast, week):
    day = WEEK_START + timedelta(days=3)
    sam = UserFactory(agency=cast.agency_a, unit=week.mhst, first_name="Sam", last_name="Ashgrove")
    for text in ("Stayed late.", "Drove him to detox.", "Calmed the scene."):
        CommendationFactory(officer=sam, may_name=True, text=text, created_at=day)
    briefings_send_due(now=MONDAY_0730)
    mhst = Briefing.objects.get(unit=week.mhst).text
    assert "Sam Ashgrove, Commendation: Stayed late." in mhst
    also = mhst.split("Also commended:")[1].split("\n")[0]
    assert "Sam Ashgrove" not in also and "Blake Pinecrest" in also
    # Sam's two others and officer A1's (not named) are counted.
    assert "And 3 more commendations this week." in mhst


def test_a_doubled_run_sends_exactly_one_briefing_per_unit_and_week(cast, week):
    assert briefings_send_due(now=MONDAY_0730) == 3  # MHST, Westside Patrol and Patrol C
    assert briefings_send_due(now=MONDAY_0730) == 0
    assert briefings_send_due(now=MONDAY_0730 + timedelta(minutes=10)) == 0
    assert briefing_send(unit_id=week.mhst.pk, week_start=WEEK) is None
    assert Briefing.objects.filter(week_start=WEEK).count() == 3
    assert len(_sent(week.mhst)) == 1 and len(_sent(week.westside)) == 1
    # Each unit's supervisors, and only them.
    assert _sent(week.mhst)[0].to == [cast.supervisor_a.email]
    assert _sent(week.westside)[0].to == [week.westside_sergeant.email]


def test_at_0640_utc_on_monday_phoenix_is_still_on_sunday_and_each_week_goes_once(cast, week):
    # Where agency C is it is already Monday, but not yet 07:00: its unit's week is not due.
    assert briefings_send_due(now=MONDAY_0640_UTC) == 2
    assert briefings_send_due(now=MONDAY_0640_UTC) == 0
    assert set(Briefing.objects.values_list("week_start", flat=True)) == {WEEK - timedelta(days=7)}
    assert briefings_send_due(now=MONDAY_0730) == 3
    assert briefings_send_due(now=MONDAY_0730) == 0
    assert Briefing.objects.filter(unit=week.mhst).count() == 2 == len(_sent(week.mhst))


def test_nothing_goes_before_monday_seven_in_the_agencys_zone(cast, week):
    # 06:30 in Phoenix; 07:30 where the second program's agency C is: only its unit's goes.
    assert briefings_send_due(now=MONDAY_0730 - timedelta(hours=1)) == 1
    assert list(Briefing.objects.filter(week_start=WEEK).values_list("unit", flat=True)) == [cast.unit_c.pk]


def test_the_briefing_and_its_email_name_no_client(cast, week):
    briefings_send_due(now=MONDAY_0730)
    page = cast.login("supervisor_a").get(f"/reports/briefing/?week={WEEK}").content.decode()
    messages = _sent(week.mhst) + _sent(week.westside)
    everything = page + "".join(m.subject + m.body + m.alternatives[0][0] for m in messages)
    # The briefing names officers (commended) and greets its supervisors: a client who happens
    # to share a name with one of the cast proves nothing.
    officers = {name for m in MEMBERS for name in (getattr(cast, m).first_name, getattr(cast, m).last_name)}
    for referral in week.referrals:
        client = referral.client
        for name in {client.first_name, client.last_name} - officers:
            assert not has_word(everything, name)
        assert str(client.date_of_birth) not in everything
        assert not client.phone or client.phone not in everything


def test_the_pdf_is_one_page_even_with_long_stories(cast, week):
    long = " ".join(["A long and grateful note from a family member."] * 60)
    for referral in week.referrals[:3]:
        week._story(referral, long, WEEK_START + timedelta(days=5))
    CommendationFactory(officer=cast.officer_a2, may_name=True, text=long[:1000], created_at=WEEK_START)
    assert len(briefing_document(unit=week.mhst, week_start=WEEK).pages) == 1
    response = cast.login("supervisor_a").get(f"/reports/briefing/print.pdf?week={WEEK}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_supervisor_reads_their_units_briefing_only(cast, week):
    client = cast.login("supervisor_a")
    page = client.get(f"/reports/briefing/?week={WEEK}")
    assert page.status_code == 200 and "MHST, Agency A Police Department" in page.content.decode()
    for path in ["/reports/briefing/", "/reports/briefing/print.pdf"]:
        assert client.get(f"{path}?unit={week.westside.pk}").status_code == 404
    assert not Briefing.objects.exists()


def test_command_staff_read_their_agencys_units_only(cast, week):
    other = UnitFactory(agency=cast.agency_b, name="Northern District")
    client = cast.login("command_a")
    page = client.get(f"/reports/briefing/?unit={week.westside.pk}&week={WEEK}").content.decode()
    assert "Westside Patrol, Agency A Police Department" in page
    assert client.get(f"/reports/briefing/?unit={other.pk}").status_code == 404
    assert client.get(f"/reports/briefing/print.pdf?unit={other.pk}").status_code == 404
    assert cast.login("admin").get(f"/reports/briefing/?unit={other.pk}").status_code == 200
    assert not Briefing.objects.exists()


def test_only_the_weeks_offered_are_shown(cast, week):
    client = cast.login("supervisor_a")
    assert client.get("/reports/briefing/?week=2026-11-17").status_code == 404  # a Tuesday
    assert client.get("/reports/briefing/?week=1999-01-04").status_code == 404
    assert client.get("/reports/briefing/?week=not-a-date").status_code == 404
    assert client.get("/reports/briefing/?unit=x").status_code == 404


def test_the_menu_offers_the_briefing_to_those_who_may_read_one(cast):
    for who, offered in [("supervisor_a", True), ("command_a", True), ("program_admin", True), ("officer_a1", False)]:
        page = cast.login(who).get("/reports/my-record/" if who == "officer_a1" else "/buyin/commend/")
        assert ("/reports/briefing/" in page.content.decode()) is offered, who


def test_an_agency_elsewhere_gets_its_briefing_at_its_own_monday_seven(cast, week):
    eastern = AgencyFactory(name="Eastern County Sheriff", timezone="America/New_York")
    UnitFactory(agency=eastern, name="Day shift")
    # 07:30 in New York on Monday is 05:30 in Phoenix: only the eastern unit is due.
    assert briefings_send_due(now=datetime(2026, 11, 23, 7, 30, tzinfo=ZoneInfo("America/New_York"))) == 1
    assert list(Briefing.objects.values_list("unit__agency", flat=True)) == [eastern.pk]


def test_this_week_so_far_is_offered_and_said_to_be_unfinished(cast, week):
    client = cast.login("supervisor_a")
    latest = client.get("/reports/briefing/").context["week_start"]
    page = client.get(f"/reports/briefing/?week={latest + timedelta(days=7)}").content.decode()
    assert "This week is not over: the numbers are so far." in page
    assert "numbers are so far" not in client.get("/reports/briefing/").content.decode()


def test_the_page_says_how_many_supervisors_it_was_emailed_to_in_words_that_agree_with_the_number(cast, week):
    briefings_send_due(now=MONDAY_0730)
    page = cast.login("supervisor_a").get(f"/reports/briefing/?week={WEEK}").content.decode()
    assert "to 1 supervisor of the unit." in page and "supervisor(s)" not in page
    UserFactory(username="sgt_west_2", role=User.Role.SUPERVISOR, agency=cast.agency_a, unit=week.westside)
    Briefing.objects.filter(unit=week.westside).delete()
    briefing_send(unit_id=week.westside.pk, week_start=WEEK)
    page = cast.login("command_a").get(f"/reports/briefing/?unit={week.westside.pk}&week={WEEK}").content.decode()
    assert "to 2 supervisors of the unit." in page
