"""The partners list and the relationship's writes. The partner's own page, with its
scorecard, is drawn by reports (reports.partner_views), which may read the metrics: the
forms there post here, and here sends the user back there, naming it by string."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deflection.models import User
from deflection.permissions import (
    may_exchange_partner_directory,
    may_manage_partner_relations,
    may_see_partner_relations,
)
from partners import selectors, services
from partners.forms import (
    DIRECTORY_MAX_BYTES,
    DirectoryConfirmForm,
    DirectoryUploadForm,
    PartnerContactForm,
    TierChangeForm,
)
from partners.hsds import export_directory, import_directory
from partners.models import PartnerContact, ServicePartner

PARTNER_PAGE = "reports:partner"


@login_required
def partner_list(request: HttpRequest) -> HttpResponse:
    """The partners the user may read, overdue next steps first, with tier and last contact."""
    user: User = request.user  # type: ignore[assignment]
    if not may_see_partner_relations(user):
        raise Http404
    return render(
        request,
        "partners/list.html",
        {
            "standings": selectors.partner_standings_for_user(user=user, now=timezone.now()),
            "can_exchange_directory": may_exchange_partner_directory(user),
        },
    )


def _managed_partner(request: HttpRequest, partner_id: int):
    user: User = request.user  # type: ignore[assignment]
    if not may_manage_partner_relations(user):
        raise Http404
    return user, selectors.partner_get_for_user(user=user, partner_id=partner_id)


def _form_page(
    request: HttpRequest, partner, form: forms.Form, write: Callable[[dict], object], *, title: str, done: str
) -> HttpResponse:
    """A form of the partner's page, on a page of its own for a GET or a refused POST (its
    errors beside their fields); a write that succeeds goes back to the partner's page."""
    if request.method == "POST" and form.is_valid():
        try:
            write(form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done)
            return redirect(PARTNER_PAGE, partner_id=partner.pk)
    return render(request, "partners/form.html", {"partner": partner, "form": form, "title": title})


@login_required
@require_http_methods(["GET", "POST"])
def contact_add(request: HttpRequest, partner_id: int) -> HttpResponse:
    """Record a contact with the partner in its relationship log."""
    user, partner = _managed_partner(request, partner_id)
    form = PartnerContactForm(request.POST or None, today=selectors.partner_today(partner))
    return _form_page(
        request,
        partner,
        form,
        lambda data: services.partner_contact_create(partner_id=partner.pk, actor=user, **data),
        title=_("Record a contact with %(partner)s") % {"partner": partner.name},
        done=_("The contact is in the relationship log."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def tier_change(request: HttpRequest, partner_id: int) -> HttpResponse:
    """Move the partner to another engagement tier, saying why."""
    user, partner = _managed_partner(request, partner_id)
    form = TierChangeForm(request.POST or None, partner=partner)
    return _form_page(
        request,
        partner,
        form,
        lambda data: services.partner_tier_change(
            partner_id=partner.pk, actor=user, tier=data["tier"], reason=data["reason"]
        ),
        title=_("Change the engagement tier of %(partner)s") % {"partner": partner.name},
        done=_("The engagement tier changed; the tier history says who, when and why."),
    )


@login_required
@require_POST
def next_step_done(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Mark a contact's next step done, back on the partner's page."""
    user: User = request.user  # type: ignore[assignment]
    if not may_manage_partner_relations(user):
        raise Http404
    contact = PartnerContact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    partner = selectors.partner_get_for_user(user=user, partner_id=contact.partner_id)
    try:
        services.partner_next_step_done(contact_id=contact.pk, actor=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Next step marked done."))
    return redirect(PARTNER_PAGE, partner_id=partner.pk)


# ---------------------------------------------------------------------------
# The partner directory as Open Referral HSDS: download it; upload one, see what it would
# change, and confirm.
# ---------------------------------------------------------------------------


def hsds_file_response(partners: Iterable[ServicePartner]) -> HttpResponse:
    """The partners' directory entries as an HSDS JSON file to save."""
    body = json.dumps(export_directory(partners), indent=2, ensure_ascii=False)
    response = HttpResponse(body + "\n", content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="partner-directory-hsds.json"'
    return response


def _directory_keeper(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not may_exchange_partner_directory(user):
        raise Http404
    return user


def _directory_page(request: HttpRequest, form: DirectoryUploadForm, *, status: int = 200) -> HttpResponse:
    context = {"form": form, "max_mb": DIRECTORY_MAX_BYTES // (1024 * 1024)}
    return render(request, "partners/directory.html", context, status=status)


@login_required
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    """Download the directory, or upload one to import."""
    _directory_keeper(request)
    return _directory_page(request, DirectoryUploadForm())


@login_required
@require_GET
def directory_download(request: HttpRequest) -> HttpResponse:
    """Every partner of the program, as HSDS 3.0 JSON."""
    user = _directory_keeper(request)
    return hsds_file_response(selectors.partner_directory_for_user(user=user))


@login_required
@require_POST
def directory_check(request: HttpRequest) -> HttpResponse:
    """The dry run of an uploaded file: what it would change and what is wrong with it,
    with the confirmation when nothing is."""
    user = _directory_keeper(request)
    form = DirectoryUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _directory_page(request, form, status=422)
    report = import_directory(form.cleaned_data["file"], dry_run=True, actor=user)
    confirm = form.confirmation() if report.changes_anything else None
    return render(request, "partners/directory_check.html", {"report": report, "confirm": confirm})


@login_required
@require_POST
def directory_import(request: HttpRequest) -> HttpResponse:
    """Import the file that was checked; back to the check's page if it no longer imports."""
    user = _directory_keeper(request)
    form = DirectoryConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()) or _("Check the file again."))
        return redirect("partners:directory")
    report = import_directory(form.cleaned_data["directory"], dry_run=False, actor=user)
    if not report.applied:
        return render(request, "partners/directory_check.html", {"report": report, "confirm": None}, status=422)
    messages.success(request, report.summary())
    return redirect("partners:list")
