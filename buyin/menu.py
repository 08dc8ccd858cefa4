"""What every page's menu shows from the buy-in loop for the signed-in user: how many answers
to their suggestions they have not read, and the pulse survey waves waiting for their answer.

Every page reads it, so it is kept a minute per user in the shared cache and forgotten when
it changes: a suggestion of theirs saved (answered, or read: suggestion_mark_read forgets it),
a participation of theirs saved (asked, answered), a wave of theirs edited. The waves are kept
with their times and filtered at each read, so a wave opens and closes on the menu on time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models.signals import ModelSignal, post_save

from buyin.models import PulseParticipation, PulseSurvey, Suggestion
from buyin.selectors.pulse import pulse_unanswered_for_user
from buyin.selectors.suggestions import suggestion_unread_count
from deflection import shared_cache
from deflection.models import User

# Whom a wave can ask: the others are spared the query.
ASKED_ROLES = (User.Role.OFFICER, User.Role.SUPERVISOR, User.Role.CASE_MANAGER)
MENU_SECONDS = 60


@dataclass(frozen=True)
class WaveWaiting:
    """A wave the user was asked and has not answered, as the menu and its banner show it."""

    pk: int
    title: str
    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True)
class MenuState:
    unread_suggestions: int
    # Not answered and not closed when read, the soonest to close first.
    waves: tuple[WaveWaiting, ...]

    def waiting(self, now: datetime) -> list[WaveWaiting]:
        """The waves open now."""
        return [wave for wave in self.waves if wave.opens_at <= now < wave.closes_at]


EMPTY = MenuState(unread_suggestions=0, waves=())


MENUS = shared_cache.KeptPer(kind="menu", owner="user", version=1, seconds=MENU_SECONDS)


def _read(user: User) -> MenuState:
    waves = ()
    if user.role in ASKED_ROLES:
        waves = tuple(
            WaveWaiting(pk=s.pk, title=s.title, opens_at=s.opens_at, closes_at=s.closes_at)
            for s in pulse_unanswered_for_user(user)
        )
    return MenuState(unread_suggestions=suggestion_unread_count(user=user), waves=waves)


def menu_state(user: User) -> MenuState:
    """The signed-in user's menu state, from the shared cache if there."""
    return MENUS.get(user.pk, MenuState, lambda: _read(user))


def forget_menus(user_ids: Iterable[int]) -> None:
    """These users' menus have changed: the next page reads them afresh."""
    MENUS.forget(user_ids)


def _suggestion_changed(sender, instance, **kwargs) -> None:
    forget_menus([instance.author_id])


def _participation_changed(sender, instance, **kwargs) -> None:
    forget_menus([instance.user_id])


def _wave_changed(sender, instance, **kwargs) -> None:
    # Its title or its dates, as every participant's menu shows them.
    forget_menus(PulseParticipation.objects.filter(survey_id=instance.pk).values_list("user_id", flat=True))


def _user_added(sender, instance, created: bool = False, **kwargs) -> None:
    # A new user numbered like a deleted one starts with an empty menu. (A role changed is seen
    # within MENU_SECONDS; a sign-in, which saves the user, forgets nothing.)
    if created:
        forget_menus([instance.pk])


def receivers() -> list[tuple[ModelSignal, type, shared_cache.Receiver]]:
    """Each save or delete that changes some users' menus, and whose to forget."""
    return [
        *shared_cache.saved_or_deleted(
            [
                (Suggestion, _suggestion_changed),
                (PulseParticipation, _participation_changed),
                (PulseSurvey, _wave_changed),
            ]
        ),
        (post_save, User, _user_added),
    ]
