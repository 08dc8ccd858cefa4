"""The roll-call briefing's pages: on screen with a unit and week chooser, and as a PDF."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from deflection.models import Unit, User
from reports.briefing import briefing_context, briefing_pdf, briefing_unit_get, briefing_units
from reports.digest import reported_week
from reports.models import Briefing

WEEKS_OFFERED = 12


def _unit_and_week(request: HttpRequest) -> tuple[Unit, date, list[date]]:
    """The unit and week asked for (a 404 for a unit not the user's or a week not offered),
    and the weeks offered: this week so far, the one Monday's email carried, those before."""
    user: User = request.user  # type: ignore[assignment]
    unit = briefing_unit_get(user=user, unit_id=request.GET.get("unit"))
    latest, _due = reported_week(unit.agency, timezone.now())
    # This week so far first, then the last full week (the default) and those before it.
    weeks = [latest - timedelta(weeks=i) for i in range(-1, WEEKS_OFFERED)]
    asked = request.GET.get("week", "")
    if not asked:
        return unit, latest, weeks
    try:
        week = date.fromisoformat(asked)
    except ValueError:
        raise Http404 from None
    if week not in weeks:
        raise Http404
    return unit, week, weeks


@login_required
@require_GET
def briefing(request: HttpRequest) -> HttpResponse:
    """A unit's one-page briefing for a week, to read out at roll call or print."""
    unit, week, weeks = _unit_and_week(request)
    context = briefing_context(unit=unit, week_start=week)
    context.update(
        {
            "units": briefing_units(user=request.user),
            "weeks": weeks,
            "in_progress": week == weeks[0],
            "sent": Briefing.objects.filter(unit=unit, week_start=week, sent_at__isnull=False).first(),
        }
    )
    return render(request, "reports/briefing.html", context)


@login_required
@require_GET
def briefing_print(request: HttpRequest) -> HttpResponse:
    """The same briefing as a one-page PDF."""
    unit, week, _weeks = _unit_and_week(request)
    response = HttpResponse(briefing_pdf(unit=unit, week_start=week), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="briefing-{unit.pk}-{week.isoformat()}.pdf"'
    return response
