"""The process evaluation's figures of the suggestions: how many were received, answered,
changed and set aside, and how long an answer took; defined once, for the page and the export.

Definitions (each month of the agency's calendar; the suggestions of the people of the scope's
agency, and of its unit where the scope has one, as they are placed now):
- Received: suggestions sent in the month.
- Answered: suggestions first moved out of "new" in the month (to under review, changed or
  not now). A suggestion is answered once: a reopened one goes back to review, not to new.
- Changed, Not now: suggestions moved to changed, or to not now, in the month (each counted
  once a month whatever happened to it after).
- Days to answer: from sending to that first answer, in days (hours count as fractions); the
  median of the suggestions answered in the month.

These are counts of suggestions, not of anyone's opinion: no floor of 5, and never who sent
them. Suggestions are few (tens a month), so they are read from the suggestions and their
history directly: no rollup.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, fields
from datetime import date

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buyin.models import Suggestion, SuggestionEvent
from reports.metrics.definitions import Scope

S = Suggestion.State


@dataclass
class SuggestionCounts:
    """Suggestions of one month (or a whole period): each count, and the days each answer took."""

    # The days each answer of the month took (from sending to the first answer).
    days_to_answer: list[float] = field(default_factory=list)
    received: int = 0
    answered: int = 0
    changed: int = 0
    not_now: int = 0

    @property
    def median_days(self) -> float | None:
        """The median days from sending to the first answer; None when none was answered."""
        return statistics.median(self.days_to_answer) if self.days_to_answer else None

    def add(self, other: SuggestionCounts) -> None:
        """Add another month's counts (and its days to answer) to these."""
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def suggestions_in(scope: Scope):
    """The suggestions of the scope's people: authors of its agency, and of its unit if it has one."""
    authors = Q(author__agency_id=scope.agency_id)
    if scope.unit_id:
        authors &= Q(author__unit_id=scope.unit_id)
    return Suggestion.objects.filter(authors)


def suggestions_by_month(scope: Scope, *, tz) -> dict[date, SuggestionCounts]:
    """The suggestion counts of the scope's period per month (first day, agency time `tz`)."""
    months: dict[date, SuggestionCounts] = {}

    def month(at) -> SuggestionCounts:
        return months.setdefault(at.astimezone(tz).date().replace(day=1), SuggestionCounts())

    mine = suggestions_in(scope)
    for sent in mine.filter(created_at__gte=scope.start, created_at__lt=scope.end).values_list("created_at", flat=True):
        month(sent).received += 1
    moves = SuggestionEvent.objects.filter(
        suggestion__in=mine.values("pk"), at__gte=scope.start, at__lt=scope.end
    ).exclude(from_state="")
    counted: set[tuple] = set()
    for suggestion_id, at, from_state, to_state, sent in moves.values_list(
        "suggestion_id", "at", "from_state", "to_state", "suggestion__created_at"
    ).order_by("at", "pk"):
        counts = month(at)
        if from_state == S.NEW:
            counts.answered += 1
            counts.days_to_answer.append((at - sent).total_seconds() / 86400)
        key = (at.astimezone(tz).date().replace(day=1), suggestion_id, to_state)
        if to_state in (S.CHANGED, S.NOT_NOW) and key not in counted:
            counted.add(key)
            setattr(counts, to_state, getattr(counts, to_state) + 1)
    return months


# The definitions in words, for the codebook and the page's notes.
VOICE_DEFINITIONS: list[tuple[str, str]] = [
    (
        _("Suggestions received"),
        _(
            "Suggestions sent in the month by the people of the agency (and unit, where one is chosen), as they are "
            "placed now. Counts of suggestions, not of opinions: shown exactly, never who sent them."
        ),
    ),
    (
        _("Suggestions answered"),
        _(
            "Suggestions the program administrator first moved out of 'new' in the month (to under review, changed "
            "or not now)."
        ),
    ),
    (
        _("Suggestions changed, not now"),
        _("Suggestions moved in the month to 'changed' (acted on, with what was changed) or to 'not now' (with why)."),
    ),
    (
        _("Days to answer"),
        _(
            "From sending a suggestion to its first answer, in days (hours as fractions of a day); the median of the "
            "suggestions answered in the month."
        ),
    ),
    (
        _("Pulse survey trend"),
        _(
            "For each statement asked in two or more closed waves, each wave's mean of everyone who answered it "
            "(1 strongly disagree to 5 strongly agree), with how many answered it; a wave closed in the period. "
            "A mean of fewer than 5 answers is not shown (outside the agency: fewer than 11)."
        ),
    ),
]
