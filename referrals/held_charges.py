"""Reads about held charges: whether the condition was met (from the referral's lifecycle),
under which consent the prosecutor's office or court may be told, and what each user sees.

Whether the condition was met:
- reach intake: intake recorded before the deadline day ended (agency time);
- stay engaged N days: intake recorded, and N days after it (before the deadline ended) the
  referral had not closed without completing: put on hold or still in treatment counts as
  engaged, and treatment completed sooner meets the condition when it was completed.

Police (the officer and their supervisor) wrote the charge and see it, but whether its
condition was met tells whether the person entered treatment: they see the decision only as
a consent to share outcomes with their agency allows (as referrals.police_disclosure does for
the referral), a withdrawal always (police work).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection import l10n, permissions
from deflection.models import User
from referrals.models import ChargeNotice, Consent, HeldCharge, JusticeAgency, Referral
from referrals.police_disclosure import CONSENT_RANK, rank_covering
from referrals.selectors import referral_list_for_user

H = HeldCharge.State
# The least a consent to the referring agency must share for police to read a decision.
OUTCOME_RANK = CONSENT_RANK[Consent.Scope.STATUS_OUTCOMES]


def zone_of(referral: Referral) -> zoneinfo.ZoneInfo:
    """The time zone of the referral's agency, whose days a held charge's deadline is counted in."""
    return zoneinfo.ZoneInfo(referral.agency.timezone)


def deciders_for_agency(agency_id: int | None):
    """The prosecutors' offices and courts an officer of the agency may name: active, deciding its charges."""
    return JusticeAgency.objects.filter(is_active=True, agencies=agency_id).order_by("name")


def condition_met_at(charge: HeldCharge, referral: Referral, *, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """When the referral's lifecycle met the charge's condition before its deadline ended, or None."""
    end = charge.deadline_ends_at(zone)
    intake = referral.intake_at
    if intake is None or intake >= end:
        return None
    if charge.condition == HeldCharge.Condition.INTAKE:
        return intake
    mark = intake + timedelta(days=charge.engaged_days or 0)
    closed = referral.closed_at
    if closed is not None and closed < mark:
        # Closed before the N days: completed treatment meets the condition, anything else does not.
        return closed if referral.status == Referral.Status.COMPLETED and closed < end else None
    return mark if mark < end else None


def condition_met(charge: HeldCharge, referral: Referral, *, now: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    """Whether the condition has been met by now (and before the deadline ended)."""
    met = condition_met_at(charge, referral, zone=zone)
    return met is not None and met <= now


def deadline_passed(charge: HeldCharge, *, now: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    """Whether the charge's deadline day has ended, in the agency's time zone."""
    return now >= charge.deadline_ends_at(zone)


def consent_for_notice(charge: HeldCharge, *, at: datetime, consents: list[Consent] | None = None) -> Consent | None:
    """The criminal-justice consent under which the charge's decider may be told of a decision
    made at `at`: one on the charge's referral, naming that office or court, recorded by then
    and covering that moment (the latest, if several); None: nothing may be told."""
    if consents is None:
        consents = list(criminal_justice_consents(charge.referral))
    found = [c for c in consents if c.recipient_justice_id == charge.decider_id and c.created_at <= at and c.covers(at)]
    return max(found, key=lambda c: (c.created_at, c.pk)) if found else None


def criminal_justice_consents(referral: Referral):
    """The referral's criminal-justice consents (42 CFR §2.35), with the office or court each names."""
    return referral.consents.filter(kind=Consent.Kind.CRIMINAL_JUSTICE).select_related("recipient_justice")


def police_label(charge: HeldCharge, referral: Referral, *, agency_consents: list[Consent]) -> str:
    """The charge's state in the words police may read (see the module's docstring)."""
    if charge.state == H.WITHDRAWN:
        return _("Withdrawn on %(date)s") % {"date": _day(charge.state_changed_at, referral)}
    decided = charge.state_changed_at
    if decided is not None and charge.state != H.HELD and rank_covering(agency_consents, decided) >= OUTCOME_RANK:
        return _("%(state)s (%(date)s)") % {"state": charge.get_state_display(), "date": _day(decided, referral)}
    return _("Deadline %(date)s. Whether the condition was met reaches your agency only with the client's consent.") % {
        "date": l10n.day(charge.deadline)
    }


def _day(moment: datetime | None, referral: Referral) -> str:
    return l10n.day(timezone.localtime(moment, zone_of(referral)).date()) if moment else ""


@dataclass
class ChargeOnPage:
    """A held charge as the referral's page shows it to this user, and what they may do with it."""

    charge: HeldCharge
    # Casework sees the state itself; police (`police`) read `police_label` instead, and no more.
    state_label: str
    police: bool = False
    met_at: datetime | None = None
    met: bool = False
    # Whether the decider may be told, why (or why not), and what it was told.
    consent: Consent | None = None
    told: str = ""
    notice: ChargeNotice | None = None
    consents: list[Consent] = field(default_factory=list)
    can_satisfy: bool = False
    can_withdraw: bool = False
    can_print: bool = False
    can_record_consent: bool = False


def charge_on_page(*, user: User, referral: Referral, now: datetime | None = None) -> ChargeOnPage | None:
    """The referral's held charge for its page (None without one), read for a user who may see the referral."""
    charge = HeldCharge.objects.select_related("decider").filter(referral=referral).first()
    if charge is None:
        return None
    charge.referral = referral
    now = now or timezone.now()
    zone = zone_of(referral)
    police = permissions.is_police_viewer(user)
    if police:
        agency_consents = [c for c in referral.consents.all() if c.recipient_agency_id == referral.agency_id]
        label = police_label(charge, referral, agency_consents=agency_consents)
    else:
        label = _state_text(charge, referral)
    shown = ChargeOnPage(charge=charge, state_label=label, police=police)
    held = charge.is_held
    shown.can_withdraw = held and permissions.may_withdraw_held_charge(user=user, referral=referral)
    if police:
        return shown
    shown.met_at = condition_met_at(charge, referral, zone=zone)
    shown.met = shown.met_at is not None and shown.met_at <= now
    shown.can_satisfy = held and shown.met and permissions.may_satisfy_held_charge(user=user, referral=referral)
    shown.consents = list(criminal_justice_consents(referral))
    shown.notice = ChargeNotice.objects.select_related("consent", "recipient").filter(held_charge=charge).first()
    shown.can_print = shown.notice is not None and permissions.may_print_charge_notice(user=user, referral=referral)
    shown.can_record_consent = held and permissions.may_record_criminal_justice_consent(user=user, referral=referral)
    moment = charge.state_changed_at if not held and charge.state_changed_at else now
    shown.consent = (
        shown.notice.consent if shown.notice else consent_for_notice(charge, at=moment, consents=shown.consents)
    )
    shown.told = _what_is_told(charge, shown, now=now)
    return shown


def _state_text(charge: HeldCharge, referral: Referral) -> str:
    if charge.is_held:
        return _("Held until %(date)s") % {"date": l10n.day(charge.deadline)}
    return _("%(state)s on %(date)s") % {
        "state": charge.get_state_display(),
        "date": _day(charge.state_changed_at, referral),
    }


def _what_is_told(charge: HeldCharge, shown: ChargeOnPage, *, now: datetime) -> str:
    """Why the decider is or is not told, in a sentence for the page."""
    court = charge.decider.name
    if shown.notice is not None:
        return _("%(court)s was told of the decision under the client's criminal-justice consent.") % {"court": court}
    if not charge.is_held:
        return _(
            "%(court)s was told nothing: no criminal-justice consent (42 CFR §2.35) naming it covered the decision."
        ) % {"court": court}
    if shown.consent is not None:
        told = _(
            "With the client's criminal-justice consent, %(court)s is told of the decision when it is made: "
            "the case number, whether the condition was met, and the date."
        ) % {"court": court}
        ends = shown.consent.ends_at()
        if ends is not None and ends < charge.deadline_ends_at(zone_of(charge.referral)):
            told += " " + _("The consent ends on %(date)s, before the deadline: a decision after it is not told.") % {
                "date": l10n.day(timezone.localtime(ends, zone_of(charge.referral)).date())
            }
        return told
    ended = [c for c in shown.consents if c.recipient_justice_id == charge.decider_id and not c.covers(now)]
    if ended:
        last = max(c.ends_at() for c in ended)  # type: ignore[type-var]
        return _("%(court)s will be told nothing: the criminal-justice consent ended on %(date)s.") % {
            "court": court,
            "date": l10n.day(timezone.localtime(last).date()),
        }
    return _(
        "%(court)s will be told nothing: there is no criminal-justice consent (42 CFR §2.35) on file naming it."
    ) % {"court": court}


def today_for(referral: Referral, *, now: datetime | None = None) -> date:
    """Today in the referral's agency's time zone (never the server's or UTC's date)."""
    return timezone.localtime(now or timezone.now(), zone_of(referral)).date()


def held_charge_get_for_user(*, user: User, charge_id: int) -> HeldCharge:
    """A held charge on a referral the user may see (with it), or 404: never 403, that would confirm it exists."""
    visible = referral_list_for_user(user=user).values("pk")
    charge = (
        HeldCharge.objects.select_related("referral__client", "referral__agency", "referral__officer", "decider")
        .filter(pk=charge_id, referral__in=visible)
        .first()
    )
    if charge is None:
        raise Http404
    return charge


def charge_notice_get_for_user(*, user: User, notice_id: int) -> ChargeNotice:
    """A notice about a charge on a referral the user may see, or 404."""
    visible = referral_list_for_user(user=user).values("pk")
    notice = (
        ChargeNotice.objects.select_related("held_charge__referral", "recipient", "consent__discloser")
        .filter(pk=notice_id, held_charge__referral__in=visible)
        .first()
    )
    if notice is None:
        raise Http404
    return notice


def held_charge_of(referral: Referral) -> HeldCharge:
    """The referral's held charge, or 404."""
    charge = HeldCharge.objects.select_related("decider").filter(referral=referral).first()
    if charge is None:
        raise Http404
    return charge
