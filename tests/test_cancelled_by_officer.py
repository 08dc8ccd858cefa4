"""A referral its own officer cancelled (withdrawn, or entered in error, before a partner
accepted) is police's own act: My deflections and the referral's page say "Cancelled". One
the partner cancelled is the partner's closing, and police see "Closed" as for any other."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.models import Referral
from referrals.selectors import partner_ids_used_recently
from tests.factories.referrals import OfficerFactory, ReferralFactory
from tests.test_log_deflection import _form

pytestmark = pytest.mark.django_db


def _mine(cast) -> str:
    return cast.login("officer_a1").get(reverse("referrals:mine")).content.decode()


def _cancelled_by_each(cast, officers_reason: str) -> tuple[Referral, Referral]:
    """Two of officer A1's referrals: one they cancelled (for `officers_reason`), one the
    partner cancelled as withdrawn."""
    officer = OfficerFactory(user=cast.officer_a1)
    mine = ReferralFactory(officer=officer, partner=cast.partner_y)
    theirs = ReferralFactory(officer=officer, partner=cast.partner_y)
    services.referral_cancel(referral_id=mine.pk, actor=cast.officer_a1, reason=officers_reason)
    services.referral_cancel(referral_id=theirs.pk, actor=cast.case_manager_y, reason="withdrawn")
    return mine, theirs


def test_the_officer_sees_their_own_cancelling_and_the_partners_as_closed(cast):
    mine, theirs = _cancelled_by_each(cast, "entered_in_error")
    assert Referral.objects.get(pk=mine.pk).cancelled_by_officer
    assert not Referral.objects.get(pk=theirs.pk).cancelled_by_officer
    page = _mine(cast)
    assert page.count(">Cancelled<") == 1 and page.count(">Closed<") == 1
    for referral, said in ((mine, "Cancelled"), (theirs, "Closed")):
        url = reverse("referrals:detail", args=[referral.pk])
        assert f">{said}<" in cast.login("officer_a1").get(url).content.decode()


def test_referrals_cancelled_before_are_read_from_their_events(cast):
    mine, theirs = _cancelled_by_each(cast, "withdrawn")
    Referral.objects.update(cancelled_by_officer=False)  # as before the field
    migration = importlib.import_module("referrals.migrations.0015_cancelled_by_officer")
    migration.from_the_events(apps, None)
    assert Referral.objects.get(pk=mine.pk).cancelled_by_officer
    assert not Referral.objects.get(pk=theirs.pk).cancelled_by_officer


def _page(cast, referral) -> str:
    return cast.login("officer_a1").get(reverse("referrals:detail", args=[referral.pk])).content.decode()


def test_the_referral_page_says_why_its_officer_cancelled_it(cast):
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    services.referral_cancel(referral_id=referral.pk, actor=cast.officer_a1, reason="withdrawn")
    page = _page(cast, referral)
    assert "Cancelled by its officer before the partner accepted it: Withdrawn." in page
    assert "The partner has this referral." not in page
    # Withdrawn: the person was met, and the officer may still check in with them.
    assert "Record a check-in" in page


def test_a_referral_entered_in_error_takes_no_check_in_and_no_story(cast):
    from django.core.exceptions import ValidationError

    from reports.services import success_story_create

    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    services.referral_cancel(referral_id=referral.pk, actor=cast.officer_a1, reason="entered_in_error")
    page = _page(cast, referral)
    assert "Record a check-in" not in page and "Add a thank-you note" not in page
    # What the page does not offer, the services refuse.
    response = cast.login("officer_a1").post(
        reverse("referrals:check_in_add", args=[referral.pk]),
        {"on": timezone.localdate().isoformat(), "kind": "doing_well", "where": "", "note": ""},
    )
    assert response.status_code == 404 and not referral.check_ins.exists()
    referral = Referral.objects.get(pk=referral.pk)
    with pytest.raises(services.CheckInRefused, match="entered in error"):
        services.check_in_record(user=cast.officer_a1, referral=referral, on=timezone.localdate(), kind="doing_well")
    for actor in (cast.officer_a1, cast.case_manager_y):
        with pytest.raises(ValidationError, match="cannot add a story"):
            success_story_create(
                referral=referral, actor=actor, source="officer", text="Thanks", consent_to_share=False
            )


def test_a_partners_cancelling_changes_nothing_police_are_offered_whatever_its_reason(cast):
    """Cancelled by the partner as entered in error or as withdrawn: the partner's record. The
    officer's page reads the same for both, and offers the same."""
    officer = OfficerFactory(user=cast.officer_a1)
    pages = []
    for reason in ("entered_in_error", "withdrawn"):
        referral = ReferralFactory(officer=officer, partner=cast.partner_y)
        services.referral_cancel(referral_id=referral.pk, actor=cast.case_manager_y, reason=reason)
        assert not Referral.objects.get(pk=referral.pk).entered_in_error
        page = _page(cast, referral)
        pages.append(("Record a check-in" in page, "Add a thank-you note" in page, ">Closed<" in page))
    assert pages[0] == pages[1] == (True, True, True)


def test_another_officer_is_not_told_why_a_referral_was_cancelled(cast):
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    services.referral_cancel(referral_id=referral.pk, actor=cast.officer_a1, reason="entered_in_error")
    referral = Referral.objects.get(pk=referral.pk)
    with pytest.raises(services.CheckInRefused, match="only with people you referred"):
        services.check_in_record(user=cast.officer_a2, referral=referral, on=timezone.localdate(), kind="doing_well")


def _police_figures(cast, officer) -> dict[str, object]:
    """What police are told of officer A1's deflections, everywhere it is counted."""
    from reports import metrics
    from reports.highlights import week_totals
    from reports.rollup_models import DailyRollup
    from reports.rollups import rollups_refresh

    rollups_refresh(agency=cast.agency_a)
    every_day = DailyRollup.objects.filter(
        agency=cast.agency_a, unit_key=DailyRollup.ALL_UNITS, pathway="", partner__isnull=True, span=1
    )
    record = cast.login("officer_a1").get(reverse("reports:my_record")).content.decode()
    return {
        "agency": metrics.deflections(metrics.Scope(cast.agency_a.pk)),
        "officer": metrics.deflections(metrics.Scope(cast.agency_a.pk, officer_id=officer.pk)),
        "rollups": sum(every_day.values_list("deflections", flat=True)),
        "week": week_totals(agency=cast.agency_a).deflections,
        "naloxone": metrics.overdose_reversals(metrics.Scope(cast.agency_a.pk)),
        "my record": "3 in all, not counting those you cancelled" in record,
        "recent partners": partner_ids_used_recently(user=cast.officer_a1),
    }


def test_a_partners_cancelling_moves_no_police_figure_and_the_officers_own_takes_one_out(cast):
    """Counting a partner's cancelling out would let an officer tell it from a decline (a
    count drops by one as their referral turns "Closed"): it counts, like a decline."""
    officer = OfficerFactory(user=cast.officer_a1)
    now = timezone.now()
    referrals = [
        ReferralFactory(officer=officer, partner=cast.partner_y, occurred_at=now, naloxone_administered=True)
        for _ in range(3)
    ]
    before = _police_figures(cast, officer)
    assert before["agency"] == before["officer"] == before["rollups"] == before["week"] == 3
    assert before["my record"] and before["recent partners"] == [cast.partner_y.pk]

    for referral, reason in zip(referrals[:2], ("withdrawn", "entered_in_error"), strict=True):
        services.referral_cancel(referral_id=referral.pk, actor=cast.case_manager_y, reason=reason)
    assert _police_figures(cast, officer) == before

    services.referral_cancel(referral_id=referrals[2].pk, actor=cast.officer_a1, reason="withdrawn")
    after = _police_figures(cast, officer)
    assert after["agency"] == after["officer"] == after["rollups"] == after["week"] == after["naloxone"] == 2
    assert not after["my record"]


def test_the_command_pages_statuses_add_up_to_the_deflections_the_partners_cancellings_among_them(cast):
    from reports import metrics

    officer = OfficerFactory(user=cast.officer_a1)
    mine, theirs = _cancelled_by_each(cast, "withdrawn")
    ReferralFactory(officer=officer, partner=cast.partner_y)
    counts = metrics.agency_counts(agency_id=cast.agency_a.pk)
    assert counts.deflections == 2 == sum(n for _label, n in counts.by_status)
    # With the declines: a row of its own would hold a few a month, and withhold the table.
    assert ("Declined or cancelled by the partner", 1) in counts.by_status
    assert "Cancelled" not in [label for label, _n in counts.by_status]


def test_the_rollups_counted_before_are_recounted_by_the_next_refresh(cast):
    """Rollups counted when a partner's cancelling was no deflection are rebuilt on upgrade."""
    from reports.rollup_models import DailyRollup
    from reports.rollups import rollups_refresh

    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    services.referral_cancel(referral_id=referral.pk, actor=cast.case_manager_y, reason="withdrawn")
    rollups_refresh(agency=cast.agency_a)
    DailyRollup.objects.update(deflections=0)  # as the former definition counted it
    migration = importlib.import_module("reports.migrations.0011_recount_partner_cancellings")
    migration.recount(apps, None)
    assert rollups_refresh(agency=cast.agency_a) == -1  # rebuilt
    assert DailyRollup.objects.filter(agency=cast.agency_a, span=1, unit_key=DailyRollup.ALL_UNITS).exists()
    assert set(DailyRollup.objects.filter(agency=cast.agency_a, span=1).values_list("deflections", flat=True)) == {1}


def test_a_story_on_a_referral_entered_in_error_is_neither_approved_nor_shared(cast):
    """Recorded before its officer cancelled it as entered in error: no encounter took place."""
    from django.core.exceptions import ValidationError

    from reports.highlights import agency_wins
    from reports.models import SuccessStory
    from reports.services import success_story_review
    from tests.factories.reports import story_told

    pending, approved = story_told(cast, "Thank you.", review=None), story_told(cast, "Thanks again.")
    assert [s.pk for s in agency_wins(agency=cast.agency_a).stories] == [approved.pk]  # kept a minute
    for story in (pending, approved):
        services.referral_cancel(referral_id=story.referral_id, actor=cast.officer_a1, reason="entered_in_error")
    with pytest.raises(ValidationError, match="entered in error"):
        success_story_review(story_id=pending.pk, actor=cast.admin, approve=True)
    assert not SuccessStory.objects.filter(SuccessStory.SHARED).exists()
    assert agency_wins(agency=cast.agency_a).stories == []
    # Withdrawn: the person was met, and what they wrote may still be shared.
    kept = story_told(cast, "Still grateful.")
    services.referral_cancel(referral_id=kept.referral_id, actor=cast.officer_a1, reason="withdrawn")
    assert [s.pk for s in agency_wins(agency=cast.agency_a).stories] == [kept.pk]


def test_an_officer_is_not_commended_for_a_referral_they_cancelled(cast):
    """It is no deflection: the page offers no commendation for it, and the service refuses
    one posted; one the partner cancelled is offered like any other."""
    from django.core.exceptions import ValidationError

    from buyin.models import Commendation
    from buyin.services.recognition import commendation_create

    mine, theirs = _cancelled_by_each(cast, "withdrawn")
    pages = {
        r.pk: cast.login("supervisor_a").get(reverse("referrals:detail", args=[r.pk])).content.decode()
        for r in (mine, theirs)
    }
    assert "Commend the officer for it" not in pages[mine.pk]
    assert "Commend the officer for it" in pages[theirs.pk]
    # An older link to it says why the deflection is not taken.
    linked = cast.login("supervisor_a").get(reverse("buyin:commend"), {"referral": mine.pk}).content.decode()
    assert "Its officer cancelled that referral: it is no deflection to commend them for." in linked
    data = {"officer": cast.officer_a1.pk, "kind": "Commendation", "text": "Calm work.", "incident_number": ""}
    refused = cast.login("supervisor_a").post(reverse("buyin:commend"), {**data, "referral": mine.pk})
    assert refused.status_code == 200 and not Commendation.objects.exists()
    assert "not one you may commend an officer for" in refused.content.decode()  # not among the choices
    with pytest.raises(ValidationError, match="own deflections"):
        commendation_create(
            actor=cast.supervisor_a,
            officer=cast.officer_a1,
            kind_name="Commendation",
            text="x",
            referral=Referral.objects.get(pk=mine.pk),
        )
    taken = cast.login("supervisor_a").post(reverse("buyin:commend"), {**data, "referral": theirs.pk})
    assert taken.status_code == 302 and Commendation.objects.get().referral_id == theirs.pk


def test_the_officers_recent_partners_leave_out_only_what_they_cancelled(cast):
    """The log form's likeliest picks: a partner's cancellings count like any referral there."""
    officer = OfficerFactory(user=cast.officer_a1)
    theirs = [ReferralFactory(officer=officer, partner=cast.partner_x) for _ in range(2)]
    mine = [ReferralFactory(officer=officer, partner=cast.partner_y) for _ in range(3)]
    for referral in theirs:
        services.referral_cancel(referral_id=referral.pk, actor=cast.case_manager_x, reason="entered_in_error")
    assert partner_ids_used_recently(user=cast.officer_a1) == [cast.partner_y.pk, cast.partner_x.pk]
    for referral in mine[:2]:
        services.referral_cancel(referral_id=referral.pk, actor=cast.officer_a1, reason="entered_in_error")
    assert partner_ids_used_recently(user=cast.officer_a1) == [cast.partner_x.pk, cast.partner_y.pk]


def _log(cast, client_id: int | None = None) -> Referral:
    """Officer A1 logs a deflection through the form (for a known client, if given)."""
    known = {"client": str(client_id), "first_name": "", "last_name": ""} if client_id else {}
    before = set(Referral.objects.values_list("pk", flat=True))
    assert cast.login("officer_a1").post(reverse("referrals:log"), _form(cast, **known)).status_code == 302
    return Referral.objects.exclude(pk__in=before).get()


def test_a_referral_the_partner_cancelled_is_the_one_the_next_links_to(cast):
    """The re-engagement link follows the deflections: past a referral its officer cancelled,
    not past one its partner did (logging, a merge's relinking and the upgrade's alike)."""
    import importlib

    from referrals.services.clients import _relink_reengagements

    first = _log(cast)
    services.referral_cancel(referral_id=first.pk, actor=cast.case_manager_y, reason="withdrawn")
    second = _log(cast, first.client_id)
    assert second.reengagement_of_id == first.pk
    services.referral_cancel(referral_id=second.pk, actor=cast.officer_a1, reason="entered_in_error")
    third = _log(cast, first.client_id)
    assert third.reengagement_of_id == first.pk

    Referral.objects.update(reengagement_of=None)
    _relink_reengagements(client=first.client)
    assert dict(Referral.objects.values_list("pk", "reengagement_of_id")) == {
        first.pk: None,
        second.pk: first.pk,
        third.pk: first.pk,
    }
    Referral.objects.filter(pk=third.pk).update(reengagement_of=None)  # as linked before the upgrade
    migration = importlib.import_module("referrals.migrations.0017_relink_past_partner_cancellings")
    migration.relink(apps, None)
    assert Referral.objects.get(pk=third.pk).reengagement_of_id == first.pk


def test_a_partners_cancelling_beside_its_declines_leaves_the_command_pages_statuses_shown(cast):
    """Eleven declines and one partner's cancelling in an ended month: one row of twelve. As a
    row of its own, the one would have withheld the whole table."""
    import zoneinfo
    from datetime import timedelta

    from reports.metrics import cohorts
    from reports.metrics.definitions import Scope

    zone = zoneinfo.ZoneInfo(cast.agency_a.timezone)
    scope = cohorts.months_ended(cast.agency_a.pk, 1, zone=zone, before=timezone.now())
    officer = OfficerFactory(user=cast.officer_a1)
    when = scope.start + timedelta(days=3)
    for i in range(12):
        referral = ReferralFactory(officer=officer, partner=cast.partner_y, occurred_at=when)
        if i:
            services.referral_reject(referral_id=referral.pk, actor=cast.case_manager_y, reason="no_capacity")
        else:
            services.referral_cancel(referral_id=referral.pk, actor=cast.case_manager_y, reason="withdrawn")
    assert cohorts.standing_shown(Scope(cast.agency_a.pk, scope.start, scope.end), zone=zone)


def test_the_question_after_logging_is_not_asked_of_a_referral_entered_in_error(cast):
    """Compared with an arrest: there was no encounter to compare. Withdrawn, there was."""
    from buyin.services.feedback import FeedbackNotOffered, feedback_record

    asked = []
    for reason in ("withdrawn", "entered_in_error"):
        referral = ReferralFactory(
            officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, created_by=cast.officer_a1
        )
        services.referral_cancel(referral_id=referral.pk, actor=cast.officer_a1, reason=reason)
        asked.append("Compared with an arrest and booking" in _page(cast, referral))
    assert asked == [True, False]
    with pytest.raises(FeedbackNotOffered):
        feedback_record(
            user=cast.officer_a1,
            referral=Referral.objects.get(pk=referral.pk),
            ease="easier",
            obstacles=[],
            comment="",
        )


def test_each_side_is_told_what_a_cancelling_does(cast):
    """The officer, before withdrawing: it leaves their deflections. The officer, after the
    partner closed it: closed, not "has it". The partner, on a closed referral: no promise of
    a 72-hour check."""
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    assert "It then no longer counts among your deflections" in _page(cast, referral)
    services.referral_cancel(referral_id=referral.pk, actor=cast.case_manager_y, reason="withdrawn")
    page = _page(cast, referral)
    assert "The partner closed this referral." in page and "The partner has this referral." not in page
    casework = cast.login("case_manager_y").get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "No follow-ups." in casework and "Accepting schedules the 72-hour check" not in casework


def test_the_story_review_list_says_which_referral_was_entered_in_error(cast):
    from tests.factories.reports import story_told

    story = story_told(cast, "Thank you.", review=None)
    services.referral_cancel(referral_id=story.referral_id, actor=cast.officer_a1, reason="entered_in_error")
    page = cast.login("admin").get("/admin/reports/successstory/").content.decode()
    # Both the client's agreement and the entered in error read "yes".
    assert "Referral entered in error" in page and page.count('alt="True"') == 2


def test_an_officer_who_withdraws_without_a_reason_is_shown_the_form_open_under_what_is_missing(cast):
    """At 2 a.m. on a phone: not an error at the top of the page and the form folded away at
    its foot, but the form open where they were, saying what it needs; then, withdrawn, in the
    page's own word."""
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    officer = cast.login("officer_a1")
    url = reverse("referrals:act", args=[referral.pk, "cancel"])
    response = officer.post(url, {"cancel-note": "wrong person"})
    page = response.content.decode()
    assert response.status_code == 422
    summary = page.index("Withdraw this referral")
    details = page[page.rindex("<details", 0, summary) : summary].split(">")[0]
    assert " open" in details
    form = page[summary : page.index("</form>", summary)]
    assert "Choose a reason." in form and "wrong person" in form
    referral.refresh_from_db()
    assert referral.status != Referral.Status.CANCELLED
    # The form sends the officer back to itself (its anchor), open, focused by app.js.
    assert 'id="withdraw"' in details and f'action="{url}#withdraw"' in form
    assert "data-errors" in details
    done = officer.post(url, {"cancel-reason": "withdrawn"}, follow=True).content.decode()
    assert "Referral withdrawn. It no longer counts among your deflections." in done
    assert "Referral cancelled" not in done


@pytest.mark.parametrize("sent", [{"cancel-reason": "withdrawn"}, {"cancel-note": "no reason given"}])
def test_a_withdraw_the_partner_overtook_is_refused_without_naming_its_status(cast, sent):
    """The partner accepted while the officer's form was open: refused, in the page's words.
    Police know whether the referral is open (police_disclosure), not that it was accepted."""
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    url = reverse("referrals:act", args=[referral.pk, "cancel"])
    response = cast.login("officer_a1").post(url, sent, follow=True)
    page = response.content.decode()
    assert "This referral can no longer be withdrawn." in page
    assert "accepted" not in page.lower().split("<main")[1].split("</main>")[0]
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED


def test_a_forms_address_opened_again_goes_to_the_referral_not_to_a_405(cast):
    """Sent back with its errors, the withdraw or check-in leaves its own address in the
    address bar; a tab restored on the phone opens it again with a GET."""
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    officer = cast.login("officer_a1")
    detail = reverse("referrals:detail", args=[referral.pk])
    for url in (
        reverse("referrals:act", args=[referral.pk, "cancel"]),
        reverse("referrals:check_in_add", args=[referral.pk]),
    ):
        response = officer.get(url)
        assert response.status_code == 302 and response["Location"] == detail
    # Only a GET: anything else but a POST is still refused.
    assert officer.put(reverse("referrals:act", args=[referral.pk, "cancel"])).status_code == 405
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REQUESTED
