"""The held charge of the officer intervention pathway: recorded with the deflection, then
decided once, as data: CHARGE_TRANSITIONS and one _charge_transition that locks the charge,
checks the move and the lifecycle, and writes its CaseEvent with who decided it.

- satisfied: the partner's casework (or program administration) records it as soon as the
  referral's lifecycle shows the condition met; the program's check at the deadline records
  it too, for a condition met that nobody marked;
- not satisfied: only the program's check, once the deadline day has ended (agency time)
  without the condition met;
- withdrawn: the officer who wrote it, or program administration, while it is held.

A decision is the final disposition of the case under which a criminal-justice consent was
given: with such a consent naming the deciding office or court and covering that moment, a
notice to it is written in the same transaction (emailed after the commit, and by the sweep
should that fail); revocations asked for before then take effect at that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection.models import User
from deflection.permissions import may_satisfy_held_charge, may_withdraw_held_charge
from referrals import event_notes
from referrals.held_charges import condition_met, consent_for_notice, deadline_passed, zone_of
from referrals.models import (
    CaseEvent,
    ChargeNotice,
    Consent,
    HeldCharge,
    JusticeAgency,
    Pathway,
    Referral,
    count_day,
)
from referrals.services.shared import _event

H = HeldCharge.State
# action: (states it may start from, state it leads to)
CHARGE_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "satisfy": (frozenset({H.HELD}), H.SATISFIED),
    "not_satisfy": (frozenset({H.HELD}), H.NOT_SATISFIED),
    "withdraw": (frozenset({H.HELD}), H.WITHDRAWN),
}
# How far ahead of the encounter a deadline may be set.
LONGEST_DEADLINE = timedelta(days=366)


class ChargeRefused(ValidationError):
    """A change to a held charge the rules do not allow, with a message for the user."""


@dataclass(frozen=True)
class HeldChargeData:
    """The charge an officer holds, as the log form gives it."""

    description: str
    case_number: str
    deadline: date
    decider: JusticeAgency
    condition: str = HeldCharge.Condition.INTAKE
    engaged_days: int | None = None
    statute: str = ""


def held_charge_record(
    *, referral: Referral, pathway: str, data: HeldChargeData, actor: User, now: datetime, added: bool = False
) -> HeldCharge:
    """The charge held at an encounter just logged (`pathway` its own), with its CaseEvent, on
    its new referral or (`added`) on the client's open referral the encounter was added to:
    inside referral_create's transaction (not atomic itself), so a refused charge saves no
    deflection either."""
    if pathway != Pathway.OFFICER_INTERVENTION:
        raise ChargeRefused({"charge_description": _("A charge is held on the officer intervention pathway only.")})
    if added and HeldCharge.objects.filter(referral=referral).exists():
        raise ChargeRefused(
            {"charge_description": _("The client's open referral at this partner already has a charge held.")}
        )
    decider = data.decider
    if not decider.is_active or not decider.agencies.filter(pk=referral.agency_id).exists():
        raise ChargeRefused(
            {"charge_decider": _("%(name)s does not decide your agency's charges.") % {"name": decider}}
        )
    first_day = timezone.localtime(referral.occurred_at, zone_of(referral)).date()
    errors: dict[str, str] = {}
    engaged = data.engaged_days if data.condition == HeldCharge.Condition.ENGAGED_DAYS else None
    if data.deadline < first_day:
        errors["charge_deadline"] = _("The deadline cannot be before the encounter.")
    elif data.deadline > first_day + LONGEST_DEADLINE:
        errors["charge_deadline"] = _("The deadline is more than a year after the encounter; check the year.")
    elif engaged and data.deadline < first_day + timedelta(days=engaged):
        errors["charge_deadline"] = _("With %(n)d days to stay engaged, the deadline is at least %(n)d days away.") % {
            "n": engaged
        }
    if data.condition == HeldCharge.Condition.ENGAGED_DAYS and not engaged:
        errors["charge_engaged_days"] = _("Say how many days the person is to stay engaged.")
    if errors:
        raise ChargeRefused(errors)
    charge = HeldCharge(
        referral=referral,
        description=data.description.strip(),
        statute=data.statute.strip(),
        case_number=data.case_number.strip(),
        condition=data.condition,
        engaged_days=engaged,
        deadline=data.deadline,
        decider=decider,
        recorded_by=actor,
        created_at=now,
    )
    charge.full_clean(exclude=["referral", "decider", "recorded_by"])
    charge.save()
    _event(
        referral=referral,
        actor=actor,
        kind=CaseEvent.Kind.HELD_CHARGE,
        to_status=H.HELD,
        **event_notes.note(
            "charge_held", condition=charge.condition, engaged_days=charge.engaged_days, deadline=charge.deadline
        ),
        created_at=now,
    )
    return charge


def _charge_transition(
    *, charge_id: int, actor: User | None, action: str, note: str = "", now: datetime | None = None
) -> HeldCharge:
    """Lock the charge, check the move, who makes it and the lifecycle; change the state and
    write its CaseEvent; write the notice its consent allows. `actor` None: the program's
    check at the deadline."""
    charge = (
        HeldCharge.objects.select_for_update(of=("self",))
        .select_related("referral__officer", "referral__agency", "decider")
        .filter(pk=charge_id)
        .first()
    )
    if charge is None:
        raise ChargeRefused(_("This held charge does not exist."))
    referral = charge.referral
    allowed = {
        "satisfy": actor is None or may_satisfy_held_charge(user=actor, referral=referral),
        "not_satisfy": actor is None,
        "withdraw": actor is not None and may_withdraw_held_charge(user=actor, referral=referral),
    }
    if not allowed[action]:
        raise ChargeRefused(_("You cannot change this held charge."))
    sources, target = CHARGE_TRANSITIONS[action]
    if charge.state not in sources:
        raise ChargeRefused(
            _("This charge was decided already: %(state)s.") % {"state": str(charge.get_state_display()).lower()}
        )
    now = now or timezone.now()
    zone = zone_of(referral)
    # The lifecycle as of the deadline at the latest: what happened after it does not count.
    met = condition_met(charge, referral, now=min(now, charge.deadline_ends_at(zone)), zone=zone)
    if action == "satisfy" and not met:
        raise ChargeRefused(_("The condition is not met: the referral's intake and engagement do not show it yet."))
    if action == "not_satisfy" and (met or not deadline_passed(charge, now=now, zone=zone)):
        raise ChargeRefused(_("The condition is met, or its deadline has not passed."))
    from_state = charge.state
    charge.state = target
    charge.state_changed_at = now
    charge.decided_by = actor
    charge.state_note = note.strip()[:300]
    counted = []
    if now < count_day(charge.deadline_ends_at(zone), zone):
        charge.counted_state = target
        counted = ["counted_state"]
    charge.save(update_fields=["state", "state_changed_at", "decided_by", "state_note", *counted])
    # A decider's note as they typed it; the program's check, deciding alone, says so itself.
    by_the_check = actor is None and not charge.state_note
    said = event_notes.note("charge_decided_by_the_check") if by_the_check else {"note": charge.state_note}
    _event(
        referral=referral,
        actor=actor,
        kind=CaseEvent.Kind.HELD_CHARGE,
        from_status=from_state,
        to_status=target,
        **said,
        created_at=now,
    )
    _notice_write(charge=charge, at=now)
    _revocations_take_effect(referral=referral, at=now)
    return charge


def _notice_write(*, charge: HeldCharge, at: datetime) -> ChargeNotice | None:
    """The notice of the decision to the deciding office or court, if a criminal-justice
    consent lets it be told; nothing otherwise. Emailed once the decision commits."""
    consent = consent_for_notice(charge, at=at)
    if consent is None:
        return None
    notice = ChargeNotice(
        held_charge=charge,
        consent=consent,
        recipient=charge.decider,
        state=charge.state,
        decided_on=timezone.localtime(at, zone_of(charge.referral)).date(),
        created_at=at,
    )
    notice.full_clean(exclude=["held_charge", "consent", "recipient"])
    notice.save()
    from referrals.tasks import send_charge_notice  # the task module imports the services

    # robust: a broker that cannot take the task must not turn the decision into an error
    # page once it is committed; the periodic sweep sends what is left unsent.
    transaction.on_commit(lambda: send_charge_notice.delay(notice.pk), robust=True)
    return notice


def _revocations_take_effect(*, referral: Referral, at: datetime) -> None:
    """The case is disposed of: revocations of its criminal-justice consents asked for before
    now take effect now (42 CFR §2.35(c))."""
    pending = Consent.objects.select_for_update().filter(
        referral=referral, kind=Consent.Kind.CRIMINAL_JUSTICE, revocation_asked_at__isnull=False, revoked_at=None
    )
    for consent in pending:
        consent.revoked_at = at
        consent.save(update_fields=["revoked_at"])
        _event(
            referral=referral,
            actor=None,
            kind=CaseEvent.Kind.CONSENT,
            **event_notes.note("consent_revocation_took_effect"),
        )


@transaction.atomic
def held_charge_satisfy(*, charge_id: int, actor: User, note: str = "") -> HeldCharge:
    """The condition was met (the lifecycle shows it): the charge is to be dropped."""
    return _charge_transition(charge_id=charge_id, actor=actor, action="satisfy", note=note)


@transaction.atomic
def held_charge_withdraw(*, charge_id: int, actor: User, note: str = "") -> HeldCharge:
    """Withdrawn: entered in error, or no longer pursued, while it is held."""
    return _charge_transition(charge_id=charge_id, actor=actor, action="withdraw", note=note)


def held_charges_decide_due(*, now: datetime | None = None) -> int:
    """The program's check: every charge still held whose deadline day has ended in its
    agency's time zone is decided from the referral's lifecycle, each in its own
    transaction; a charge another check holds locked is left to it. Returns how many."""
    now = now or timezone.now()
    # No deadline day ends (local midnight, UTC+14 at the earliest) before UTC's date reaches
    # it: a cheap bound before each agency's own day.
    candidates = (
        HeldCharge.objects.filter(state=H.HELD, deadline__lte=now.astimezone(UTC).date())
        .select_related("referral__agency")
        .order_by("deadline", "pk")
    )
    decided = 0
    for charge in candidates:
        zone = zone_of(charge.referral)
        if not deadline_passed(charge, now=now, zone=zone):
            continue
        with transaction.atomic():
            locked = HeldCharge.objects.select_for_update(skip_locked=True).filter(pk=charge.pk, state=H.HELD)
            if not locked.exists():
                continue
            met = condition_met(charge, charge.referral, now=charge.deadline_ends_at(zone), zone=zone)
            _charge_transition(charge_id=charge.pk, actor=None, action="satisfy" if met else "not_satisfy", now=now)
            decided += 1
    return decided
