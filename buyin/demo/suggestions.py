"""Demo suggestions in every state, some answered with the change made, and a change published
from officers' feedback: so that "You said, we did" and the triage page have something to show."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from buyin.models import ChangeMade, Suggestion, SuggestionEvent
from buyin.services import suggestions as services
from deflection.models import User
from partners.models import ServicePartner

T, S = Suggestion.Topic, Suggestion.State


@dataclass(frozen=True)
class DemoSuggestion:
    author: str  # a demo login, or "patrol" for an officer of the roster
    topic: str
    text: str
    days_ago: float
    state: str = S.NEW
    partner: str = ""  # the key of a demo partner
    answer: str = ""
    answered_after: float = 0  # days from sending to the answer
    may_name_me: bool = False
    read: bool = True  # False: the author has not opened the answer yet (the menu's badge)


SUGGESTIONS = (
    DemoSuggestion(
        "officer",
        T.PARTNER,
        "At night the clinic's front door is locked and we wait outside with the client. A direct "
        "intake line on the partner list would save us twenty minutes.",
        days_ago=46,
        partner="mat",
        state=S.CHANGED,
        answer="Added the 24/7 clinic's intake line to the partner list, with directions to the "
        "law-enforcement entrance.",
        answered_after=5,
        may_name_me=True,
    ),
    DemoSuggestion(
        "patrol",
        T.FORM,
        "On a phone the pathway list is long. Put the ones patrol uses most at the top.",
        days_ago=33,
        state=S.CHANGED,
        answer="The log form now shows the pathways as short chips, two to a row, so all of them fit on one screen.",
        answered_after=9,
    ),
    DemoSuggestion(
        "casemanager",
        T.PROCESS,
        "Officers could hand the client our card with the walk-in hours before they leave the scene.",
        days_ago=21,
        state=S.CHANGED,
        answer="Partner walk-in hours are now printed on the back of the MHST pocket card handed out at roll call.",
        answered_after=4,
        may_name_me=True,
    ),
    DemoSuggestion(
        "patrol",
        T.PARTNER,
        "Housing navigation closes at five. In the evening there is nobody to call for a client who "
        "is sleeping outside.",
        days_ago=18,
        partner="housing",
        state=S.NOT_NOW,
        answer="Casa Esperanza has no evening staff funded this year. We will ask for it at the county "
        "budget hearing in the spring.",
        answered_after=6,
    ),
    DemoSuggestion(
        "supervisor",
        T.TRAINING,
        "Officers new to the program need a fifteen-minute roll-call refresher on what the crisis "
        "center takes and what it does not.",
        days_ago=9,
        state=S.UNDER_REVIEW,
        answered_after=2,
    ),
    DemoSuggestion(
        "officer",
        T.TRAINING,
        "Tell us which partners take a client who has no ID with them.",
        days_ago=6,
        state=S.CHANGED,
        answer="Which partners take clients without ID is now covered at Monday roll call, and listed "
        "on the back of the pocket card.",
        answered_after=4,
        read=False,
    ),
    DemoSuggestion(
        "patrol",
        T.PARTNER,
        "The crisis center's drop-off bay was blocked by a delivery truck twice last week.",
        days_ago=3,
        partner="crisis",
        state=S.UNDER_REVIEW,
        answered_after=1,
    ),
    DemoSuggestion(
        "command",
        T.OTHER,
        "Share a one-page summary of the month's quick wins with the city council.",
        days_ago=2,
    ),
    DemoSuggestion(
        "patrol",
        T.TRAINING,
        "A ride-along with the peer team would help patrol officers see what happens after a referral.",
        days_ago=0.5,
        may_name_me=True,
    ),
)

# Published by the program admin from the officers' feedback after deflections.
CHANGES = (
    (
        T.PARTNER,
        "From your feedback after deflections (“no partner answered” came up most this spring): the "
        "crisis center now answers a dedicated officer line around the clock.",
        27,
    ),
)


def build_suggestions(
    *,
    admin: User,
    logins: dict[str, User],
    patrol: list[User],
    partners: dict[str, ServicePartner],
    rnd: random.Random,
    now: datetime,
) -> int:
    """Send and answer the demo's suggestions through the services, dated over the last weeks."""
    for spec in SUGGESTIONS:
        author = logins[spec.author] if spec.author in logins else rnd.choice(patrol)
        suggestion = services.suggestion_send(
            author=author,
            topic=spec.topic,
            text=spec.text,
            partner=partners[spec.partner] if spec.partner else None,
            may_name_me=spec.may_name_me,
        )
        sent = now - timedelta(days=spec.days_ago)
        answered = sent + timedelta(days=spec.answered_after)
        _answer(spec, suggestion, admin, answered)
        Suggestion.objects.filter(pk=suggestion.pk).update(
            created_at=sent,
            state_changed_at=answered if spec.state != S.NEW else sent,
            author_seen_at=answered + timedelta(hours=3) if spec.read and spec.state != S.NEW else None,
        )
        # Dated as it happened, and told at the time: the demo's history is not emailed again.
        events = SuggestionEvent.objects.filter(suggestion=suggestion)
        events.filter(from_state="").update(at=sent)
        reviewed = answered if spec.state == S.UNDER_REVIEW else sent + (answered - sent) / 2
        events.filter(to_state=S.UNDER_REVIEW).update(at=reviewed, notified_at=reviewed)
        events.filter(to_state__in=[S.CHANGED, S.NOT_NOW]).update(at=answered, notified_at=answered)
    for topic, what, days_ago in CHANGES:
        services.change_made_publish(
            actor=admin, topic=topic, what=what, changed_on=timezone.localdate(now - timedelta(days=days_ago))
        )
    return len(SUGGESTIONS)


def _answer(spec: DemoSuggestion, suggestion: Suggestion, admin: User, answered: datetime) -> None:
    who = {"suggestion_id": suggestion.pk, "actor": admin}
    if spec.state == S.NEW:
        return
    services.suggestion_review(**who)
    if spec.state == S.CHANGED:
        services.suggestion_change(answer=spec.answer, changed_on=timezone.localdate(answered), **who)
    elif spec.state == S.NOT_NOW:
        services.suggestion_not_now(answer=spec.answer, **who)


def delete_demo_suggestions(users: list[int]) -> None:
    """The demo's suggestions and changes (their authors and the admin are about to go)."""
    Suggestion.objects.filter(author__in=users).delete()  # and their history (CASCADE)
    ChangeMade.objects.filter(published_by__in=users).delete()
