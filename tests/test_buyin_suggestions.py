"""Suggestions that get answered: sent from any page, triaged by the program admin, the author
told of each answer (in the app and by email, once), the changes listed on "You said, we did"."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buyin.models import ChangeMade, Suggestion, SuggestionEvent
from buyin.services import suggestions as services
from buyin.services.suggestions import TRANSITIONS, SuggestionRefused
from buyin.tasks import tell_suggestion_author
from tests.conftest import MEMBERS
from tests.factories.buyin import SuggestionFactory
from tests.factories.referrals import accepted_referral

pytestmark = pytest.mark.django_db

S = Suggestion.State
ADMINS = ("admin", "program_admin")
# The second program's administrator publishes in their own program (tests/test_programs.py).
NOT_ADMINS = [who for who in MEMBERS if who not in (*ADMINS, "program_admin_2")]
WRITES = ("INSERT", "UPDATE", "DELETE")


def _in_state(cast, state: str, **fields) -> Suggestion:
    """A suggestion of officer_a1, put straight into `state` the way the services leave it."""
    answers = {
        S.CHANGED: {"answer": "Added the 24/7 clinic's intake line to the partner list.", "changed_on": _today()},
        S.NOT_NOW: {"answer": "The county contract is up for renewal in the spring."},
    }
    return SuggestionFactory(author=cast.officer_a1, state=state, **{**answers.get(state, {}), **fields})


def _today():
    return timezone.localdate()


def _move(action: str, suggestion: Suggestion, actor):
    """Make a move through its service, with the answer the move needs."""
    who = {"suggestion_id": suggestion.pk, "actor": actor}
    if action == "change":
        return services.suggestion_change(answer="Took the second page off the form.", changed_on=_today(), **who)
    if action == "not_now":
        return services.suggestion_not_now(answer="Not this budget year.", **who)
    return getattr(services, f"suggestion_{action}")(**who)


def _writes(captured) -> list[str]:
    return [
        q["sql"][:120]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(WRITES) and "django_session" not in q["sql"]
    ]


# -- sending -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", MEMBERS)
def test_anyone_signed_in_sends_a_suggestion_and_returns_to_the_page_they_came_from(cast, who):
    client = cast.login(who)
    response = client.post(
        "/buyin/suggestions/new/",
        {"topic": "process", "text": "Let us call the clinic from the form.", "next": "/accounts/two-factor/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/two-factor/"
    assert "your suggestion was sent" in response.content.decode()
    suggestion = Suggestion.objects.get()
    assert (suggestion.author, suggestion.state, suggestion.may_name_me) == (getattr(cast, who), S.NEW, False)
    event = suggestion.events.get()
    assert (event.actor, event.from_state, event.to_state) == (getattr(cast, who), "", S.NEW)


def test_the_form_is_linked_from_every_page_keeping_the_page_to_return_to(cast):
    page = cast.login("case_manager_x").get("/queue/?filter=new").content.decode()
    assert 'href="/buyin/suggestions/new/?next=/queue/%3Ffilter%3Dnew"' in page
    form = cast.login("case_manager_x").get("/buyin/suggestions/new/?next=/queue/%3Ffilter%3Dnew").content.decode()
    assert 'name="next" value="/queue/?filter=new"' in form


def test_a_link_to_another_site_is_not_followed_after_sending(cast):
    response = cast.login("officer_a1").post(
        "/buyin/suggestions/new/", {"topic": "other", "text": "More naloxone kits.", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize(
    ("text", "error"),
    [("", "This field is required."), ("x" * 1001, "at most 1000 characters")],
)
def test_the_suggestion_needs_a_text_of_at_most_1000_characters(cast, text, error):
    response = cast.login("officer_a1").post("/buyin/suggestions/new/", {"topic": "form", "text": text})
    assert response.status_code == 200 and error in html.unescape(response.content.decode())
    assert not Suggestion.objects.exists()


def test_the_service_refuses_a_text_over_1000_characters_whatever_the_form(cast):
    with pytest.raises(ValidationError, match="at most 1000 characters"):
        services.suggestion_send(author=cast.officer_a1, topic="form", text="x" * 1001)
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    ("who", "offered", "not_offered"),
    [
        ("officer_b", {"Y 24/7 MAT Clinic"}, {"X Recovery Clinic"}),  # agency B works with Y only
        ("officer_a1", {"X Recovery Clinic", "Y 24/7 MAT Clinic"}, set()),
        # X serves agency A, where Y works too.
        ("case_manager_x", {"X Recovery Clinic", "Y 24/7 MAT Clinic"}, set()),
    ],
)
def test_the_partners_offered_are_those_the_users_agency_or_partner_works_with(cast, who, offered, not_offered):
    page = cast.login(who).get("/buyin/suggestions/new/").content.decode()
    options = set(re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', page))
    assert options == offered and not (options & not_offered)


def test_a_partner_not_offered_is_refused_with_nothing_sent(cast):
    response = cast.login("officer_b").post(
        "/buyin/suggestions/new/", {"topic": "partner", "partner": cast.partner_x.pk, "text": "Answer the phone."}
    )
    assert response.status_code == 200 and not Suggestion.objects.exists()
    with pytest.raises(SuggestionRefused):
        services.suggestion_send(author=cast.officer_b, topic="partner", partner=cast.partner_x, text="Answer.")
    assert not Suggestion.objects.exists()


def test_a_partner_is_named_only_with_the_topic_a_partner(cast):
    response = cast.login("officer_a1").post(
        "/buyin/suggestions/new/", {"topic": "form", "partner": cast.partner_y.pk, "text": "Answer the phone."}
    )
    assert "Choose “A partner” as the topic" in response.content.decode()
    assert not Suggestion.objects.exists()
    cast.login("officer_a1").post(
        "/buyin/suggestions/new/", {"topic": "partner", "partner": cast.partner_y.pk, "text": "Answer the phone."}
    )
    assert Suggestion.objects.get().partner == cast.partner_y


# -- triage: the moves as data -------------------------------------------------------------

MOVES = [(action, state) for action, (sources, _target) in TRANSITIONS.items() for state in sorted(sources)]
REFUSED = [(action, state) for action, (src, _t) in TRANSITIONS.items() for state in S.values if state not in src]


@pytest.mark.parametrize(("action", "state"), MOVES)
def test_each_allowed_move_changes_the_state_and_writes_its_history(cast, action, state):
    suggestion = _in_state(cast, state)
    moved = _move(action, suggestion, cast.program_admin)
    assert moved.state == TRANSITIONS[action][1]
    event = suggestion.events.get()
    assert (event.actor, event.from_state, event.to_state) == (cast.program_admin, state, TRANSITIONS[action][1])
    assert event.at == moved.state_changed_at


@pytest.mark.parametrize(("action", "state"), REFUSED)
def test_each_move_the_state_does_not_allow_is_refused_with_nothing_changed(cast, action, state):
    suggestion = _in_state(cast, state)
    with pytest.raises(SuggestionRefused, match="cannot be moved to"):
        _move(action, suggestion, cast.admin)
    suggestion.refresh_from_db()
    assert suggestion.state == state and not suggestion.events.exists()


def test_changed_says_what_was_changed_and_when_and_not_in_the_future(cast):
    suggestion = _in_state(cast, S.UNDER_REVIEW)
    for answer, changed_on, field in [
        ("  ", _today(), "answer"),
        ("Done.", None, "changed_on"),
        ("Done.", _today() + timedelta(days=2), "changed_on"),
    ]:
        with pytest.raises(SuggestionRefused) as refused:
            services.suggestion_change(
                suggestion_id=suggestion.pk, actor=cast.admin, answer=answer, changed_on=changed_on
            )
        assert field in refused.value.error_dict
    services.suggestion_change(
        suggestion_id=suggestion.pk, actor=cast.admin, answer="Done.", changed_on=_today() - timedelta(days=3)
    )
    suggestion.refresh_from_db()
    assert (suggestion.answer, suggestion.changed_on) == ("Done.", _today() - timedelta(days=3))


def test_not_now_says_why(cast):
    suggestion = _in_state(cast, S.NEW)
    with pytest.raises(SuggestionRefused):
        services.suggestion_not_now(suggestion_id=suggestion.pk, actor=cast.admin, answer="")
    suggestion.refresh_from_db()
    assert suggestion.state == S.NEW


def test_taken_up_again_the_old_answer_no_longer_stands(cast):
    suggestion = _in_state(cast, S.NOT_NOW)
    services.suggestion_reopen(suggestion_id=suggestion.pk, actor=cast.admin)
    suggestion.refresh_from_db()
    assert (suggestion.state, suggestion.answer) == (S.UNDER_REVIEW, "")


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_only_program_administration_moves_a_suggestion(cast, who):
    suggestion = _in_state(cast, S.NEW)
    with pytest.raises(SuggestionRefused):
        services.suggestion_review(suggestion_id=suggestion.pk, actor=getattr(cast, who))
    response = cast.login(who).post(f"/buyin/suggestions/{suggestion.pk}/review/", {"review-note": ""})
    assert response.status_code == 404
    suggestion.refresh_from_db()
    assert suggestion.state == S.NEW and not suggestion.events.exists()


def test_a_move_that_does_not_exist_is_not_found(cast):
    suggestion = _in_state(cast, S.NEW)
    response = cast.login("admin").post(f"/buyin/suggestions/{suggestion.pk}/delete/", {})
    assert response.status_code == 404
    assert cast.login("admin").post("/buyin/suggestions/999999/review/", {}).status_code == 404
    suggestion.refresh_from_db()
    assert suggestion.state == S.NEW and not suggestion.events.exists()


@pytest.mark.parametrize("who", ADMINS)
def test_a_program_admin_marks_a_suggestion_changed_from_its_page(cast, who):
    suggestion = _in_state(cast, S.UNDER_REVIEW)
    response = cast.login(who).post(
        f"/buyin/suggestions/{suggestion.pk}/change/",
        {"change-answer": "Added the 24/7 clinic's intake line.", "change-changed_on": _today().isoformat()},
        follow=True,
    )
    assert "Marked changed; the author is told." in response.content.decode()
    suggestion.refresh_from_db()
    assert (suggestion.state, suggestion.answer) == (S.CHANGED, "Added the 24/7 clinic's intake line.")


def test_a_move_the_state_does_not_allow_is_refused_on_the_page_with_a_message(cast):
    suggestion = _in_state(cast, S.CHANGED)
    response = cast.login("program_admin").post(
        f"/buyin/suggestions/{suggestion.pk}/reopen/", {"reopen-note": ""}, follow=True
    )
    assert "A suggestion that is changed cannot be moved to “Under review”." in html.unescape(response.content.decode())
    suggestion.refresh_from_db()
    assert suggestion.state == S.CHANGED and not suggestion.events.exists()


def test_a_changed_answer_without_what_or_when_is_shown_again_with_its_errors(cast):
    suggestion = _in_state(cast, S.NEW)
    response = cast.login("admin").post(
        f"/buyin/suggestions/{suggestion.pk}/change/", {"change-answer": "", "change-changed_on": ""}
    )
    page = response.content.decode()
    assert response.status_code == 200 and page.count("This field is required.") == 2
    suggestion.refresh_from_db()
    assert suggestion.state == S.NEW


@pytest.mark.parametrize("state", S.values)
def test_the_page_offers_exactly_the_moves_the_service_accepts(cast, state):
    """As tests/test_offered_equals_allowed.py does for referrals: each move is posted; those
    offered change the state, the others are refused with nothing changed."""
    client = cast.login("program_admin")
    for action in TRANSITIONS:
        suggestion = _in_state(cast, state)
        page = client.get(f"/buyin/suggestions/{suggestion.pk}/").content.decode()
        offered = f'action="/buyin/suggestions/{suggestion.pk}/{action}/"' in page
        data = {
            f"{action}-answer": "Because.",
            f"{action}-changed_on": _today().isoformat(),
            f"{action}-note": "",
        }
        client.post(f"/buyin/suggestions/{suggestion.pk}/{action}/", data)
        suggestion.refresh_from_db()
        assert (suggestion.state != state) == offered, (state, action)


def test_the_triage_lists_new_first_and_filters_by_state_and_topic(cast):
    old_new = _in_state(cast, S.NEW, topic="form", created_at=timezone.now() - timedelta(days=9))
    reviewing = _in_state(cast, S.UNDER_REVIEW, topic="form")
    changed = _in_state(cast, S.CHANGED, topic="training")
    newest = _in_state(cast, S.NEW, topic="training")
    client = cast.login("program_admin")
    page = client.get("/buyin/suggestions/").content.decode()
    order = [int(pk) for pk in re.findall(r'href="/buyin/suggestions/(\d+)/"', page)]
    assert order == [newest.pk, old_new.pk, reviewing.pk, changed.pk]
    page = client.get("/buyin/suggestions/?state=new&topic=form").content.decode()
    assert [int(pk) for pk in re.findall(r'href="/buyin/suggestions/(\d+)/"', page)] == [old_new.pk]


# -- the author is told --------------------------------------------------------------------


def test_the_author_is_emailed_exactly_once_for_each_change_of_state(cast, django_capture_on_commit_callbacks):
    cast.officer_a1.email = "avery@example.org"
    cast.officer_a1.save()
    referral = accepted_referral(cast)
    client_name = referral.client.last_name
    with django_capture_on_commit_callbacks(execute=True):
        suggestion = services.suggestion_send(
            author=cast.officer_a1, topic="partner", text=f"{client_name} waited an hour for the van."
        )
    assert mail.outbox == []  # sending tells the admin's page, not the author
    with django_capture_on_commit_callbacks(execute=True):
        services.suggestion_review(suggestion_id=suggestion.pk, actor=cast.program_admin)
    with django_capture_on_commit_callbacks(execute=True):
        services.suggestion_change(
            suggestion_id=suggestion.pk, actor=cast.program_admin, answer="A second van on nights.", changed_on=_today()
        )
    assert [m.to for m in mail.outbox] == [["avery@example.org"]] * 2
    reviewing, changed = mail.outbox
    assert "under review" in reviewing.subject and "Hello Avery," in reviewing.body
    assert "changed" in changed.subject and "A second van on nights." in changed.body
    for message in mail.outbox:
        assert "a partner" in message.body  # the topic, never the suggestion's own words
        assert client_name not in message.subject + message.body and "waited" not in message.body
    # The task run again (a retry, a doubled delivery) sends nothing more.
    for event in SuggestionEvent.objects.all():
        tell_suggestion_author(event.pk)
    assert len(mail.outbox) == 2
    assert SuggestionEvent.objects.filter(notified_at__isnull=False).count() == 2


def test_my_suggestions_shows_each_state_and_answer_and_only_my_own(cast):
    _in_state(cast, S.CHANGED)
    _in_state(cast, S.NOT_NOW)
    _in_state(cast, S.NEW, text="Mine and new.")
    SuggestionFactory(author=cast.officer_a2, text="Someone else's idea.")
    page = cast.login("officer_a1").get("/buyin/suggestions/mine/").content.decode()
    assert sorted(re.findall(r'data-state="(\w+)"', page)) == ["changed", "new", "not_now"]
    assert "Added the 24/7 clinic&#x27;s intake line to the partner list." in page
    assert "The county contract is up for renewal in the spring." in page
    assert "Mine and new." in page and "Someone else" not in page


def test_an_answer_is_new_in_the_menu_until_the_author_marks_it_read(cast):
    suggestion = _in_state(cast, S.NEW)
    client = cast.login("officer_a1")
    assert "new answer" not in client.get("/buyin/suggestions/mine/").content.decode()
    services.suggestion_review(suggestion_id=suggestion.pk, actor=cast.admin)
    page = client.get("/log/").content.decode()
    assert "1 new answer" in page
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/buyin/suggestions/mine/").content.decode()
    assert _writes(captured) == []  # opening the page writes nothing ...
    assert "New answer" in page and "Mark as read" in page
    client.post("/buyin/suggestions/mine/read/")  # ... marking it read does
    assert "new answer" not in client.get("/log/").content.decode()
    services.suggestion_change(suggestion_id=suggestion.pk, actor=cast.admin, answer="Done.", changed_on=_today())
    assert "1 new answer" in client.get("/log/").content.decode()


@pytest.mark.parametrize("language", ["en", "es"])
def test_two_new_answers_are_counted_in_the_menu_in_each_language(cast, language):
    """Spanish's plural rule once met the count as a lazy object and every page failed."""
    for suggestion in (_in_state(cast, S.NEW), _in_state(cast, S.NEW)):
        services.suggestion_review(suggestion_id=suggestion.pk, actor=cast.admin)
    cast.officer_a1.language = language
    cast.officer_a1.save(update_fields=["language"])
    client = cast.login("officer_a1")
    for path in ("/log/", "/mine/", "/buyin/suggestions/mine/"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert ("2 new answers" if language == "en" else "2 respuestas nuevas") in page, path


@pytest.mark.parametrize(
    "path",
    ["/buyin/suggestions/new/", "/buyin/suggestions/mine/", "/buyin/you-said-we-did/", "/buyin/suggestions/"],
)
def test_reading_the_suggestion_pages_writes_nothing(cast, path):
    suggestion = _in_state(cast, S.CHANGED)
    client = cast.login("program_admin")
    client.get("/log/")  # the first page of a session notes the time zone in it
    for url in (path, f"/buyin/suggestions/{suggestion.pk}/"):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        assert _writes(captured) == []


# -- You said, we did ----------------------------------------------------------------------


def test_you_said_we_did_lists_only_the_changes_newest_first_naming_only_who_chose_to_be(cast):
    _in_state(cast, S.CHANGED, answer="Named change.", changed_on=_today() - timedelta(days=10), may_name_me=True)
    SuggestionFactory(
        author=cast.officer_b,
        state=S.CHANGED,
        answer="Unnamed change.",
        changed_on=_today() - timedelta(days=1),
        text="Private words of the author.",
    )
    _in_state(cast, S.NOT_NOW, may_name_me=True)
    _in_state(cast, S.UNDER_REVIEW, may_name_me=True)
    services.change_made_publish(
        actor=cast.admin, topic="training", what="Roll-call training on the new form.", changed_on=_today()
    )
    page = cast.login("case_manager_x").get("/buyin/you-said-we-did/").content.decode()
    entries = re.findall(r'<p class="mb-1 pre-wrap text-break">([^<]+)</p>', page)
    assert entries == ["Roll-call training on the new form.", "Unnamed change.", "Named change."]
    assert "Suggested by Avery Oakhurst" in page
    assert "Rivermoor" not in page and "Private words" not in page
    assert "county contract" not in page  # a "not now" is the author's, not everyone's


def test_the_program_admin_publishes_a_change_made_from_feedback(cast):
    client = cast.login("program_admin")
    response = client.post(
        "/buyin/you-said-we-did/new/",
        {"topic": "partner", "what": "The detox centre now takes referrals at night.", "changed_on": "2026-01-05"},
        follow=True,
    )
    assert "Published" in response.content.decode()
    assert "The detox centre now takes referrals at night." in response.content.decode()
    change = ChangeMade.objects.get()
    assert change.published_by == cast.program_admin


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_nobody_else_publishes_a_change(cast, who):
    response = cast.login(who).post(
        "/buyin/you-said-we-did/new/", {"topic": "form", "what": "Nope.", "changed_on": "2026-01-05"}
    )
    assert response.status_code == 404 and not ChangeMade.objects.exists()
    with pytest.raises(SuggestionRefused):
        services.change_made_publish(actor=getattr(cast, who), topic="form", what="Nope.", changed_on=_today())
    assert not ChangeMade.objects.exists()


def test_the_program_admin_reaches_the_suggestions_from_the_admin_they_land_on(cast):
    page = cast.login("program_admin").get("/admin/").content.decode()
    assert 'href="/buyin/suggestions/">Suggestions to answer</a>' in page


def test_the_program_admin_gets_from_the_admin_to_the_app_and_back(cast):
    admin = cast.login("program_admin")
    assert admin.get("/").url == "/admin/"  # where they land
    page = admin.get("/admin/").content.decode()
    # Not "View site": the home would send them straight back here.
    assert "View site" not in page
    assert 'href="/reports/dashboard/">Dashboard</a>' in page
    assert admin.get("/reports/dashboard/").status_code == 200
    assert 'href="/admin/">Administration</a>' in admin.get("/reports/dashboard/").content.decode()


def test_the_triage_keeps_its_filters_from_page_to_page(cast, settings):
    settings.DEFLECTION = {**settings.DEFLECTION, "PAGE_SIZE": 2}
    for _ in range(3):
        _in_state(cast, S.NEW, topic="form")
    _in_state(cast, S.NEW, topic="training")
    client = cast.login("admin")
    page = client.get("/buyin/suggestions/?state=new&topic=form").content.decode()
    assert 'href="?state=new&amp;topic=form&amp;page=2"' in page
    second = client.get("/buyin/suggestions/?state=new&topic=form&page=2").content.decode()
    assert second.count('data-state="new"') == 1


# -- no client named -------------------------------------------------------------------------


@pytest.fixture
def named(cast):
    """A client of agency A (program 1), and one of agency C (the second program)."""
    from tests.factories.referrals import ClientFactory

    ClientFactory(agency=cast.agency_a, first_name="Charlène", last_name="Carlson")
    ClientFactory(agency=cast.agency_c, first_name="Zeferino", last_name="Quintanilla")


@pytest.mark.parametrize("text", ["Took Charlene Carlson to the clinic; the bell was broken.", "CARLSON, charlène"])
def test_a_suggestion_naming_a_client_of_the_program_is_refused_with_nothing_sent(cast, named, text):
    response = cast.login("officer_a1").post("/buyin/suggestions/new/", {"topic": "partner", "text": text})
    assert response.status_code == 200
    assert "A suggestion names no client, and this text contains a client&#x27;s name." in response.content.decode()
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "Charlene from dispatch says the bell is broken.",  # a first name alone is a common word
        "Zeferino Quintanilla's clinic bell is broken.",  # a client of another program
    ],
)
def test_a_suggestion_without_a_whole_name_of_the_programs_clients_is_sent(cast, named, text):
    services.suggestion_send(author=cast.officer_a1, topic="process", text=text)
    assert Suggestion.objects.count() == 1


def test_an_answer_or_a_change_naming_a_client_is_refused_and_nothing_is_published(cast, named):
    suggestion = _in_state(cast, S.UNDER_REVIEW)
    response = cast.login("program_admin").post(
        f"/buyin/suggestions/{suggestion.pk}/change/",
        {
            "change-answer": "Fixed the bell; thanks for telling us about Charlene Carlson.",
            "change-changed_on": _today().isoformat(),
        },
    )
    assert "it contains a client&#x27;s name" in response.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.state == S.UNDER_REVIEW and not suggestion.events.exists()
    with pytest.raises(SuggestionRefused):
        services.suggestion_not_now(
            suggestion_id=suggestion.pk, actor=cast.program_admin, answer="Ask Carlson Charlene"
        )
    with pytest.raises(SuggestionRefused):
        services.change_made_publish(
            actor=cast.program_admin, topic="partner", what="Charlene Carlson's clinic is open.", changed_on=_today()
        )
    assert not ChangeMade.objects.exists()
    assert "Carlson" not in cast.login("officer_a1").get("/buyin/you-said-we-did/").content.decode()
