"""Training pages: the agency's sessions, a new session, and its attendance."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from buyin.forms.training import AttendanceForm, TrainingSessionForm
from buyin.selectors.training import attendance_roll, training_session_get_for_user, training_session_list
from buyin.services.training import training_attendance_record, training_session_create
from buyin.views.common import led_agency


@login_required
def training_list(request: HttpRequest) -> HttpResponse:
    """The agency's training sessions, latest first."""
    agency, agencies = led_agency(request)
    return render(
        request,
        "buyin/training_list.html",
        {"agency": agency, "agencies": agencies, "sessions": training_session_list(agency_id=agency.pk)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def training_new(request: HttpRequest) -> HttpResponse:
    """Record a session that took place; attendance comes next."""
    agency, agencies = led_agency(request)
    form = TrainingSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = training_session_create(actor=request.user, agency=agency, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Session recorded. Now tick who attended."))
            return redirect("buyin:training_attendance", session_id=session.pk)
    return render(request, "buyin/training_form.html", {"form": form, "agency": agency, "agencies": agencies})


@login_required
@require_http_methods(["GET", "POST"])
def training_attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    """Tick the agency's officers, grouped by unit, who attended the session."""
    session = training_session_get_for_user(user=request.user, session_id=session_id)
    roll = attendance_roll(session=session)
    officer_ids = [officer.pk for unit in roll for officer, _attended in unit.officers]
    form = AttendanceForm(request.POST if request.method == "POST" else None, officer_ids=officer_ids)
    if request.method == "POST" and form.is_valid():
        try:
            present = training_attendance_record(
                actor=request.user, session=session, officer_ids=form.cleaned_data["officers"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Attendance saved: %(n)d attended.") % {"n": len(present)})
            return redirect(f"{reverse('buyin:training')}?agency={session.agency_id}")
    return render(request, "buyin/training_attendance.html", {"session": session, "roll": roll, "form": form})
