"""Thin views: fetch for this user (404 otherwise), validate, call one service, redirect."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from deflection.models import User
from referrals import selectors, services
from referrals.forms import LogDeflectionForm
from referrals.models import Client


def roles_required(*roles: str):
    """Only these roles may use the view; everyone else gets a 404, as for a missing page."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.user.role not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


FIELD_ROLES = (User.Role.OFFICER, User.Role.SUPERVISOR)


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, settings.DEFLECTION["PAGE_SIZE"]).get_page(request.GET.get("page"))


@roles_required(*FIELD_ROLES)
@require_http_methods(["GET", "POST"])
def log_deflection(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    search_results: list[Client] = []
    if request.method == "POST":
        if request.POST.get("action") == "search":
            # Without JavaScript the search button posts the whole form back: keep what
            # was typed, but show no errors for fields the officer has not reached yet.
            form = LogDeflectionForm(initial=_initial_from(request.POST), user=user)
            search_results = selectors.client_search_for_officer(user=user, query=request.POST.get("search", ""))
            return render(request, "referrals/log.html", _log_context(form, search_results, searched=True))
        already = selectors.referral_for_submission(user=user, token=request.POST.get("submission_token", ""))
        if already is not None:
            # A double tap or a resubmitted form: the first one was saved.
            messages.info(request, _("This deflection was already saved; it was not logged twice."))
            return redirect("referrals:detail", referral_id=already.pk)
        form = LogDeflectionForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            new_client = None
            if data["client"] is None:
                new_client = services.NewClient(
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    date_of_birth=data["date_of_birth"],
                    aliases=data["aliases"],
                    phone=data["phone"],
                    preferred_language=data["preferred_language"],
                )
            try:
                referral, created = services.referral_create(
                    officer_user=user, client=data["client"], new_client=new_client, **form.service_kwargs()
                )
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                if created:
                    messages.success(
                        request,
                        _("Deflection logged. %(partner)s has it in their queue.") % {"partner": referral.partner.name},
                    )
                else:
                    messages.info(request, _("This deflection was already saved; it was not logged twice."))
                return redirect("referrals:detail", referral_id=referral.pk)
    else:
        form = LogDeflectionForm(initial=LogDeflectionForm.initial_for(user), user=user)
    return render(request, "referrals/log.html", _log_context(form, search_results))


def _initial_from(data) -> dict:
    initial = {}
    for name, field in LogDeflectionForm.base_fields.items():
        if name in data:
            multiple = isinstance(field, forms.MultipleChoiceField)
            initial[name] = data.getlist(name) if multiple else data.get(name)
    return initial


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
    results = selectors.client_search_for_officer(user=request.user, query=request.POST.get("search", ""))
    return render(
        request,
        "referrals/_client_results.html",
        {"search_results": results, "searched": True, "query_given": bool(request.POST.get("search", "").strip())},
    )


@roles_required(*FIELD_ROLES)
def my_deflections(request: HttpRequest) -> HttpResponse:
    page = _page(request, selectors.referral_list_made_by(user=request.user))
    return render(request, "referrals/mine.html", {"page": page})


@login_required
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    events = referral.events.select_related("actor").order_by("created_at", "id")
    return render(request, "referrals/detail.html", {"referral": referral, "events": events})


@login_required
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(user=request.user, client_id=client_id)
    referrals = selectors.referral_list_for_user(user=request.user).filter(client=client)
    return render(request, "referrals/client.html", {"client": client, "referrals": referrals})


@roles_required(User.Role.CASE_MANAGER)
def partner_queue(request: HttpRequest) -> HttpResponse:
    page = _page(request, selectors.referral_queue_for_partner(user=request.user))
    return render(request, "referrals/queue.html", {"page": page, "partner": request.user.partner})
