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
from reports.metrics.definitions import Scope, Totals, deflections_qs, referral_counts
from reports.metrics.from_rollups import rollup_cells, rollups_cover
from reports.metrics.series import _as_date

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
    """The held charges' counts among the Totals."""
    return Charges(*(getattr(totals, name) for name in COLUMNS))


def _charges(row: dict) -> Charges:
    return Charges(*(row[name] or 0 for name in COLUMNS))


def _held(qs):
    """Only referrals with a charge held: the rest count nothing here."""
    return qs.filter(held_charge__isnull=False).exclude(held_charge__counted_state=HeldCharge.State.WITHDRAWN)


def _counts() -> dict:
    return {name: aggregate for name, aggregate in referral_counts().items() if name in COLUMNS}


def _split(rows) -> tuple[list[tuple[date, Charges]], dict[int, Charges]]:
    """(month, unit, *counts) rows summed per month and per unit."""
    months: dict[date, list[int]] = {}
    units: dict[int, list[int]] = {}
    for month, unit, *counts in rows:
        for key, sums in ((month, months), (unit or NO_UNIT, units)):
            cell = sums.setdefault(key, [0] * len(COLUMNS))
            for i, n in enumerate(counts):
                cell[i] += n
    return [(m, Charges(*c)) for m, c in sorted(months.items())], {u: Charges(*c) for u, c in units.items()}


def months_and_units(scope: Scope, *, zone) -> tuple[list[tuple[date, Charges]], dict[int, Charges]]:
    """The definition: deflections with a charge held, per month (agency time) and per unit of
    the officer (NO_UNIT for none), in one query."""
    rows = (
        _held(deflections_qs(scope))
        .annotate(month=TruncMonth("occurred_at", tzinfo=zone))
        .values_list("month", "officer__unit_id")
        .annotate(**_counts())
        .order_by()
    )
    return _split((_as_date(month), unit, *counts) for month, unit, *counts in rows)


def months_and_units_from_rollups(scope: Scope, zone) -> tuple[list[tuple[date, Charges]], dict[int, Charges]]:
    """The same from the rollups' day rows at the unit level, in one query."""
    rows = (
        rollup_cells(scope, zone, by="unit", weekly=False)
        .filter(charges_held__gt=0)
        .values_list("day", "unit_key")
        .annotate(*(Sum(name) for name in COLUMNS))
        .order_by()
    )
    return _split((day.replace(day=1), unit, *counts) for day, unit, *counts in rows)


@dataclass(frozen=True)
class ChargeFigures:
    """The charges of a period: in all, per month and per unit (unit id, NO_UNIT for none)."""

    total: Charges
    months: list[tuple[date, Charges]]
    units: dict[int, Charges]


def charge_figures(scope: Scope, *, zone, totals: Totals | None = None, rollups: bool = False) -> ChargeFigures:
    """What the pages show: from the rollups when asked and they cover the scope, else the
    definitions. `totals`: the period's Totals when the caller has them (the dashboard); a
    period without a charge held asks nothing more."""
    if totals is None:
        total = _charges(_held(deflections_qs(scope)).aggregate(**_counts()))
    else:
        total = charges_of(totals)
    if not total.held:
        return ChargeFigures(total, [], {})
    if rollups and rollups_cover(scope, zone):
        return ChargeFigures(total, *months_and_units_from_rollups(scope, zone))
    return ChargeFigures(total, *months_and_units(scope, zone=zone))
