"""Pulse survey reads: the waves a user may see, the open wave a user is asked, and results
with the floor of 5 answers a cell (and no cell recoverable by subtraction)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from buyin.models import PulseAnswer, PulseParticipation, PulseSurvey
from buyin.models.pulse import SCORES
from deflection.models import User
from deflection.permissions import in_program, may_run_pulse, may_see_pulse_results

FLOOR = 5  # fewer answers than this in a cell: shown as "fewer than 5"


def pulse_surveys_for_user(user: User) -> QuerySet[PulseSurvey]:
    """The waves whose list and results the user may see: their program's for program
    administration, their agency's for command staff, none for anyone else."""
    # Newest first, said here: a query that counts (GROUP BY) drops the model's own ordering.
    waves = (
        PulseSurvey.objects.select_related("agency")
        .annotate(
            asked=Count("participations", distinct=True),
            answered=Count("participations", filter=Q(participations__answered=True), distinct=True),
        )
        .order_by("-opens_at", "-pk")
    )
    if may_run_pulse(user):
        return in_program(waves, user)
    if user.is_command and user.agency_id:
        return waves.filter(agency_id=user.agency_id)
    return waves.none()


def pulse_survey_for_results(*, user: User, survey_id: int) -> PulseSurvey:
    """One wave whose results the user may see, or 404 (never 403: that would confirm it exists)."""
    survey = PulseSurvey.objects.select_related("agency").filter(pk=survey_id).first()
    if survey is None or not may_see_pulse_results(user=user, survey=survey):
        raise Http404
    return survey


def pulse_unanswered_for_user(user: User, now: datetime | None = None) -> QuerySet[PulseSurvey]:
    """The waves the user was asked and has not answered, not closed yet, the soonest to close
    first (buyin.menu shows those open at each page)."""
    if not user.is_authenticated:
        return PulseSurvey.objects.none()
    now = now or timezone.now()
    return PulseSurvey.objects.filter(
        closes_at__gt=now, participations__user=user, participations__answered=False
    ).order_by("closes_at")


def pulse_participation_for_user(*, user: User, survey_id: int) -> PulseParticipation:
    """The user's place in a wave they were asked, or 404 for anyone else."""
    participation = (
        PulseParticipation.objects.select_related("survey", "survey__agency")
        .filter(survey_id=survey_id, user=user)
        .first()
    )
    if participation is None:
        raise Http404
    return participation


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass
class StatementResult:
    """One statement in one group: the mean and the count at each point of the scale, or hidden."""

    statement: str
    n: int
    shown: bool
    mean: Decimal | None = None
    distribution: list[int] = field(default_factory=list)  # strongly disagree .. strongly agree


@dataclass
class GroupResult:
    """One group (a unit, a partner, or everyone): how many answered, and each statement."""

    label: str
    respondents: int
    shown: bool
    statements: list[StatementResult]


@dataclass
class WaveResults:
    """A wave's results: overall, by group, and (for program administration) the open answers."""

    survey: PulseSurvey
    asked: int
    overall: GroupResult
    groups: list[GroupResult]
    open_answers: list[str]


def hidden_cells(counts: dict, forced: frozenset = frozenset()) -> set:
    """The groups to hide: those with fewer than FLOOR answers, plus as many of the smallest
    others as it takes for the hidden ones together to hold FLOOR or more (or none): else the
    overall figure minus the shown groups would give away the hidden group's answers."""
    hidden = {key for key, n in counts.items() if n < FLOOR} | {key for key in forced if key in counts}
    shown = sorted((n, str(key), key) for key, n in counts.items() if key not in hidden)
    while 0 < sum(counts[key] for key in hidden) < FLOOR and shown:
        hidden.add(shown.pop(0)[2])
    return hidden


def _mean(scores: list[int]) -> Decimal:
    return (Decimal(sum(scores)) / Decimal(len(scores))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _statement(text: str, scores: list[int], shown: bool) -> StatementResult:
    if not shown or len(scores) < FLOOR:
        return StatementResult(statement=text, n=len(scores), shown=False)
    return StatementResult(
        statement=text,
        n=len(scores),
        shown=True,
        mean=_mean(scores),
        distribution=[scores.count(point) for point in SCORES],
    )


def _labels(survey: PulseSurvey) -> dict[tuple, str]:
    labels = {("unit", unit.pk): str(unit) for unit in survey.units.all()}
    labels.update({("partner", partner.pk): str(partner) for partner in survey.partners.all()})
    return labels


def _key(row: dict) -> tuple:
    if row["unit_id"]:
        return ("unit", row["unit_id"])
    if row["partner_id"]:
        return ("partner", row["partner_id"])
    return ("none", 0)


def pulse_results(survey: PulseSurvey, *, with_open_answers: bool = False) -> WaveResults:
    """The wave's results: overall and by group, each cell shown only with FLOOR answers or more."""
    answers = list(PulseAnswer.objects.filter(survey=survey).values("unit_id", "partner_id", "scores", "open_text"))
    labels = _labels(survey)
    # Every group asked is listed, answered or not; answers from people who moved since are
    # their own group (under the floor like any other).
    by_group: dict[tuple, list[dict]] = {key: [] for key in labels}
    for row in answers:
        by_group.setdefault(_key(row), []).append(row)
    hidden_groups = frozenset(hidden_cells({key: len(rows) for key, rows in by_group.items()}))
    columns = range(len(survey.statements))

    def scores(rows: list[dict], i: int) -> list[int]:
        return [row["scores"][i] for row in rows if row["scores"][i] is not None]

    # Each statement may be left blank, so each statement has its own counts to protect.
    hidden_by_statement = [
        hidden_cells({key: len(scores(rows, i)) for key, rows in by_group.items()}, hidden_groups) for i in columns
    ]
    groups = [
        GroupResult(
            label=labels.get(key) or _("Now outside the units and partners asked"),
            respondents=len(rows),
            shown=key not in hidden_groups,
            statements=[
                _statement(survey.statements[i], scores(rows, i), key not in hidden_by_statement[i]) for i in columns
            ],
        )
        for key, rows in sorted(by_group.items(), key=lambda item: labels.get(item[0], "~"))
    ]
    overall_shown = len(answers) >= FLOOR
    overall = GroupResult(
        label=_("Everyone asked"),
        respondents=len(answers),
        shown=overall_shown,
        statements=[_statement(survey.statements[i], scores(answers, i), overall_shown) for i in columns],
    )
    open_answers = []
    if with_open_answers and overall_shown:
        # Ordered by the random key, which every answer rewrote: no order of arrival, no group.
        open_answers = [row["open_text"] for row in answers if row["open_text"]]
    return WaveResults(
        survey=survey,
        asked=survey.participations.count(),
        overall=overall,
        groups=groups,
        open_answers=open_answers,
    )


# ---------------------------------------------------------------------------
# Across waves
# ---------------------------------------------------------------------------


@dataclass
class TrendPoint:
    """One closed wave's overall figure for a statement (mean None: fewer than 5 answered it)."""

    survey_id: int
    title: str
    closed_on: datetime
    n: int
    mean: Decimal | None


@dataclass
class StatementTrend:
    """A statement asked in more than one closed wave, wave by wave, oldest first."""

    statement: str
    points: list[TrendPoint]


def pulse_trend(*, user: User, agency_id: int | None = None, now: datetime | None = None) -> list[StatementTrend]:
    """The overall mean of each statement asked in two or more closed waves the user may see
    (of one agency if given), oldest wave first: for the results page and the process evaluation."""
    now = now or timezone.now()
    waves = pulse_surveys_for_user(user).filter(closes_at__lte=now).order_by("closes_at", "pk")
    if agency_id is not None:
        waves = waves.filter(agency_id=agency_id)
    waves = list(waves)
    # Only the overall figure is wanted: every wave's answers in one read, not pulse_results()
    # a wave (its groups and open answers), so the pages' queries do not grow with the waves.
    answers: dict[int, list[list]] = defaultdict(list)
    for survey_id, scores in PulseAnswer.objects.filter(survey__in=[w.pk for w in waves]).values_list(
        "survey_id", "scores"
    ):
        answers[survey_id].append(scores)
    points: dict[str, list[TrendPoint]] = defaultdict(list)
    wording: dict[str, str] = {}
    for survey in waves:
        rows = answers[survey.pk]
        for i, text in enumerate(survey.statements):
            result = _statement(text, [r[i] for r in rows if r[i] is not None], len(rows) >= FLOOR)
            key = result.statement.strip().casefold()
            wording.setdefault(key, result.statement)
            points[key].append(
                TrendPoint(
                    survey_id=survey.pk,
                    title=survey.title,
                    closed_on=survey.closes_at,
                    n=result.n,
                    mean=result.mean if result.shown else None,
                )
            )
    return [StatementTrend(statement=wording[key], points=p) for key, p in points.items() if len(p) > 1]


def pulse_closed_between(*, agency_id: int, start: datetime, end: datetime) -> list[WaveResults]:
    """The agency's waves that closed after `start` up to `end` (each instant in exactly one
    such week: the weekly digest shows each wave once), with their overall results."""
    waves = PulseSurvey.objects.filter(agency_id=agency_id, closes_at__gt=start, closes_at__lte=end)
    return [pulse_results(survey) for survey in waves.order_by("closes_at", "pk")]
