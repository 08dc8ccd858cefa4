from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from deflection.models import User
from reports import metrics

PERIODS = {"30": 30, "90": 90, "365": 365}


@login_required
def command_home(request: HttpRequest) -> HttpResponse:
    """Agency counts for command staff: aggregates only, no client identities."""
    user: User = request.user  # type: ignore[assignment]
    if user.role != User.Role.COMMAND or not user.agency_id:
        raise Http404
    period = request.GET.get("days", "30")
    days = PERIODS.get(period, 30)
    now = timezone.now()
    current = metrics.agency_counts(agency_id=user.agency_id, start=now - timedelta(days=days), end=now)
    previous = metrics.agency_counts(
        agency_id=user.agency_id, start=now - timedelta(days=2 * days), end=now - timedelta(days=days)
    )
    return render(
        request,
        "reports/command_home.html",
        {
            "agency": user.agency,
            "days": days,
            "periods": PERIODS,
            "current": current,
            "previous": previous,
        },
    )
