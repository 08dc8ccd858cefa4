"""What the log form offers every officer of an agency (the partners serving it, and the
prosecutors' offices and courts deciding its charges), kept in the shared cache per agency
and forgotten when either changes.

Every officer of an agency opens the log form many times a shift, and both lists change
only when a program administrator edits a partner or an office, or a case manager the
partner's capacity: read afresh they are two queries at every opening. Only the form as first
shown reads them from here: a form sent back is checked against the database
(referrals.forms.LogDeflectionForm), so a list kept a little too long costs an officer an
error message, never a referral to a partner no longer listed. (A form read just before a
change commits may keep the old list after the change is forgotten; it lasts at most
AGENCY_CHOICES.seconds, like a bulk update no receiver sees.)
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from django.db.models.signals import ModelSignal, m2m_changed, post_save, pre_delete

from deflection import shared_cache
from deflection.models import Agency
from partners.models import ServicePartner
from partners.selectors import partner_list_for_agency
from referrals.charge_models import JusticeAgency
from referrals.held_charges import deciders_for_agency

# Partners are kept as model instances: a release that changes the model's columns reads none
# kept by the release before (the version follows them).
_PARTNER_COLUMNS = ",".join(f.attname for f in ServicePartner._meta.concrete_fields)
# Forgotten at each change a receiver sees; a write none sees (a bulk update) shows at most this late.
AGENCY_CHOICES = shared_cache.KeptPer(
    kind="log-choices", owner="agency", version=zlib.crc32(_PARTNER_COLUMNS.encode()), seconds=300
)


@dataclass(frozen=True)
class AgencyChoices:
    partners: list[ServicePartner]  # active, serving the agency, 24/7 first, by name
    deciders: list[tuple[int, str]]  # active, deciding its charges: (id, name), by name


def _read(agency_id: int | None) -> AgencyChoices:
    return AgencyChoices(
        partners=partner_list_for_agency(agency_id=agency_id).partners,
        deciders=[(d.pk, d.name) for d in deciders_for_agency(agency_id)],
    )


def for_agency(agency_id: int | None) -> AgencyChoices:
    """The agency's choices, kept or read afresh (a user of no agency has none to keep)."""
    if agency_id is None:
        return _read(agency_id)
    return AGENCY_CHOICES.get(agency_id, AgencyChoices, lambda: _read(agency_id))


def _forget_agencies_of(instance) -> None:
    # A partner or an office: forget the agencies it serves or decides for.
    AGENCY_CHOICES.forget(instance.agencies.values_list("pk", flat=True))


def _row_saved(sender, instance, **kwargs) -> None:
    _forget_agencies_of(instance)


def _row_deleting(sender, instance, **kwargs) -> None:
    # Before the delete: its links to the agencies go with it.
    _forget_agencies_of(instance)


def _links_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """A partner or an office linked to agencies or unlinked (from either side)."""
    if action == "pre_clear":
        if reverse:
            AGENCY_CHOICES.forget([instance.pk])
        else:
            _forget_agencies_of(instance)
    elif action in ("post_add", "post_remove"):
        AGENCY_CHOICES.forget([instance.pk] if reverse else pk_set or [])


def _agency_saved(sender, instance, **kwargs) -> None:
    # A new agency numbered like one deleted before: nothing of the old one's is read for it.
    AGENCY_CHOICES.forget([instance.pk])


def receivers() -> list[tuple[ModelSignal, type, shared_cache.Receiver]]:
    """Each change to what the log form offers, and what to forget."""
    return [
        *(
            pair
            for model in (ServicePartner, JusticeAgency)
            for pair in (
                (post_save, model, _row_saved),
                (pre_delete, model, _row_deleting),
                (m2m_changed, model.agencies.through, _links_changed),
            )
        ),
        (post_save, Agency, _agency_saved),
    ]
