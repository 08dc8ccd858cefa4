"""Each agency's milestones, stories and latest change ("the agency's wins"), kept a minute
in the shared cache and forgotten when they change.

They are the same for every officer of an agency (reports.highlights), and officers load them
below the log form many times a shift. Every save or delete of what they show forgets the
agency's: reports.apps connects the receivers below. The week's counts are not kept: each
deflection logged would forget them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.signals import ModelSignal, post_save

from buyin.models import ChangeMade, Suggestion
from deflection import shared_cache
from deflection.models import Agency
from deflection.permissions import programs_of
from referrals.models import Referral
from reports.models import Milestone, SuccessStory

AGENCY_WINS = shared_cache.KeptPer(kind="wins", owner="agency", version=1, seconds=60)


def forget_agency_wins(agency_ids: Iterable[int | None]) -> None:
    """What these agencies' wins show has changed: the next reader reads them afresh."""
    AGENCY_WINS.forget(agency_ids)


def _agency_of_row_changed(sender, instance, **kwargs) -> None:
    # A story approved or withdrawn; a milestone found.
    forget_agency_wins([instance.agency_id])


def _agency_changed(sender, instance, **kwargs) -> None:
    # Its program (whose changes it shows), or a new agency numbered like a deleted one.
    forget_agency_wins([instance.pk])


def _change_published(sender, instance, **kwargs) -> None:
    forget_agency_wins(Agency.objects.filter(program_id=instance.program_id).values_list("pk", flat=True))


# What of a suggestion "You said, we did" shows (a new one is never among them).
SHOWN = {"state", "answer", "changed_on", "topic", "may_name_me"}


def _suggestion_changed(sender, instance, created: bool = False, update_fields=None, **kwargs) -> None:
    # An answered suggestion is "You said, we did" in each program of its author.
    if created or (update_fields is not None and not SHOWN & set(update_fields)):
        return
    programs = programs_of(instance.author)
    forget_agency_wins(Agency.objects.filter(program__in=programs).values_list("pk", flat=True))


def _referral_cancelled(sender, instance, update_fields=None, **kwargs) -> None:
    # Its officer's cancelling as entered in error takes its stories off (SuccessStory.SHARED).
    if update_fields is not None and "cancelled_by_officer" in update_fields and instance.entered_in_error:
        forget_agency_wins([instance.agency_id])


def receivers() -> list[tuple[ModelSignal, type, shared_cache.Receiver]]:
    """Each save or delete that changes some agency's wins, and what to forget."""
    return [
        *shared_cache.saved_or_deleted(
            [
                (SuccessStory, _agency_of_row_changed),
                (Milestone, _agency_of_row_changed),
                (ChangeMade, _change_published),
                (Suggestion, _suggestion_changed),
            ]
        ),
        (post_save, Agency, _agency_changed),  # a deleted agency's wins are read by no one
        (post_save, Referral, _referral_cancelled),
    ]
