"""Writes about partners: the relationship log, the engagement tier (with its history) and
the partner's directory entry.

The program administrator keeps the relationships and the directory; each service checks
that itself, so a form the page does not offer is refused here too.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection.models import Agency, User
from deflection.permissions import may_exchange_partner_directory, may_manage_partner_relations
from partners.directory import DirectoryEntry
from partners.models import PartnerContact, PartnerOpening, PartnerTierChange, ServicePartner
from partners.selectors import partner_list_for_user, partner_today


def _locked_partner(*, partner_id: int, actor: User) -> ServicePartner:
    if not may_manage_partner_relations(actor):
        raise ValidationError(_("You cannot change this partner's relationship."))
    # A partner serving none of the actor's program's agencies is as good as missing to them.
    partner = (
        ServicePartner.objects.select_for_update()
        .filter(pk=partner_id, pk__in=partner_list_for_user(user=actor).values("pk"))
        .first()
    )
    if partner is None:
        raise ValidationError(_("This partner does not exist."))
    return partner


@transaction.atomic
def partner_contact_create(
    *,
    partner_id: int,
    actor: User,
    contact_on: date,
    kind: str,
    what: str,
    met_with: str = "",
    next_step: str = "",
    next_step_due: date | None = None,
) -> PartnerContact:
    """Add a contact to a partner's relationship log, with an optional next step and its due date."""
    partner = _locked_partner(partner_id=partner_id, actor=actor)
    if contact_on > partner_today(partner):
        raise ValidationError({"contact_on": _("A contact is recorded once it happened: this date is ahead.")})
    next_step = next_step.strip()
    if next_step_due is not None and not next_step:
        raise ValidationError({"next_step": _("Say what the next step is, or leave its due date empty.")})
    if next_step_due is not None and next_step_due < contact_on:
        # A step agreed at a meeting falls due after it; before, it would be overdue from the
        # start and its morning reminder could never go.
        raise ValidationError({"next_step_due": _("A next step falls due on or after the contact's date.")})
    contact = PartnerContact(
        partner=partner,
        contact_on=contact_on,
        kind=kind,
        recorded_by=actor,
        met_with=met_with.strip(),
        what=what.strip(),
        next_step=next_step,
        next_step_due=next_step_due,
    )
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def partner_next_step_done(*, contact_id: int, actor: User) -> PartnerContact:
    """Mark a contact's next step done, once: a second time is refused."""
    if not may_manage_partner_relations(actor):
        raise ValidationError(_("You cannot change this partner's relationship."))
    contact = (
        PartnerContact.objects.select_for_update()
        .filter(pk=contact_id, partner__in=partner_list_for_user(user=actor).values("pk"))
        .first()
    )
    if contact is None or not contact.next_step:
        raise ValidationError(_("This contact has no next step to mark done."))
    if contact.next_step_done_at is not None:
        raise ValidationError(_("This next step was already marked done."))
    contact.next_step_done_at = timezone.now()
    contact.next_step_done_by = actor
    contact.full_clean()
    contact.save(update_fields=["next_step_done_at", "next_step_done_by"])
    return contact


@transaction.atomic
def partner_tier_change(*, partner_id: int, actor: User, tier: str, reason: str) -> PartnerTierChange:
    """Move a partner to another engagement tier and record who, when and why: the only way
    the tier changes, so the history misses nothing."""
    partner = _locked_partner(partner_id=partner_id, actor=actor)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the partner's engagement changes.")})
    if tier not in ServicePartner.Tier.values:
        raise ValidationError({"tier": _("Choose an engagement tier.")})
    if tier == partner.engagement_tier:
        raise ValidationError({"tier": _("The partner is in this tier already.")})
    change = PartnerTierChange(
        partner=partner, from_tier=partner.engagement_tier, to_tier=tier, reason=reason, changed_by=actor
    )
    change.full_clean()
    change.save()
    partner.engagement_tier = tier
    partner.save(update_fields=["engagement_tier"])
    return change


@transaction.atomic
def partner_directory_save(
    *, actor: User | None, entry: DirectoryEntry, partner_id: int | None = None
) -> ServicePartner:
    """Create a partner from its directory entry, or bring partner `partner_id` to it: every
    field the directory exchanges, the relationship (tier, capacity, lead) left as it is.

    `actor` None is the deployment's operator, at the command line (manage.py hsds_import);
    every page and the admin pass the signed-in user.
    """
    if actor is not None and not may_exchange_partner_directory(actor):
        raise ValidationError(_("You cannot change the partner directory."))
    if entry.hsds_id is None or entry.kind is None or entry.hours is None:
        raise ValidationError(_("A directory entry to save says everything (see DirectoryEntry.filled_from)."))
    if partner_id is None:
        partner = ServicePartner()
    else:
        partner = ServicePartner.objects.select_for_update().filter(pk=partner_id).first()
        if partner is None:
            raise ValidationError(_("This partner does not exist."))
    agencies = list(Agency.objects.filter(name__in=entry.agencies))
    unknown = set(entry.agencies) - {agency.name for agency in agencies}
    if unknown:
        raise ValidationError({"agencies": _("No agency is called %(names)s.") % {"names": ", ".join(sorted(unknown))}})
    partner.hsds_id = entry.hsds_id
    partner.name = entry.name.strip()
    partner.kind = entry.kind
    partner.services = entry.services
    partner.is_active = entry.is_active
    partner.is_24_7 = entry.is_24_7
    partner.hours = entry.hours
    partner.address = entry.address
    partner.phone = entry.phone
    partner.languages = ", ".join(entry.languages)
    partner.full_clean()
    partner.save()
    partner.agencies.set(agencies)
    openings = [
        PartnerOpening(partner=partner, weekday=o.weekday, opens_at=o.opens_at, closes_at=o.closes_at)
        for o in sorted(set(() if entry.is_24_7 else entry.openings))
    ]
    partner.openings.all().delete()
    for opening in openings:
        opening.full_clean()
    PartnerOpening.objects.bulk_create(openings)
    return partner
