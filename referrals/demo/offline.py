"""The demo officer's deflection logged with no signal for someone the agency may know: its
question ("Same person?") waits on their Log a deflection, to answer in one tap.

One of the officer's recent deflections of someone new becomes it: its client is typed as
another client the agency already knows (their name and birth date, as an officer who could
not search would type them again), and the question is written as a deflection sent from the
phone leaves it. The demo's counts of clients and encounters stay as they are.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count

from deflection.models import Agency, User
from referrals.models import IS_DEFLECTION, Client, PossibleDuplicate, Referral
from referrals.search import possible_duplicates
from referrals.services.clients import possible_duplicate_record


def possible_duplicate_build(*, agency: Agency, officer_user: User, now: datetime) -> PossibleDuplicate | None:
    recent = (
        Referral.objects.filter(agency=agency, officer__user=officer_user, occurred_at__gte=now - timedelta(days=14))
        .filter(IS_DEFLECTION)
        .annotate(client_referrals=Count("client__referrals"))
        .filter(client_referrals=1)
        .select_related("client")
        .order_by("-occurred_at")
        .first()
    )
    known = (
        Client.objects.filter(agency=agency, identity_removed_at=None, date_of_birth__isnull=False)
        .exclude(referrals__officer__user=officer_user)
        .order_by("pk")
        .first()
    )
    if recent is None or known is None:
        return None
    client = recent.client
    client.first_name, client.last_name, client.date_of_birth = known.first_name, known.last_name, known.date_of_birth
    client.aliases = ""
    client.refresh_search_name()
    client.save(update_fields=["first_name", "last_name", "date_of_birth", "aliases", "search_name"])
    found = possible_duplicates(
        user=officer_user, first_name=client.first_name, last_name=client.last_name, date_of_birth=client.date_of_birth
    )
    candidates = [c for c in found if c.pk != client.pk]
    Referral.objects.filter(pk=recent.pk).update(seconds_to_log=None)  # logged with no signal: not measured
    return possible_duplicate_record(referral=recent, candidates=candidates, logged_by=officer_user)
