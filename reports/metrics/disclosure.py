"""How a count is shown: the small-numbers rule, as data, in one place (DESIGN.md, "Small cells").

Each figure has a kind: the agency's own police work (deflections, pathways, naloxone,
officers deflecting, time saved) or the partners' treatment records (accepted, declined and
why, intake, retained, completed: 42 CFR Part 2). Each page has an audience: the agency's
own staff (its officers, supervisors and command staff, and the program administrator, who
runs the program from inside it), or outside the agency (the evaluation export, another
agency, a region, anything published). `shown_count` decides from the two:

- police work, for the agency's own staff: exact, small numbers included (they are the wins);
- treatment records, for anyone: 1 to 10 as "<11";
- anything outside the agency: 1 to 10 as "<11", whatever its kind.

A table whose total is shown exactly also hides enough of its other cells that no hidden
cell can be worked out by subtraction (`shown_parts`); a sum of cells shown one by one
elsewhere (an agency's months) shows as the range its small cells allow (`shown_sum`).
Officers' feedback and survey answers have their own floor of 5 (reports/process.py, buyin's
pulse results), not decided here.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable, Iterable
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

SMALL_CELL_MAX = 10
SMALL = "<11"
# A cell hidden only so that a small one cannot be worked out from the total.
WITHHELD = "—"


class Kind(StrEnum):
    """Where a count comes from."""

    POLICE_WORK = "police_work"
    TREATMENT = "treatment"


class Audience(StrEnum):
    """Who reads the count."""

    AGENCY = "agency"
    OUTSIDE = "outside"


# Each figure's kind, by the name the pages and the codebook give it.
FIGURE_KINDS: dict[str, Kind] = {
    "deflections": Kind.POLICE_WORK,
    "pathways": Kind.POLICE_WORK,
    "overdose_reversals": Kind.POLICE_WORK,
    "officers_deflecting": Kind.POLICE_WORK,
    "officer_participation": Kind.POLICE_WORK,
    "time_saved": Kind.POLICE_WORK,
    "cost_avoided": Kind.POLICE_WORK,
    "officer_contacts": Kind.POLICE_WORK,
    "check_ins": Kind.POLICE_WORK,
    "accepted": Kind.TREATMENT,
    "declined": Kind.TREATMENT,
    "intake": Kind.TREATMENT,
    "time_to_intake": Kind.TREATMENT,
    "retained": Kind.TREATMENT,
    "status": Kind.TREATMENT,
    "partner_scorecard": Kind.TREATMENT,
    # Whether the client's previous referral had closed is the partner's record.
    "reengagements": Kind.TREATMENT,
    # Whether a held charge's condition was met is whether the client entered treatment.
    "charges_held": Kind.TREATMENT,
}

# What each kind's rule says, for the codebook.
RULES: dict[Kind, str] = {
    Kind.POLICE_WORK: (
        _(
            "the agency's own police work: exact for the agency's own staff, small numbers included; 1 to 10 as <11 "
            "outside the agency."
        )
    ),
    Kind.TREATMENT: (
        _(
            "from the partners' treatment records (42 CFR Part 2): 1 to 10 as <11 for everyone, never recoverable "
            "from a total."
        )
    ),
}


def is_small(n: int) -> bool:
    """Whether a count is a small cell (1 to 10), which some audiences see only as <11."""
    return 1 <= n <= SMALL_CELL_MAX


def hides_small(*, kind: Kind | str, audience: Audience | str = Audience.AGENCY) -> bool:
    """Whether counts of this kind, for this audience, show 1 to 10 as "<11"."""
    return Kind(kind) == Kind.TREATMENT or Audience(audience) == Audience.OUTSIDE


def shown_count(n: int | None, *, kind: Kind | str, audience: Audience | str = Audience.AGENCY) -> str:
    """A count as this audience sees it: exact, or "<11" for 1 to 10 where the rule asks."""
    if n is None:
        return WITHHELD
    if is_small(n) and hides_small(kind=kind, audience=audience):
        return SMALL
    return f"{n:,}"


def shown_sum(cells: Iterable[int], *, kind: Kind | str, audience: Audience | str = Audience.AGENCY) -> str:
    """A sum of cells that this audience also sees one by one as `shown_count` (an agency's
    months, say: the same cells summed over another period, or beside other agencies), shown
    so that no cell of 1 to 10 can be worked out from sums less others: exact where no cell is
    small, else the range its cells allow ("121–130": the exact cells and, for each small one,
    1 to 10; one small cell alone is "<11"). What is shown depends on the exact cells' total
    and how many are small, nothing else: not even whether the small ones add up to 10 or
    less, which ten agencies' "<11" beside a whole of "<11" would pin at 1 each."""
    cells = list(cells)
    if not hides_small(kind=kind, audience=audience):
        return shown_count(sum(cells), kind=kind, audience=audience)
    small = sum(1 for n in cells if is_small(n))
    exact = sum(n for n in cells if not is_small(n))
    if not small:
        return f"{exact:,}"
    if small == 1 and not exact:
        return SMALL
    return f"{exact + small:,}–{exact + small * SMALL_CELL_MAX:,}"


def rule_of(figure: str) -> str:
    """The words saying which rule a figure follows."""
    return RULES[FIGURE_KINDS[figure]]


def shown_parts(parts: list[int], *, kind: Kind | str, audience: Audience | str = Audience.AGENCY) -> list[str]:
    """The cells of a table whose total is shown exactly (the parts add up to it): each as
    `shown_count`, and where a "<11" could be worked out from the total less the others, exact
    cells withheld ("—"), the smallest that will do, until none can (shown_table's one line)."""
    total = object()
    shown = shown_table(
        {**dict(enumerate(parts)), total: sum(parts)},
        [(total, list(range(len(parts))))],
        kind=kind,
        audience=audience,
        exact={total},
    )
    return [shown[i] for i in range(len(parts))]


def shown_table(
    cells: dict[Hashable, int],
    lines: list[tuple[Hashable, list[Hashable]]],
    *,
    kind: Kind | str,
    audience: Audience | str = Audience.AGENCY,
    exact: set[Hashable] | frozenset = frozenset(),
    last: set[Hashable] | frozenset = frozenset(),
) -> dict[Hashable, str]:
    """The cells of a table some of whose cells are the sums of others (each line: a cell, and
    the cells that add up to it: a row's parts and its total, a column's cells and the total
    row's), as shown: each as `shown_count`, and exact cells withheld ("—"), small ones first
    and near the cells at risk, until no "<11" can be worked out: from one line (its total less
    its other parts), or from several together (a cell withheld in its row but alone in its
    column is known from the column, and then counts as shown in the row), or from the bounds
    a "<11" and a count put on them.
    `exact`: cells the reader knows whatever is shown here (a total printed elsewhere); `last`:
    cells withheld only where no other would do (the headline totals)."""
    shown = {key: shown_count(n, kind=kind, audience=audience) for key, n in cells.items()}
    small = {key for key, text in shown.items() if text == SMALL and key not in exact}
    order = {key: i for i, key in enumerate(cells)}
    withheld = []
    while (leak := _leak(cells, lines, shown, small, exact)) is not None:
        candidates = sorted(
            (key for key, text in shown.items() if text not in (SMALL, WITHHELD) and key not in exact),
            key=lambda key: (key in last, cells[key], order[key]),
        )
        if not candidates:
            return {key: (text if key in exact else WITHHELD) for key, text in shown.items()}
        withheld.append(_to_withhold(leak, candidates, cells, lines, shown, small, exact))
        shown[withheld[-1]] = WITHHELD
    # The search withholds a cell at a time; the cells a later one made needless are shown again.
    for key in reversed(withheld[:-1]):
        again = {**shown, key: shown_count(cells[key], kind=kind, audience=audience)}
        if _leak(cells, lines, again, small, exact) is None:
            shown = again
    return shown


def _to_withhold(leak, candidates, cells, lines, shown, small, exact) -> Hashable:
    """The cell to withhold next: of the few smallest exact cells in the lines of the cells that
    leaked (else of all), the first that leaves fewer "<11" worked out, else the smallest."""
    near = {key for total, parts in lines if leak & {total, *parts} for key in (total, *parts)}
    nearby = [key for key in candidates if key in near] or candidates
    for key in nearby[:_TRIED]:
        if len(_leak(cells, lines, {**shown, key: WITHHELD}, small, exact) or ()) < len(leak):
            return key
    return nearby[0]


# How many cells are tried before withholding the smallest: more withholds less, at the price
# of more work (the held charges of a year by month and unit, every cell small: about a tenth
# of a second at most).
_TRIED = 4


def _leak(cells, lines, shown, small, exact) -> frozenset | None:
    """The "<11" cells a reader could pin to one value from what is shown, or None. The reader
    knows that each line adds up, that a "<11" holds 1 to 10 and a withheld cell 0 or more; each
    hidden cell's bounds are narrowed by every line, and by every combination of lines that
    the elimination finds (a column less a row, say), until none narrows further."""
    hidden = [key for key, text in shown.items() if text in (SMALL, WITHHELD) and key not in exact]
    if not small & set(hidden):
        return None
    bounds = {key: (1, SMALL_CELL_MAX) if key in small else (0, None) for key in hidden}
    equations = _equations(cells, lines, hidden)
    # Each equation is looked at again whenever a bound of one of its cells narrows.
    of_cell: dict[Hashable, list[int]] = {key: [] for key in hidden}
    for i, (coefficients, _constant) in enumerate(equations):
        for key in coefficients:
            of_cell[key].append(i)
    waiting = deque(range(len(equations)))
    queued = set(waiting)
    for _step in range(_ROUNDS * len(equations)):
        if not waiting:
            break
        i = waiting.popleft()
        queued.discard(i)
        coefficients, constant = equations[i]
        # Each term's least and greatest (None: no bound), and the equation's sums of them.
        terms = {key: _term(c, *bounds[key]) for key, c in coefficients.items()}
        sums = [_total(term[j] for term in terms.values()) for j in (0, 1)]
        if sums[0][1] > 1 and sums[1][1] > 1:
            continue  # every cell's others hold an unbounded one: this narrows nothing yet
        for key, c in coefficients.items():
            # c * key = constant - (the others), whose least and greatest are the sums less its own.
            least, greatest = (_without(sums[j], terms[key][j]) for j in (0, 1))
            span = [None if x is None else constant - x for x in (greatest, least)]
            lo, hi = span if c > 0 else span[::-1]
            old_lo, old_hi = bounds[key]
            new_lo = old_lo if lo is None else max(old_lo, -(-lo // c) if c > 0 else -(lo // -c))
            new_hi = old_hi if hi is None else hi // c if c > 0 else -hi // -c
            new_hi = new_hi if old_hi is None or new_hi is None else min(old_hi, new_hi)
            if (new_lo, new_hi) != (old_lo, old_hi):
                bounds[key] = (new_lo, new_hi)
                terms[key] = _term(c, new_lo, new_hi)
                sums = [_total(term[j] for term in terms.values()) for j in (0, 1)]
                for j in of_cell[key]:
                    if j not in queued:
                        waiting.append(j)
                        queued.add(j)
    if waiting:
        return frozenset(small & set(hidden))
    pinned = {key for key in small & set(hidden) if bounds[key][0] == bounds[key][1]}
    return frozenset(pinned) if pinned else None


# Enough narrowing for any table the pages show (each equation looked at this many times on
# average); a table needing more is treated as given away, and more is withheld.
_ROUNDS = 50


def _term(c: int, lo: int, hi: int | None) -> tuple[int | None, int | None]:
    """The least and greatest of c * x for x from lo to hi (None: no bound)."""
    ends = (c * lo, None if hi is None else c * hi)
    return ends if c > 0 else (ends[1], ends[0])


def _total(values) -> tuple[int, int]:
    """A sum that may hold unbounded terms: (the bounded ones' sum, how many are unbounded)."""
    finite, unbounded = 0, 0
    for value in values:
        if value is None:
            unbounded += 1
        else:
            finite += value
    return finite, unbounded


def _without(total: tuple[int, int], own: int | None) -> int | None:
    """A sum less one of its terms: None if another term is unbounded."""
    finite, unbounded = total
    if own is None:
        return finite if unbounded == 1 else None
    return finite - own if unbounded == 0 else None


def _equations(cells, lines, hidden: list[Hashable]) -> list[tuple[dict[Hashable, int], int]]:
    """What the reader can write down over the hidden cells: each line (its parts less its
    total, equal to what the shown cells make of it), and the rows of the system in echelon
    form, eliminated in whole numbers (each a combination of lines: a cell pinned by the lines
    together is a row with that cell alone)."""
    column = {key: i for i, key in enumerate(hidden)}
    rows = []
    for total, parts in lines:
        row = [0] * (len(hidden) + 1)
        for key, sign in ((total, -1), *((part, 1) for part in parts)):
            if key in column:
                row[column[key]] += sign
            else:
                row[-1] -= sign * cells[key]
        if any(row[:-1]):
            rows.append(row)
    reduced = [list(row) for row in rows]
    pivot_row = 0
    for col in range(len(hidden)):
        found = next((r for r in range(pivot_row, len(reduced)) if reduced[r][col]), None)
        if found is None:
            continue
        reduced[pivot_row], reduced[found] = reduced[found], reduced[pivot_row]
        pivot = reduced[pivot_row]
        for r in range(len(reduced)):
            if r != pivot_row and reduced[r][col]:
                a, b = pivot[col], reduced[r][col]
                combined = [a * x - b * y for x, y in zip(reduced[r], pivot, strict=True)]
                divisor = math.gcd(*combined) or 1
                reduced[r] = [x // divisor for x in combined]
        pivot_row += 1
    return [({hidden[i]: c for i, c in enumerate(row[:-1]) if c}, row[-1]) for row in (*rows, *reduced[:pivot_row])]
