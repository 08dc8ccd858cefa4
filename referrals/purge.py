"""Remove the identities of clients inactive for longer than the retention period.

What goes: name, aliases, phone, date of birth, the search key, and every free-text note
written about the client's referrals (officer's note and location, status and case notes,
follow-up notes, officers' contact and check-in notes and places, consent signatures, purposes and
revocation notes, a held charge's description, case number and note, success stories not
shared with the client's agreement, merge snapshots, the admin's history of the client): free
text may name anyone, and a case number leads back to them. What stays: every referral
with its dates, pathway, partner, officer, status, reasons and minutes, the case events and
follow-ups as facts, consents as facts (scope, dates, recipients), and the access record,
which holds ids only. So the dashboard, digest and rollups count exactly what they counted
before; the evaluation export shows the age band as unknown (no date of birth is left to
band).

Inactive means: no open referral, and nothing happened on any of the client's referrals
(logged, status changed, case event, follow-up completed) and the client was not created,
within the retention period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from deflection import purge_hooks
from referrals.models import (
    CaseEvent,
    Client,
    ClientMerge,
    Consent,
    FollowUp,
    HeldCharge,
    OfficerCheckIn,
    OfficerContact,
    Referral,
)

BATCH = 500
REMOVED = "(removed)"


@dataclass(frozen=True)
class PurgeResult:
    clients: int
    referrals: int


def retention_days() -> int:
    """How long a client's identity is kept after their last activity (CLIENT_RETENTION_DAYS)."""
    return int(settings.DEFLECTION.get("CLIENT_RETENTION_DAYS", 7 * 365))


def expired_clients(*, now: datetime | None = None, days: int | None = None) -> QuerySet[Client]:
    """The clients with identities still held and no open referral or activity since the retention cut-off."""
    cutoff = (now or timezone.now()) - timedelta(days=retention_days() if days is None else days)
    client = OuterRef("pk")
    recent_referral = Referral.objects.filter(client=client).filter(
        Q(status__in=Referral.OPEN_STATUSES) | Q(occurred_at__gte=cutoff) | Q(status_changed_at__gte=cutoff)
    )
    recent_event = CaseEvent.objects.filter(referral__client=client, created_at__gte=cutoff)
    recent_follow_up = FollowUp.objects.filter(referral__client=client, completed_at__gte=cutoff)
    return (
        Client.objects.filter(identity_removed_at__isnull=True, created_at__lt=cutoff)
        .exclude(Exists(recent_referral))
        .exclude(Exists(recent_event))
        .exclude(Exists(recent_follow_up))
        .order_by("pk")
    )


def purge_expired(*, now: datetime | None = None, days: int | None = None, dry_run: bool = False) -> PurgeResult:
    """Remove the expired clients' identities in batches; what was purged (only counted, with dry_run)."""
    now = now or timezone.now()
    ids = list(expired_clients(now=now, days=days).values_list("pk", flat=True))
    if dry_run:
        return PurgeResult(clients=len(ids), referrals=Referral.objects.filter(client_id__in=ids).count())
    clients = referrals = 0
    for start in range(0, len(ids), BATCH):
        done = _purge(ids[start : start + BATCH], now=now, days=days)
        clients += len(done)
        referrals += Referral.objects.filter(client_id__in=done).count()
    return PurgeResult(clients=clients, referrals=referrals)


@transaction.atomic
def _purge(client_ids: list[int], *, now: datetime, days: int | None) -> set[int]:
    """Purge these clients, those still inactive under lock; returns the ids purged."""
    # Checked again under lock: a client logged again since the list was made keeps their name.
    locked = list(Client.objects.select_for_update().filter(pk__in=client_ids).values_list("pk", flat=True))
    still = set(expired_clients(now=now, days=days).filter(pk__in=locked).values_list("pk", flat=True))
    for client in Client.objects.filter(pk__in=still):
        client.first_name = "Removed"
        client.last_name = f"#{client.pk}"
        client.aliases = ""
        client.phone = ""
        client.date_of_birth = None
        client.search_name = ""
        client.identity_removed_at = now
        client.save(
            update_fields=[
                "first_name",
                "last_name",
                "aliases",
                "phone",
                "date_of_birth",
                "search_name",
                "identity_removed_at",
            ]
        )
    referrals = Referral.objects.filter(client_id__in=still)
    referrals.update(note="", location="", status_note="")
    # The program's own notes too, as when they were text: otherwise note_text would say them again.
    CaseEvent.objects.filter(referral__in=referrals).update(note="", note_key="", note_params={})
    FollowUp.objects.filter(referral__in=referrals).update(note="")
    OfficerContact.objects.filter(referral__in=referrals).update(note="", location="")
    OfficerCheckIn.objects.filter(referral__in=referrals).update(note="", where="")
    HeldCharge.objects.filter(referral__in=referrals).update(description=REMOVED, case_number=REMOVED, state_note="")
    Consent.objects.filter(client_id__in=still).update(
        signature_name=REMOVED, signature_drawing="", revocation_note="", purpose=REMOVED
    )
    ClientMerge.objects.filter(survivor_id__in=still).update(merged_snapshot={})
    # What other apps keep about these referrals (reports: success stories) goes too.
    purge_hooks.run(referrals)
    _purge_admin_log(still)
    return still


def _purge_admin_log(client_ids: set[int]) -> None:
    """The admin's history of these clients: older entries may hold a name (Client's str()
    was the name until it became "Client #id") and change messages may quote fields."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Client), object_id__in=[str(pk) for pk in client_ids]
    ).update(object_repr=Concat(Value("Client #"), F("object_id")), change_message="")
