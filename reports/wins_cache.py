"""Each agency's milestones, stories and latest change ("the agency's wins"), kept a minute
in the shared cache and forgotten when they change.

They are the same for every officer of an agency (reports.highlights), and officers load them
below the log form many times a shift. Every save or delete of what they show forgets the
agency's: reports.apps connects the receivers below. A cache that cannot be reached never
stops a request: the wins are then read afresh, and the write that changed them goes through.
The week's counts are not kept: each deflection logged would forget them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.core.cache import caches
from django.db import transaction

from buyin.models import ChangeMade, Suggestion
from deflection.models import Agency
from deflection.permissions import programs_of
from reports.models import Milestone, SuccessStory

logger = logging.getLogger(__name__)

# How long an agency's wins may be reused when nothing said they changed: what a write the
# receivers do not see (a bulk update) may leave unseen at most this long.
AGENCY_WINS_SECONDS = 60


def _key(agency_id: int) -> str:
    return f"wins:agency:{agency_id}"


def kept(agency_id: int) -> object | None:
    """The agency's wins as kept, or None."""
    try:
        return caches["shared"].get(_key(agency_id))
    except Exception:
        logger.warning("The shared cache could not be read: the wins are counted afresh.", exc_info=True)
        return None


def keep(agency_id: int, wins: object) -> None:
    try:
        caches["shared"].set(_key(agency_id), wins, AGENCY_WINS_SECONDS)
    except Exception:
        logger.warning("The shared cache could not keep the wins.", exc_info=True)


def forget_agency_wins(agency_ids: Iterable[int | None]) -> None:
    """What these agencies' wins show has changed: the next reader counts them afresh.

    Forgotten now, and again once the transaction commits: a reader in between may have
    kept what was there before the change."""
    keys = [_key(pk) for pk in set(agency_ids) if pk is not None]
    if not keys:
        return

    def forget() -> None:
        try:
            caches["shared"].delete_many(keys)
        except Exception:
            logger.warning("The shared cache could not forget the wins.", exc_info=True)

    forget()
    transaction.on_commit(forget)


def _agency_of_row_changed(sender, instance, **kwargs) -> None:
    # A story approved or withdrawn; a milestone found.
    forget_agency_wins([instance.agency_id])


def _agency_changed(sender, instance, **kwargs) -> None:
    # Its program (whose changes it shows), or a new agency numbered like a deleted one.
    forget_agency_wins([instance.pk])


def _change_published(sender, instance, **kwargs) -> None:
    forget_agency_wins(Agency.objects.filter(program_id=instance.program_id).values_list("pk", flat=True))


def _suggestion_changed(sender, instance, **kwargs) -> None:
    # An answered suggestion is "You said, we did" in each program of its author.
    programs = programs_of(instance.author)
    forget_agency_wins(Agency.objects.filter(program__in=programs).values_list("pk", flat=True))


def receivers() -> list[tuple[type, Callable[..., None]]]:
    """Each model whose saves and deletes change some agency's wins, and what to forget."""
    return [
        (SuccessStory, _agency_of_row_changed),
        (Milestone, _agency_of_row_changed),
        (Agency, _agency_changed),
        (ChangeMade, _change_published),
        (Suggestion, _suggestion_changed),
    ]
