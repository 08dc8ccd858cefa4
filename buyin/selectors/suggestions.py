"""Reads of suggestions: the author's own, the program admin's triage, "You said, we did"."""

from __future__ import annotations

from django.db.models import Case, CharField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Concat

from buyin.models import ChangeMade, Suggestion
from deflection.models import Program, User
from deflection.permissions import administers_programs, in_program, may_triage_suggestions
from partners.models import ServicePartner


def partners_for_suggestions(*, user: User) -> QuerySet[ServicePartner]:
    """The partners a user may name in a suggestion: those their agency works with; for a case
    manager, their own partner and those serving the same agencies; the program's for its
    administration."""
    partners = ServicePartner.objects.filter(is_active=True)
    if administers_programs(user):
        return in_program(partners, user)
    if user.agency_id:
        return partners.filter(agencies=user.agency_id).distinct()
    if user.partner_id:
        return partners.filter(Q(pk=user.partner_id) | Q(agencies__partners=user.partner_id)).distinct()
    return partners.none()


def suggestion_list_mine(*, user: User) -> QuerySet[Suggestion]:
    """The user's own suggestions, newest first, with their answers."""
    return Suggestion.objects.filter(author=user).select_related("partner")


def suggestion_unread_count(*, user: User) -> int:
    """How many of the user's suggestions changed state since they last marked them read."""
    if not user.is_authenticated:
        return 0
    return (
        Suggestion.objects.filter(author=user)
        .exclude(state=Suggestion.State.NEW)
        .filter(Q(author_seen_at__isnull=True) | Q(author_seen_at__lt=F("state_changed_at")))
        .count()
    )


def suggestion_list_for_triage(*, user: User, state: str = "", topic: str = "") -> QuerySet[Suggestion]:
    """Every suggestion of the program's people for its administration, new first (then
    under review, then answered), newest first within each; filtered by state and topic.
    None for anyone else."""
    if not may_triage_suggestions(user):
        return Suggestion.objects.none()
    suggestions = in_program(Suggestion.objects.select_related("author", "partner"), user)
    if state in Suggestion.State.values:
        suggestions = suggestions.filter(state=state)
    if topic in Suggestion.Topic.values:
        suggestions = suggestions.filter(topic=topic)
    order = {s: i for i, s in enumerate(Suggestion.State.values)}
    rank = Case(*(When(state=s, then=Value(i)) for s, i in order.items()), output_field=IntegerField())
    return suggestions.annotate(rank=rank).order_by("rank", "-created_at", "-id")


def suggestion_get_for_triage(*, user: User, suggestion_id: int) -> Suggestion | None:
    """One suggestion with its history, for the program admin; None for anyone else."""
    return suggestion_list_for_triage(user=user).prefetch_related("events__actor").filter(pk=suggestion_id).first()


def you_said_we_did(*, programs: QuerySet[Program]) -> QuerySet:
    """The changes these programs made, newest first: their people's suggestions acted on and
    the changes their administration published from officers' feedback (a user's:
    `programs_of(user)`). An author is named only if they chose to be."""
    in_programs = Q(author__program__in=programs) | Q(author__agency__program__in=programs)
    in_programs |= Q(author__partner__agencies__program__in=programs)
    of_programs = Suggestion.objects.filter(in_programs).values("pk")
    name = Concat("author__first_name", Value(" "), "author__last_name", output_field=CharField())
    from_suggestions = (
        Suggestion.objects.filter(state=Suggestion.State.CHANGED, pk__in=of_programs)
        .annotate(
            what=F("answer"),
            named=Case(When(may_name_me=True, then=name), default=Value(""), output_field=CharField()),
            source=Value("suggestion", output_field=CharField()),
        )
        .values("topic", "what", "changed_on", "named", "source", "id")
        .order_by()  # the union is ordered; SQLite refuses an ORDER BY in its parts
    )
    published = (
        ChangeMade.objects.filter(program__in=programs)
        .annotate(named=Value("", output_field=CharField()), source=Value("feedback", output_field=CharField()))
        .values("topic", "what", "changed_on", "named", "source", "id")
        .order_by()
    )
    return from_suggestions.union(published, all=True).order_by("-changed_on", "-id")
