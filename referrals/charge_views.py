"""The held charge's pages and forms: its decision (condition met, withdrawn), the client's
criminal-justice consent, and the notice as a letter. Thin: fetch for this user (404
otherwise), validate, call one service, go back to the referral."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from deflection import audit, permissions
from deflection.models import User
from referrals import consent_documents, held_charges, selectors, services
from referrals.charge_forms import ChargeDecisionForm
from referrals.charge_notices import NOTICE_LETTER, charge_notice_letter_pdf
from referrals.forms import CriminalJusticeConsentForm
from referrals.models import HeldCharge
from referrals.views import _add_service_errors as add_service_errors


def _decide(request: HttpRequest, charge_id: int, write, *, may, done: str) -> HttpResponse:
    """One decision on a charge the user may see and may decide (404 otherwise, as for a page
    that is not theirs), said on the referral's page; refused when the charge or the
    lifecycle does not allow it now, with the service's words and nothing changed."""
    user: User = request.user  # type: ignore[assignment]
    charge = held_charges.held_charge_get_for_user(user=user, charge_id=charge_id)
    if not may(user=user, referral=charge.referral):
        raise Http404
    form = ChargeDecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        write(charge=charge, user=user, note=note)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("referrals:detail", referral_id=charge.referral_id)


@login_required
@require_POST
def held_charge_satisfy(request: HttpRequest, charge_id: int) -> HttpResponse:
    """The condition was met: the partner's casework says so once the lifecycle shows it."""
    return _decide(
        request,
        charge_id,
        lambda charge, user, note: services.held_charge_satisfy(charge_id=charge.pk, actor=user, note=note),
        may=permissions.may_satisfy_held_charge,
        done=_("Condition met: the charge is to be dropped."),
    )


@login_required
@require_POST
def held_charge_withdraw(request: HttpRequest, charge_id: int) -> HttpResponse:
    """The officer who wrote it (or program administration) withdraws a charge still held."""
    return _decide(
        request,
        charge_id,
        lambda charge, user, note: services.held_charge_withdraw(charge_id=charge.pk, actor=user, note=note),
        may=permissions.may_withdraw_held_charge,
        done=_("Charge withdrawn."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_new_criminal_justice(request: HttpRequest, referral_id: int) -> HttpResponse:
    """The client's criminal-justice consent (42 CFR §2.35) for the referral's held charge."""
    user: User = request.user  # type: ignore[assignment]
    referral = selectors.referral_get_for_user(user=user, referral_id=referral_id)
    charge = HeldCharge.objects.select_related("decider").filter(referral=referral, state=HeldCharge.State.HELD).first()
    if charge is None or not permissions.may_record_criminal_justice_consent(user=user, referral=referral):
        raise Http404
    form = CriminalJusticeConsentForm(request.POST or None, referral=referral, charge=charge)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_capture_for_charge(referral_id=referral.pk, actor=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Criminal-justice consent recorded."))
            return redirect("referrals:detail", referral_id=referral.pk)
    audit.record(
        request,
        action=audit.Action.VIEWED,
        what="criminal-justice consent form",
        subjects=[(referral.client_id, referral.pk)],
    )
    return render(
        request,
        "referrals/consent_form_criminal_justice.html",
        {"referral": referral, "charge": charge, "form": form},
    )


@login_required
def consent_pdf_criminal_justice(request: HttpRequest, referral_id: int) -> HttpResponse:
    """The blank criminal-justice consent form (English or Spanish) naming the held charge's
    office or court and case, for the client to sign on paper; a recorded one prints from the
    consents' own link. The same rule as recording one."""
    user: User = request.user  # type: ignore[assignment]
    referral = selectors.referral_get_for_user(user=user, referral_id=referral_id)
    if not permissions.may_record_criminal_justice_consent(user=user, referral=referral):
        raise Http404
    charge = held_charges.held_charge_of(referral)
    language = request.GET.get("lang") if request.GET.get("lang") in consent_documents.LANGUAGES else "en"
    pdf = consent_documents.render_consent_pdf(referral=referral, consent=None, language=language, charge=charge)
    audit.record(
        request,
        action=audit.Action.PRINTED,
        what="criminal-justice consent form PDF",
        subjects=[(referral.client_id, referral.pk)],
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    # A generic file name: the client's name never goes into headers or URLs.
    response["Content-Disposition"] = f'inline; filename="criminal-justice-consent-{referral.pk}-{language}.pdf"'
    return response


@login_required
def charge_notice_pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    """The notice to the office or court as a letter to post (case number, decision, date,
    and the notice to recipients): on record as printed, and in the accounting of disclosures."""
    user: User = request.user  # type: ignore[assignment]
    notice = held_charges.charge_notice_get_for_user(user=user, notice_id=notice_id)
    referral = notice.held_charge.referral
    if not permissions.may_print_charge_notice(user=user, referral=referral):
        raise Http404
    pdf = charge_notice_letter_pdf(notice=notice)
    audit.record(request, action=audit.Action.PRINTED, what=NOTICE_LETTER, subjects=[(referral.client_id, referral.pk)])
    response = HttpResponse(pdf, content_type="application/pdf")
    # A generic file name: no name or case number in headers.
    response["Content-Disposition"] = f'inline; filename="charge-notice-{notice.pk}.pdf"'
    return response
