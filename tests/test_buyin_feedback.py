"""The question after a deflection: asked once, right after logging, to the officer who
logged it; one tap answers or skips; the sentence never names the client; and only the
program administrator reads the sentences, without who wrote them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from buyin.models import FeedbackObstacle, OfficerFeedback
from referrals.models import Referral
from tests.conftest import MEMBERS
from tests.factories.buyin import OfficerFeedbackFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory
from tests.test_log_deflection import _form

pytestmark = pytest.mark.django_db

QUESTION = "Compared with an arrest and booking, this was:"


def _logged(cast, who: str = "officer_a1", **fields) -> Referral:
    """A deflection `who` has just logged (override any factory field)."""
    return ReferralFactory(officer=OfficerFactory(user=getattr(cast, who)), partner=cast.partner_y, **fields)


def _answer(cast, referral: Referral, who: str = "officer_a1", htmx: bool = False, client=None, **data):
    headers = {"HX-Request": "true"} if htmx else {}
    url = reverse("buyin:feedback_answer", args=[referral.pk])
    return (client or cast.login(who)).post(url, {"ease": "easier", **data}, headers=headers)


def _page(cast, referral: Referral, who: str = "officer_a1") -> str:
    return cast.login(who).get(reverse("referrals:detail", args=[referral.pk])).content.decode()


def test_the_officer_is_asked_on_the_confirmation_after_logging_and_never_on_the_form(cast):
    client = cast.login("officer_a1")
    assert QUESTION not in client.get("/log/").content.decode()
    page = client.post("/log/", _form(cast), follow=True).content.decode()
    assert "Deflection logged" in page and QUESTION in page
    for answer in ("Easier", "About the same", "Harder", "Skip"):
        assert f">{answer}</button>" in page


def test_one_tap_answers_and_the_question_is_gone(cast):
    referral = _logged(cast)
    officer = cast.login("officer_a1")
    response = _answer(cast, referral, client=officer, ease="harder")
    assert response.status_code == 302 and response["Location"] == f"/referrals/{referral.pk}/"
    feedback = OfficerFeedback.objects.get(referral=referral)
    assert feedback.officer == cast.officer_a1 and feedback.ease == "harder" and not feedback.skipped
    page = officer.get(response["Location"]).content.decode()
    assert "Thank you" in page and QUESTION not in page


def test_with_htmx_the_card_becomes_a_thank_you_in_place(cast):
    referral = _logged(cast)
    response = _answer(cast, referral, htmx=True, ease="same")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="feedback-card"' in body and "Thank you" in body
    assert OfficerFeedback.objects.get(referral=referral).ease == "same"


def test_skip_is_one_tap_and_keeps_nothing_but_that_it_was_asked(cast):
    referral = _logged(cast)
    _answer(cast, referral, ease="", obstacles=["transport"], comment="Long wait for the van.")
    feedback = OfficerFeedback.objects.get(referral=referral)
    assert feedback.skipped and feedback.comment == "" and not feedback.obstacles.exists()


def test_several_obstacles_and_a_sentence_go_with_the_answer(cast):
    referral = _logged(cast)
    _answer(cast, referral, ease="harder", obstacles=["no_answer", "transport"], comment="Waited 40 min.")
    feedback = OfficerFeedback.objects.get(referral=referral)
    assert sorted(feedback.obstacles.values_list("kind", flat=True)) == ["no_answer", "transport"]
    assert feedback.comment == "Waited 40 min."


@pytest.mark.parametrize(("hours_ago", "asked"), [(9, False), (11, True)])
def test_the_question_is_asked_at_most_once_a_shift(cast, hours_ago, asked):
    """The agency's default: at most once in 10 hours, whether the last one was answered or skipped."""
    assert cast.agency_a.feedback_every_hours == 10
    earlier = _logged(cast, created_at=timezone.now() - timedelta(hours=hours_ago))
    OfficerFeedbackFactory(referral=earlier, ease="", answered_at=timezone.now() - timedelta(hours=hours_ago))
    referral = _logged(cast)
    assert (QUESTION in _page(cast, referral)) is asked
    response = _answer(cast, referral)
    assert response.status_code == (302 if asked else 404)
    assert OfficerFeedback.objects.filter(referral=referral).exists() is asked


def test_another_officers_answer_does_not_count_against_this_officers_shift(cast):
    OfficerFeedbackFactory(referral=_logged(cast, "officer_a2"))
    assert QUESTION in _page(cast, _logged(cast))


def test_an_agency_that_sets_zero_never_asks(cast):
    cast.agency_a.feedback_every_hours = 0
    cast.agency_a.save(update_fields=["feedback_every_hours"])
    referral = _logged(cast)
    assert QUESTION not in _page(cast, referral)
    assert _answer(cast, referral).status_code == 404
    assert not OfficerFeedback.objects.exists()


def test_it_is_asked_only_right_after_logging(cast):
    referral = _logged(cast, created_at=timezone.now() - timedelta(minutes=61))
    assert QUESTION not in _page(cast, referral)
    assert _answer(cast, referral).status_code == 404
    assert not OfficerFeedback.objects.exists()
    assert QUESTION in _page(cast, _logged(cast, created_at=timezone.now() - timedelta(minutes=59)))


@pytest.mark.parametrize("who", [m for m in MEMBERS if m != "officer_a1"])
def test_only_the_officer_who_logged_it_may_answer_everyone_else_gets_404(cast, who):
    referral = _logged(cast)
    assert QUESTION not in _page(cast, referral, who)
    response = _answer(cast, referral, who, ease="harder", comment="Not mine to say.")
    assert response.status_code == 404
    assert not OfficerFeedback.objects.exists() and not FeedbackObstacle.objects.exists()


def test_a_second_answer_changes_nothing(cast):
    referral = _logged(cast)
    officer = cast.login("officer_a1")
    _answer(cast, referral, client=officer, ease="easier")
    officer.get(f"/referrals/{referral.pk}/")  # the thank-you shown
    again = _answer(cast, referral, client=officer, ease="harder", obstacles=["form"])
    assert again.status_code == 302
    page = officer.get(again["Location"]).content.decode()
    assert "already answered" in page
    feedback = OfficerFeedback.objects.get()
    assert feedback.ease == "easier" and not feedback.obstacles.exists()


def test_a_sentence_naming_the_client_is_refused_naming_only_what_it_holds(cast):
    referral = _logged(cast)
    referral.client.phone = "520-555-0142"
    referral.client.save()
    response = _answer(cast, referral, ease="harder", comment="Her number is 555 0142, call before 9.")
    body = response.content.decode()
    assert response.status_code == 422 and "contains the client&#x27;s phone number" in body
    assert 'aria-invalid="true"' in body and f">{QUESTION}<" in body
    assert not OfficerFeedback.objects.exists()
    # The buttons still work: without the number the same answer is kept.
    assert _answer(cast, referral, ease="harder", comment="Call before 9.").status_code == 302
    assert OfficerFeedback.objects.get().comment == "Call before 9."


def test_an_answer_the_card_does_not_offer_is_refused_and_said(cast):
    response = _answer(cast, _logged(cast), ease="much easier")
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    assert not OfficerFeedback.objects.exists()


def test_with_htmx_a_refused_sentence_comes_back_in_the_card(cast):
    referral = _logged(cast)
    response = _answer(cast, referral, htmx=True, comment=f"{referral.client.last_name} was calm.")
    body = response.content.decode()
    assert response.status_code == 200 and "contains the client&#x27;s name" in body
    assert not OfficerFeedback.objects.exists()


def test_showing_the_question_writes_no_feedback(cast):
    referral = _logged(cast)
    with CaptureQueriesContext(connection) as captured:
        assert QUESTION in _page(cast, referral)
    writes = [q["sql"] for q in captured.captured_queries if "buyin_" in q["sql"] and "SELECT" not in q["sql"][:10]]
    assert writes == []
    assert not OfficerFeedback.objects.exists()


def test_the_answer_is_a_post(cast):
    response = cast.login("officer_a1").get(reverse("buyin:feedback_answer", args=[_logged(cast).pk]))
    assert response.status_code == 405


# ---------------------------------------------------------------------------
# The sentences, for the program administrator
# ---------------------------------------------------------------------------


def test_the_program_admin_reads_the_sentences_without_who_wrote_them(cast):
    referral = _logged(cast, pathway="naloxone_plus")
    feedback = OfficerFeedbackFactory(referral=referral, ease="harder", comment="Nobody picked up at 3 a.m.")
    FeedbackObstacle.objects.create(feedback=feedback, kind="no_answer")
    OfficerFeedbackFactory(referral=_logged(cast, "officer_a2"), ease="easier", comment="")
    # Not the second program's administrator: these are another program's officers.
    assert (
        "Nobody picked up" not in cast.login("program_admin_2").get(reverse("buyin:feedback_comments")).content.decode()
    )
    for who in ("admin", "program_admin"):
        page = cast.login(who).get(reverse("buyin:feedback_comments")).content.decode()
        assert "Nobody picked up at 3 a.m." in page and "No partner answered" in page
        assert "Naloxone plus" in page and "Harder" in page
        assert timezone.localdate(feedback.answered_at).strftime("%B %Y") in page
        for name in (cast.officer_a1.last_name, cast.officer_a1.username, referral.client.last_name):
            assert name not in page
        assert f"/referrals/{referral.pk}/" not in page
        # One row: an answer without a sentence has nothing to read here.
        assert page.count('class="list-group-item"') == 1


@pytest.mark.parametrize("who", MEMBERS)
def test_the_menu_links_the_sentences_for_program_administration_only(cast, who):
    page = cast.login(who).get(reverse("two_factor")).content.decode()
    menu = page[page.index("<nav") : page.index("</nav>")]
    linked = f'href="{reverse("buyin:feedback_comments")}"' in menu
    assert linked is (who in ("admin", "program_admin", "program_admin_2"))


def test_the_sentences_come_newest_first_a_page_at_a_time(cast, settings):
    settings.DEFLECTION = {**settings.DEFLECTION, "PAGE_SIZE": 2}
    now = timezone.now()
    for n in range(3):
        OfficerFeedbackFactory(
            referral=_logged(cast), comment=f"Sentence number {n}.", answered_at=now - timedelta(days=n)
        )
    client = cast.login("program_admin")
    first = client.get(reverse("buyin:feedback_comments")).content.decode()
    assert first.index("Sentence number 0.") < first.index("Sentence number 1.")
    assert "Sentence number 2." not in first
    assert "Sentence number 2." in client.get(reverse("buyin:feedback_comments"), {"page": 2}).content.decode()


def test_the_admin_shows_feedback_read_only_without_the_officer(cast):
    referral = _logged(cast)
    feedback = OfficerFeedbackFactory(referral=referral, comment="Easy with the van there.")
    client = cast.login("admin")
    listing = client.get("/admin/buyin/officerfeedback/").content.decode()
    change = client.get(f"/admin/buyin/officerfeedback/{feedback.pk}/change/").content.decode()
    for page in (listing, change):
        assert "Easy with the van there." in page
        assert cast.officer_a1.last_name not in page and cast.officer_a1.username not in page
    assert 'name="_save"' not in change
    assert client.get("/admin/buyin/officerfeedback/add/").status_code == 403
