from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from buyin.models import ChangeMade, OfficerFeedback, Suggestion
from tests.factories.core import UserFactory
from tests.factories.referrals import ReferralFactory


class OfficerFeedbackFactory(factory.django.DjangoModelFactory):
    """An officer's answer to the question after a deflection (the referral's own officer)."""

    class Meta:
        model = OfficerFeedback

    referral = factory.SubFactory(ReferralFactory)
    officer = factory.LazyAttribute(lambda f: f.referral.created_by)
    ease = OfficerFeedback.Ease.EASIER
    answered_at = factory.LazyFunction(timezone.now)


class SuggestionFactory(factory.django.DjangoModelFactory):
    """A suggestion as sent (state new); tests move it through the services."""

    class Meta:
        model = Suggestion

    author = factory.SubFactory(UserFactory)
    topic = Suggestion.Topic.PROCESS
    text = factory.Faker("sentence", nb_words=12)


# What each suggestion page of the access table changes (keys of suggestions_state).
SUGGESTION_CHANGES = {"suggestions", "suggestions_read", "suggestion_state", "changes_made"}


def answered_suggestions(cast) -> None:
    """For each member of the cast, a suggestion under review they have not read; and one new
    suggestion of officer_a1 (about training), for the program admin to answer."""
    from tests.conftest import MEMBERS

    earlier = timezone.now() - timedelta(days=1)
    Suggestion.objects.bulk_create(
        [
            Suggestion(
                author=getattr(cast, who),
                topic=Suggestion.Topic.FORM,
                text="Shorter, please.",
                state=Suggestion.State.UNDER_REVIEW,
                created_at=earlier,
                state_changed_at=earlier,
            )
            for who in MEMBERS
        ]
    )
    SuggestionFactory(author=cast.officer_a1, topic=Suggestion.Topic.TRAINING, text="A refresher on the 24/7 line.")


def suggestion_to_answer() -> Suggestion | None:
    """The suggestion answered_suggestions left for the program admin."""
    return Suggestion.objects.filter(topic=Suggestion.Topic.TRAINING).order_by("pk").first()


def suggestions_state() -> dict:
    """What the suggestion pages change, counted: compare two to see what changed."""
    target = suggestion_to_answer()
    return {
        "suggestions": Suggestion.objects.count(),
        "suggestions_read": Suggestion.objects.filter(author_seen_at__isnull=False).count(),
        "suggestion_state": target.state if target else None,
        "changes_made": ChangeMade.objects.count(),
    }
