"""Suggestions: send one from any page, read the answers, the admin's triage, "You said, we did"."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from buyin.forms.suggestions import ACTION_FORMS, ChangeMadeForm, SuggestionForm, TriageFilterForm
from buyin.models import Suggestion
from buyin.selectors import suggestions as selectors
from buyin.services import suggestions as services
from deflection.models import User
from deflection.permissions import may_triage_suggestions, programs_of


def _triage_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Program administration's pages: anyone else gets a 404, as for a missing page."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not may_triage_suggestions(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, settings.DEFLECTION["PAGE_SIZE"]).get_page(request.GET.get("page"))


def _came_from(request: HttpRequest) -> str:
    """The page the suggestion link was followed from (this site's only), to return to."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@login_required
@require_http_methods(["GET", "POST"])
def suggestion_new(request: HttpRequest) -> HttpResponse:
    """Anyone signed in sends a suggestion, then goes back to where they were."""
    user: User = request.user  # type: ignore[assignment]
    form = SuggestionForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.suggestion_send(
                author=user,
                topic=data["topic"],
                partner=data["partner"],
                text=data["text"],
                may_name_me=data["may_name_me"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "Thank you: your suggestion was sent to the program administrator. "
                    "You will be told of each answer under “My suggestions” and by email."
                ),
            )
            return redirect(_came_from(request))
    return render(request, "buyin/suggestion_form.html", {"form": form, "next": _came_from(request)})


@login_required
def suggestions_mine(request: HttpRequest) -> HttpResponse:
    """The user's suggestions with their state and answer; those answered since last read stand out.
    Reading writes nothing: "Mark as read" is a POST."""
    user: User = request.user  # type: ignore[assignment]
    page = _page(request, selectors.suggestion_list_mine(user=user))
    unread = any(s.unread for s in page)
    return render(request, "buyin/suggestions_mine.html", {"page": page, "unread": unread})


@login_required
@require_POST
def suggestions_mark_read(request: HttpRequest) -> HttpResponse:
    """The author has read the answers: the menu's count of new answers goes back to none."""
    services.suggestion_mark_read(author=request.user)
    return redirect("buyin:suggestions_mine")


@login_required
def you_said_we_did(request: HttpRequest) -> HttpResponse:
    """The changes made from suggestions and feedback, newest first, for everyone signed in."""
    page = _page(request, selectors.you_said_we_did(programs=programs_of(request.user)))
    topics = dict(Suggestion.Topic.choices)
    rows = [{**row, "topic_label": topics.get(row["topic"], "")} for row in page]
    return render(
        request,
        "buyin/you_said_we_did.html",
        {"page": page, "rows": rows, "can_publish": may_triage_suggestions(request.user)},
    )


@_triage_only
def suggestion_triage(request: HttpRequest) -> HttpResponse:
    """The program admin's list: new first, filtered by state and topic."""
    user: User = request.user  # type: ignore[assignment]
    filters = TriageFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    suggestions = selectors.suggestion_list_for_triage(
        user=user, state=chosen.get("state", ""), topic=chosen.get("topic", "")
    )
    # For the pages' links: the filters chosen, as "name=value&" (see _pagination.html).
    query = "".join(f"{urlencode({key: value})}&" for key, value in chosen.items() if value)
    return render(
        request,
        "buyin/suggestion_triage.html",
        {"filters": filters, "page": _page(request, suggestions), "query": query},
    )


def _detail(request: HttpRequest, suggestion: Suggestion, forms_given: dict | None = None) -> HttpResponse:
    forms_given = forms_given or {}
    actions = services.allowed_actions(suggestion=suggestion, user=request.user)
    return render(
        request,
        "buyin/suggestion_detail.html",
        {
            "suggestion": suggestion,
            "actions": [
                (action, services.ACTION_LABELS[action], forms_given.get(action) or ACTION_FORMS[action](prefix=action))
                for action in actions
            ],
        },
    )


def _for_triage(request: HttpRequest, suggestion_id: int) -> Suggestion:
    suggestion = selectors.suggestion_get_for_triage(user=request.user, suggestion_id=suggestion_id)
    if suggestion is None:
        raise Http404  # never 403: that would confirm it exists
    return suggestion


@_triage_only
def suggestion_detail(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    """One suggestion, its history and the moves open to it, for the program admin."""
    return _detail(request, _for_triage(request, suggestion_id))


# action -> the service that makes the move, and what it takes from the form
MOVES = {
    "review": lambda data, **who: services.suggestion_review(note=data["note"], **who),
    "change": lambda data, **who: services.suggestion_change(
        answer=data["answer"], changed_on=data["changed_on"], **who
    ),
    "not_now": lambda data, **who: services.suggestion_not_now(answer=data["answer"], **who),
    "reopen": lambda data, **who: services.suggestion_reopen(note=data["note"], **who),
}


@_triage_only
@require_POST
def suggestion_act(request: HttpRequest, suggestion_id: int, action: str) -> HttpResponse:
    """One triage move, through its service; a move the state does not allow is refused with a message."""
    if action not in MOVES:
        raise Http404
    suggestion = _for_triage(request, suggestion_id)
    form = ACTION_FORMS[action](request.POST, prefix=action)
    if form.is_valid():
        try:
            MOVES[action](form.cleaned_data, suggestion_id=suggestion.pk, actor=request.user)
        except services.SuggestionRefused as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect("buyin:suggestion_detail", suggestion_id=suggestion.pk)
            form.add_error(None, error)
        else:
            suggestion.refresh_from_db()
            messages.success(
                request,
                _("Marked %(state)s; the author is told.") % {"state": str(suggestion.get_state_display()).lower()},
            )
            return redirect("buyin:suggestion_detail", suggestion_id=suggestion.pk)
    return _detail(request, suggestion, {action: form})


@_triage_only
@require_http_methods(["GET", "POST"])
def change_new(request: HttpRequest) -> HttpResponse:
    """The program admin publishes a change made from officers' feedback on "You said, we did"."""
    form = ChangeMadeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_made_publish(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Published on “You said, we did”."))
            return redirect("buyin:you_said_we_did")
    return render(request, "buyin/change_form.html", {"form": form})
