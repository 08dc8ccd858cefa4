"""What the FHIR resources read besides the referral: when each Task last changed (and its
version), its outcomes, the consents on its referral, and which organizations a partner's
system may read. Every read starts from the referrals the client may see
(referrals.selectors.referral_list_for_user)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from deflection.models import Agency, User
from partners.models import ServicePartner
from referrals import selectors
from referrals.models import CaseEvent, Consent, FollowUp, Referral

# The case events that change what the FHIR resources show: a new referral, a status, an
# outcome, a consent, the client's record merged into another. A Task's meta.lastUpdated is
# its latest such event; a webhook is sent for each (api.webhooks).
SHOWN_KINDS = (
    CaseEvent.Kind.CREATED,
    CaseEvent.Kind.STATUS_CHANGED,
    CaseEvent.Kind.FOLLOW_UP,
    CaseEvent.Kind.CONSENT,
    CaseEvent.Kind.CLIENT_MERGED,
)


@dataclass
class TaskFacts:
    """What a Task shows besides its referral's own fields."""

    version: int = 0  # the id of its latest shown event: grows with every change
    updated_at: datetime | None = None
    outputs: list[FollowUp] = field(default_factory=list)  # completed follow-ups


def with_versions(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """The referrals with their Tasks' version and last update, read in the same query (an
    index lookup of the referral's latest shown event each), for task_facts."""
    shown = CaseEvent.objects.filter(referral=OuterRef("pk"), kind__in=SHOWN_KINDS).order_by("-created_at", "-id")
    return referrals.annotate(
        shown_version=Subquery(shown.order_by("-id").values("id")[:1]),
        shown_at=Subquery(shown.values("created_at")[:1]),
    )


def task_facts(referrals: Iterable[Referral]) -> dict[int, TaskFacts]:
    """The facts of each referral's Task: its completed follow-ups in one query whatever the
    number of referrals; its version from with_versions, or from one more query."""
    referrals = list(referrals)
    facts = {r.pk: TaskFacts() for r in referrals}
    if not facts:
        return facts
    if all(hasattr(r, "shown_version") for r in referrals):
        for r in referrals:
            facts[r.pk].version, facts[r.pk].updated_at = r.shown_version or 0, r.shown_at
    else:
        _versions(facts)
    done = FollowUp.objects.filter(referral_id__in=list(facts), completed_at__isnull=False).order_by(
        "completed_at", "id"
    )
    for follow_up in done:
        facts[follow_up.referral_id].outputs.append(follow_up)
    return facts


def _versions(facts: dict[int, TaskFacts]) -> None:
    latest = (
        CaseEvent.objects.filter(referral_id__in=list(facts), kind__in=SHOWN_KINDS)
        .values("referral_id")
        .annotate(version=Max("id"), updated_at=Max("created_at"))
        .order_by()
    )
    for row in latest:
        found = facts[row["referral_id"]]
        found.version, found.updated_at = row["version"], row["updated_at"]


# What a Task shows of its referral: a search loads these alone (a list of 50 Tasks spent a
# fifth of its time making model instances of every column and of the joined rows).
TASK_FIELDS = (
    "id",
    "status",
    "status_reason",
    "client_id",
    "agency_id",
    "partner_id",
    "created_at",
    "intake_at",
    "closed_at",
    "agency__id",
    "agency__name",
)


def with_partner(referrals: list[Referral], *, partner: ServicePartner) -> list[Referral]:
    """The referrals of one partner, each given the partner (the client's own, read already)."""
    for referral in referrals:
        Referral.partner.field.set_cached_value(referral, partner)
    return referrals


def updated_filter(*, prefix: str, moment: datetime) -> Q:
    """Referrals whose Task's meta.lastUpdated compares with `moment` as the search prefix
    says (gt, ge, lt, le): a shown event after it, or none since it."""
    events = CaseEvent.objects.filter(kind__in=SHOWN_KINDS)
    if prefix in ("gt", "ge"):
        lookup = "created_at__gt" if prefix == "gt" else "created_at__gte"
        return Q(Exists(events.filter(referral=OuterRef("pk"), **{lookup: moment})))
    lookup = "created_at__gte" if prefix == "lt" else "created_at__gt"
    return ~Q(Exists(events.filter(referral=OuterRef("pk"), **{lookup: moment})))


def referral_for_fhir(*, user: User, referral_id: int) -> Referral:
    """One referral the client may see, with what its resources name; 404 otherwise."""
    scoped = selectors.referral_list_for_user(user=user).select_related(None)
    referral = with_versions(scoped.select_related("agency", "partner", "client")).filter(pk=referral_id).first()
    if referral is None:
        raise Http404
    return referral


def consents_of(referral: Referral) -> list[Consent]:
    """The consents recorded on a referral (revoked ones too: revocation is recorded, never
    deleted), with their recipients."""
    return list(_consents().filter(referral=referral).order_by("created_at", "id"))


def _consents() -> QuerySet[Consent]:
    return Consent.objects.select_related("referral", "discloser", "recipient_agency").prefetch_related(
        "recipient_partners"
    )


def consent_for_fhir(*, user: User, consent_id: int) -> Consent:
    """A consent on a referral the client may see (as the casework page shows them), or 404."""
    found = selectors.consent_get_for_user(user=user, consent_id=consent_id)
    return _consents().get(pk=found.pk)


def agencies_for(*, user: User) -> QuerySet[Agency]:
    """The agencies a partner's system may read: those the partner serves, and those its
    referrals came from (a partner may stop serving an agency; its referrals stay)."""
    if not user.partner_id:
        return Agency.objects.none()
    referred = Referral.objects.filter(agency=OuterRef("pk"), partner_id=user.partner_id)
    return Agency.objects.filter(Q(partners=user.partner_id) | Q(Exists(referred))).distinct()


def partners_for(*, user: User) -> QuerySet[ServicePartner]:
    """The partners a partner's system may read: its own, and those its referrals' consents
    name as recipients."""
    if not user.partner_id:
        return ServicePartner.objects.none()
    named = Consent.objects.filter(referral__partner_id=user.partner_id, recipient_partners=OuterRef("pk"))
    return ServicePartner.objects.filter(Q(pk=user.partner_id) | Q(Exists(named)))
