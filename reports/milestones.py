"""Milestones: quick wins detected from what casework wrote.

The police work's milestones come from the deflections. The two from the partners' records
(the first client still engaged at 90 days, a wait-and-see partner's first intake) are about
one client, told to the whole department with their date: only a client whose consent lets
the agency know that outcome counts (referrals.police_disclosure.agency_may_know_outcome).

Casework never calls into reports (dependencies point one way): a frequent periodic
task, and the digest before it is built, run `milestones_detect`. Each milestone is
unique per (kind, scope) in the database, so two detectors at once, or a rerun, make
a "first" only once.
"""

from __future__ import annotations

from django.db.models import Min, QuerySet

from deflection.models import Agency, Unit
from partners.models import ServicePartner
from referrals.models import Consent, FollowUp, Officer, Referral
from referrals.police_disclosure import agency_may_know_outcome
from reports import metrics
from reports.models import Milestone
from reports.wins_cache import forget_agency_wins

COUNTS = ((10, Milestone.Kind.COUNT_10), (100, Milestone.Kind.COUNT_100), (1000, Milestone.Kind.COUNT_1000))
# A client's intake or retention is theirs to share (42 CFR Part 2): the department celebrates
# the first one whose client consented to the agency knowing it. The candidates read are those
# with such a consent on file; the first whose consent also covered the moment counts.
OUTCOME_SCOPES = (Consent.Scope.STATUS_OUTCOMES, Consent.Scope.FULL_RECORD)
CANDIDATES = 200


def _deflections(agency_id: int) -> QuerySet[Referral]:
    """The agency's deflections (the metrics module's definition), in the order logged."""
    return metrics.deflections_qs(metrics.Scope(agency_id)).order_by("created_at", "id")


def _have(kind: str, scopes: list[str]) -> set[str]:
    return set(Milestone.objects.filter(kind=kind, scope__in=scopes).values_list("scope", flat=True))


def _milestone(kind: str, scope: str, referral: Referral, **links) -> Milestone:
    return Milestone(
        kind=kind,
        scope=scope,
        agency_id=referral.agency_id,
        achieved_at=referral.created_at,
        referral=referral,
        **links,
    )


def _agency_milestones(agency: Agency) -> list[Milestone]:
    scope = f"agency:{agency.pk}"
    have = set(Milestone.objects.filter(scope=scope).values_list("kind", flat=True))
    found: list[Milestone] = []
    deflections = _deflections(agency.pk)
    wanted = [(1, Milestone.Kind.AGENCY_FIRST), *COUNTS]
    missing = [(n, kind) for n, kind in wanted if kind not in have]
    if missing:
        total = deflections.count()
        for n, kind in missing:
            if total >= n:
                nth = deflections[n - 1]
                found.append(_milestone(kind, scope, nth, officer_id=nth.officer_id))
    if Milestone.Kind.FIRST_NALOXONE not in have:
        first = deflections.filter(naloxone_administered=True).first()
        if first:
            found.append(_milestone(Milestone.Kind.FIRST_NALOXONE, scope, first, officer_id=first.officer_id))
    if Milestone.Kind.FIRST_RETAINED_90 not in have:
        checks = (
            FollowUp.objects.filter(
                referral__agency=agency,
                kind=FollowUp.Kind.RETENTION_90,
                outcome=FollowUp.Outcome.ENGAGED,
                completed_at__isnull=False,
                referral__consents__recipient_agency=agency,
                referral__consents__scope__in=OUTCOME_SCOPES,
            )
            .distinct()
            .select_related("referral")
            .prefetch_related("referral__consents")
            .order_by("completed_at", "id")[:CANDIDATES]
        )
        check = next((c for c in checks if agency_may_know_outcome(c.referral, c.completed_at)), None)
        if check:
            milestone = _milestone(Milestone.Kind.FIRST_RETAINED_90, scope, check.referral)
            milestone.achieved_at = check.completed_at
            found.append(milestone)
    return found


def _firsts(kind: str, prefix: str, ids: list[int], field: str, agency_id: int) -> list[Milestone]:
    """The first deflection of each officer or unit that does not have its milestone yet."""
    scopes = {i: f"{prefix}:{i}" for i in ids}
    done = _have(kind, list(scopes.values()))
    found = []
    for i, scope in scopes.items():
        if scope in done:
            continue
        first = _deflections(agency_id).filter(**{field: i}).first()
        if first:
            links = {"officer_id": first.officer_id} if prefix == "officer" else {"unit_id": i}
            found.append(_milestone(kind, scope, first, **links))
    return found


def _partner_firsts(agency: Agency) -> list[Milestone]:
    partners = ServicePartner.objects.filter(agencies=agency, engagement_tier=ServicePartner.Tier.WAIT_AND_SEE)
    scopes = {p.pk: f"partner:{p.pk}" for p in partners}
    done = _have(Milestone.Kind.PARTNER_FIRST_INTAKE, list(scopes.values()))
    found = []
    for partner_id, scope in scopes.items():
        if scope in done:
            continue
        intakes = (
            Referral.objects.filter(
                partner_id=partner_id,
                agency=agency,
                intake_at__isnull=False,
                consents__recipient_agency=agency,
                consents__scope__in=OUTCOME_SCOPES,
            )
            .distinct()
            .prefetch_related("consents")
            .order_by("intake_at", "id")[:CANDIDATES]
        )
        first = next((r for r in intakes if agency_may_know_outcome(r, r.intake_at)), None)
        if first:
            milestone = _milestone(Milestone.Kind.PARTNER_FIRST_INTAKE, scope, first, partner_id=partner_id)
            milestone.achieved_at = first.intake_at
            found.append(milestone)
    return found


def milestones_detect(*, agency_id: int | None = None) -> int:
    """Find the quick wins not yet recorded; returns how many were new."""
    agencies = Agency.objects.all() if agency_id is None else Agency.objects.filter(pk=agency_id)
    found: list[Milestone] = []
    for agency in agencies:
        found += _agency_milestones(agency)
        # Only officers and units that have deflected can have a first; the query is small.
        officer_ids = list(
            Officer.objects.filter(agency=agency)
            .annotate(first=Min("referrals__created_at"))
            .filter(first__isnull=False)
            .values_list("pk", flat=True)
        )
        found += _firsts(Milestone.Kind.OFFICER_FIRST, "officer", officer_ids, "officer_id", agency.pk)
        unit_ids = list(Unit.objects.filter(agency=agency).values_list("pk", flat=True))
        found += _firsts(Milestone.Kind.UNIT_FIRST, "unit", unit_ids, "officer__unit_id", agency.pk)
        found += _partner_firsts(agency)
    before = Milestone.objects.count()
    Milestone.objects.bulk_create(found, ignore_conflicts=True)
    if found:  # bulk_create sends no post_save
        forget_agency_wins(m.agency_id for m in found)
    return Milestone.objects.count() - before
