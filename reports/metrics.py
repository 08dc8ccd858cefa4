"""The one place where program metrics are defined (dashboard, digest and exports use it).

Outside case-level views every count from 1 to 10 is shown as "<11" (small-cell
suppression), so that a small number cannot point at a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from referrals.models import Pathway, Referral

SMALL_CELL_MAX = 10


def small_cell(count: int) -> str:
    """A count as shown outside case-level views: 1..10 become "<11"."""
    if 1 <= count <= SMALL_CELL_MAX:
        return "<11"
    return f"{count:,}"


def deflections(*, agency_id: int, start: datetime | None = None, end: datetime | None = None) -> QuerySet[Referral]:
    """Deflections: referrals logged in the period, less cancelled ones."""
    qs = Referral.objects.filter(agency_id=agency_id).exclude(status=Referral.Status.CANCELLED)
    if start is not None:
        qs = qs.filter(occurred_at__gte=start)
    if end is not None:
        qs = qs.filter(occurred_at__lt=end)
    return qs


@dataclass(frozen=True)
class AgencyCounts:
    deflections: int
    by_pathway: list[tuple[str, int]]
    by_status: list[tuple[str, int]]
    overdose_reversals: int
    officers_participating: int


def agency_counts(*, agency_id: int, start: datetime | None = None, end: datetime | None = None) -> AgencyCounts:
    qs = deflections(agency_id=agency_id, start=start, end=end)
    totals = qs.aggregate(
        total=Count("id"),
        naloxone=Count("id", filter=Q(naloxone_administered=True)),
        officers=Count("officer_id", distinct=True),
    )
    pathway_counts = dict(qs.values_list("pathway").annotate(n=Count("id")).values_list("pathway", "n"))
    status_counts = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return AgencyCounts(
        deflections=totals["total"],
        by_pathway=[(label, pathway_counts.get(value, 0)) for value, label in Pathway.choices],
        by_status=[
            (label, status_counts.get(value, 0))
            for value, label in Referral.Status.choices
            if value != Referral.Status.CANCELLED
        ],
        overdose_reversals=totals["naloxone"],
        officers_participating=totals["officers"],
    )
