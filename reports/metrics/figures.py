"""What the pages ask for, put together: each figure from the rollups when the caller asks
for them and they cover the scope (whole agency days), else from the definitions. The two
give the same figures (tests/test_rollups.py)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from deflection.models import Agency
from partners.models import ServicePartner
from referrals.models import Referral
from reports.metrics import definitions, from_rollups


def partner_scorecard(scope: definitions.Scope, *, rollups: bool = False) -> list[definitions.PartnerScore]:
    """Per partner: referrals received, acceptance, median hours to accept, rejection
    reasons, intake rate and engagement tier, over referrals logged in the period."""
    if rollups and from_rollups.rollups_cover(scope):
        totals, medians, rejected = from_rollups.partner_figures_from_rollups(
            scope, from_rollups.zone_of(scope.agency_id)
        )
    else:
        totals, medians, rejected = definitions.partner_figures(scope)
    reasons: dict[int, list[tuple[str, int]]] = {}
    for partner_id, reason, n in rejected:
        reasons.setdefault(partner_id, []).append(
            (str(Referral.RejectReason(reason).label) if reason in Referral.RejectReason.values else reason, n)
        )
    partners = ServicePartner.objects.filter(Q(agencies__id=scope.agency_id) | Q(pk__in=list(totals))).distinct()
    scores = []
    for partner in partners.order_by("-is_24_7", "name"):
        row = totals.get(partner.pk, {"received": 0, "accepted": 0, "intake": 0})
        scores.append(
            definitions.PartnerScore(
                partner_id=partner.pk,
                name=partner.name,
                tier=str(partner.get_engagement_tier_display()),
                received=row["received"],
                accepted=row["accepted"],
                intake=row["intake"],
                median_hours_to_accept=medians.get(partner.pk),
                rejections=reasons.get(partner.pk, []),
            )
        )
    return scores


@dataclass(frozen=True)
class Headlines:
    """The dashboard's headline figures of one period."""

    deflections: int
    engagement_rate: float | None
    median_hours_to_intake: float | None
    retention: dict[int, definitions.Retention]
    participation: definitions.Participation
    overdose_reversals: int
    savings: definitions.Savings
    reengagements: int
    counts: definitions.Totals | None = None  # what the figures were made from, for the charts


def headlines(scope: definitions.Scope, *, now: datetime | None = None, rollups: bool = False) -> Headlines:
    """The dashboard's headline figures; from the rollups when asked and they cover the
    scope (the figures are the same either way: tests/test_rollups.py)."""
    now = now or timezone.now()
    agency = Agency.objects.get(pk=scope.agency_id)
    at = min(scope.end, now)
    if rollups and from_rollups.rollups_cover(scope):
        zone = zoneinfo.ZoneInfo(agency.timezone)
        counts = from_rollups.totals_from_rollups(scope, zone)
        median = from_rollups.median_hours_to_intake_from_rollups(scope, zone)
        retained = from_rollups.retention_from_rollups(scope, zone, now=now)
        participation = from_rollups.participation_from_rollups(agency_id=scope.agency_id, at=at, unit_id=scope.unit_id)
    else:
        counts = definitions.totals_from_referrals(scope)
        median = definitions.median_hours_to_intake(scope)
        retained = {days: definitions.retention(scope, days, now=now) for days in definitions.RETENTION_DAYS}
        participation = definitions.officer_participation(agency_id=scope.agency_id, at=at, unit_id=scope.unit_id)
    return Headlines(
        deflections=counts.deflections,
        engagement_rate=counts.intake / counts.deflections if counts.deflections else None,
        median_hours_to_intake=median,
        retention=retained,
        participation=participation,
        overdose_reversals=counts.naloxone,
        savings=definitions.savings_from(counts, agency),
        reengagements=counts.reengagements,
        counts=counts,
    )
