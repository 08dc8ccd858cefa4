"""Who may do what: the role groups, the view decorator, the program scope and the rules on
one referral.

Views, services and selectors ask here; templates get `can_*` flags computed from these
rules, so a page offers exactly what the service takes. The core imports no app: the rules
read a referral's attributes (`partner_id`, `officer.user_id`, `is_open`,
`awaits_acceptance`), which referrals.models defines from its own statuses, and other apps'
models are named by their labels only (PROGRAM_PATHS).

Programs: one installation hosts many, and nothing crosses them. A superuser sees all of
them; a program administrator, and a regional coordinator, only their own
(`program_q`, `in_program`, `administers_agency`: the one rule every "program
administration sees it" goes through).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from deflection.models import Agency, Program, Unit, User

if TYPE_CHECKING:  # named for the type checker only: the core imports no app
    from buyin.models import Commendation
    from referrals.models import PossibleDuplicate, Referral

# Officers and supervisors: they log deflections and see outcomes only as consent allows.
FIELD_ROLES = (User.Role.OFFICER, User.Role.SUPERVISOR)
# Those who work a partner's referrals: its case managers, and the program administrator.
CASEWORK_ROLES = (User.Role.CASE_MANAGER, User.Role.PROGRAM_ADMIN)
# Those who recognise officers: sergeants, command staff and the program administrator.
COMMENDING_ROLES = (User.Role.SUPERVISOR, User.Role.COMMAND, User.Role.PROGRAM_ADMIN)


def roles_required(*roles: str) -> Callable:
    """Only these roles may use the view; everyone else gets a 404, as for a missing page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.user.role not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# ---------------------------------------------------------------------------
# Programs: which part of the installation a user administers or coordinates
# ---------------------------------------------------------------------------

# How each kind of row reaches its program, by model label: the lookups to the Program (any
# one of them suffices). A user is in a program through their own `program` (program
# administrators, regional coordinators), their agency, or their partner's agencies (a
# partner serving several programs is in each, and so are its case managers).
PROGRAM_PATHS: dict[str, tuple[str, ...]] = {
    "deflection.Program": ("pk",),
    "deflection.Agency": ("program",),
    "deflection.Unit": ("agency__program",),
    "deflection.User": ("program", "agency__program", "partner__agencies__program"),
    "partners.ServicePartner": ("agencies__program",),
    "partners.PartnerContact": ("partner__agencies__program",),
    "partners.PartnerTierChange": ("partner__agencies__program",),
    "referrals.Officer": ("agency__program",),
    "referrals.Client": ("agency__program",),
    "referrals.Referral": ("agency__program",),
    "referrals.OfficerContact": ("referral__agency__program",),
    "referrals.OfficerCheckIn": ("referral__agency__program",),
    "referrals.FollowUp": ("referral__agency__program",),
    "referrals.CaseEvent": ("referral__agency__program",),
    "referrals.Consent": ("client__agency__program",),
    "referrals.ClientMerge": ("survivor__agency__program",),
    "referrals.JusticeAgency": ("agencies__program",),
    "referrals.HeldCharge": ("referral__agency__program",),
    "referrals.ChargeNotice": ("held_charge__referral__agency__program",),
    "referrals.PossibleDuplicate": ("referral__agency__program",),
    "buyin.Suggestion": ("author__program", "author__agency__program", "author__partner__agencies__program"),
    "buyin.ChangeMade": ("program",),
    "buyin.OfficerFeedback": ("referral__agency__program",),
    "buyin.RecognitionKind": ("agency__program",),
    "buyin.Commendation": ("agency__program",),
    "buyin.PulseSurvey": ("agency__program",),
    "buyin.TrainingSession": ("agency__program",),
    "buyin.Champion": ("unit__agency__program",),
    "reports.Milestone": ("agency__program",),
    "reports.SuccessStory": ("agency__program",),
    "reports.Digest": ("agency__program",),
    "reports.ProgramDigest": ("program",),
    "reports.Briefing": ("unit__agency__program",),
    "reports.ExportRecord": ("agency__program",),
    "api.IntegrationClient": ("agency__program", "partner__agencies__program"),
}


def is_regional_coordinator(user: User) -> bool:
    """Command staff of a whole program: a program and no agency (DESIGN.md, roles)."""
    return user.is_command and user.agency_id is None and user.program_id is not None


def scope_program_id(user: User) -> int | None:
    """The program a program administrator runs or a regional coordinator leads; None for
    anyone else (a superuser included: see program_q)."""
    if user.is_program_admin or is_regional_coordinator(user):
        return user.program_id
    return None


def program_of(user: User) -> int | None:
    """The one program a user belongs to: their own (administrators, coordinators) or their
    agency's; None for a case manager (a partner may serve several) or a superuser."""
    if user.program_id is not None:
        return user.program_id
    return user.agency.program_id if user.agency_id else None


def programs_of(user: User) -> QuerySet[Program]:
    """The programs a user belongs to (what a program tells its people, such as "You said,
    we did", reaches them): their own or their agency's; for a case manager, those of the
    agencies their partner serves; every program for a superuser."""
    if user.is_superuser:
        return Program.objects.all()
    if user.program_id is not None:
        return Program.objects.filter(pk=user.program_id)
    if user.agency_id is not None:
        return Program.objects.filter(agencies=user.agency_id)
    if user.partner_id is not None:
        return Program.objects.filter(pk__in=Agency.objects.filter(partners=user.partner_id).values("program_id"))
    return Program.objects.none()


def shows_agency(user: User, agency: Agency) -> bool:
    """Whether a page may name this agency to the user: one of their program's (a superuser:
    any). A partner serving agencies of several programs is shown with their program's only."""
    return user.is_superuser or agency.program_id == program_of(user)


def administers_programs(user: User) -> bool:
    """Program administration: the role, in a program, or a superuser whatever their role
    (each sees only what program_q lets through)."""
    return user.is_active and (user.is_superuser or (user.is_program_admin and user.program_id is not None))


def program_q(user: User, *paths: str) -> Q:
    """The one scoping rule: the rows (reached through any of `paths`, lookups to the
    Program) in the user's program scope. Every row for a superuser; their program's for a
    program administrator or a regional coordinator; none for anyone else."""
    if user.is_superuser:
        return Q()
    program_id = scope_program_id(user)
    if program_id is None or not paths:
        return Q(pk__in=[])
    scope = Q()
    for path in paths:
        scope |= Q(**{path: program_id})
    return scope


def in_program(rows: QuerySet, user: User) -> QuerySet:
    """`rows` narrowed to the user's program scope, by how their model reaches its program
    (PROGRAM_PATHS). Paths through a partner's agencies may find a row twice: those go
    through a subquery, so the rows stay distinct and countable."""
    model: type[Model] = rows.model
    paths = PROGRAM_PATHS[model._meta.label]
    scope = program_q(user, *paths)
    if user.is_superuser:
        return rows
    if any("agencies" in path for path in paths):
        return rows.filter(pk__in=model._default_manager.filter(scope).values("pk"))
    return rows.filter(scope)


def agencies_of_program(user: User) -> QuerySet[Agency]:
    """The agencies a program administrator (or regional coordinator) may pick between:
    their program's; every agency for a superuser; none for anyone else."""
    return in_program(Agency.objects.all(), user).order_by("name")


def administers_agency(user: User, *, agency: Agency | int | None) -> bool:
    """Whether the user runs the program the agency belongs to (or is a superuser).
    `agency`: the agency, or its id (then one small query for a program administrator)."""
    if agency is None or not administers_programs(user):
        return False
    if user.is_superuser:
        return True
    if isinstance(agency, Agency):
        return agency.program_id == user.program_id
    return Agency.objects.filter(pk=agency, program_id=user.program_id).exists()


# ---------------------------------------------------------------------------
# Who a user is to the program
# ---------------------------------------------------------------------------


def is_police_viewer(user: User) -> bool:
    """Officers and supervisors, and their agency's record system, see outcomes only as consent allows."""
    return user.is_field_officer or is_agency_client(user)


def is_agency_command(user: User) -> bool:
    """Command staff of one agency (a regional coordinator leads a program instead)."""
    return user.is_command and user.agency_id is not None


def menu(user: User) -> dict[str, bool]:
    """Which of the app's pages the main menu links to: those the user's role opens."""
    agency_command = is_agency_command(user)
    return {
        "can_log_deflection": user.role in FIELD_ROLES,
        "can_see_unit_dashboard": user.role == User.Role.SUPERVISOR,
        "can_work_queue": user.is_case_manager,
        "can_see_command_home": agency_command,
        "can_see_wins": may_see_highlights(user),
        # Not for a superuser of another role: the menu is the role's; the admin has the rest.
        "can_see_dashboard": agency_command or user.is_program_admin,
        "can_see_program": may_see_program_view(user),
        "can_triage_suggestions": may_triage_suggestions(user),
        "can_see_partners": agency_command or user.is_program_admin,
        "can_read_feedback_comments": user.is_program_admin,
        "can_lead_buyin": agency_command or user.is_program_admin,
        "can_see_pulse_surveys": agency_command or user.is_program_admin,
        "can_commend": commends_officers(user),
        "can_see_process_evaluation": may_see_process_evaluation(user),
        "can_see_briefing": may_see_briefings(user),
        "can_manage_integrations": may_manage_integrations(user),
    }


def may_see_program_view(user: User) -> bool:
    """The program view (every agency of a program beside the others, and the program's
    digest): regional coordinators and program administrators (the role, as the menu)."""
    return is_regional_coordinator(user) or (user.is_program_admin and administers_programs(user))


def may_see_highlights(user: User) -> bool:
    """The program's wins and their own milestones: officers and supervisors of an agency."""
    return user.is_field_officer and bool(user.agency_id)


def may_see_process_evaluation(user: User) -> bool:
    """Officers' feedback in aggregate: command staff (their agency), program administration
    (their program's agencies) and supervisors (their unit); not for a superuser of another
    role, as the menu."""
    return is_agency_command(user) or user.is_program_admin or user.role == User.Role.SUPERVISOR


def may_see_briefings(user: User) -> bool:
    """Whether any unit's roll-call briefing is the user's to read (see may_read_briefing)."""
    if user.role == User.Role.SUPERVISOR:
        return user.unit_id is not None
    return user.is_program_admin or is_agency_command(user)


def may_read_briefing(user: User, *, unit: Unit) -> bool:
    """A unit's roll-call briefing: its supervisors, its agency's command staff, and program
    administration of its program (the role, as the menu)."""
    if user.is_program_admin:
        return administers_agency(user, agency=unit.agency)
    if user.is_command:
        return user.agency_id is not None and user.agency_id == unit.agency_id
    return user.role == User.Role.SUPERVISOR and user.unit_id is not None and user.unit_id == unit.pk


def may_read_reports(user: User) -> bool:
    """The evaluation export and the codebook: an agency's command staff and program administration."""
    return is_agency_command(user) or administers_programs(user)


def exports_whole_treatment_record(user: User) -> bool:
    """Whether the evaluation export's rows carry the partners' treatment record whatever
    the client's consent: program administration, which sees everything in its program.
    An agency's command staff get what the consents to their agency share (42 CFR Part 2),
    as their officers do."""
    return administers_programs(user)


def may_triage_suggestions(user: User) -> bool:
    """Program administration answers the suggestions of its program (and publishes "You
    said, we did"); anyone signed in sends one and reads the answers."""
    return administers_programs(user)


def may_read_feedback_comments(user: User) -> bool:
    """The sentences officers add to their feedback: program administration only (of its
    program's agencies), never whose."""
    return administers_programs(user)


def leads_buyin(user: User, *, agency_id: int | None) -> bool:
    """Who records the agency's training sessions and names its champions: its command staff
    and the administration of its program."""
    if agency_id is None:
        return False
    return (user.is_command and user.agency_id == agency_id) or administers_agency(user, agency=agency_id)


def may_see_untrained(user: User, *, unit_id: int | None) -> bool:
    """Who sees the names of a unit's officers not yet trained: its supervisors (they are
    colleagues, not clients); command and program administration see the training page."""
    return unit_id is not None and user.role == User.Role.SUPERVISOR and user.unit_id == unit_id


def may_review_access(user: User) -> bool:
    """The program administrator (and superusers) review who saw what in the admin (their
    program's clients); nobody edits it."""
    return user.is_staff and administers_programs(user)


def may_see_partner_relations(user: User) -> bool:
    """Partners' pages (details, scorecard, relationship log, tier history): program
    administration for the partners serving its program, and command staff for those
    serving their agency (read only); partners.selectors says which."""
    return administers_programs(user) or is_agency_command(user)


def may_manage_partner_relations(user: User) -> bool:
    """Recording contacts, marking next steps done and changing a partner's engagement tier:
    the program administrator keeps the relationships (of the partners serving the program;
    partners.services checks which)."""
    return administers_programs(user)


def may_exchange_partner_directory(user: User) -> bool:
    """Downloading the partner directory as Open Referral HSDS and importing one, which creates
    and changes partners: the program administrator, who keeps the partners (of their program)."""
    return administers_programs(user)


# ---------------------------------------------------------------------------
# Integration clients (the API): systems acting for one partner or one agency
# ---------------------------------------------------------------------------


def is_person(user: User | None) -> bool:
    """Whether the account is a person's: follow-ups are assigned, reminders sent and pickers
    offered to people, never to an integration client's service account."""
    return user is not None and not user.is_integration


def may_manage_integrations(user: User) -> bool:
    """Creating, listing and revoking integration clients: program administration (of the
    program of the client's partner or agency)."""
    return administers_programs(user)


def administers_integration(user: User, *, partner: Model | None = None, agency: Agency | None = None) -> bool:
    """Whether the user administers the program of an integration client's partner or agency
    (a partner serving several programs' agencies: any of them)."""
    if not administers_programs(user):
        return False
    if agency is not None:
        return administers_agency(user, agency=agency)
    return partner is not None and in_program(type(partner)._default_manager.filter(pk=partner.pk), user).exists()


def is_partner_client(user: User) -> bool:
    """A partner's record system (EHR): scoped like the partner's case managers, it works the
    referrals routed to that partner through the same rules (does_casework)."""
    return user.is_integration and user.partner_id is not None


def is_agency_client(user: User) -> bool:
    """An agency's records or dispatch system (RMS/CAD): it logs deflections for the agency's
    officers and sees the agency's referrals as police do (only what consent lets flow)."""
    return user.is_integration and user.agency_id is not None


def may_search_clients(user: User) -> bool:
    """Who finds the agency's clients by name (the log form's search, the duplicate check):
    its officers and supervisors, and its records system logging a deflection."""
    return (user.is_field_officer or is_agency_client(user)) and user.agency_id is not None


def may_log_for_officer(*, user: User, officer_agency_id: int, officer_active: bool = True) -> bool:
    """Who may log a deflection naming an officer other than themselves: the officer's own
    agency's record system, for an active officer of that agency."""
    return is_agency_client(user) and user.is_active and officer_active and officer_agency_id == user.agency_id


# ---------------------------------------------------------------------------
# Who may do what on one referral
# ---------------------------------------------------------------------------


def _agency_of(referral: Referral) -> Agency | int:
    """The referral's agency if it was read with it, else its id (administers_agency reads it)."""
    return referral.agency if type(referral).agency.is_cached(referral) else referral.agency_id


def does_casework(*, user: User, referral: Referral) -> bool:
    """The partner's case managers (and its record system) and program administration: they
    accept, follow up, record and revoke consent, and see (and print) the consents on file."""
    if user.is_case_manager or is_partner_client(user):
        return user.partner_id == referral.partner_id
    return administers_agency(user, agency=_agency_of(referral))


def is_referring_officer(*, user: User, referral: Referral) -> bool:
    """The officer (or supervisor) who logged the referral."""
    return user.is_field_officer and referral.officer.user_id == user.pk


def may_act(*, user: User, referral: Referral, action: str) -> bool:
    """Whether the user may take this step on the referral (the lifecycle decides whether
    the referral's status allows it): casework is the partner's; the referring officer may
    withdraw their own referral, or mark it entered in error, before it is accepted."""
    if does_casework(user=user, referral=referral):
        return True
    return action == "cancel" and is_referring_officer(user=user, referral=referral) and referral.awaits_acceptance


def may_add_follow_up(*, user: User, referral: Referral) -> bool:
    """Follow-ups are the partner's casework, from acceptance (which schedules the first
    check) until the referral closes: what the casework page offers, and all the service takes."""
    return referral.is_open and not referral.awaits_acceptance and does_casework(user=user, referral=referral)


def may_record_consent(*, user: User, referral: Referral) -> bool:
    """Who may record a client's consent on this referral now (and print the blank form).

    The referring officer only at the scene, while the referral awaits acceptance: later,
    a consent typed in by the officer would show them outcomes the client never agreed to
    share at the time. The partner's case managers and program administrators while the
    referral is open. A closed referral takes no new consent from anyone: nothing more
    happens on it for a consent to cover.
    """
    if not referral.is_open:
        return False
    if does_casework(user=user, referral=referral):
        return True
    return referral.awaits_acceptance and is_referring_officer(user=user, referral=referral)


def may_record_criminal_justice_consent(*, user: User, referral: Referral) -> bool:
    """Who records a client's criminal-justice consent (42 CFR §2.35) for a held charge: the
    treatment program that will disclose (the partner's casework, program administration),
    while the referral is open; never police, who wrote the charge."""
    return referral.is_open and does_casework(user=user, referral=referral)


def may_see_consents(*, user: User, referral: Referral) -> bool:
    """Who sees (and prints) the consents recorded on a referral: those who do its casework."""
    return does_casework(user=user, referral=referral)


def may_satisfy_held_charge(*, user: User, referral: Referral) -> bool:
    """Who records that a held charge's condition was met, once the referral's lifecycle shows
    it (referrals.services.charges decides whether it does): those who do its casework, who
    recorded the intake. Not met is decided by the program's check at the deadline, by nobody."""
    return does_casework(user=user, referral=referral)


def may_withdraw_held_charge(*, user: User, referral: Referral) -> bool:
    """Who withdraws a held charge (entered in error, dropped by the prosecutor anyway): the
    officer who wrote it, and program administration."""
    return is_referring_officer(user=user, referral=referral) or administers_agency(user, agency=_agency_of(referral))


def may_print_charge_notice(*, user: User, referral: Referral) -> bool:
    """Who prints the letter telling a prosecutor's office or court of a held charge's
    decision: the treatment program that discloses (the partner's casework, program
    administration), as it sees the consent the notice went under."""
    return does_casework(user=user, referral=referral)


def may_add_story(*, user: User, referral: Referral) -> bool:
    """Who may add a thank-you note or testimonial to a referral, whatever its status (thanks
    often come after treatment ended): the partner's case managers, the referring officer and
    program administrators. What leaves the case record is decided later (reports.services).
    None on a referral entered in error: nothing happened to thank for."""
    if referral.entered_in_error:
        return False
    return does_casework(user=user, referral=referral) or is_referring_officer(user=user, referral=referral)


def may_check_in(*, user: User, referral: Referral) -> bool:
    """Who records a non-enforcement check-in with the person referred, whatever the
    referral's status: the referring officer only ("a person they referred"). Not their
    supervisor, who did not refer them, nor casework: the check-in is the officer's own
    follow-up, counted as their non-enforcement engagement. None on a referral entered in
    error: there is nobody it referred to check in with."""
    return is_referring_officer(user=user, referral=referral) and not referral.entered_in_error


def sees_check_ins_in_full(*, user: User, referral: Referral) -> bool:
    """Who sees a referral's check-ins in full (date, kind, where, note) whatever the consent:
    police who see the referral (its officer and their supervisor: police work, shown as it
    is) and program administration. The partner's case managers see a check-in's details only
    within the client's consent (referrals.checkins.check_ins_for_casework: a consent on the
    referral to share its full record with the referring agency, covering when the check-in
    was recorded); without one, only that a check-in was recorded, and when."""
    return user.is_field_officer or administers_agency(user, agency=_agency_of(referral))


def may_resolve_possible_duplicate(*, user: User, flag: PossibleDuplicate) -> bool:
    """Whether a deflection logged with no signal is for someone already known (the same
    person, merged, or a different one): the officer who logged it, and nobody else. They
    met the person; the program administrator merges clients in the admin as before."""
    return user.is_active and user.is_field_officer and flag.logged_by_id == user.pk


# ---------------------------------------------------------------------------
# The question after a deflection (buyin.selectors.feedback adds what needs a query)
# ---------------------------------------------------------------------------

# Asked right after logging: on the referral's page within this long of saving it (the
# confirmation, or back to it before the shift moves on), while the encounter is fresh.
FEEDBACK_ASKED_WITHIN = timedelta(hours=1)


def may_be_asked_for_feedback(*, user: User, referral: Referral, now: datetime) -> bool:
    """Whose question and when, before any query: the user who logged the referral, within
    FEEDBACK_ASKED_WITHIN of logging it, in an agency that asks (feedback_every_hours > 0).
    The rest (not answered yet, not asked this shift) is buyin.selectors.feedback_state.
    Not on a referral its officer cancelled as entered in error: no encounter to compare."""
    if not (user.is_field_officer and referral.created_by_id == user.pk and user.agency_id):
        return False
    if referral.entered_in_error:
        return False
    if now - referral.created_at > FEEDBACK_ASKED_WITHIN:
        return False
    return user.agency.feedback_every_hours > 0


# ---------------------------------------------------------------------------
# Pulse surveys (buyin.models.pulse)
# ---------------------------------------------------------------------------


def may_run_pulse(user: User) -> bool:
    """Program administration runs pulse survey waves for its program's agencies (and reads
    their open answers)."""
    return administers_programs(user)


def may_see_pulse_trend(user: User) -> bool:
    """The pulse trend on the process evaluation: whoever sees waves' results (not supervisors)."""
    return may_run_pulse(user) or is_agency_command(user)


def may_see_pulse_results(*, user: User, survey) -> bool:
    """A wave's results by group: the administration of its agency's program, and command
    staff of the wave's agency."""
    if is_agency_command(user) and user.agency_id == survey.agency_id:
        return True
    return may_run_pulse(user) and administers_agency(user, agency=survey.agency_id)


# ---------------------------------------------------------------------------
# Recognition
# ---------------------------------------------------------------------------


def commends_officers(user: User) -> bool:
    """Whether the user recognises officers at all: sergeants, an agency's command staff and
    program administrators (a regional coordinator leads the program, not its officers)."""
    return user.role in COMMENDING_ROLES and not is_regional_coordinator(user)


def may_commend(*, user: User, officer: User) -> bool:
    """Supervisors and command staff commend the officers (and sergeants) of their own agency;
    the program administrator those of every agency of the program; nobody commends themselves."""
    if not (officer.is_active and officer.is_field_officer and officer.agency_id) or officer.pk == user.pk:
        return False
    if user.is_program_admin:
        return administers_agency(user, agency=officer.agency)
    return user.role in (User.Role.SUPERVISOR, User.Role.COMMAND) and user.agency_id == officer.agency_id


def may_commend_for(*, user: User, referral: Referral) -> bool:
    """Commend a referral's officer for it: one of their deflections, so not one they cancelled
    themselves (a partner's cancelling is the partner's record and changes nothing here)."""
    officer = referral.officer.user
    return officer is not None and not referral.cancelled_by_officer and may_commend(user=user, officer=officer)


def may_manage_recognition(*, user: User, agency: Agency) -> bool:
    """The kinds of recognition an agency gives: its command staff and its program's administrator."""
    if user.is_program_admin:
        return administers_agency(user, agency=agency)
    return user.is_command and user.agency_id == agency.pk


def may_read_commendation(*, user: User, commendation: Commendation) -> bool:
    """A commendation and its letter: the officer, who commended them, the agency's command
    staff and its program's administrator."""
    if user.pk in (commendation.officer_id, commendation.commended_by_id):
        return True
    if user.is_program_admin:
        return administers_agency(user, agency=commendation.agency_id)
    return user.is_command and user.agency_id == commendation.agency_id
