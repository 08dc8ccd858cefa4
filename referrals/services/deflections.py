"""Logging a deflection: the officer's row, a new client, the referral or, for a client whose
referral here is still open, an officer contact on it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deflection import audit
from deflection.models import User
from deflection.permissions import may_log_for_officer
from partners.models import ServicePartner
from partners.selectors import AgencyPartners, partner_serves_agency
from referrals import event_notes
from referrals.models import CaseEvent, Client, Need, Officer, OfficerContact, Referral, Substance
from referrals.search import possible_duplicates
from referrals.selectors import PastReferrals, other_open_referral, past_referrals
from referrals.services.charges import ChargeRefused, HeldChargeData, held_charge_record
from referrals.services.clients import possible_duplicate_record
from referrals.services.shared import _event
from referrals.submission import seconds_to_log


@dataclass(frozen=True)
class NewClient:
    """A client the officer enters while logging a deflection."""

    first_name: str
    last_name: str
    date_of_birth: date | None = None
    aliases: str = ""
    phone: str = ""
    preferred_language: str = Client.Language.ENGLISH


CHARGE_ON_COLLEAGUES_REFERRAL = gettext_lazy(
    "This person's referral to this partner is still open and was logged by another officer: a "
    "charge held here would go on their referral, out of your reach. Choose another partner, or "
    "leave the charge out of this deflection."
)


def officer_for_user(*, user: User) -> Officer:
    """The officer row of a signed-in officer or supervisor, made on first use."""
    # Read outside a transaction: the row almost always exists, and an atomic block here
    # would cost a SAVEPOINT and a RELEASE on every deflection logged.
    try:
        officer = user.officer
    except Officer.DoesNotExist:
        return _officer_create(user=user)
    if (officer.agency_id, officer.unit_id) != (user.agency_id, user.unit_id):
        # The officer moved (another agency or unit): deflections from now on belong to
        # where they serve now. Past referrals keep their own agency.
        _officer_move(officer=officer, user=user)
    return officer


@transaction.atomic
def officer_sync(*, user: User) -> Officer | None:
    """Keep the officer row of an account in step with it, from the moment it is made or
    changed (the user admin calls this): a sergeant's roster, the list of officers not yet
    trained and the count of active officers that participation divides by include those who
    have not deflected yet. Someone who no longer serves as an officer or supervisor of an
    agency, or no longer signs in, stops counting as active; their deflections stay theirs."""
    serving = user.is_active and user.is_field_officer and bool(user.agency_id)
    try:
        officer = user.officer
    except Officer.DoesNotExist:
        return _officer_create(user=user) if serving else None
    if serving:
        officer.agency_id = user.agency_id
        officer.unit_id = user.unit_id
        officer.badge_number = user.badge_number or f"u{user.pk}"
        _badge_claim(user=user, badge=officer.badge_number)
        officer.display_name = _display_name(user)
    officer.is_active = serving
    officer.full_clean()
    officer.save(update_fields=["agency", "unit", "badge_number", "display_name", "is_active"])
    return officer


def officers_retire(*, users) -> None:
    """The officers of accounts about to be deleted stop counting as active, and give their
    badge numbers back (a badge is given again to a new hire); their rows keep their
    deflections."""
    Officer.objects.filter(user__in=users).update(
        is_active=False, badge_number=Concat(Value("o"), Cast("pk", output_field=CharField()))
    )


@transaction.atomic
def _officer_move(*, officer: Officer, user: User) -> None:
    if not user.agency_id:
        raise ValidationError(_("Your account has no agency; ask the program administrator."))
    officer.agency_id = user.agency_id
    officer.unit_id = user.unit_id
    officer.badge_number = user.badge_number or f"u{user.pk}"
    _badge_claim(user=user, badge=officer.badge_number)
    officer.is_active = True  # deflecting where they serve now
    officer.full_clean()
    officer.save(update_fields=["agency", "unit", "badge_number", "is_active"])


@transaction.atomic
def _officer_create(*, user: User) -> Officer:
    if not user.agency_id:
        raise ValidationError(_("Your account has no agency; ask the program administrator."))
    badge = user.badge_number or f"u{user.pk}"
    unnamed = _badge_claim(user=user, badge=badge, adopt=True)
    if unnamed is not None:
        # An officer the agency's records named before they had a sign-in: this is them.
        unnamed.user = user
        unnamed.unit_id = user.unit_id
        unnamed.is_active = True
        unnamed.save(update_fields=["user", "unit", "is_active"])
        return unnamed
    officer = Officer(
        user=user,
        agency_id=user.agency_id,
        unit_id=user.unit_id,
        badge_number=badge,
        display_name=_display_name(user),
    )
    officer.full_clean()
    officer.save()
    return officer


def _display_name(user: User) -> str:
    return (user.get_full_name() or user.username)[: Officer._meta.get_field("display_name").max_length]


def _badge_claim(*, user: User, badge: str, adopt: bool = False) -> Officer | None:
    """Make the agency's badge number free for this user's officer row. A former holder (an old
    account, or an officer who moved on; accounts cannot share a badge) keeps their deflections
    under another number. With `adopt`, a row added by hand for an officer who had no account
    yet (no sign-in, no deflection) is returned instead, to become this user's; any other
    holder without a sign-in (its account deleted) stops counting as an active officer."""
    holder = (
        Officer.objects.select_related("user")
        .filter(agency_id=user.agency_id, badge_number=badge)
        .exclude(user=user)
        .first()
    )
    if holder is None:
        return None
    if holder.user is None and adopt and not holder.referrals.exists():
        return holder
    holder.badge_number = f"o{holder.pk}"
    holder.is_active = holder.is_active and holder.user is not None
    holder.save(update_fields=["badge_number", "is_active"])
    return None


def officer_for_badge(*, agency_id: int, badge_number: str) -> Officer:
    """The active officer of the agency with this badge number (an agency's records system
    names the officer so), made from their sign-in on first use; refused if there is none."""
    badge = (badge_number or "").strip()
    officer = Officer.objects.filter(agency_id=agency_id, badge_number=badge, is_active=True).first() if badge else None
    if officer is not None:
        return officer
    user = (
        User.objects.filter(
            agency_id=agency_id,
            badge_number=badge,
            is_active=True,
            role__in=(User.Role.OFFICER, User.Role.SUPERVISOR),
        ).first()
        if badge
        else None
    )
    if user is None:
        raise ValidationError(
            {"officer_badge": _("No active officer of your agency has badge number %(badge)s.") % {"badge": badge[:20]}}
        )
    return officer_for_user(user=user)


@transaction.atomic
def client_create(*, agency_id: int, data: NewClient, created_by: User | None = None) -> Client:
    """A new client of the agency, outside logging a deflection (the demo builds its clients so)."""
    return _client_create(agency_id=agency_id, data=data, created_by=created_by)


def _client_create(*, agency_id: int, data: NewClient, created_by: User | None) -> Client:
    # Not atomic itself: _referral_create calls it inside its own transaction, where a
    # SAVEPOINT would only add round trips.
    client = Client(
        agency_id=agency_id,
        first_name=data.first_name.strip(),
        last_name=data.last_name.strip(),
        aliases=data.aliases.strip(),
        date_of_birth=data.date_of_birth,
        phone=data.phone.strip(),
        preferred_language=data.preferred_language,
        created_by=created_by,
    )
    client.refresh_search_name()
    # The agency and the creator are ids the caller holds (the officer's own), and the
    # language constraint repeats the field's choices, which clean_fields checks; the
    # database enforces all three on insert. Validating them here would cost four round
    # trips when an officer logs a deflection for someone new.
    client.full_clean(exclude=["agency", "created_by"], validate_constraints=False)
    client.save()
    return client


@dataclass(frozen=True)
class Logged:
    """What logging a deflection did: a new referral, or an officer contact added to the
    client's referral that is still open at the partner chosen."""

    referral: Referral  # the new referral, or the open one the contact was added to
    created: bool  # False: this form was saved before (a double tap) and nothing new was made
    contact: OfficerContact | None = None
    # What was read of the client's past on the way (for the officer's notice), if anything.
    past: PastReferrals | None = None
    # Its new client may be someone known: saved, and the officer asked (PossibleDuplicate).
    flagged: bool = False

    @property
    def is_contact(self) -> bool:
        return self.contact is not None


def referral_create(
    *,
    officer_user: User,
    partner: ServicePartner,
    pathway: str,
    officer_minutes: int,
    client: Client | None = None,
    new_client: NewClient | None = None,
    occurred_at: datetime | None = None,
    location: str = "",
    presenting_needs: list[str] | None = None,
    substances: list[str] | None = None,
    naloxone_administered: bool = False,
    charge_deflected: str = "",
    warm_handoff: bool = False,
    note: str = "",
    incident_number: str = "",
    submission_token: uuid.UUID | None = None,
    form_shown_at: datetime | None = None,
    confirm_new: bool = False,
    listed_partners: AgencyPartners | None = None,
    notice_viewer: audit.Viewer | None = None,
    officer: Officer | None = None,
    held_charge: HeldChargeData | None = None,
    flag_possible_duplicates: bool = False,
) -> Logged:
    """Log a deflection: the referral in status `requested` and its CaseEvent, or nothing.

    `officer_user` logs it: an officer or supervisor, for themselves; or their agency's
    records system (an integration client), for the `officer` it names (officer_for_badge).

    A client whose referral to this partner is still open is not referred twice: the
    encounter becomes an OfficerContact on that referral (with its CaseEvent), so the partner
    has one item for one person and the consent on it still covers what follows.

    A new client who may be someone the agency knows is refused (PossibleDuplicates) unless
    `confirm_new` says the officer has looked and they are not. `listed_partners`: the
    partners the officer was offered, read for their agency, which answer whether `partner`
    serves it without another query.

    A repeated submission_token (double tap, resubmitted form) returns what it already made
    (referral or contact) and creates nothing. `form_shown_at`: when the officer's form was
    shown (from its signed token), for the encounter's seconds_to_log; None: not measured.

    `notice_viewer`: the officer about to be told what this found (the seen-again or
    open-referral notice); the access record of that notice commits with the referral, one
    durable commit instead of two, and if it cannot be written nothing is saved.

    `held_charge`: on the officer intervention pathway, the charge the officer holds in
    abeyance while the person engages (referrals.services.charges), saved with the referral.

    `flag_possible_duplicates`: a deflection that waited on the phone with no signal, whose
    officer could not be shown the possible matches: a possible duplicate is saved all the
    same, with a PossibleDuplicate asking the officer (Logged.flagged), instead of refused.
    """
    # The rules that only read, before the transaction: a refusal costs no BEGIN and ROLLBACK.
    _validate_encounter(
        occurred_at=occurred_at,
        officer_minutes=officer_minutes,
        presenting_needs=presenting_needs or [],
        substances=substances or [],
        client=client,
        new_client=new_client,
    )
    known: list[Client] = []
    if new_client is not None and not confirm_new:
        known = possible_duplicates(
            user=officer_user,
            first_name=new_client.first_name,
            last_name=new_client.last_name,
            date_of_birth=new_client.date_of_birth,
        )
        if known:
            # The same form again (a double tap) finds the client it created itself.
            already = _already_logged(submission_token)
            if already is not None:
                return already
            if not flag_possible_duplicates:
                raise PossibleDuplicates(known)
    # A repeated token is caught by its unique constraint: that is what answers a double
    # tap (views look the token up only when a resubmitted form no longer validates).
    try:
        with transaction.atomic():
            logged = _referral_create(
                officer_user=officer_user,
                partner=partner,
                pathway=pathway,
                officer_minutes=officer_minutes,
                client=client,
                new_client=new_client,
                occurred_at=occurred_at,
                location=location,
                presenting_needs=presenting_needs or [],
                substances=substances or [],
                naloxone_administered=naloxone_administered,
                charge_deflected=charge_deflected,
                warm_handoff=warm_handoff,
                note=note,
                incident_number=incident_number.strip(),
                submission_token=submission_token,
                listed_partners=listed_partners,
                held_charge=held_charge,
                seconds_to_log=seconds_to_log(shown_at=form_shown_at, now=timezone.now()),
                officer=officer,
            )
            if notice_viewer is not None and logged.created:
                _record_notice(notice_viewer, logged)
            if known and logged.created:
                possible_duplicate_record(referral=logged.referral, candidates=known, logged_by=officer_user)
                logged = replace(logged, flagged=True)
    except IntegrityError:
        # The same form again (a double tap): the first one won; hand back what it made.
        already = _already_logged(submission_token)
        if already is None:
            raise
        return already
    return logged


def _already_logged(submission_token: uuid.UUID | None) -> Logged | None:
    """What the form carrying this token made before (referral or contact), if anything."""
    if submission_token is None:
        return None
    existing = Referral.objects.filter(submission_token=submission_token).first()
    if existing is not None:
        return Logged(referral=existing, created=False)
    contact = OfficerContact.objects.select_related("referral").filter(submission_token=submission_token).first()
    if contact is None:
        return None
    return Logged(referral=contact.referral, created=False, contact=contact)


def _record_notice(viewer: audit.Viewer, logged: Logged) -> None:
    """The access record of the notice the officer is about to see about what was logged."""
    if logged.is_contact:
        subject = (logged.referral.client_id, logged.referral.pk)
        audit.record_for(viewer, action=audit.Action.NOTIFIED, what="seen again notice", subjects=[subject])
        return
    earlier = other_open_referral(user=viewer.user, past=logged.past)
    if earlier is not None:
        subject = (earlier.client_id, earlier.pk)
        audit.record_for(viewer, action=audit.Action.NOTIFIED, what="open referral notice", subjects=[subject])


# How far back an officer may log a deflection, and how far ahead their clock may run.
LOG_WINDOW = timedelta(days=30)
CLOCK_DRIFT = timedelta(minutes=10)
# Minutes spent on one encounter: at most a day. A client's age: at most this many years.
MAX_MINUTES = 24 * 60
MAX_AGE_YEARS = 120
FIRST_NAME_NEEDED = gettext_lazy("Enter the client's first name, or pick a client found above.")
LAST_NAME_NEEDED = gettext_lazy("Enter the client's last name, or pick a client found above.")
CLIENT_NOT_KNOWN = gettext_lazy("That client is not known to your agency. Search again.")


def _validate_encounter(
    *,
    occurred_at: datetime | None,
    officer_minutes: int,
    presenting_needs: list[str],
    substances: list[str],
    client: Client | None,
    new_client: NewClient | None,
) -> None:
    """Every rule of the log form on what was entered, whoever enters it (the form, an
    agency's records system): all refusals at once, by field, in the form's words."""
    errors: dict[str, list] = {}

    def check(field: str, validator, value) -> None:
        try:
            validator(value)
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)

    check("occurred_at", validate_occurred_at, occurred_at)
    check("officer_minutes", validate_officer_minutes, officer_minutes)
    if any(need not in Need.values for need in presenting_needs):
        errors["presenting_needs"] = [_("Choose presenting needs from the list.")]
    if any(substance not in Substance.values for substance in substances):
        errors["substances"] = [_("Choose substances from the list.")]
    if client is not None and client.identity_removed_at is not None:
        errors["client"] = [str(CLIENT_NOT_KNOWN)]
    if new_client is not None:
        if not new_client.first_name.strip():
            errors["first_name"] = [str(FIRST_NAME_NEEDED)]
        if not new_client.last_name.strip():
            errors["last_name"] = [str(LAST_NAME_NEEDED)]
        check("date_of_birth", validate_date_of_birth, new_client.date_of_birth)
    if errors:
        raise ValidationError(errors)


def validate_officer_minutes(minutes: int) -> None:
    """Minutes spent: none is fine, more than a day is a typo (a field validator)."""
    if minutes < 0:
        raise ValidationError(_("Minutes cannot be negative."))
    if minutes > MAX_MINUTES:
        raise ValidationError(_("Ensure this value is less than or equal to %(max)d.") % {"max": MAX_MINUTES})


def validate_date_of_birth(dob: date | None) -> None:
    """Not in the future, and not more than 120 years ago (a field validator)."""
    if dob is None:
        return
    today = timezone.localdate()
    if dob > today:
        raise ValidationError(_("The date of birth cannot be in the future."))
    if dob < today.replace(year=today.year - MAX_AGE_YEARS):
        raise ValidationError(_("The date of birth is more than 120 years ago; check the year."))


def validate_occurred_at(occurred_at: datetime | None) -> None:
    """A deflection is logged within 30 days of the encounter, and never for the future (a field validator)."""
    if occurred_at is None:
        return
    now = timezone.now()
    if occurred_at > now + CLOCK_DRIFT:
        raise ValidationError(_("This cannot be in the future."))
    if occurred_at < now - LOG_WINDOW:
        raise ValidationError(_("Deflections are logged within 30 days; ask your supervisor."))


POSSIBLY_KNOWN = gettext_lazy(
    "This person may already be known. Pick them from the list, or tick the box to create a new client."
)


class PossibleDuplicates(ValidationError):
    """The new client may be someone the agency already knows: `clients`, best match first."""

    def __init__(self, clients: list[Client]) -> None:
        super().__init__({"confirm_new": [POSSIBLY_KNOWN]})
        self.clients = clients


_CHECKED_RELATIONS = ["client", "officer", "agency", "partner", "created_by", "reengagement_of"]


def _referral_create(
    *,
    officer_user: User,
    partner: ServicePartner,
    client: Client | None,
    new_client: NewClient | None,
    occurred_at: datetime | None,
    presenting_needs: list[str],
    substances: list[str],
    submission_token: uuid.UUID | None,
    listed_partners: AgencyPartners | None,
    officer: Officer | None,
    held_charge: HeldChargeData | None,
    **fields,
) -> Logged:
    if officer is None:
        if not officer_user.is_field_officer:
            raise ValidationError(_("Only officers and supervisors log deflections."))
        officer = officer_for_user(user=officer_user)
    elif not may_log_for_officer(
        user=officer_user, officer_agency_id=officer.agency_id, officer_active=officer.is_active
    ):
        raise ValidationError({"officer_badge": _("You cannot log deflections for this officer.")})
    if (client is None) == (new_client is None):
        raise ValidationError(_("Choose a known client or enter a new one, not both."))
    agency_id = officer.agency_id
    if not partner_serves_agency(partner=partner, agency_id=agency_id, listed=listed_partners):
        raise ValidationError({"partner": _("%(partner)s does not serve your agency.") % {"partner": partner}})
    earlier = None
    if client is None:
        client = _client_create(agency_id=agency_id, data=new_client, created_by=officer_user)  # type: ignore[arg-type]
    elif client.agency_id != agency_id:
        raise ValidationError({"client": str(CLIENT_NOT_KNOWN)})
    else:
        # A client seen before: one query tells the referral to link to, the open ones, and
        # whether this very form was saved already.
        earlier = past_referrals(
            client=client, agency_id=agency_id, partner_id=partner.pk, submission_token=submission_token
        )
        if earlier.made_by_this_form is not None:
            # A double tap that came after the first one committed: the referral it made is
            # now the client's open one here, and must not be taken for a second encounter.
            return Logged(referral=earlier.made_by_this_form, created=False, past=earlier)
        if earlier.open_at_partner is not None and _lock_if_still_open(earlier.open_at_partner):
            if held_charge is not None and earlier.open_at_partner.officer_id != officer.pk:
                # Police see their own referrals: a charge held on a colleague's would be out of
                # reach of the officer answerable for it (to withdraw it, to read its outcome).
                raise ChargeRefused({"charge_description": CHARGE_ON_COLLEAGUES_REFERRAL})
            contact = _contact_create(
                referral=earlier.open_at_partner,
                officer=officer,
                officer_user=officer_user,
                occurred_at=occurred_at,
                presenting_needs=presenting_needs,
                substances=substances,
                submission_token=submission_token,
                **fields,
            )
            if held_charge is not None:
                held_charge_record(
                    referral=earlier.open_at_partner,
                    pathway=fields["pathway"],
                    data=held_charge,
                    actor=officer_user,
                    now=contact.created_at,
                    added=True,
                )
            return Logged(referral=earlier.open_at_partner, created=True, contact=contact, past=earlier)
    now = timezone.now()
    if held_charge is not None and not fields["charge_deflected"]:
        # Written and held instead of booked: a charge deflected, for the time saved versus arrest.
        fields["charge_deflected"] = held_charge.description.strip()[:200]
    referral = Referral(
        client=client,
        officer=officer,
        agency_id=agency_id,
        partner=partner,
        occurred_at=occurred_at or now,
        presenting_needs=sorted(set(presenting_needs)),
        substances=sorted(set(substances)),
        status=Referral.Status.REQUESTED,
        status_changed_at=now,
        submission_token=submission_token,
        created_by=officer_user,
        reengagement_of_id=earlier.previous_id if earlier else None,
        **fields,
    )
    # The foreign keys were loaded or checked above and the database enforces the
    # constraints on insert: validating them again here would cost a dozen round trips
    # on the officer's hot path.
    referral.full_clean(exclude=[*_CHECKED_RELATIONS, "submission_token"], validate_constraints=False)
    referral.save()
    _event(
        referral=referral,
        actor=officer_user,
        kind=CaseEvent.Kind.CREATED,
        to_status=Referral.Status.REQUESTED,
    )
    if held_charge is not None:
        held_charge_record(
            referral=referral, pathway=referral.pathway, data=held_charge, actor=officer_user, now=timezone.now()
        )
    return Logged(referral=referral, created=True, past=earlier)


def _lock_if_still_open(referral: Referral) -> bool:
    """Lock the open referral a contact is added to, so that a close committing at the same
    moment waits for the contact; if it closed in between, the encounter is a new referral."""
    still_open = Referral.objects.select_for_update(of=("self",)).filter(
        pk=referral.pk, status__in=Referral.OPEN_STATUSES
    )
    return still_open.values_list("pk", flat=True).first() is not None


def _contact_create(
    *,
    referral: Referral,
    officer: Officer,
    officer_user: User,
    occurred_at: datetime | None,
    presenting_needs: list[str],
    substances: list[str],
    submission_token: uuid.UUID | None,
    **fields,
) -> OfficerContact:
    """The client seen again while their referral here is open: on that referral's record."""
    now = timezone.now()
    contact = OfficerContact(
        referral=referral,
        officer=officer,
        occurred_at=occurred_at or now,
        presenting_needs=sorted(set(presenting_needs)),
        substances=sorted(set(substances)),
        submission_token=submission_token,
        created_by=officer_user,
        created_at=now,
        **fields,
    )
    # As for a referral: the relations were read above and the database checks the rest.
    contact.full_clean(exclude=["referral", "officer", "created_by", "submission_token"], validate_constraints=False)
    contact.save()
    _event(
        referral=referral,
        actor=officer_user,
        kind=CaseEvent.Kind.OFFICER_CONTACT,
        **event_notes.note("seen_again", officer=officer.display_name, at=contact.occurred_at),
        created_at=now,
    )
    return contact
