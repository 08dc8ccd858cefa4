"""Thin views: fetch for this user (404 otherwise), validate, call one service, redirect."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from deflection import audit, l10n, paging, permissions
from deflection.models import User
from deflection.permissions import CASEWORK_ROLES, FIELD_ROLES, roles_required
from referrals import checkins, consent_documents, held_charges, police_disclosure, search, selectors, services
from referrals.forms import (
    ACTION_FORMS,
    CancelForm,
    CheckInForm,
    ConsentForm,
    FollowUpCompleteForm,
    FollowUpCreateForm,
    IncidentSearchForm,
    LogDeflectionForm,
    RevokeForm,
)
from referrals.models import Client

logger = logging.getLogger(__name__)


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, settings.DEFLECTION["PAGE_SIZE"]).get_page(request.GET.get("page"))


@roles_required(*FIELD_ROLES)
@require_http_methods(["GET", "POST"])
def log_deflection(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    search_results: list[Client] = []
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("search", "new_client"):
            # Without JavaScript the search button and "None of these: a new client" post the
            # whole form back: keep what was typed, but show no errors for fields the officer
            # has not reached yet.
            initial = _initial_from(request.POST)
            if action == "new_client":
                initial.pop("client", None)
            else:
                search_results = search.client_search_for_officer(user=user, query=request.POST.get("search", ""))
            if action == "new_client" or not search_results:
                # As app.js does: the new client's fields take the name searched for.
                _fill_new_client(initial, request.POST.get("search", ""))
            form = LogDeflectionForm(initial=initial, user=user)
            return _render_log(request, _log_context(form, search_results, searched=action == "search"))
        form = LogDeflectionForm(request.POST, user=user)
        if form.is_valid():
            try:
                logged = services.referral_create(
                    officer_user=user,
                    notice_viewer=audit.viewer(request),
                    **form.service_kwargs(),
                )
            except services.PossibleDuplicates as error:
                # referral_create found nothing this form made before: no lookup below.
                form.possible_matches = error.clients
                _add_service_errors(form, error)
                return _render_log(request, _log_context(form, search_results))
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                return _after_logging(request, logged)
        # A double tap or a resubmitted form. When it is valid, referral_create's unique
        # submission token hands back the referral already made. When it no longer is (the
        # new client it created now looks like a possible duplicate, say), look the token
        # up before showing errors. Only here: the usual save does not pay for the lookup.
        already = selectors.referral_for_submission(user=user, token=request.POST.get("submission_token", ""))
        if already is not None:
            return _after_logging(request, services.Logged(referral=already, created=False))
    else:
        form = LogDeflectionForm.offered_to(user)
    return _render_log(request, _log_context(form, search_results))


def _render_log(request: HttpRequest, context: dict) -> HttpResponse:
    """The log form, with every client it shows (picked, found or possibly the same) on record."""
    shown = [context["selected_client"]] if context["selected_client"] else []
    shown += [*context["search_results"], *context["possible_matches"]]
    audit.record(
        request, action=audit.Action.SEARCH_RESULT, what="log a deflection", subjects=audit.client_subjects(shown)
    )
    if request.method == "GET":
        # Deflections logged with no signal that may be for someone known: how many to answer.
        context["to_answer"] = selectors.possible_duplicates_to_answer_count(user=request.user)
    # An open pulse survey in one line above the form, not a banner (buyin/_pulse_waiting.html).
    context["pulse_compact"] = True
    return render(request, "referrals/log.html", context)


def _after_logging(request: HttpRequest, logged: services.Logged) -> HttpResponse:
    """Tell the officer what was saved, and show it."""
    if not logged.created:
        messages.info(request, _("This deflection was already saved; it was not logged twice."))
    elif logged.is_contact:
        messages.success(request, _seen_again_notice(request, logged))
    else:
        messages.success(
            request,
            _("Deflection logged. %(partner)s has it in their queue.") % {"partner": logged.referral.partner.name},
        )
        notice = _open_referral_notice(request, logged)
        if notice:
            messages.info(request, notice)
    # A referral the officer made is theirs to open; one they added a contact to may not be.
    mine = logged.referral.created_by_id == request.user.pk
    if not mine and not selectors.referral_visible_to(user=request.user, referral=logged.referral):
        # Another officer's referral the encounter was added to: their own list shows it.
        return redirect("referrals:mine")
    return redirect("referrals:detail", referral_id=logged.referral.pk)


def _seen_again_notice(request: HttpRequest, logged: services.Logged) -> str:
    """The encounter was added to the client's open referral at the partner the officer chose.

    The partner is the one the officer chose, so naming it gives nothing away; when and how
    the referral stands do, for another officer's referral that no consent lets police see.
    """
    referral = logged.referral
    consented = logged.past is not None and referral.pk in logged.past.consented
    if referral.officer_id != logged.contact.officer_id and not consented:  # type: ignore[union-attr]
        return _(
            "Seen again: added to the client's open referral at the partner you chose (%(partner)s), "
            "not logged as a new referral."
        ) % {"partner": referral.partner.name}
    return _(
        "Seen again: added to the open referral to %(partner)s (logged %(date)s), not logged as a new referral."
    ) % {
        "partner": referral.partner.name,
        "date": l10n.month_day(referral.occurred_at),
    }


# Says only that there is one: what the notice says when it may say no more.
_OPEN_REFERRAL_EXISTS = gettext_lazy(
    "This client already has an open referral. This one is linked to it as a re-engagement."
)


def _open_referral_notice(request: HttpRequest, logged: services.Logged) -> str | None:
    """Re-engagement: the client already has an open referral. Tell the officer; never block:
    the referral is saved by now, and if the details cannot be put together the officer
    is still told that there is one (the log names the error's kind, nothing about anyone)."""
    try:
        found = police_disclosure.other_open_referral_as_police_see_it(user=request.user, past=logged.past)
        if found is None:
            return None
        earlier, view = found.referral, found.view
        # The new referral's officer is this user's own officer row (one per user): comparing
        # the ids needs no query for the earlier referral's officer.
        if earlier.officer_id != logged.referral.officer_id and not view.scope:
            # Another officer's referral without consent to share: which partner (a treatment
            # program, say) is the very thing protected; say only that there is one.
            return str(_OPEN_REFERRAL_EXISTS)
        return _(
            "This client already has an open referral to %(partner)s, logged %(date)s (%(status)s). "
            "This one is linked to it as a re-engagement."
        ) % {
            "partner": earlier.partner.name,
            "date": l10n.month_day(earlier.occurred_at),
            "status": view.label,
        }
    except Exception as error:  # the deflection is saved; the notice must not turn it into an error page
        logger.error("The open-referral notice failed (%s); the short notice was shown.", type(error).__name__)
        return str(_OPEN_REFERRAL_EXISTS)


def _initial_from(data) -> dict:
    initial = {}
    for name, field in LogDeflectionForm.base_fields.items():
        if name in data:
            multiple = isinstance(field, forms.MultipleChoiceField)
            initial[name] = data.getlist(name) if multiple else data.get(name)
    return initial


def _fill_new_client(initial: dict, typed_search: str) -> None:
    """The name and date of birth typed in the search, into the new client's fields that the
    officer left empty (never over what they typed there)."""
    typed = search.person_from_search(typed_search)
    for name, value in (
        ("first_name", typed.first_name),
        ("last_name", typed.last_name),
        ("date_of_birth", typed.date_of_birth),
    ):
        if value and not initial.get(name):
            initial[name] = value


def _log_context(form: LogDeflectionForm, search_results: list[Client], searched: bool = False) -> dict:
    client_id = form.data.get("client") if form.is_bound else form.initial.get("client")
    selected = None
    if client_id and str(client_id).isdigit():
        selected = form.fields["client"].queryset.filter(pk=client_id).first()
    results = [c for c in search_results if selected is None or c.pk != selected.pk]
    return {
        "form": form,
        "search_results": results,
        "selected_client": selected,
        "possible_matches": form.possible_matches,
        "searched": searched,
    }


def _add_service_errors(form: LogDeflectionForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@roles_required(*FIELD_ROLES)
@require_POST
def client_search(request: HttpRequest) -> HttpResponse:
    """Search as you type. A POST, so that names never land in URLs or access logs."""
    results = search.client_search_for_officer(user=request.user, query=request.POST.get("search", ""))
    audit.record(
        request, action=audit.Action.SEARCH_RESULT, what="client search", subjects=audit.client_subjects(results)
    )
    # A fragment with no form, link or message: it needs none of the context processors.
    context = {"search_results": results, "searched": True, "query_given": bool(request.POST.get("search", "").strip())}
    return HttpResponse(render_to_string("referrals/_client_results.html", context))


@roles_required(*FIELD_ROLES)
@require_http_methods(["GET", "POST"])
def my_deflections(request: HttpRequest) -> HttpResponse:
    incident_form = IncidentSearchForm(request.POST or None)
    if request.method == "POST":
        # Found by the agency's incident number: a POST, so that it stays out of URLs and logs.
        found = []
        if incident_form.is_valid():
            found = selectors.referral_list_by_incident(
                user=request.user, incident_number=incident_form.cleaned_data["incident_number"]
            )
        audit.record(
            request,
            action=audit.Action.SEARCH_RESULT,
            what="incident number search",
            subjects=audit.referral_subjects(found),
        )
        context = {
            "incident_form": incident_form,
            "found": police_disclosure.listed_referral_views(found),
            "searched": True,
        }
        return render(request, "referrals/mine.html", context)
    mine = selectors.referral_rows_made_by(user=request.user)
    page = paging.page_of(mine, request.GET.get("page"), size=settings.DEFLECTION["PAGE_SIZE"])
    listed = page.object_list
    rows = police_disclosure.listed_views(listed)
    contacts = selectors.contacts_made_by(user=request.user) if page.number == 1 else []
    subjects = [*audit.referral_subjects(listed), *((c["client_id"], c["referral_id"]) for c in contacts)]
    audit.record(request, action=audit.Action.LISTED, what="my deflections", subjects=subjects)
    context = {"page": page, "rows": rows, "contacts": contacts, "incident_form": incident_form}
    return render(request, "referrals/mine.html", context)


@login_required
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = selectors.client_get_for_user(user=user, client_id=client_id)
    referrals = selectors.referral_list_for_user(user=user).filter(client=client)
    if permissions.is_police_viewer(user):
        # Police see each referral's status only as the client's consent allows.
        rows = police_disclosure.officer_views(referrals)
    else:
        rows = [(r, None) for r in referrals]
    subjects = audit.referral_subjects(r for r, _view in rows) or [(client.pk, None)]
    audit.record(request, action=audit.Action.VIEWED, what="client page", subjects=subjects)
    return render(request, "referrals/client.html", {"client": client, "rows": rows})


@roles_required(User.Role.CASE_MANAGER)
def partner_queue(request: HttpRequest) -> HttpResponse:
    """The partner's queue. htmx refreshes the list in place, keeping the filter."""
    user: User = request.user  # type: ignore[assignment]
    filter_name = request.GET.get("filter", "open")
    if filter_name not in selectors.QUEUE_FILTERS:
        filter_name = "open"
    now = timezone.now()
    counts = selectors.queue_counts(user=user, now=now)
    number = request.GET.get("page")
    page = selectors.queue_page(user=user, filter_name=filter_name, number=number, count=counts[filter_name], now=now)
    context = {
        "page": page,
        "partner": user.partner,
        "filter_name": filter_name,
        "filters": [(name, label, counts[name]) for name, (label, _q) in selectors.QUEUE_FILTERS.items()],
        "now": now,
        # Under a minute, "waiting 0 minutes" would read as none at all.
        "a_minute_ago": now - timedelta(minutes=1),
    }
    template = "referrals/_queue_list.html" if request.headers.get("HX-Request") else "referrals/queue.html"
    audit.record(request, action=audit.Action.LISTED, what="partner queue", subjects=audit.referral_subjects(page))
    return render(request, template, context)


# ---------------------------------------------------------------------------
# Casework
# ---------------------------------------------------------------------------


def _casework_context(request: HttpRequest, referral, **forms_given) -> dict:
    user = request.user
    actions = services.allowed_actions(referral=referral, user=user)
    action_forms = {action: forms_given.get(action) or ACTION_FORMS[action][0](prefix=action) for action in actions}
    return {
        "referral": referral,
        # A check-in's event only where the reader sees the check-in (referrals.checkins).
        "events": checkins.events_for_referral_page(
            user=user, referral=referral, events=referral.events.select_related("actor").order_by("created_at", "id")
        ),
        "actions": [(action, ACTION_FORMS[action][1], action_forms[action]) for action in actions],
        "follow_ups": selectors.follow_ups_for_casework(referral=referral, now=timezone.now()),
        "follow_up_form": forms_given.get("follow_up") or FollowUpCreateForm(partner_id=referral.partner_id, me=user),
        "complete_form": FollowUpCompleteForm(),
        "consents": referral.consents.select_related("recipient_agency", "recipient_justice").prefetch_related(
            "recipient_partners"
        ),
        **_referral_flags(user, referral),
        "reengagements": referral.reengagements.all(),
        # Seen again by officers while this referral was open (not new referrals).
        "contacts": referral.contacts.select_related("officer"),
        # The referring officer's check-ins: in full only within the client's consent.
        "check_ins": checkins.check_ins_for_referral_page(user=user, referral=referral),
        # The same client logged again to this partner: the case manager sees both (a
        # referral to another partner is that partner's record).
        "reengagements_here": referral.reengagements.filter(partner_id=referral.partner_id).order_by("occurred_at"),
        "held_charge": held_charges.charge_on_page(user=user, referral=referral),
    }


def _referral_flags(user: User, referral) -> dict[str, bool]:
    """What the page offers is what the services accept: the same rules decide both."""
    return {
        "can_add_follow_up": permissions.may_add_follow_up(user=user, referral=referral),
        "can_record_consent": permissions.may_record_consent(user=user, referral=referral),
        "can_add_story": permissions.may_add_story(user=user, referral=referral),
        "can_check_in": permissions.may_check_in(user=user, referral=referral),
        "can_commend": permissions.may_commend_for(user=user, referral=referral),
    }


@login_required
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    referral = selectors.referral_get_for_user(user=user, referral_id=referral_id)
    if permissions.is_police_viewer(user):
        return _officer_page(request, referral)
    _record_referral_shown(request, referral)
    return render(request, "referrals/casework.html", _casework_context(request, referral))


def _officer_page(
    request: HttpRequest, referral, *, check_in_form: CheckInForm | None = None, cancel_form: CancelForm | None = None
) -> HttpResponse:
    """The referral as police see it (on record), with the check-in form when it is theirs to
    use; a form given back is shown open with its errors."""
    user: User = request.user  # type: ignore[assignment]
    referral = police_disclosure.with_officer_view(selectors.referral_list_for_user(user=user)).get(pk=referral.pk)
    _record_referral_shown(request, referral)
    view = police_disclosure.officer_view(referral)
    context = {
        "referral": referral,
        "view": view,
        # Police work on the referral (no treatment information): shown as it is.
        "contacts": referral.contacts.select_related("officer"),
        "check_ins": checkins.check_ins_for_referral_page(user=user, referral=referral),
        "check_in_form": check_in_form or CheckInForm(initial={"on": services.agency_today(referral)}),
        "held_charge": held_charges.charge_on_page(user=user, referral=referral),
        "can_cancel": "cancel" in services.allowed_actions(referral=referral, user=user),
        # Its officer's own cancelling, and why: police's act, not the partner's record.
        "cancelled_because": referral.status_reason_label() if view.cancelled_by_officer else "",
        **_referral_flags(user, referral),
        "cancel_form": cancel_form or CancelForm(prefix="cancel"),
    }
    if referral.officer.user_id == user.pk:
        # After officer_view read when they last looked: what changed since is shown as news once.
        services.referral_mark_seen(referral_id=referral.pk, user=user)
    return render(request, "referrals/detail.html", context, status=422 if check_in_form or cancel_form else 200)


def back_to_the_referral_on_get(view):
    """A form's own address, left in the address bar by a form sent back with its errors:
    opened again (a tab restored, a bookmark), it goes to the referral, not to a 405."""

    posted = require_POST(view)

    @wraps(view)
    def wrapped(request: HttpRequest, referral_id: int, *args, **kwargs) -> HttpResponse:
        if request.method == "GET":
            return redirect("referrals:detail", referral_id=referral_id)
        return posted(request, referral_id, *args, **kwargs)

    return wrapped


@roles_required(*FIELD_ROLES)
@back_to_the_referral_on_get
def check_in_add(request: HttpRequest, referral_id: int) -> HttpResponse:
    """The referring officer records a check-in; anyone else who sees the referral: 404."""
    user: User = request.user  # type: ignore[assignment]
    referral = selectors.referral_get_for_user(user=user, referral_id=referral_id)
    if not permissions.may_check_in(user=user, referral=referral):
        raise Http404
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            services.check_in_record(user=user, referral=referral, **form.cleaned_data)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _("Check-in recorded. Thank you for following up."))
            return redirect("referrals:detail", referral_id=referral.pk)
    return _officer_page(request, referral, check_in_form=form)


def _record_referral_shown(request: HttpRequest, referral, what: str = "referral page") -> None:
    audit.record(request, action=audit.Action.VIEWED, what=what, subjects=[(referral.client_id, referral.pk)])


NO_LONGER_WITHDRAWN = gettext_lazy("This referral can no longer be withdrawn.")


@login_required
@back_to_the_referral_on_get
def referral_act(request: HttpRequest, referral_id: int, action: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    referral = selectors.referral_get_for_user(user=user, referral_id=referral_id)
    # Police may only withdraw their own referral; the rest of the casework is the partner's.
    if action not in ACTION_FORMS or (user.role not in CASEWORK_ROLES and action != "cancel"):
        raise Http404
    form = ACTION_FORMS[action][0](request.POST, prefix=action)
    if form.is_valid():
        data = form.cleaned_data
        try:
            updated = services.referral_take_step(
                action=action,
                referral_id=referral.pk,
                actor=user,
                reason=data.get("reason", ""),
                note=data.get("note", ""),
                intake_at=data.get("intake_at"),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                _add_service_errors(form, error)
            elif permissions.is_police_viewer(user):
                # Police know whether the referral is open, not the status the refusal names
                # (police_disclosure): the page's own word for it, the withdraw no longer offered.
                messages.error(request, NO_LONGER_WITHDRAWN)
            else:
                # A refusal of the step itself (taken already, not allowed now): say it on top.
                messages.error(request, " ".join(error.messages))
        else:
            if user.is_field_officer:
                # The officer's own step is not news to them.
                services.referral_mark_seen(referral_id=referral.pk, user=user)
            if permissions.is_police_viewer(user):
                # In the words of the officer's page: they withdrew it.
                messages.success(request, _("Referral withdrawn. It no longer counts among your deflections."))
            elif action == "record_intake":
                messages.success(
                    request, _("Intake recorded. Status: %(status)s.") % {"status": updated.get_status_display()}
                )
            else:
                messages.success(
                    request,
                    _("Referral %(action)s. Status: %(status)s.")
                    % {"action": services.ACTION_PAST[action], "status": updated.get_status_display()},
                )
            return redirect("referrals:detail", referral_id=referral.pk)
    referral.refresh_from_db()
    if permissions.is_police_viewer(user):
        if form.errors and "cancel" in services.allowed_actions(referral=referral, user=user):
            # Back to the officer's page, the withdraw form open under what it says is missing.
            return _officer_page(request, referral, cancel_form=form)
        if form.errors:
            # Taken on by the partner meanwhile: no form to show again.
            messages.error(request, NO_LONGER_WITHDRAWN)
        return redirect("referrals:detail", referral_id=referral.pk)
    _record_referral_shown(request, referral)
    return render(
        request, "referrals/casework.html", _casework_context(request, referral, **{action: form}), status=422
    )


@roles_required(*CASEWORK_ROLES)
@require_POST
def follow_up_add(request: HttpRequest, referral_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    referral = selectors.referral_get_for_user(user=user, referral_id=referral_id)
    form = FollowUpCreateForm(request.POST, partner_id=referral.partner_id, me=user)
    if form.is_valid():
        try:
            services.follow_up_create(
                referral_id=referral.pk,
                actor=user,
                kind=form.cleaned_data["kind"],
                due_at=form.cleaned_data["due_at"],
                assigned_to=form.cleaned_data["assigned_to"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _("Follow-up scheduled."))
            return redirect("referrals:detail", referral_id=referral.pk)
    _record_referral_shown(request, referral)
    return render(request, "referrals/casework.html", _casework_context(request, referral, follow_up=form), status=422)


@roles_required(*CASEWORK_ROLES)
@require_POST
def follow_up_done(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    follow_up = selectors.follow_up_get_for_user(user=user, follow_up_id=follow_up_id)
    _write_and_say(
        request,
        FollowUpCompleteForm(request.POST),
        lambda data: services.follow_up_complete(
            follow_up_id=follow_up.pk, actor=user, outcome=data["outcome"], note=data["note"]
        ),
        done=_("Follow-up completed."),
        invalid=_("Choose the outcome of the follow-up."),
    )
    return redirect("referrals:detail", referral_id=follow_up.referral_id)


def _write_and_say(
    request: HttpRequest, form: forms.Form, write: Callable[[dict], object], *, done, invalid: str
) -> None:
    """Make one write from a small posted form and say how it went (`done`: the words, or a
    function of what was written giving them); the caller redirects back to the referral,
    where the message shows (these forms have no page of their own)."""
    if not form.is_valid():
        messages.error(request, invalid)
        return
    try:
        written = write(form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done(written) if callable(done) else done)


@login_required
@require_http_methods(["GET", "POST"])
def consent_new(request: HttpRequest, referral_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    referral = selectors.referral_get_for_user(user=user, referral_id=referral_id)
    if not permissions.may_record_consent(user=user, referral=referral):
        raise Http404
    form = ConsentForm(request.POST or None, referral=referral)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_capture(
                referral_id=referral.pk,
                actor=user,
                scope=data["scope"],
                to_referring_agency=data["to_referring_agency"],
                recipient_partner_ids=[p.pk for p in data["recipient_partners"]],
                purpose=data["purpose"],
                signature_name=data["signature_name"],
                signature_drawing=data["signature_drawing"],
                signed_on=data["signed_on"],
                expires_on=data["expires_on"],
                expiry_event=data["expiry_event"] or "",
                language=data["language"],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("referrals:detail", referral_id=referral.pk)
    _record_referral_shown(request, referral, what="consent form")
    return render(request, "referrals/consent_form.html", {"referral": referral, "form": form})


@roles_required(*CASEWORK_ROLES)
@require_POST
def consent_revoke(request: HttpRequest, consent_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    consent = selectors.consent_get_for_user(user=user, consent_id=consent_id)
    _write_and_say(
        request,
        RevokeForm(request.POST),
        lambda data: services.consent_revoke(consent_id=consent.pk, actor=user, note=data["note"]),
        done=lambda revoked: (
            _("Revocation recorded: it takes effect when the charge is decided (42 CFR §2.35).")
            if revoked.revocation_pending
            else _("Consent revoked. Nothing new flows to its recipients from now on.")
        ),
        invalid=_("Say how the client revoked the consent."),
    )
    return redirect("referrals:detail", referral_id=consent.referral_id)


@login_required
def consent_pdf(request: HttpRequest, referral_id: int) -> HttpResponse:
    """The printable consent form, in English or Spanish, with the redisclosure notice.

    With ?consent=<id> it prints that recorded consent (signature included); without,
    a form filled with the referral's parties, for the client to sign on paper.
    """
    user: User = request.user  # type: ignore[assignment]
    referral = selectors.referral_get_for_user(user=user, referral_id=referral_id)
    consent = None
    if request.GET.get("consent", "").isdigit():
        # A recorded consent: for those who see it on the casework page, whatever the status.
        if not permissions.may_see_consents(user=user, referral=referral):
            raise Http404
        consent = selectors.consent_get_for_user(user=user, consent_id=int(request.GET["consent"]))
        if consent.referral_id != referral.pk:
            raise Http404
    elif not permissions.may_record_consent(user=user, referral=referral):
        # The blank form is for a consent about to be recorded: the same rule as recording it.
        raise Http404
    language = request.GET.get("lang") or (consent.language if consent else referral.client.preferred_language)
    if language not in consent_documents.LANGUAGES:
        language = "en"
    pdf = consent_documents.render_consent_pdf(referral=referral, consent=consent, language=language)
    audit.record(
        request, action=audit.Action.PRINTED, what="consent form PDF", subjects=[(referral.client_id, referral.pk)]
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    # A generic file name: the client's name never goes into headers or URLs.
    response["Content-Disposition"] = f'inline; filename="consent-{referral.pk}-{language}.pdf"'
    return response
