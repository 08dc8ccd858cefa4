"""Recognition pages: commend an officer, the officer's choice to be named, the letter, and
the agency's kinds of recognition."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from buyin.forms.recognition import CommendForm, RecognitionKindForm
from buyin.letters import commendation_letter_pdf
from buyin.models.recognition import kind_choice_label
from buyin.selectors import recognition as selectors
from buyin.services import recognition as services
from deflection.models import Agency, User
from deflection.permissions import (
    COMMENDING_ROLES,
    administers_programs,
    agencies_of_program,
    commends_officers,
    may_manage_recognition,
    roles_required,
)
from referrals.selectors import referral_list_for_user


def _initial(request: HttpRequest) -> dict:
    """From a referral's page: its officer and its number (checked as the officer posted is).
    Only a referral whose page the user may open: the form says which deflection (its date
    and incident number), which is not for whoever guesses a number."""
    number = request.GET.get("referral", "")
    if not number.isdigit():
        return {}
    referral = referral_list_for_user(user=request.user).filter(pk=int(number)).first()
    if referral is None or referral.officer.user_id is None:
        raise Http404
    if referral.cancelled_by_officer:
        # An older link (the page no longer offers it): say why the deflection is not taken.
        messages.info(
            request,
            _(
                "Its officer cancelled that referral: it is no deflection to commend them for. "
                "You may commend them without it."
            ),
        )
        return {"officer": referral.officer.user_id}
    return {"officer": referral.officer.user_id, "referral": referral.pk}


@roles_required(*COMMENDING_ROLES)
@require_http_methods(["GET", "POST"])
def commend(request: HttpRequest) -> HttpResponse:
    """Commend an officer (a supervisor's own unit is listed first)."""
    user: User = request.user  # type: ignore[assignment]
    if not commends_officers(user):
        raise Http404
    # A post carries its own officer and referral (the form and the service check them).
    initial = _initial(request) if request.method == "GET" else {}
    # The officer posted, or the referral's: someone the user may not commend is a 404.
    officer_id = str((request.POST.get("officer") if request.method == "POST" else initial.get("officer")) or "")
    officer = selectors.commendable_officer_get(user=user, officer_id=int(officer_id)) if officer_id.isdigit() else None
    # The kinds are the officer's agency's (the program administrator commends in several).
    agency = officer.agency if officer else user.agency
    data = request.POST or None
    if request.POST.get("without_referral"):
        # "Commend without it": the same form, what was typed kept, the deflection dropped.
        initial = {name: request.POST.get(name, "") for name in ("officer", "kind", "text")}
        data = None
    form = CommendForm(
        data,
        initial=initial,
        officers=selectors.commendable_officers(user=user),
        kind_names=selectors.recognition_kind_names(agency=agency, user=user),
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.commendation_create(
                actor=user,
                officer=data["officer"],
                kind_name=data["kind"],
                text=data["text"],
                referral=data["referral"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s is commended; they are told by email and see it in their record.")
                % {"name": data["officer"].get_full_name()},
            )
            return redirect("buyin:commend")
    # Which deflection the form is for, said only of one whose page the user may open.
    linked = form.linked_referral()
    if linked is not None and not referral_list_for_user(user=user).filter(pk=linked.pk).exists():
        linked = None
    return render(
        request,
        "buyin/recognition_commend.html",
        {
            "form": form,
            "linked": linked,
            "can_manage_kinds": user.agency is not None
            and may_manage_recognition(user=user, agency=user.agency)
            or (user.is_program_admin and administers_programs(user)),
        },
    )


@login_required
@require_POST
def commendation_naming(request: HttpRequest, commendation_id: int) -> HttpResponse:
    """The officer says whether the digest and the briefing may name them for a commendation."""
    user: User = request.user  # type: ignore[assignment]
    commendation = selectors.commendation_get_for_user(user=user, commendation_id=commendation_id)
    if commendation.officer_id != user.pk:
        raise Http404
    may_name = request.POST.get("may_name") == "yes"
    services.commendation_set_naming(actor=user, commendation_id=commendation.pk, may_name=may_name)
    messages.success(
        request,
        _("You may be named for this commendation in the digest and briefing.")
        if may_name
        else _("You will not be named for this commendation; it is only counted."),
    )
    return redirect("reports:my_record")


@login_required
def commendation_letter(request: HttpRequest, commendation_id: int) -> HttpResponse:
    """The letter for the personnel file, as a PDF."""
    user: User = request.user  # type: ignore[assignment]
    commendation = selectors.commendation_get_for_user(user=user, commendation_id=commendation_id)
    response = HttpResponse(commendation_letter_pdf(commendation=commendation), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="commendation-{commendation.pk}.pdf"'
    return response


def _kinds_agency(request: HttpRequest) -> Agency:
    """Command staff manage their agency's kinds; the program administrator picks an agency."""
    user: User = request.user  # type: ignore[assignment]
    if user.is_program_admin:
        agency_id = request.POST.get("agency") or request.GET.get("agency") or ""
        agencies = agencies_of_program(user)
        agency = agencies.filter(pk=agency_id).first() if str(agency_id).isdigit() else agencies.first()
    else:
        agency = user.agency
    if agency is None or not may_manage_recognition(user=user, agency=agency):
        raise Http404
    return agency


@roles_required(User.Role.COMMAND, User.Role.PROGRAM_ADMIN)
@require_http_methods(["GET", "POST"])
def recognition_kinds(request: HttpRequest) -> HttpResponse:
    """The agency's kinds of recognition: add one, retire one, offer one again."""
    user: User = request.user  # type: ignore[assignment]
    agency = _kinds_agency(request)
    form = RecognitionKindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.recognition_kind_add(actor=user, agency=agency, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Added to the kinds of recognition."))
            return redirect(f"{request.path}?agency={agency.pk}")
    return render(
        request,
        "buyin/recognition_kinds.html",
        {
            "form": form,
            "agency": agency,
            "kinds": selectors.recognition_kinds_for(agency=agency),
            "default_names": [kind_choice_label(name) for name in selectors.recognition_kind_names(agency=agency)],
            "agencies": agencies_of_program(user) if user.is_program_admin else [],
        },
    )


@roles_required(User.Role.COMMAND, User.Role.PROGRAM_ADMIN)
@require_POST
def recognition_kind_offer(request: HttpRequest, kind_id: int) -> HttpResponse:
    """Retire a kind of recognition, or offer it again."""
    user: User = request.user  # type: ignore[assignment]
    kind = selectors.recognition_kind_get_for_user(user=user, kind_id=kind_id)
    offered = request.POST.get("offered") == "yes"
    services.recognition_kind_set_offered(actor=user, kind_id=kind.pk, offered=offered)
    messages.success(request, _("Offered again.") if offered else _("No longer offered."))
    return redirect(f"{reverse('buyin:recognition_kinds')}?agency={kind.agency_id}")
