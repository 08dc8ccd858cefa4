"""What every page's menu shows from the buy-in loop, read in one query: the first open pulse
wave the user was asked and has not answered, and how many answers to their suggestions they
have not read."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, Subquery, Value
from django.db.models.functions import Coalesce

from buyin.selectors.pulse import pulse_open_for_user
from buyin.selectors.suggestions import suggestions_unread
from deflection.models import User

# Whom a wave can ask: for the others the menu reads the suggestions only.
ASKED_ROLES = (User.Role.OFFICER, User.Role.SUPERVISOR, User.Role.CASE_MANAGER)


@dataclass(frozen=True)
class OpenWave:
    """The wave the menu and the banner link to."""

    pk: int
    title: str


@dataclass(frozen=True)
class MenuBadges:
    unread_suggestions: int
    # At most one: the wave closing soonest.
    pulse_waiting: list[OpenWave]


def menu_badges(*, user: User) -> MenuBadges:
    """Both of the menu's badges in one query: every page pays for it, so one round trip."""
    if not user.is_authenticated:
        return MenuBadges(0, [])
    unread = suggestions_unread(user=user).order_by().values("author_id").annotate(n=Count("pk")).values("n")
    annotations = {"unread": Coalesce(Subquery(unread, output_field=IntegerField()), Value(0))}
    if user.role in ASKED_ROLES:
        waves = pulse_open_for_user(user)
        annotations["wave_id"] = Subquery(waves.values("pk")[:1])
        annotations["wave_title"] = Subquery(waves.values("title")[:1])
    row = User.objects.filter(pk=user.pk).annotate(**annotations).values(*annotations).get()
    wave_id = row.get("wave_id")
    waiting = [OpenWave(wave_id, row["wave_title"])] if wave_id else []
    return MenuBadges(row["unread"], waiting)
