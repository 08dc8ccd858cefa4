"""Writes for champions: naming one for a unit, and ending their time (history is kept)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from buyin.models import Champion
from deflection.models import Unit, User
from deflection.permissions import FIELD_ROLES, leads_buyin


@transaction.atomic
def champion_set(*, actor: User, unit: Unit, user: User, kind: str, since: date, until: date | None = None) -> Champion:
    """Name an officer or supervisor of the unit a champion of it: an informal leader among its
    own (the table of units without one would otherwise hide the gap behind someone else's)."""
    if not leads_buyin(actor, agency_id=unit.agency_id):
        raise ValidationError(_("You cannot name champions for this agency."))
    # Locked: two people naming the same champion at once would both pass the overlap check.
    Unit.objects.select_for_update().get(pk=unit.pk)
    errors: dict[str, str] = {}
    if user.agency_id != unit.agency_id or user.role not in FIELD_ROLES or not user.is_active:
        errors["user"] = _("A champion is an active officer or supervisor of the unit's agency.")
    elif user.unit_id != unit.pk:
        errors["user"] = _("A champion is one of the unit's own officers or supervisors: %(name)s is not.") % {
            "name": user.get_full_name() or user.username
        }
    if until is not None and until < since:
        errors["until"] = _("The end comes on or after the start.")
    overlapping = Champion.objects.filter(unit=unit, user=user).filter(Q(until__isnull=True) | Q(until__gt=since))
    if until is not None:
        overlapping = overlapping.filter(since__lt=until)
    if not errors and overlapping.exists():
        errors["since"] = _("They are already this unit's champion for part of that time.")
    if errors:
        raise ValidationError(errors)
    champion = Champion(unit=unit, user=user, kind=kind, since=since, until=until, set_by=actor)
    champion.full_clean()
    champion.save()
    return champion


@transaction.atomic
def champion_end(*, actor: User, champion: Champion, until: date) -> Champion:
    """End a champion's time on a day (kept in the history): succession is seen, not erased."""
    champion = Champion.objects.select_for_update().select_related("unit").get(pk=champion.pk)
    if not leads_buyin(actor, agency_id=champion.unit.agency_id):
        raise ValidationError(_("You cannot change champions for this agency."))
    if champion.until is not None and champion.until <= until:
        raise ValidationError({"until": _("This champion's time had already ended by then.")})
    if until < champion.since:
        raise ValidationError({"until": _("The end comes on or after the start.")})
    champion.until = until
    champion.full_clean()
    champion.save(update_fields=["until"])
    return champion
