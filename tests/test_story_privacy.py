"""A success story leaves the case record without the client's identity, and only once a
program administrator approved it."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from deflection.models import User
from referrals.identity_text import identifiers_in_text
from referrals.models import Referral
from reports.digest import digest_context, digests_send_due, reported_week
from reports.models import Digest, SuccessStory
from reports.services import success_story_create, success_story_review
from tests.factories.core import UserFactory
from tests.factories.referrals import ClientFactory, OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(cast) -> Referral:
    client = ClientFactory(
        agency=cast.agency_a,
        first_name="Marisól",
        last_name="Quintanilla",
        aliases="Big Mo, Sunny",
        date_of_birth=date(1991, 4, 17),
        phone="+1 (602) 555-0142",
    )
    return ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, client=client)


def _share(cast, referral, text, who="case_manager_y") -> SuccessStory:
    return success_story_create(
        referral=referral, actor=getattr(cast, who), source="client", text=text, consent_to_share=True
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("marisol said thanks", "name"),
        ("MARISÓL came back to say thank you", "name"),
        ("Ms. Quintanilla is doing well", "name"),
        ("Everyone calls her Big Mo now", "alias"),
        ("sunny is working again", "alias"),
        ("Born 1991-04-17 and finally sober", "date of birth"),
        ("born 4/17/1991", "date of birth"),
        ("born 04/17/91", "date of birth"),
        ("born 17/04/1991", "date of birth"),
        ("born 17.04.1991", "date of birth"),
        ("born April 17, 1991", "date of birth"),
        ("born Apr 17 1991", "date of birth"),
        ("born Apr. 17th, 1991", "date of birth"),
        ("born 17 April 1991", "date of birth"),
        ("nació el 17 de abril de 1991", "date of birth"),
        ("call me at 602-555-0142", "phone number"),
        ("call me at (602) 555 0142", "phone number"),
        ("call me at +1 602.555.0142", "phone number"),
        ("call me at 6025550142", "phone number"),
        ("text 555-0142 anytime", "phone number"),
    ],
)
def test_a_shareable_story_holding_the_clients_identity_is_refused(cast, referral, text, kind):
    with pytest.raises(ValidationError) as refused:
        _share(cast, referral, text)
    message = " ".join(refused.value.message_dict["text"])
    assert f"the client's {kind}" in message
    # The message says what kind of identifier, never the identifier itself.
    assert "Quintanilla" not in message and "1991" not in message and "0142" not in message
    assert not SuccessStory.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "Thank you for not giving up on me. I have been clean for 90 days.",
        "A big thank you from her mother.",  # the alias "Big Mo" is matched whole, not "big"
        "She started on April 17, 2023 and calls every week.",  # a date, not the birth date
        "Her case number 4-17-2024 is closed.",
        "Al final, todo salió bien.",  # "al" is no one's name here
    ],
)
def test_a_story_without_the_clients_identity_may_be_shared(cast, referral, text):
    story = _share(cast, referral, text)
    assert story.consent_to_share and story.review_state == SuccessStory.Review.PENDING


def test_very_short_names_count_only_as_part_of_the_whole_name(cast):
    client = ClientFactory(
        agency=cast.agency_a, first_name="Al", last_name="Li", aliases="J", phone="", date_of_birth=None
    )
    assert identifiers_in_text(text="Al final, J and I went to the Li river", client=client) == []
    assert identifiers_in_text(text="Thanks from Al Li", client=client) == ["name"]


def test_a_story_kept_in_the_record_may_name_the_client(cast, referral):
    story = success_story_create(
        referral=referral,
        actor=cast.case_manager_y,
        source="client",
        text="Marisol says thanks",
        consent_to_share=False,
    )
    assert story.text == "Marisol says thanks"


def test_the_story_form_shows_the_refusal_on_the_text(cast, referral):
    page = cast.login("officer_a1").post(
        f"/reports/stories/new/{referral.pk}/",
        {"source": "client", "text": "Marisol says thank you", "consent_to_share": "on"},
    )
    assert page.status_code == 200
    assert "contains the client&#x27;s name" in page.content.decode()
    assert not SuccessStory.objects.exists()


# ---------------------------------------------------------------------------
# Review by the program administrator
# ---------------------------------------------------------------------------


@pytest.fixture
def program_admin(db) -> User:
    return UserFactory(role=User.Role.PROGRAM_ADMIN, agency=None, badge_number="", is_staff=True)


@pytest.mark.parametrize(
    "who",
    ["officer_a1", "officer_a2", "officer_b", "supervisor_a", "case_manager_x", "case_manager_y", "command_a", "admin"],
)
def test_only_a_program_administrator_approves_a_story(cast, referral, program_admin, who):
    story = _share(cast, referral, "Thank you all")
    actor = getattr(cast, who)
    if who == "admin":
        assert success_story_review(story_id=story.pk, actor=actor, approve=True).review_state == "approved"
        return
    with pytest.raises(ValidationError, match="Only a program administrator"):
        success_story_review(story_id=story.pk, actor=actor, approve=True)
    story.refresh_from_db()
    assert story.review_state == SuccessStory.Review.PENDING and story.reviewed_at is None
    # A program administrator who is not a superuser may: the role decides.
    approved = success_story_review(story_id=story.pk, actor=program_admin, approve=True)
    assert (approved.review_state, approved.reviewed_by) == (SuccessStory.Review.APPROVED, program_admin)
    assert approved.reviewed_at is not None


def test_approval_runs_the_identity_check_again(cast, referral, program_admin):
    story = _share(cast, referral, "Thanks from Lupe")
    # Since the story was written, the client was found to go by Lupe.
    referral.client.aliases = "Lupe"
    referral.client.save()
    with pytest.raises(ValidationError, match="alias"):
        success_story_review(story_id=story.pk, actor=program_admin, approve=True)
    assert success_story_review(story_id=story.pk, actor=program_admin, approve=False).review_state == "declined"


def test_a_story_not_for_sharing_cannot_be_approved(cast, referral, program_admin):
    story = success_story_create(
        referral=referral, actor=cast.case_manager_y, source="client", text="Private", consent_to_share=False
    )
    with pytest.raises(ValidationError, match="did not agree"):
        success_story_review(story_id=story.pk, actor=program_admin, approve=True)


def test_the_admin_queue_shows_the_text_and_approves_from_the_list(cast, referral):
    story = _share(cast, referral, "Thank you for the second chance")
    admin = cast.login("admin")
    queue = admin.get("/admin/reports/successstory/", {"review": "pending"}).content.decode()
    assert "Thank you for the second chance" in queue
    response = admin.post(
        "/admin/reports/successstory/", {"action": "approve", "_selected_action": [story.pk]}, follow=True
    )
    assert "1 story approved for the digest" in response.content.decode()
    story.refresh_from_db()
    assert story.review_state == SuccessStory.Review.APPROVED and story.reviewed_by == cast.admin


def test_the_admin_cannot_approve_a_story_naming_the_client(cast, referral):
    story = _share(cast, referral, "Thanks for everything")
    SuccessStory.objects.filter(pk=story.pk).update(text="Thanks, Marisol")  # an old story, before the check
    response = cast.login("admin").post(
        "/admin/reports/successstory/", {"action": "approve", "_selected_action": [story.pk]}, follow=True
    )
    assert "contains the client&#x27;s name" in response.content.decode()
    story.refresh_from_db()
    assert story.review_state == SuccessStory.Review.PENDING


@pytest.mark.parametrize(
    "text",
    [
        "Thank you from Tony Garcia's mother",  # another client of the agency, whole
        "Mr. Garcia came back to say thanks",  # a title and surname
        "My son Colin Gonzalez got a bed",  # a client of another agency of the program
        "Call his mother on 520 555 0117",  # a client's phone
    ],
)
def test_a_story_naming_another_client_is_refused_written_and_at_approval(cast, referral, program_admin, text):
    """The Wins page every officer reads said "shared without naming anyone" above another
    client's name: a story is checked for any client of the agency or its program too."""
    ClientFactory(agency=cast.agency_a, first_name="Tony", last_name="Garcia")
    ClientFactory(agency=cast.agency_b, first_name="Colin", last_name="Gonzalez", phone="520-555-0117")
    with pytest.raises(ValidationError, match="another client"):
        _share(cast, referral, text)
    story = _share(cast, referral, "Thanks for everything")
    SuccessStory.objects.filter(pk=story.pk).update(text=text)  # written before the check
    with pytest.raises(ValidationError, match="another client"):
        success_story_review(story_id=story.pk, actor=program_admin, approve=True)
    story.refresh_from_db()
    assert story.review_state == SuccessStory.Review.PENDING


def test_a_story_may_name_no_one_in_particular_with_a_title(cast, referral):
    """A title before a word that is no client's surname (a counsellor, a doctor) is not a client."""
    ClientFactory(agency=cast.agency_a, first_name="Tony", last_name="Garcia")
    assert _share(cast, referral, "Ms. Whitfield at the clinic was so kind").pk


# ---------------------------------------------------------------------------
# The digest shows approved stories only
# ---------------------------------------------------------------------------

WEEK_START = datetime(2026, 3, 2, 7, tzinfo=UTC)  # Monday, midnight in Phoenix
MONDAY_AFTER = WEEK_START + timedelta(days=7, hours=8)
TEXTS = {"approved": "Approved: thank you all", "pending": "Pending: thanks", "declined": "Declined: thanks"}


def _stories_reviewed_on(cast, referral, program_admin, during: datetime) -> None:
    for state, text in TEXTS.items():
        story = _share(cast, referral, text)
        if state != "pending":
            success_story_review(story_id=story.pk, actor=program_admin, approve=state == "approved")
        SuccessStory.objects.filter(pk=story.pk).update(
            created_at=during, reviewed_at=during if state != "pending" else None
        )


def test_the_digest_shows_approved_stories_only(cast, referral, program_admin):
    _stories_reviewed_on(cast, referral, program_admin, WEEK_START + timedelta(days=2))
    context = digest_context(agency=cast.agency_a, week_start=WEEK_START.date(), now=MONDAY_AFTER)
    assert [s.text for s in context["stories"]] == [TEXTS["approved"]]
    digests_send_due(now=MONDAY_AFTER)
    stored = Digest.objects.get(agency=cast.agency_a)
    sent = next(m for m in mail.outbox if m.subject == stored.subject)
    for body in (stored.text, stored.html, sent.body):
        assert TEXTS["approved"] in body
        assert TEXTS["pending"] not in body and TEXTS["declined"] not in body


def test_the_digest_preview_shows_approved_stories_only(cast, referral, program_admin):
    week_start, _due = reported_week(cast.agency_a, timezone.now())
    zone = zoneinfo.ZoneInfo(cast.agency_a.timezone)
    _stories_reviewed_on(cast, referral, program_admin, datetime.combine(week_start, time(12), tzinfo=zone))
    preview = cast.login("command_a").get("/reports/digest/").content.decode()
    assert TEXTS["approved"] in preview
    assert TEXTS["pending"] not in preview and TEXTS["declined"] not in preview
