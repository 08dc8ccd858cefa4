"""What the command dashboard shows, built from the metrics module (no second definitions)."""

from __future__ import annotations

import math
import zoneinfo
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from deflection import l10n
from referrals.models import Officer, Pathway
from reports import metrics
from reports.metrics.charges import NO_UNIT, ChargeFigures, Charges, charge_figures
from reports.metrics.check_ins import check_in_count
from reports.metrics.disclosure import SMALL, WITHHELD

PATHWAY_COLORS = ["#0d6efd", "#6f42c1", "#d63384", "#fd7e14", "#198754", "#20c997"]


@dataclass
class Figure:
    key: str
    label: str
    value: str
    previous: str
    change: str
    # What the figure counts, in a sentence, where its name alone could mislead.
    explanation: str = ""


def _count(n: int, kind: metrics.Kind) -> str:
    return metrics.shown_count(n, kind=kind)


def _rate(numerator: int, denominator: int) -> str:
    """A share of treatment records: over fewer than 11 cases "n<11" (it would point at people
    as surely as the count); where the count or the rest of it is 1 to 10 only a bound, so that
    it cannot be worked out from the exact denominator (e.g. intake from the deflections)."""
    if denominator == 0:
        return "—"
    if denominator <= metrics.SMALL_CELL_MAX:
        return _("n<11")
    if 1 <= numerator <= metrics.SMALL_CELL_MAX:
        return f"≤{math.ceil(100 * metrics.SMALL_CELL_MAX / denominator)}%"
    if 1 <= denominator - numerator <= metrics.SMALL_CELL_MAX:
        return f"≥{math.floor(100 * (denominator - metrics.SMALL_CELL_MAX) / denominator)}%"
    return f"{100 * numerator / denominator:.0f}%"


def _change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return ""
    if before == 0:
        return "" if now == 0 else _("new")
    delta = 100 * (now - before) / before
    return f"{delta:+.0f}%"


def _intakes(of: metrics.Headlines) -> int:
    """The period's deflections that reached intake, from its engagement rate."""
    return round((of.engagement_rate or 0) * of.deflections)


def _hours(h: float | None, of: metrics.Headlines) -> str:
    """The median time to intake, from 11 intakes up: the median of a few is a client's own."""
    return "—" if h is None or _intakes(of) <= metrics.SMALL_CELL_MAX else f"{h:.1f} h"


# The headline figures that come from the partners' treatment records.
TREATMENT_FIGURES = {
    "engagement",
    "time_to_intake",
    "reengagements",
    *(f"retention_{d}" for d in metrics.RETENTION_DAYS),
}


def figures(
    current: metrics.Headlines,
    previous: metrics.Headlines,
    *,
    changes: bool = True,
    treatment: tuple[bool, bool] = (True, True),
    retention: tuple[bool, bool] = (True, True),
    treated: tuple[metrics.Headlines, metrics.Headlines] | None = None,
) -> list[Figure]:
    """The headline figures as the agency's own staff see them: police work exactly, the
    partners' treatment records by the small-numbers rule (reports.metrics.disclosure), and
    withheld ("—") for a period whose groups of deflections are too small to show them
    (`treatment`: for the period, and the one before; metrics.treatment_shown; `retention`
    the same for the retention figures: metrics.retention_shown).
    The treatment figures come from `treated` where given (the period's months that have
    been counted, and the months before them: metrics.counted_months).
    Without `changes` (a period counted to date against whole months before) no change is
    worked out: part of a month against a whole one would read as a fall."""
    rows = _figures(current, previous, changes=changes)
    partners = {f.key: f for f in _figures(*treated, changes=False)} if treated else {f.key: f for f in rows}
    retention_figures = {f"retention_{days}" for days in metrics.RETENTION_DAYS}

    def shown(key: str) -> tuple[bool, bool]:
        if key in retention_figures:
            return treatment[0] and retention[0], treatment[1] and retention[1]
        return treatment

    return [
        f
        if f.key not in TREATMENT_FIGURES
        else replace(
            partners[f.key],
            value=partners[f.key].value if shown(f.key)[0] else WITHHELD,
            previous=partners[f.key].previous if shown(f.key)[1] else WITHHELD,
        )
        for f in rows
    ]


def _figures(current: metrics.Headlines, previous: metrics.Headlines, *, changes: bool) -> list[Figure]:
    police, treatment = metrics.Kind.POLICE_WORK, metrics.Kind.TREATMENT

    def change(now: float | None, before: float | None) -> str:
        return _change(now, before) if changes else ""

    rows = [
        Figure(
            "deflections",
            _("Deflections"),
            _count(current.deflections, police),
            _count(previous.deflections, police),
            change(current.deflections, previous.deflections),
        ),
        Figure(
            "engagement",
            _("Engagement rate (reached intake)"),
            _rate(_intakes(current), current.deflections),
            _rate(_intakes(previous), previous.deflections),
            "",
        ),
        Figure(
            "time_to_intake",
            _("Median time to intake"),
            _hours(current.median_hours_to_intake, current),
            _hours(previous.median_hours_to_intake, previous),
            "",
        ),
    ]
    for days, r in current.retention.items():
        before = previous.retention[days]
        rows.append(
            Figure(
                f"retention_{days}",
                _("Retained at %(days)d days") % {"days": days},
                _rate(r.retained, r.due),
                _rate(before.retained, before.due),
                "",
            )
        )
    rows += [
        Figure(
            "participation",
            _("Officer participation (last 30 days)"),
            share(current.participation.participating, current.participation.active),
            share(previous.participation.participating, previous.participation.active),
            "",
        ),
        Figure(
            "overdose_reversals",
            _("Overdose reversals"),
            _count(current.overdose_reversals, police),
            _count(previous.overdose_reversals, police),
            change(current.overdose_reversals, previous.overdose_reversals),
        ),
        Figure(
            "hours_saved",
            _("Time saved versus arrest"),
            f"{current.savings.hours_saved:,.0f} h",
            f"{previous.savings.hours_saved:,.0f} h",
            change(current.savings.hours_saved, previous.savings.hours_saved),
        ),
        Figure(
            "cost_avoided",
            _("Cost avoided"),
            l10n.money(current.savings.cost_avoided),
            l10n.money(previous.savings.cost_avoided),
            change(float(current.savings.cost_avoided), float(previous.savings.cost_avoided)),
        ),
        Figure(
            "reengagements",
            _("Re-engagements"),
            _count(current.reengagements, treatment),
            _count(previous.reengagements, treatment),
            "",
            _(
                "Deflections of clients whose previous referral had closed, or was to another partner. A client seen "
                "again while a referral is open at the same partner is an officer contact on it, not counted here."
            ),
        ),
    ]
    return rows


def charge_figure(current: dict, previous: dict) -> Figure:
    """The share of held charges decided in the period whose condition was met (treatment
    records): the share of each period's table's total row (charge_tables), so that the
    headline tells no more than the table would; a bound from the true counts would give a
    withheld or "<11" cell back."""
    return Figure(
        "charges_satisfied",
        _("Held charges: condition met"),
        current["total"]["share"],
        previous["total"]["share"],
        "",
        _(
            "Of the charges officers held in abeyance (officer intervention) and that were decided: the share whose "
            "condition (intake, or staying engaged) was met, so the charge is to be dropped."
        ),
    )


def charge_tables(
    scope: metrics.Scope,
    *,
    agency,
    now: datetime,
    totals: metrics.Totals | None = None,
    rollups: bool,
    withhold: bool = False,
) -> dict:
    """The charges held in the period, in all, per month and per unit, as shown (charge_rows).
    Everything withheld with `withhold` (the page shows no treatment figure of the period),
    while a charge of the period is not counted yet (metrics.charges_counted: `deciding`), or
    where a month's charges, split the way the page is filtered, are cut into a part of 1 to
    10 (metrics.charge_parts), and the units' rows where they are split by unit too."""
    zone = zoneinfo.ZoneInfo(agency.timezone)
    figures = charge_figures(scope, zone=zone, totals=totals, rollups=rollups)
    names = dict(agency.units.values_list("pk", "name")) if figures.units else {}
    table = charge_rows(figures, unit_names=names)
    # Read whatever `withhold` says: the dashboard costs the same queries for any period.
    shown, units_shown = metrics.charges_shown(scope, zone=zone, rollups=rollups)
    deciding = bool(figures.months) and not metrics.charges_counted(scope, zone=zone, now=now)
    # Why it is withheld, each said on its own: charges still to be counted, or parts too small.
    reasons = {"deciding": deciding and not withhold, "small": withhold or not shown}
    if withhold or deciding or not shown:
        return {**{key: _withheld(rows) for key, rows in table.items()}, **reasons}
    if not units_shown:
        table["units"] = _withheld(table["units"])
    return {**table, **reasons}


def _withheld(rows: dict | list[dict]) -> dict | list[dict]:
    """A row of the held charges (or rows) with every figure withheld, its label kept."""
    if isinstance(rows, list):
        return [_withheld(row) for row in rows]
    return {**{name: WITHHELD for name in (*_CHARGE_CELLS, "share")}, "label": rows["label"]}


def charge_rows(figures: ChargeFigures, *, unit_names: dict[int, str]) -> dict:
    """The charges held, in all, per month and per unit, as shown: treatment records, so 1 to
    10 as "<11", and cells withheld ("—") wherever a "<11" could be worked out from the others:
    a row's parts (satisfied, not satisfied, pending) add up to its held, and each column of
    the months, and of the units, to the total's. One table for the reader, so one solution
    (metrics.shown_table): a cell withheld in its row must not be given back by its column.
    The share satisfied as a rate of treatment records (_rate), withheld with either part."""
    units = sorted(figures.units.items(), key=lambda item: (item[0] == NO_UNIT, unit_names.get(item[0], "")))
    rows = [
        ("total", _("All"), figures.total),
        *((("month", i), month, c) for i, (month, c) in enumerate(figures.months)),
        *((("unit", i), unit_names.get(k, _("No unit")), c) for i, (k, c) in enumerate(units)),
    ]
    cells = {(key, name): getattr(c, name) for key, _label, c in rows for name in _CHARGE_CELLS}
    lines = [((key, "held"), [(key, name) for name in _CHARGE_CELLS[1:]]) for key, _label, _c in rows]
    for table in ("month", "unit"):
        keys = [key for key, _label, _c in rows if key[0] == table]
        lines += [(("total", name), [(key, name) for key in keys]) for name in _CHARGE_CELLS if keys]
    headline = {("total", name) for name in _CHARGE_CELLS}
    shown = metrics.shown_table(cells, lines, kind=metrics.Kind.TREATMENT, last=headline)
    shown_rows = [_charge_row(label, c, {name: shown[key, name] for name in _CHARGE_CELLS}) for key, label, c in rows]
    return {
        "total": shown_rows[0],
        "months": [row for (key, _l, _c), row in zip(rows, shown_rows, strict=True) if key[0] == "month"],
        "units": [row for (key, _l, _c), row in zip(rows, shown_rows, strict=True) if key[0] == "unit"],
    }


# A held charge's counts in a row of the tables: held, then its parts.
_CHARGE_CELLS = ("held", "satisfied", "not_satisfied", "pending")


def _charge_row(label: object, c: Charges, shown: dict[str, str]) -> dict:
    return {"label": label, **shown, "share": _charge_share(c, shown["satisfied"], shown["not_satisfied"])}


def _charge_share(c: Charges, satisfied: str, not_satisfied: str) -> str:
    """The share satisfied, as much of it as the row's cells already tell: exact when both
    parts are; beside a "<11" part, the bound the cells alone give (12 satisfied beside "<11"
    not satisfied is at least 12 of 22: 54%). A bound worked out from the true count would
    give the count back (at least 28% of 14 decided: 12 and 2). Nothing when a part is
    withheld (the share would give it back) or both are under 11."""
    if WITHHELD in (satisfied, not_satisfied) or satisfied == not_satisfied == SMALL:
        return WITHHELD
    # A "<11" beside a 0: fewer than 11 decided, whatever the count (not "≤100%").
    if "0" in (satisfied, not_satisfied):
        return _("n<11")
    if not_satisfied == SMALL:
        return f"≥{math.floor(100 * c.satisfied / (c.satisfied + metrics.SMALL_CELL_MAX))}%"
    if satisfied == SMALL:
        return f"≤{math.ceil(100 * metrics.SMALL_CELL_MAX / (metrics.SMALL_CELL_MAX + c.not_satisfied))}%"
    return _rate(c.satisfied, c.decided)


def check_in_figure(scope: metrics.Scope, *, agency, rollups: bool, changes: bool = True) -> Figure:
    """Non-enforcement engagements (officers' check-ins with people they referred) in the
    period and the one before: the agency's own police work, shown exactly (the change
    only with `changes`, as for figures())."""
    zone = zoneinfo.ZoneInfo(agency.timezone)
    current = check_in_count(scope, zone=zone, rollups=rollups)
    previous = check_in_count(scope.previous(), zone=zone, rollups=rollups)
    return Figure(
        "check_ins",
        _("Non-enforcement engagements"),
        f"{current:,}",
        f"{previous:,}",
        _change(current, previous) if changes else "",
        _(
            "Officers' check-ins with people they referred (saw them doing well, offered help again...), by the day "
            "of the check-in. Police work, shown exactly; no client is named."
        ),
    )


def charts(
    scope: metrics.Scope,
    *,
    agency,
    counts: metrics.Totals,
    now: datetime | None = None,
    retained: dict[int, metrics.Retention] | None = None,
    rollups: bool = True,
    treatment_shown: bool = True,
    retention_shown: bool = True,
    participation_now: metrics.Participation | None = None,
) -> dict:
    """Chart data (for Chart.js) and the same numbers as table rows: deflections per pathway
    (police work) exactly, the funnel's treatment records with small cells applied.
    Figures come from the rollups where asked and they cover the scope (whole days);
    `retained` is the headline retention when the caller has it already;
    `participation_now`, the headline's participation (at the period's end, or now)."""
    now = now or timezone.now()
    tz = zoneinfo.ZoneInfo(agency.timezone)
    # The series end today: weeks still to come would be drawn as none, and participation as
    # falling to nothing (the period runs to the end of its last month).
    tomorrow = datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time.min, tzinfo=tz)
    scope = replace(scope, end=min(scope.end, tomorrow))
    covered = rollups and metrics.rollups_cover(scope)
    weekly = metrics.weekly_by_pathway_from_rollups(scope, tz) if covered else metrics.weekly_by_pathway(scope, tz=tz)
    pathways = list(Pathway.choices)
    weeks = [l10n.month_day(monday) for monday, _counts in weekly]

    def shown(n: int, kind: metrics.Kind = metrics.Kind.TREATMENT) -> int | None:
        # Small cells are not drawn at their height: a hatched bar is still a number.
        return None if metrics.hides_small(kind=kind) and 1 <= n <= metrics.SMALL_CELL_MAX else n

    police = metrics.Kind.POLICE_WORK

    def funnel_cell(n: int, kind: metrics.Kind) -> str:
        # Treatment records over groups too small to show them (metrics.treatment_shown): withheld.
        return metrics.shown_count(n, kind=kind) if treatment_shown or kind == police else WITHHELD

    by_pathway = {
        "labels": weeks,
        "datasets": [
            {
                "label": str(label),
                "data": [counts.get(code, 0) for _m, counts in weekly],
                "backgroundColor": PATHWAY_COLORS[i % len(PATHWAY_COLORS)],
            }
            for i, (code, label) in enumerate(pathways)
        ],
    }
    pathway_table = [
        (
            monday,
            [metrics.shown_count(counts.get(code, 0), kind=police) for code, _l in pathways],
            metrics.shown_count(sum(counts.values()), kind=police),
        )
        for monday, counts in weekly
    ]
    if retained is None:
        retained = (
            metrics.retention_from_rollups(scope, tz, now=now)
            if covered
            else {days: metrics.retention(scope, days, now=now) for days in metrics.RETENTION_DAYS}
        )
    # Logged is the agency's own police work; the rest the partners' treatment records.
    funnel_rows = [
        (_("Logged"), counts.deflections, police),
        # Steps of the funnel, counts of deflections ("Accepted" is also a referral's status).
        (pgettext("funnel step", "Accepted"), counts.accepted, metrics.Kind.TREATMENT),
        (pgettext("funnel step", "Intake"), counts.intake, metrics.Kind.TREATMENT),
        *[(_("Retained %(days)d days") % {"days": d}, r.retained, metrics.Kind.TREATMENT) for d, r in retained.items()],
    ]
    # A checkpoint none of whose clients has come due yet is no figure: not "0" retained; nor
    # is retention where its own parts are too small (metrics.retention_shown).
    not_due = {
        str(_("Retained %(days)d days") % {"days": d}) for d, r in retained.items() if r.due == 0 or not retention_shown
    }
    participation = (
        metrics.weekly_participation_from_rollups(scope=scope, tz=tz)
        if covered
        else metrics.weekly_participation(scope=scope, tz=tz)
    )
    if participation_now is not None and participation:
        # The last week has not ended by the period's end (or now): its point is the index
        # then, the headline's, not one over 30 days cut short at both ends.
        last_monday = participation[-1][0]
        participation[-1] = (last_monday, participation_now)
    savings = metrics.monthly_savings_from_rollups(scope, tz) if covered else metrics.monthly_savings(scope, tz=tz)
    return {
        "pathway_names": [str(label) for _c, label in pathways],
        "pathway_table": pathway_table,
        "funnel_rows": [
            (label, "—" if str(label) in not_due else funnel_cell(n, kind)) for label, n, kind in funnel_rows
        ],
        "participation_rows": [(monday, share(p.participating, p.active)) for monday, p in participation],
        "savings_rows": list(zip([month for month, _h in savings], whole_hours([h for _m, h in savings]), strict=True)),
        "data": {
            "by_pathway": by_pathway,
            "funnel": {
                "labels": [str(label) for label, _n, _k in funnel_rows],
                "data": [
                    shown(n, kind) if (treatment_shown and str(label) not in not_due) or kind == police else None
                    for label, n, kind in funnel_rows
                ],
            },
            "participation": {
                "labels": [l10n.month_day(m) for m, _p in participation],
                "data": [round(100 * p.participating / p.active) if p.active else None for _m, p in participation],
            },
            "savings": {
                "labels": [l10n.year_month(m) for m, _h in savings],
                "data": [round(h) for _m, h in savings],
            },
        },
    }


def whole_hours(hours: list[float]) -> list[str]:
    """Each month's hours in whole hours that add up to the period's as its headline rounds it:
    rounded one by one, three months of 1.5 hours would read 2 + 2 + 2 beside a headline of 4.
    Each month gets its whole hours, and the hours the total has over those go to the months
    with the largest remainders."""
    whole = [math.floor(h) for h in hours]
    over = round(sum(hours)) - sum(whole)
    for i in sorted(range(len(hours)), key=lambda i: hours[i] - whole[i], reverse=True)[:over]:
        whole[i] += 1
    return [f"{h:,}" for h in whole]


def unit_roster(
    *, agency_id: int, unit_id: int, now: datetime | None = None, rollups: bool = True
) -> list[tuple[str, bool]]:
    """A supervisor's officers and whether each has deflected in the last 30 days:
    participation, alphabetical, never a ranking or a count."""
    now = now or timezone.now()
    who = metrics.officers_deflecting_from_rollups if rollups else metrics.officers_deflecting
    recent = who(agency_id=agency_id, since=now - metrics.PARTICIPATION_WINDOW, until=now, unit_id=unit_id)
    officers = Officer.objects.filter(agency_id=agency_id, unit_id=unit_id, is_active=True).order_by("display_name")
    return [(o.display_name, o.pk in recent) for o in officers]


# Under this many officers a share is shown as "n of m" only: a percentage of three officers
# reads as more than it is.
SHARE_AS_PERCENT_FROM = 5


def share(n: int, m: int) -> str:
    """A share of the agency's own officers, shown exactly to its own staff (officers, not
    clients: no "<11"): "n of m", with the percentage from 5 officers up."""
    if m == 0:
        return "—"
    if m < SHARE_AS_PERCENT_FROM:
        return _("%(n)d of %(m)d") % {"n": n, "m": m}
    return _("%(pct).0f%% (%(n)d of %(m)d)") % {"pct": 100 * n / m, "n": n, "m": m}


def training_rows(split: metrics.TrainingSplit) -> list[tuple[str, str, str]]:
    """Officers trained, and officer participation of the trained and the untrained: (key, label, shown)."""
    return [
        ("trained", _("Officers trained"), share(split.trained.active, split.whole.active)),
        (
            "participation_trained",
            _("Participation of trained officers"),
            share(split.trained.participating, split.trained.active),
        ),
        (
            "participation_untrained",
            _("Participation of officers not yet trained"),
            share(split.untrained.participating, split.untrained.active),
        ),
    ]


def champion_rows(units: list, participation: dict[int | None, metrics.Participation]) -> list[dict]:
    """Each unit with its current champions and its officer participation; units without a
    current champion first (they need one), then by name."""
    rows = [
        {
            "unit": u.unit.name,
            "champions": [f"{c.user.get_full_name() or c.user.username} ({c.get_kind_display()})" for c in u.champions],
            "participation": share(*_pair(participation.get(u.unit.pk))),
        }
        for u in units
    ]
    return sorted(rows, key=lambda row: bool(row["champions"]))


def _pair(p: metrics.Participation | None) -> tuple[int, int]:
    return (p.participating, p.active) if p else (0, 0)


def _column_rates(scores: list[metrics.PartnerScore], field: str) -> list[str]:
    """One rate column of the scorecard (accepted or reached intake, of those received). An
    exact rate over fewer than a couple of hundred referrals gives its count back, and the
    partners' counts add up to the funnel's exact total: so where a partner's count, or the
    rest of it, is 1 to 10 (shown as a bound), the rates that would give it away by subtraction
    are withheld, as metrics.shown_parts withholds the cells of a table with a total."""
    counts = [getattr(s, field) for s in scores]
    cells = metrics.shown_parts(counts, kind=metrics.Kind.TREATMENT)
    rests = metrics.shown_parts(
        [s.received - n for s, n in zip(scores, counts, strict=True)], kind=metrics.Kind.TREATMENT
    )
    return [
        WITHHELD if WITHHELD in (cell, rest) else _rate(n, s.received)
        for s, n, cell, rest in zip(scores, counts, cells, rests, strict=True)
    ]


def _reasons(rejections: list[tuple[str, int]]) -> list[tuple[str, str]]:
    """A partner's reasons for declining: they add up to its declined referrals, which an exact
    acceptance rate gives back, so a "<11" among them takes another with it (shown_parts)."""
    shown = metrics.shown_parts([n for _reason, n in rejections], kind=metrics.Kind.TREATMENT)
    return [(reason, cell) for (reason, _n), cell in zip(rejections, shown, strict=True)]


def _exact_rate(shown: str) -> bool:
    return shown.endswith("%") and not shown.startswith(("≤", "≥"))


def scorecard_rows(scores: list[metrics.PartnerScore], *, withhold: bool = False) -> list[dict]:
    """The partner scorecard as shown: small cells and small-denominator rates hidden, and the
    rates that would give a hidden one away from the funnel's totals (_column_rates); with
    `withhold` (metrics.treatment_shown or breakdown_shown said no) every figure from the
    partners' records withheld. The reasons for declining are shown only beside an exact
    acceptance rate: received less the reasons would otherwise give a small acceptance back.
    Built for all the agency's partners together, even where one is shown (the partner page),
    so that every page shows a partner the same."""
    acceptance, intake = _column_rates(scores, "accepted"), _column_rates(scores, "intake")
    return [
        {
            "partner_id": s.partner_id,
            "name": s.name,
            "tier": s.tier,
            # The deflections logged to the partner: the agency's own police work, exact.
            "received_shown": metrics.shown_count(s.received, kind=metrics.Kind.POLICE_WORK),
            "acceptance_shown": WITHHELD if withhold else acceptance[i],
            "intake_shown": WITHHELD if withhold else intake[i],
            "hours_shown": "—"
            if withhold or s.median_hours_to_accept is None or s.accepted <= metrics.SMALL_CELL_MAX
            else f"{s.median_hours_to_accept:.1f}",
            "rejections_shown": _reasons(s.rejections) if not withhold and _exact_rate(acceptance[i]) else [],
        }
        for i, s in enumerate(scores)
    ]


def count_rows(
    counts: metrics.AgencyCounts, *, standing: metrics.AgencyCounts, withhold: bool = False
) -> dict[str, list[tuple[str, str]]]:
    """The command page's two tables as shown: deflections by pathway (the agency's own
    police work, of `counts`) exactly; where the referrals stand (the partners' records, of
    `standing`: months counted) with 1 to 10 as "<11" and, since they add up to the
    deflections of those months (exact on the dashboard), the smallest other statuses
    withheld where a "<11" could be worked out by subtraction; all withheld with `withhold`
    (a month cut into a part of 1 to 10: metrics.standing_shown)."""
    police, treatment = metrics.Kind.POLICE_WORK, metrics.Kind.TREATMENT
    statuses = metrics.shown_parts([n for _label, n in standing.by_status], kind=treatment)
    if withhold:
        statuses = [WITHHELD] * len(statuses)
    return {
        "by_pathway": [(label, metrics.shown_count(n, kind=police)) for label, n in counts.by_pathway],
        "by_status": [(label, shown) for (label, _n), shown in zip(standing.by_status, statuses, strict=True)],
    }
