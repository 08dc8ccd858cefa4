"""Writes for quick wins and success stories (kept free of the client's identity when shared)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection.models import User
from deflection.permissions import administers_programs, in_program, may_add_story
from referrals.identity_text import clients_near, identifiers_in_text, others_identified_in
from referrals.models import Client, Referral
from referrals.purge import REMOVED
from reports.models import SuccessStory

# ---------------------------------------------------------------------------
# A client's identity in a story's text (the check itself: referrals.identity_text)
# ---------------------------------------------------------------------------


def story_check_shareable(*, text: str, client: Client) -> None:
    """Refuse a story that would carry the client's identity out of the case record.

    The one check, for the story form, the service and the program administrator's approval.
    The message names the kind of identifier found, never its value.
    """
    found = identifiers_in_text(text=text, client=client)
    if found:
        raise ValidationError(
            {
                "text": _(
                    "This story cannot be shared: it contains the client's %(what)s. Take it out, "
                    "or keep the story in the case record only (not shared)."
                )
                % {"what": ", ".join(found)}
            }
        )
    # Or another client's (a story may tell of a friend met at the same clinic).
    found = others_identified_in(text=text, clients=clients_near(client.agency_id))
    if found:
        raise ValidationError(
            {
                "text": _(
                    "This story cannot be shared: it contains another client's %(what)s. Take it out, "
                    "or keep the story in the case record only (not shared)."
                )
                % {"what": ", ".join(found)}
            }
        )


# ---------------------------------------------------------------------------
# Stories
# ---------------------------------------------------------------------------


@transaction.atomic
def success_story_create(
    *, referral: Referral, actor: User, source: str, text: str, consent_to_share: bool
) -> SuccessStory:
    """Save a thank-you note or testimonial with the referral (shared only once approved)."""
    if not may_add_story(user=actor, referral=referral):
        raise ValidationError(_("You cannot add a story to this referral."))
    if consent_to_share:
        story_check_shareable(text=text, client=referral.client)
    story = SuccessStory(
        referral=referral,
        agency_id=referral.agency_id,
        source=source,
        text=text.strip(),
        consent_to_share=consent_to_share,
        consent_recorded_at=timezone.now() if consent_to_share else None,
        recorded_by=actor,
    )
    story.full_clean()
    story.save()
    return story


@transaction.atomic
def success_story_review(*, story_id: int, actor: User, approve: bool) -> SuccessStory:
    """A program administrator approves a shareable story for the digest, or declines it.

    Approval runs the identity check again: the client may have gained an alias, or the
    story may predate the check."""
    if not administers_programs(actor):
        raise ValidationError(_("Only a program administrator reviews success stories."))
    story = (
        in_program(SuccessStory.objects.select_for_update(of=("self",)), actor)
        .select_related("referral__client")
        .filter(pk=story_id)
        .first()
    )
    if story is None:
        raise ValidationError(_("This story does not exist."))
    if not story.consent_to_share:
        raise ValidationError(_("The client did not agree to share this story: it stays in the case record."))
    if approve and story.referral.entered_in_error:
        raise ValidationError(_("Its officer cancelled the referral as entered in error: there is nothing to share."))
    if approve:
        story_check_shareable(text=story.text, client=story.referral.client)
    story.review_state = SuccessStory.Review.APPROVED if approve else SuccessStory.Review.DECLINED
    story.reviewed_by = actor
    story.reviewed_at = timezone.now()
    story.full_clean()
    story.save(update_fields=["review_state", "reviewed_by", "reviewed_at"])
    return story


def success_stories_purge(referrals) -> None:
    """Remove the text of these referrals' stories when their client's identity is purged
    (registered with deflection.purge_hooks). A story the client agreed to share without
    their name stays, as agreed."""
    SuccessStory.objects.filter(referral__in=referrals, consent_to_share=False).update(text=REMOVED)
