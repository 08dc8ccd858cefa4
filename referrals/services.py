"""Writes for officers, clients and referrals. Each is atomic and keyword-only.

A referral's status changes only here, and each change writes its CaseEvent in the
same transaction. Nothing here waits on the Celery broker.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deflection import audit
from deflection.models import User
from deflection.permissions import does_casework, may_act, may_add_follow_up, may_record_consent
from partners.models import ServicePartner
from partners.selectors import AgencyPartners, partner_serves_agency
from referrals.models import (
    CaseEvent,
    Client,
    ClientMerge,
    Consent,
    FollowUp,
    Officer,
    OfficerContact,
    Referral,
    normalize_name,
)
from referrals.police_disclosure import CHECK_72H_WINDOW
from referrals.search import possible_duplicates
from referrals.selectors import (
    PastReferrals,
    consent_signing_window,
    other_open_referral,
    past_referrals,
)


@dataclass(frozen=True)
class NewClient:
    """A client the officer enters while logging a deflection."""

    first_name: str
    last_name: str
    date_of_birth: date | None = None
    aliases: str = ""
    phone: str = ""
    preferred_language: str = Client.Language.ENGLISH


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
def _officer_move(*, officer: Officer, user: User) -> None:
    if not user.agency_id:
        raise ValidationError(_("Your account has no agency; ask the program administrator."))
    officer.agency_id = user.agency_id
    officer.unit_id = user.unit_id
    officer.badge_number = user.badge_number or f"u{user.pk}"
    officer.full_clean()
    officer.save(update_fields=["agency", "unit", "badge_number"])


@transaction.atomic
def _officer_create(*, user: User) -> Officer:
    if not user.agency_id:
        raise ValidationError(_("Your account has no agency; ask the program administrator."))
    officer = Officer(
        user=user,
        agency_id=user.agency_id,
        unit_id=user.unit_id,
        badge_number=user.badge_number or f"u{user.pk}",
        display_name=user.get_full_name() or user.username,
    )
    officer.full_clean()
    officer.save()
    return officer


@transaction.atomic
def client_create(*, agency_id: int, data: NewClient, created_by: User | None = None) -> Client:
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


def _event(*, referral: Referral, actor: User | None, kind: str, **fields) -> CaseEvent:
    event = CaseEvent(referral=referral, actor=actor, kind=kind, **fields)
    event.save()
    return event


@dataclass(frozen=True)
class Logged:
    """What logging a deflection did: a new referral, or an officer contact added to the
    client's referral that is still open at the partner chosen."""

    referral: Referral  # the new referral, or the open one the contact was added to
    created: bool  # False: this form was saved before (a double tap) and nothing new was made
    contact: OfficerContact | None = None
    # What was read of the client's past on the way (for the officer's notice), if anything.
    past: PastReferrals | None = None

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
    submission_token: uuid.UUID | None = None,
    confirm_new: bool = False,
    listed_partners: AgencyPartners | None = None,
    notice_viewer: audit.Viewer | None = None,
) -> Logged:
    """Log a deflection: the referral in status `requested` and its CaseEvent, or nothing.

    A client whose referral to this partner is still open is not referred twice: the
    encounter becomes an OfficerContact on that referral (with its CaseEvent), so the partner
    has one item for one person and the consent on it still covers what follows.

    A new client who may be someone the agency knows is refused (PossibleDuplicates) unless
    `confirm_new` says the officer has looked and they are not. `listed_partners`: the
    partners the officer was offered, read for their agency, which answer whether `partner`
    serves it without another query.

    A repeated submission_token (double tap, resubmitted form) returns what it already made
    (referral or contact) and creates nothing. `notice_viewer`: the officer about to be told
    what this found (the seen-again or open-referral notice); the access record of that notice
    commits with the referral, one durable commit instead of two, and if it cannot be written
    nothing is saved.
    """
    # The rules that only read, before the transaction: a refusal costs no BEGIN and ROLLBACK.
    try:
        validate_occurred_at(occurred_at)
    except ValidationError as error:
        raise ValidationError({"occurred_at": error.messages}) from None
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
                submission_token=submission_token,
                listed_partners=listed_partners,
            )
            if notice_viewer is not None and logged.created:
                _record_notice(notice_viewer, logged)
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
    **fields,
) -> Logged:
    if not officer_user.is_field_officer:
        raise ValidationError(_("Only officers and supervisors log deflections."))
    if (client is None) == (new_client is None):
        raise ValidationError(_("Choose a known client or enter a new one, not both."))
    officer = officer_for_user(user=officer_user)
    agency_id = officer.agency_id
    if not partner_serves_agency(partner=partner, agency_id=agency_id, listed=listed_partners):
        raise ValidationError({"partner": _("%(partner)s does not serve your agency.") % {"partner": partner}})
    earlier = None
    if client is None:
        client = _client_create(agency_id=agency_id, data=new_client, created_by=officer_user)  # type: ignore[arg-type]
    elif client.agency_id != agency_id:
        raise ValidationError({"client": _("That client is not known to your agency.")})
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
            return Logged(referral=earlier.open_at_partner, created=True, contact=contact, past=earlier)
    now = timezone.now()
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
        note=_("Seen again by %(officer)s on %(date)s")
        % {"officer": officer.display_name, "date": timezone.localtime(contact.occurred_at).strftime("%b %d")},
        created_at=now,
    )
    return contact


# ---------------------------------------------------------------------------
# The referral lifecycle (aligned with FHIR Task): one service per transition.
# ---------------------------------------------------------------------------

S = Referral.Status
# action: (statuses it may start from, status it leads to; None: back where it was)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "accept": (frozenset({S.REQUESTED}), S.ACCEPTED),
    "reject": (frozenset({S.REQUESTED}), S.REJECTED),
    # Withdrawn or entered in error: only before the partner took the client on. Once
    # accepted, a referral ends as completed or failed, so no intake leaves the figures.
    "cancel": (frozenset({S.REQUESTED}), S.CANCELLED),
    "record_intake": (frozenset({S.ACCEPTED}), S.IN_PROGRESS),
    "hold": (frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.ON_HOLD),
    "resume": (frozenset({S.ON_HOLD}), None),
    "complete": (frozenset({S.IN_PROGRESS}), S.COMPLETED),
    "fail": (frozenset({S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD}), S.FAILED),
}
CLOSED_STATUSES = frozenset({S.REJECTED, S.CANCELLED, S.COMPLETED, S.FAILED})
RETENTION_CHECKS = (
    (FollowUp.Kind.RETENTION_30, 30),
    (FollowUp.Kind.RETENTION_60, 60),
    (FollowUp.Kind.RETENTION_90, 90),
)
CHECK_72H = CHECK_72H_WINDOW  # what police are told is measured against the same window


class TransitionRefused(ValidationError):
    """A status change the lifecycle does not allow, with a message for the user."""


def allowed_actions(*, referral: Referral, user: User) -> list[str]:
    """The transitions this user may make on this referral now (what the page offers)."""
    return [
        action
        for action in ACTION_ORDER
        if referral.status in TRANSITIONS[action][0] and may_act(user=user, referral=referral, action=action)
    ]


# The order the page offers them: the step forward first, closing and cancelling last.
ACTION_ORDER = ("accept", "record_intake", "complete", "resume", "hold", "reject", "fail", "cancel")


def _who(user: User | None) -> str:
    if user is None:
        return _("someone")
    return user.get_full_name() or user.username


def _transition(
    *,
    referral_id: int,
    actor: User,
    action: str,
    reason: str = "",
    note: str = "",
    when: datetime | None = None,
) -> tuple[Referral, str]:
    """Lock the referral, check the move, change the status and write its CaseEvent."""
    referral = (
        # accepted_by is read after the lock, not joined: a join would show the row as it
        # was before a concurrent accept committed.
        Referral.objects.select_for_update(of=("self",)).select_related("officer").filter(pk=referral_id).first()
    )
    if referral is None:
        raise TransitionRefused(_("This referral does not exist."))
    if not may_act(user=actor, referral=referral, action=action):
        raise TransitionRefused(_("You cannot change this referral."))
    sources, target = TRANSITIONS[action]
    if referral.status not in sources:
        if action == "accept" and referral.status == S.ACCEPTED:
            raise TransitionRefused(
                _("%(name)s already accepted this referral at %(time)s.")
                % {
                    "name": _who(referral.accepted_by),
                    "time": timezone.localtime(referral.accepted_at).strftime("%H:%M, %b %d")
                    if referral.accepted_at
                    else "",
                }
            )
        raise TransitionRefused(
            _("A referral that is %(status)s cannot be %(action)s.")
            % {"status": str(referral.get_status_display()).lower(), "action": ACTION_PAST[action]}
        )
    from_status = referral.status
    if target is None:
        # Resume: back to the status it had when it was put on hold.
        held = referral.events.filter(kind=CaseEvent.Kind.STATUS_CHANGED, to_status=S.ON_HOLD).order_by("-id").first()
        target = held.from_status if held else S.ACCEPTED
    now = when or timezone.now()
    referral.status = target
    referral.status_changed_at = now
    referral.status_reason = reason
    referral.status_note = note
    if target in CLOSED_STATUSES:
        referral.closed_at = now
    referral.save(update_fields=["status", "status_changed_at", "status_reason", "status_note", "closed_at"])
    _event(
        referral=referral,
        actor=actor,
        kind=CaseEvent.Kind.STATUS_CHANGED,
        from_status=from_status,
        to_status=target,
        reason=reason,
        note=note,
        created_at=now,
    )
    return referral, from_status


ACTION_PAST = {  # lazy: defined at import, translated when shown
    "accept": gettext_lazy("accepted"),
    "reject": gettext_lazy("declined"),
    "cancel": gettext_lazy("cancelled"),
    "record_intake": gettext_lazy("moved to intake"),
    "hold": gettext_lazy("put on hold"),
    "resume": gettext_lazy("resumed"),
    "complete": gettext_lazy("completed"),
    "fail": gettext_lazy("closed as not completed"),
}


def _check_reason(reason: str, choices: type[models.TextChoices]) -> None:
    if reason not in choices.values:
        raise TransitionRefused({"reason": _("Choose a reason.")})


@transaction.atomic
def referral_accept(*, referral_id: int, actor: User) -> Referral:
    """Accept: the partner takes the client on. Schedules the 72-hour check for the acceptor."""
    referral, _from = _transition(referral_id=referral_id, actor=actor, action="accept")
    referral.accepted_by = actor
    referral.accepted_at = referral.status_changed_at
    referral.save(update_fields=["accepted_by", "accepted_at"])
    _follow_up_schedule(
        referral=referral, kind=FollowUp.Kind.CHECK_72H, due_at=referral.accepted_at + CHECK_72H, assigned_to=actor
    )
    return referral


@transaction.atomic
def referral_reject(*, referral_id: int, actor: User, reason: str, note: str = "") -> Referral:
    _check_reason(reason, Referral.RejectReason)
    referral, _from = _transition(referral_id=referral_id, actor=actor, action="reject", reason=reason, note=note)
    _follow_ups_close(referral=referral)
    return referral


@transaction.atomic
def referral_cancel(*, referral_id: int, actor: User, reason: str, note: str = "") -> Referral:
    _check_reason(reason, Referral.CancelReason)
    referral, _from = _transition(referral_id=referral_id, actor=actor, action="cancel", reason=reason, note=note)
    _follow_ups_close(referral=referral)
    return referral


@transaction.atomic
def referral_record_intake(
    *, referral_id: int, actor: User, intake_at: datetime | None = None, note: str = ""
) -> Referral:
    """Intake done (the client attended): in progress. Schedules the 30/60/90-day checks."""
    now = timezone.now()
    intake_at = intake_at or now
    if intake_at > now + timedelta(minutes=10):
        raise TransitionRefused({"intake_at": _("Intake cannot be in the future.")})
    referral, _from = _transition(referral_id=referral_id, actor=actor, action="record_intake", note=note)
    if intake_at < referral.occurred_at:
        raise TransitionRefused({"intake_at": _("Intake cannot be before the deflection.")})
    referral.intake_at = intake_at
    referral.save(update_fields=["intake_at"])
    assignee = referral.accepted_by or actor
    for kind, days in RETENTION_CHECKS:
        _follow_up_schedule(referral=referral, kind=kind, due_at=intake_at + timedelta(days=days), assigned_to=assignee)
    return referral


@transaction.atomic
def referral_hold(*, referral_id: int, actor: User, note: str = "") -> Referral:
    return _transition(referral_id=referral_id, actor=actor, action="hold", note=note)[0]


@transaction.atomic
def referral_resume(*, referral_id: int, actor: User, note: str = "") -> Referral:
    return _transition(referral_id=referral_id, actor=actor, action="resume", note=note)[0]


@transaction.atomic
def referral_complete(*, referral_id: int, actor: User, note: str = "") -> Referral:
    referral, _from = _transition(referral_id=referral_id, actor=actor, action="complete", note=note)
    # Treatment finished: the 30/60/90-day check-ins still come, and retention counts them.
    referral.follow_ups.filter(completed_at__isnull=True, kind__in=CONTACT_KINDS).delete()
    return referral


@transaction.atomic
def referral_fail(*, referral_id: int, actor: User, reason: str, note: str = "") -> Referral:
    _check_reason(reason, Referral.FailReason)
    referral, _from = _transition(referral_id=referral_id, actor=actor, action="fail", reason=reason, note=note)
    _follow_ups_close(referral=referral)
    return referral


# ---------------------------------------------------------------------------
# Follow-ups
# ---------------------------------------------------------------------------


def _follow_up_schedule(*, referral: Referral, kind: str, due_at: datetime, assigned_to: User | None) -> FollowUp:
    follow_up = FollowUp(referral=referral, kind=kind, due_at=due_at, assigned_to=assigned_to)
    follow_up.full_clean()
    follow_up.save()
    return follow_up


def _follow_ups_close(*, referral: Referral) -> None:
    """A referral closed without completing needs no more contact checks, nor checkpoints
    that have not come due; retention checks that came due stay open, for the record."""
    open_checks = referral.follow_ups.filter(completed_at__isnull=True)
    open_checks.filter(Q(kind__in=CONTACT_KINDS) | Q(due_at__gt=timezone.now())).delete()


CONTACT_KINDS = (FollowUp.Kind.CONTACT_ATTEMPT, FollowUp.Kind.INTAKE_CHECK, FollowUp.Kind.CHECK_72H)


@transaction.atomic
def follow_up_create(
    *, referral_id: int, actor: User, kind: str, due_at: datetime, assigned_to: User | None = None, note: str = ""
) -> FollowUp:
    """Schedule a follow-up on an accepted, open referral (assigned to the actor unless given)."""
    referral = Referral.objects.select_for_update(of=("self",)).get(pk=referral_id)
    if not does_casework(user=actor, referral=referral):
        raise TransitionRefused(_("You cannot add follow-ups to this referral."))
    if referral.status in CLOSED_STATUSES:
        raise TransitionRefused(_("This referral is closed."))
    if not may_add_follow_up(user=actor, referral=referral):
        raise TransitionRefused(_("Accept the referral first: accepting schedules its first check."))
    if assigned_to is not None and assigned_to.partner_id != referral.partner_id and not assigned_to.is_program_admin:
        raise TransitionRefused({"assigned_to": _("Assign the follow-up to someone at this partner.")})
    follow_up = FollowUp(referral=referral, kind=kind, due_at=due_at, assigned_to=assigned_to or actor, note=note)
    follow_up.full_clean()
    follow_up.save()
    _event(
        referral=referral,
        actor=actor,
        kind=CaseEvent.Kind.FOLLOW_UP,
        note=_("%(kind)s scheduled") % {"kind": follow_up.get_kind_display()},
    )
    return follow_up


@transaction.atomic
def follow_up_complete(*, follow_up_id: int, actor: User, outcome: str, note: str = "") -> FollowUp:
    """Record a follow-up's outcome, once: a second completion is refused."""
    follow_up = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("referral__officer")
        .filter(pk=follow_up_id)
        .first()
    )
    if follow_up is None or not does_casework(user=actor, referral=follow_up.referral):
        raise TransitionRefused(_("You cannot complete this follow-up."))
    if follow_up.completed_at is not None:
        raise TransitionRefused(
            _("This follow-up was already completed by %(name)s.") % {"name": _who(follow_up.assigned_to)}
        )
    if outcome not in FollowUp.Outcome.values:
        raise TransitionRefused({"outcome": _("Choose an outcome.")})
    follow_up.completed_at = timezone.now()
    follow_up.outcome = outcome
    follow_up.note = note
    follow_up.full_clean()
    follow_up.save(update_fields=["completed_at", "outcome", "note"])
    _event(
        referral=follow_up.referral,
        actor=actor,
        kind=CaseEvent.Kind.FOLLOW_UP,
        reason=follow_up.kind,
        note=str(follow_up.get_outcome_display()),
    )
    return follow_up


# ---------------------------------------------------------------------------
# Consent (42 CFR Part 2): captured, revoked, never deleted.
# ---------------------------------------------------------------------------

REVOCATION_TERMS = gettext_lazy(
    "You may revoke this consent at any time, in writing or by telling your case manager, "
    "except to the extent that action has already been taken in reliance on it."
)


@transaction.atomic
def consent_capture(
    *,
    referral_id: int,
    actor: User,
    scope: str,
    to_referring_agency: bool,
    recipient_partner_ids: list[int] | None = None,
    purpose: str,
    signature_name: str,
    signed_on: date,
    expires_on: date | None = None,
    expiry_event: str = "",
    signature_drawing: str = "",
    language: str = "en",
    revocation_terms: str = "",
) -> Consent:
    """Record a client's consent for a referral, at intake or by the officer at the scene."""
    # Locked: a consent must not slip in beside a concurrent closing of the referral.
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("officer", "client", "agency")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None or not may_record_consent(user=actor, referral=referral):
        raise ValidationError(_("You cannot record consent for this referral."))
    first_day, today = consent_signing_window(referral=referral)
    errors: dict[str, str] = {}
    if not signature_name.strip():
        errors["signature_name"] = _("The client signs by typing their name.")
    if expires_on is None and expiry_event != Consent.ExpiryEvent.END_OF_TREATMENT:
        errors["expires_on"] = _("Give an expiry date or event.")
    if expires_on is not None and expires_on < today:
        errors["expires_on"] = _("The expiry date is in the past.")
    if signed_on > today:
        errors["signed_on"] = _("The date signed cannot be in the future.")
    elif signed_on < first_day:
        errors["signed_on"] = _("The date signed cannot be before the encounter (%(date)s).") % {
            "date": first_day.isoformat()
        }
    if not to_referring_agency and not recipient_partner_ids:
        errors["to_referring_agency"] = _("Name at least one recipient.")
    if signature_drawing and not signature_drawing.startswith("data:image/png;base64,"):
        errors["signature_drawing"] = _("The drawn signature could not be read.")
    if errors:
        raise ValidationError(errors)
    consent = Consent(
        client=referral.client,
        referral=referral,
        discloser_id=referral.partner_id,
        scope=scope,
        recipient_agency_id=referral.agency_id if to_referring_agency else None,
        purpose=purpose.strip(),
        revocation_terms=revocation_terms or str(REVOCATION_TERMS),
        expires_on=expires_on,
        expiry_event=expiry_event,
        signature_name=signature_name.strip(),
        signature_drawing=signature_drawing,
        signed_on=signed_on,
        language=language,
        captured_by=actor,
    )
    consent.full_clean()
    consent.save()
    if recipient_partner_ids:
        consent.recipient_partners.set(recipient_partner_ids)
    _event(
        referral=referral,
        actor=actor,
        kind=CaseEvent.Kind.CONSENT,
        note=_("recorded (%(scope)s)") % {"scope": consent.get_scope_display()},
    )
    return consent


@transaction.atomic
def consent_revoke(*, consent_id: int, actor: User, note: str = "", when: datetime | None = None) -> Consent:
    """Revoke: recorded with its moment, never deleted. Nothing new flows from then on."""
    consent = (
        Consent.objects.select_for_update(of=("self",))
        .select_related("referral__officer")
        .filter(pk=consent_id)
        .first()
    )
    if consent is None or consent.referral is None or not does_casework(user=actor, referral=consent.referral):
        raise ValidationError(_("You cannot revoke this consent."))
    if consent.revoked_at is not None:
        raise ValidationError(_("This consent was already revoked."))
    consent.revoked_at = when or timezone.now()
    consent.revoked_by = actor
    consent.revocation_note = note.strip()
    consent.save(update_fields=["revoked_at", "revoked_by", "revocation_note"])
    _event(referral=consent.referral, actor=actor, kind=CaseEvent.Kind.CONSENT, note=_("revoked"))
    return consent


# ---------------------------------------------------------------------------
# Duplicate clients
# ---------------------------------------------------------------------------


@transaction.atomic
def client_merge(*, survivor_id: int, merged_id: int, actor: User) -> ClientMerge:
    """Two rows were one person: move referrals and consents to the survivor, and record it."""
    if not actor.sees_everything:
        raise ValidationError(_("Only a program administrator merges clients."))
    if survivor_id == merged_id:
        raise ValidationError(_("Choose two different clients."))
    clients = {c.pk: c for c in Client.objects.select_for_update().filter(pk__in=[survivor_id, merged_id])}
    if len(clients) != 2:
        raise ValidationError(_("Both clients must exist."))
    survivor, merged = clients[survivor_id], clients[merged_id]
    if survivor.agency_id != merged.agency_id:
        raise ValidationError(_("Clients of different agencies cannot be merged."))
    snapshot = {
        field: str(getattr(merged, field) or "")
        for field in ("first_name", "last_name", "aliases", "date_of_birth", "phone", "preferred_language")
    }
    moved = list(merged.referrals.all())
    merged.referrals.update(client=survivor)
    consents_moved = merged.consents.update(client=survivor)
    # The merged row may itself have absorbed others: their records now point at the survivor,
    # so a client's merges are always one level deep (see referrals.disclosures).
    ClientMerge.objects.filter(survivor=merged).update(survivor=survivor)
    # Keep what the merged row knew: its name and aliases become aliases of the survivor.
    known = {normalize_name(a) for a in survivor.aliases.split(",")} | {normalize_name(survivor.full_name)}
    additions: list[str] = []
    for name in [merged.full_name, *merged.aliases.split(",")]:
        if name.strip() and normalize_name(name) not in known:
            known.add(normalize_name(name))
            additions.append(name.strip())
    survivor.aliases = ", ".join(filter(None, [survivor.aliases, *additions]))[:300]
    survivor.date_of_birth = survivor.date_of_birth or merged.date_of_birth
    survivor.phone = survivor.phone or merged.phone
    survivor.refresh_search_name()
    survivor.save()
    _relink_reengagements(client=survivor)
    record = ClientMerge.objects.create(
        survivor=survivor,
        merged_client_id=merged.pk,
        merged_snapshot=snapshot,
        referrals_moved=len(moved),
        consents_moved=consents_moved,
        merged_by=actor,
    )
    for referral in moved:
        _event(
            referral=referral,
            actor=actor,
            kind=CaseEvent.Kind.CLIENT_MERGED,
            note=_("Client record #%(old)s merged into #%(new)s") % {"old": merged.pk, "new": survivor.pk},
        )
    merged.delete()
    return record


def referral_mark_seen(*, referral_id: int, user: User) -> None:
    """The referring officer opened the referral: outcomes up to now are no longer news."""
    Referral.objects.filter(pk=referral_id, officer__user=user).update(officer_seen_at=timezone.now())


def _relink_reengagements(*, client: Client) -> None:
    """Each referral of the client links to the one before it (not cancelled), so the
    re-engagement figures stay right after two rows became one."""
    previous = None
    for referral in client.referrals.order_by("occurred_at", "id"):
        if referral.reengagement_of_id != (previous.pk if previous else None):
            referral.reengagement_of = previous
            referral.save(update_fields=["reengagement_of"])
        if referral.status != Referral.Status.CANCELLED:
            previous = referral
