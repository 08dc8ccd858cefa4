"""The search's oracle: the steps referrals.search's PostgreSQL statement takes for a name,
taken one at a time through the ORM, so that a test can check the statement against them."""

from __future__ import annotations

from django.db.models import Case, Q, Value, When

from referrals import search
from referrals.models import Client


def stepwise_names(agency_id: int, name: str, limit: int) -> list[Client]:
    """What the statement should find for `name` (no date of birth), in its order."""
    words = name.split()
    if len(words) > 1:
        whole = search._whole_name(search._agency_clients(agency_id), name, limit)
        if whole:
            return [match.client for match in whole]
    by_name = search._by_name_scope(agency_id)
    if len(words) == 1:
        # One word: when at least `limit` names have a word starting with it, those are the
        # answer, whole words first, then by last name.
        whole_word = (
            Q(search_name=name)
            | Q(search_name__startswith=f"{name} ")
            | Q(search_name__endswith=f" {name}")
            | Q(search_name__contains=f" {name} ")
        )
        starts = list(
            by_name.filter(search_name__contains=name)
            .filter(Q(search_name__startswith=name) | Q(search_name__contains=f" {name}"))
            .order_by(Case(When(whole_word, then=Value(0)), default=Value(1)), "last_name", "first_name", "id")[:limit]
        )
        if len(starts) == limit:
            return [match.client for match in search._rank(starts, name, None)]
    return [match.client for match in search._trigram_steps(by_name, name, limit)]
