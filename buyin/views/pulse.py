"""Pulse survey pages: the waves (program administration, command staff), a new wave, the
answer page (phone first, for those asked) and a wave's results."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from buyin.forms.pulse import PulseAnswerForm, PulseSurveyForm
from buyin.models.pulse import SCALE
from buyin.selectors.pulse import (
    pulse_participation_for_user,
    pulse_results,
    pulse_survey_for_results,
    pulse_surveys_for_user,
    pulse_trend,
)
from buyin.services.pulse import PulseRefused, pulse_answer_submit, pulse_survey_create
from deflection.models import User
from deflection.permissions import may_run_pulse, may_see_pulse_trend, roles_required


@roles_required(User.Role.COMMAND, User.Role.PROGRAM_ADMIN)
def pulse_list(request: HttpRequest) -> HttpResponse:
    """The waves, newest first, with how many answered; and each repeated statement's trend."""
    user: User = request.user  # type: ignore[assignment]
    if not may_see_pulse_trend(user):
        raise Http404
    now = timezone.now()
    return render(
        request,
        "buyin/pulse_list.html",
        {
            "surveys": pulse_surveys_for_user(user),
            "trend": pulse_trend(user=user, now=now),
            "now": now,
            "can_run_pulse": may_run_pulse(user),
        },
    )


@roles_required(User.Role.PROGRAM_ADMIN)
@require_http_methods(["GET", "POST"])
def pulse_new(request: HttpRequest) -> HttpResponse:
    """A new wave: statements, open question, audience, opening day and days open."""
    form = PulseSurveyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            pulse_survey_create(actor=request.user, **form.wave())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The wave is set: those asked are invited when it opens."))
            return redirect("buyin:pulse_list")
    return render(request, "buyin/pulse_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def pulse_answer(request: HttpRequest, survey_id: int) -> HttpResponse:
    """One page, phone first: every statement and the open question, sent once. Only for those asked."""
    participation = pulse_participation_for_user(user=request.user, survey_id=survey_id)
    survey = participation.survey
    form = PulseAnswerForm(request.POST or None, survey=survey)
    is_open = survey.is_open()
    if request.method == "POST":
        if not is_open:
            raise Http404
        if participation.answered:
            return _answered_already(request, survey)
        if form.is_valid():
            try:
                pulse_answer_submit(
                    survey_id=survey.pk,
                    user=request.user,
                    scores=form.scores(),
                    open_text=form.cleaned_data["open_text"],
                )
            except PulseRefused:
                # A double tap: the first answer went in a moment ago, and it stands.
                return _answered_already(request, survey)
            messages.success(request, _("Thank you: your answer is in, with no name on it."))
            return redirect("buyin:pulse_answer", survey_id=survey.pk)
    return render(
        request,
        "buyin/pulse_answer.html",
        {"survey": survey, "form": form, "answered": participation.answered, "is_open": is_open},
    )


def _answered_already(request: HttpRequest, survey) -> HttpResponse:
    messages.info(request, _("You had answered this wave already: your first answer stands."))
    return redirect("buyin:pulse_answer", survey_id=survey.pk)


@login_required
def pulse_results_page(request: HttpRequest, survey_id: int) -> HttpResponse:
    """A wave's results once it has closed: overall and by group, under the floor of 5."""
    user: User = request.user  # type: ignore[assignment]
    survey = pulse_survey_for_results(user=user, survey_id=survey_id)
    results = pulse_results(survey, with_open_answers=may_run_pulse(user)) if survey.is_closed() else None
    return render(request, "buyin/pulse_results.html", {"survey": survey, "results": results, "scale": SCALE})
