"""The program view: a regional coordinator's (or program administrator's) dashboard across
the program's agencies, each beside the others and the whole. Aggregates only, every count
as it is shown outside an agency (reports/program.py)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from deflection.models import User
from reports.models import ProgramDigest
from reports.program import (
    RULE_NOTE,
    last_days,
    program_get_for_user,
    program_table,
    programs_for_user,
)
from reports.program_digest import program_digest_context, reported_week
from reports.views import PERIODS, TREATED_MONTHS


@login_required
def program_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    program = program_get_for_user(user=user, program_id=request.GET.get("program"))
    period = request.GET.get("days", "90")
    days = PERIODS.get(period, 90)
    now = timezone.now()
    start, end = last_days(program, days, now=now)
    programs = programs_for_user(user)
    return render(
        request,
        "reports/program.html",
        {
            # The partners' records: as many whole months as the period is long, that have ended.
            "table": program_table(program=program, start=start, end=end, months=TREATED_MONTHS[days], before=now),
            "days": days,
            "periods": PERIODS,
            "rule_note": RULE_NOTE,
            "period_start": start.date(),
            "period_end": end.date() - timedelta(days=1),
            # A superuser picks between programs; everyone else sees their own.
            "programs": programs if programs.count() > 1 else [],
        },
    )


@login_required
def program_digest_preview(request: HttpRequest) -> HttpResponse:
    """The program's weekly digest as it goes (or went) to its regional coordinators on Monday:
    the last full week, each agency beside the others, read in the browser."""
    user: User = request.user  # type: ignore[assignment]
    program = program_get_for_user(user=user, program_id=request.GET.get("program"))
    week_start, due = reported_week(program, timezone.now())
    programs = programs_for_user(user)
    context = program_digest_context(program=program, week_start=week_start)
    context.update(
        {
            "due": due,
            "sent": ProgramDigest.objects.filter(program=program, week_start=week_start, sent_at__isnull=False).first(),
            # A superuser picks between programs; everyone else sees their own (as the program view).
            "programs": programs if programs.count() > 1 else [],
        }
    )
    return render(request, "reports/program_digest_preview.html", context)
