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
cell can be worked out by subtraction (`shown_parts`). Officers' feedback and survey answers
have their own floor of 5 (reports/process.py, buyin's pulse results), not decided here.
"""

from __future__ import annotations

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


def rule_of(figure: str) -> str:
    """The words saying which rule a figure follows."""
    return RULES[FIGURE_KINDS[figure]]


def _recoverable(hidden_sum: int, small: int, withheld: int) -> bool:
    """Whether a reader who knows the total could tell a hidden cell: each "<11" holds 1 to
    10 and each withheld cell any count, and together they hold `hidden_sum`."""
    if not small:
        return False
    if withheld:
        return hidden_sum == small  # every "<11" is 1 and every withheld cell 0
    return small == 1 or hidden_sum in (small, SMALL_CELL_MAX * small)


def shown_parts(parts: list[int], *, kind: Kind | str, audience: Audience | str = Audience.AGENCY) -> list[str]:
    """The cells of a table whose total is shown exactly (the parts add up to it): each as
    `shown_count`, and where a "<11" could be worked out from the total less the others, the
    smallest exact cells withheld ("—") until none can."""
    shown = [shown_count(n, kind=kind, audience=audience) for n in parts]
    exact = sorted((n, i) for i, n in enumerate(parts) if shown[i] != SMALL)

    def state() -> tuple[int, int, int]:
        hidden = [i for i, s in enumerate(shown) if s in (SMALL, WITHHELD)]
        return sum(parts[i] for i in hidden), shown.count(SMALL), shown.count(WITHHELD)

    while _recoverable(*state()) and exact:
        _n, i = exact.pop(0)
        shown[i] = WITHHELD
    if _recoverable(*state()):
        return [WITHHELD] * len(parts)
    return shown
