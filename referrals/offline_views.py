"""Logging with no signal: the log form the phone keeps, the deflections it sends once the
signal returns, and the question those may leave (is their new client someone known?).

The page's script (static/js/offline.js) and the service worker (templates/sw.js) do the
rest on the phone. These views call the same form and services as the log page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from deflection import audit
from deflection.models import User
from deflection.offline import SHELL_USER_HEADER
from deflection.permissions import FIELD_ROLES, roles_required
from referrals import selectors, services
from referrals.forms import LogDeflectionForm, PossibleDuplicateForm


@roles_required(*FIELD_ROLES)
@require_GET
def log_offline(request: HttpRequest) -> HttpResponse:
    """The log form as the phone keeps it for logging with no signal: this officer's partners
    and defaults and a new client's fields, never a client, a message or a notice, so that
    nothing about anyone is kept on the phone."""
    user: User = request.user  # type: ignore[assignment]
    form = LogDeflectionForm.offered_to(user)
    context = {
        "form": form,
        "search_results": [],
        "selected_client": None,
        "possible_matches": [],
        "searched": False,
        "offline_shell": True,
    }
    response = render(request, "referrals/log.html", context)
    response[SHELL_USER_HEADER] = str(user.pk)
    return response


@roles_required(*FIELD_ROLES)
@require_POST
def log_send(request: HttpRequest) -> JsonResponse:
    """A deflection that waited on the phone, sent once the signal returned: the log form's
    fields, checked by the same form and saved by the same service, under the submission
    token it was saved with on the phone, so that sending it twice saves it once.

    Answers offline.js in JSON: 201 saved, 200 saved before, 422 what stops it (the phone
    keeps it), 409 saved on the phone by another officer (`queued_by`; it waits for them)."""
    user: User = request.user  # type: ignore[assignment]
    queued_by = request.POST.get("queued_by")
    if queued_by is not None and queued_by != str(user.pk):
        # Saved on a shared phone by another officer: never logged as this one's.
        return JsonResponse({"result": "not_yours"}, status=409)
    form = LogDeflectionForm(request.POST, user=user)
    problems: list[str] = []
    if form.is_valid():
        try:
            logged = services.referral_create(
                officer_user=user,
                # Nobody showed the officer the possible matches: save, and ask them later.
                flag_possible_duplicates=True,
                **form.service_kwargs(),
            )
        except ValidationError as error:
            problems = _problems(form, error)
        else:
            return _sent(user, logged)
    # Sent before, and its answer lost on the way: no longer valid (its new client now looks
    # like the one it created, say), but saved already.
    already = selectors.referral_for_submission(user=user, token=request.POST.get("submission_token", ""))
    if already is not None:
        return _sent(user, services.Logged(referral=already, created=False))
    return JsonResponse({"result": "invalid", "errors": problems or _problems(form)}, status=422)


def _sent(user: User, logged: services.Logged) -> JsonResponse:
    """What offline.js tells the officer: saved (or saved before), where, and whether to check
    that the client is not someone known. Names no client: the phone keeps nothing of one."""
    referral = logged.referral
    flagged = logged.flagged or (not logged.created and referral.possible_duplicates.filter(decision="").exists())
    mine = referral.created_by_id == user.pk or selectors.referral_visible_to(user=user, referral=referral)
    answer = {
        "result": "saved" if logged.created else "already",
        "contact": logged.is_contact,
        "flagged": flagged,
        "partner": referral.partner.name,
        "url": reverse("referrals:detail", kwargs={"referral_id": referral.pk}) if mine else reverse("referrals:mine"),
    }
    if flagged:
        answer["check_url"] = reverse("referrals:possible_duplicates")
    return JsonResponse(answer, status=201 if logged.created else 200)


def _problems(form: LogDeflectionForm, error: ValidationError | None = None) -> list[str]:
    """What stops the save, one line per error, as the log page's summary words them."""
    if error is None:
        found = form.errors.get_json_data()
        found = {name: [e["message"] for e in errors] for name, errors in found.items()}
    elif hasattr(error, "error_dict"):
        found = error.message_dict
    else:
        found = {None: error.messages}
    lines = []
    for name, texts in found.items():
        if name == "confirm_new":
            # The officer never saw the matches: the save asks them afterwards instead.
            continue
        label = form.fields[name].label if name in form.fields and name != "client" else None
        lines += [f"{label}: {text}" if label else str(text) for text in texts]
    return lines


@roles_required(*FIELD_ROLES)
@require_GET
def possible_duplicates(request: HttpRequest) -> HttpResponse:
    """The officer's deflections logged with no signal whose new client may be someone known:
    for each, one tap on the same person, or one on a different person."""
    flags = list(selectors.possible_duplicates_to_answer(user=request.user))  # type: ignore[arg-type]
    shown = [(flag.client_id, flag.referral_id) for flag in flags]
    shown += [(client.pk, None) for flag in flags for client in flag.candidates.all()]
    audit.record(request, action=audit.Action.SEARCH_RESULT, what="same person check", subjects=shown)
    return render(request, "referrals/possible_duplicates.html", {"flags": flags})


@roles_required(*FIELD_ROLES)
@require_POST
def possible_duplicate_answer(request: HttpRequest, flag_id: int) -> HttpResponse:
    """The officer who logged the deflection answers; anyone else: 404, and nothing changes."""
    user: User = request.user  # type: ignore[assignment]
    flag = selectors.possible_duplicate_get_for_user(user=user, flag_id=flag_id)
    form = PossibleDuplicateForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(form.non_field_errors()) or _("Choose the same person, or a different person.")
        )
        return redirect("referrals:possible_duplicates")
    same_as = form.cleaned_data["same_as"]
    try:
        services.possible_duplicate_resolve(flag_id=flag.pk, actor=user, same_as_id=same_as)
    except services.PossibleDuplicateRefused:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if same_as is None:
            messages.success(request, _("Kept as two different people."))
        else:
            messages.success(request, _("One person, one record: the deflection is now on the client you chose."))
    return redirect("referrals:possible_duplicates")
