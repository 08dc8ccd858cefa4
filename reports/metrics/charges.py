"""Charges held in abeyance (the officer intervention pathway): held, satisfied, not satisfied
and pending, and the share satisfied, by the month of the deflection (agency time) and by the
officer's unit. The counts are Totals' own (definitions.referral_counts, the rollups' columns
of the same names): here they are grouped, from the referrals (the definition) or from the
rollups (tests/test_charge_figures.py proves they agree). Whether a charge's condition was
met is whether the client entered treatment: treatment records, under the small-numbers rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from referrals.models import HeldCharge
from reports.metrics.definitions import Scope, Totals, _as_date, deflections_qs, referral_counts
from reports.metrics.from_rollups import rollup_cells, rollups_cover

COLUMNS = ("charges_held", "charges_satisfied", "charges_not_satisfied", "charges_pending")
NO_UNIT = 0


@dataclass(frozen=True)
class Charges:
    held: int
    satisfied: int
    not_satisfied: int
    pending: int

    @property
    def decided(self) -> int:
        return self.satisfied + self.not_satisfied

    @property
    def share_satisfied(self) -> float | None:
        return self.satisfied / self.decided if self.decided else None


def charges_of(totals: Totals) -> Charges:
    return Charges(*(getattr(totals, name) for name in COLUMNS))


def _charges(row: dict) -> Charges:
    return Charges(*(row[name] or 0 for name in COLUMNS))


def _held(qs):
    """Only referrals with a charge held: the rest count nothing here."""
    return qs.filter(held_charge__isnull=False).exclude(held_charge__state=HeldCharge.State.WITHDRAWN)


def _counts() -> dict:
    return {name: aggregate for name, aggregate in referral_counts().items() if name in COLUMNS}


def by_month(scope: Scope, *, zone) -> list[tuple[date, Charges]]:
    """The definition: each month (agency time) of deflections with a charge held."""
    rows = (
        _held(deflections_qs(scope))
        .annotate(month=TruncMonth("occurred_at", tzinfo=zone))
        .values("month")
        .annotate(**_counts())
        .order_by("month")
    )
    return [(_as_date(row["month"]), _charges(row)) for row in rows]


def by_unit(scope: Scope) -> dict[int, Charges]:
    """The definition: per unit of the officer (NO_UNIT for none)."""
    rows = _held(deflections_qs(scope)).values("officer__unit_id").annotate(**_counts()).order_by()
    return {row["officer__unit_id"] or NO_UNIT: _charges(row) for row in rows}


def by_month_from_rollups(scope: Scope, zone) -> list[tuple[date, Charges]]:
    months: dict[date, list[int]] = {}
    rows = rollup_cells(scope, zone, weekly=False).filter(charges_held__gt=0).values_list("day")
    for day, *counts in rows.annotate(*(Sum(name) for name in COLUMNS)).order_by():
        month = months.setdefault(day.replace(day=1), [0] * len(COLUMNS))
        for i, n in enumerate(counts):
            month[i] += n
    return [(month, Charges(*counts)) for month, counts in sorted(months.items())]


def by_unit_from_rollups(scope: Scope, zone) -> dict[int, Charges]:
    rows = rollup_cells(scope, zone, by="unit").filter(charges_held__gt=0).values("unit_key")
    return {row["unit_key"]: _charges(row) for row in rows.annotate(**{n: Sum(n) for n in COLUMNS}).order_by()}


@dataclass(frozen=True)
class ChargeFigures:
    """The charges of a period: in all, per month and per unit (unit id, NO_UNIT for none)."""

    total: Charges
    months: list[tuple[date, Charges]]
    units: dict[int, Charges]


def charge_figures(scope: Scope, *, zone, totals: Totals | None = None, rollups: bool = False) -> ChargeFigures:
    """What the pages show: from the rollups when asked and they cover the scope, else the
    definitions. `totals`: the period's Totals when the caller has them (the dashboard)."""
    covered = rollups and rollups_cover(scope, zone)
    if totals is None:
        totals_row = _held(deflections_qs(scope)).aggregate(**_counts())
        total = _charges(totals_row)
    else:
        total = charges_of(totals)
    if covered:
        return ChargeFigures(total, by_month_from_rollups(scope, zone), by_unit_from_rollups(scope, zone))
    return ChargeFigures(total, by_month(scope, zone=zone), by_unit(scope))
