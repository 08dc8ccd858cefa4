"""Buy-in rows for tests: feedback, training and champions by factory; pulse survey waves made
the way the program administrator makes them."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

import factory
from django.utils import timezone

from buyin.models import (
    Champion,
    ChangeMade,
    Commendation,
    FeedbackObstacle,
    OfficerFeedback,
    PulseSurvey,
    RecognitionKind,
    Suggestion,
    TrainingAttendance,
    TrainingSession,
)
from buyin.services.pulse import DEFAULT_STATEMENTS, pulse_answer_submit, pulse_survey_create, pulse_wave_open
from deflection.models import Agency, User
from tests.factories.core import AgencyFactory, UnitFactory, UserFactory
from tests.factories.referrals import ReferralFactory


class OfficerFeedbackFactory(factory.django.DjangoModelFactory):
    """An officer's answer after logging a deflection (ease "" for a skip), by the officer who
    logged it; `obstacles=[kinds]` adds what got in the way."""

    class Meta:
        model = OfficerFeedback
        skip_postgeneration_save = True

    referral = factory.SubFactory(ReferralFactory)
    officer = factory.LazyAttribute(lambda f: f.referral.created_by or f.referral.officer.user)
    ease = OfficerFeedback.Ease.EASIER
    answered_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def obstacles(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            FeedbackObstacle.objects.bulk_create(FeedbackObstacle(feedback=obj, kind=kind) for kind in extracted)


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    agency = factory.SubFactory(AgencyFactory)
    held_on = factory.LazyFunction(lambda: date.today() - timedelta(days=40))
    topic = TrainingSession.Topic.ADDICTION_MAT
    trainer = factory.Faker("name")


class TrainingAttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingAttendance

    session = factory.SubFactory(TrainingSessionFactory)


class ChampionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Champion

    unit = factory.SubFactory(UnitFactory)
    user = factory.SubFactory(UserFactory, agency=factory.SelfAttribute("..unit.agency"))
    kind = Champion.Kind.FTO
    since = factory.LazyFunction(lambda: date.today() - timedelta(days=30))


def agency_today(agency: Agency) -> date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(agency.timezone)).date()


def pulse_wave(
    *,
    actor: User,
    agency: Agency,
    units=(),
    partners=(),
    opens_on: date | None = None,
    days_ago: int = 1,
    days_open: int = 7,
    statements=None,
    title: str = "Spring pulse",
    opened: bool = True,
) -> PulseSurvey:
    """A wave made through the service, opening `days_ago` days ago (agency calendar) unless
    `opens_on` says otherwise, its audience fixed if `opened`."""
    survey = pulse_survey_create(
        actor=actor,
        agency=agency,
        title=title,
        statements=[str(s) for s in (statements or DEFAULT_STATEMENTS)],
        open_question="What one change would help?",
        units=list(units),
        partners=list(partners),
        opens_on=opens_on or agency_today(agency) - timedelta(days=days_ago),
        days_open=days_open,
    )
    if opened:
        pulse_wave_open(survey_id=survey.pk, now=inside(survey))
        survey.refresh_from_db()
    return survey


def inside(survey: PulseSurvey) -> datetime:
    """A moment while the wave is open (its first noon, agency time)."""
    zone = zoneinfo.ZoneInfo(survey.agency.timezone)
    return datetime.combine(survey.opens_on, time(12), tzinfo=zone)


def answer(survey: PulseSurvey, user: User, scores, open_text: str = "") -> None:
    """`user` answers the wave while it is open."""
    pulse_answer_submit(survey_id=survey.pk, user=user, scores=list(scores), open_text=open_text, now=inside(survey))


def answered_waves(cast, people, waves) -> dict[str, PulseSurvey]:
    """Closed waves of agency A's MHST, each (title, days_ago, scores): the people answer in
    turn, each one score to every statement. By title."""
    found = {}
    for title, days_ago, scores in waves:
        found[title] = pulse_wave(
            actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a], days_ago=days_ago, title=title
        )
        for person, score in zip(people, scores, strict=False):
            answer(found[title], person, [score] * len(found[title].statements))
    return found


class RecognitionKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecognitionKind
        django_get_or_create = ["agency", "name"]

    agency = factory.SubFactory("tests.factories.core.AgencyFactory")
    name = "Commendation"


class CommendationFactory(factory.django.DjangoModelFactory):
    """A commendation as commendation_create leaves it (its notice not yet sent)."""

    class Meta:
        model = Commendation

    officer = factory.SubFactory(UserFactory)
    agency = factory.LazyAttribute(lambda c: c.officer.agency)
    commended_by = factory.SubFactory(UserFactory, role="supervisor", agency=factory.SelfAttribute("..agency"))
    kind = factory.SubFactory(RecognitionKindFactory, agency=factory.SelfAttribute("..agency"))
    text = "Stayed with a man in crisis for forty minutes and got him to the crisis centre."


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
