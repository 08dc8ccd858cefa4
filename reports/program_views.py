"""The program view: a regional coordinator's (or program administrator's) dashboard across
the program's agencies, each beside the others and the whole. Aggregates only, every count
as it is shown outside an agency, over whole months that have ended (reports/program.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from deflection import l10n
from deflection.models import User
from reports.models import ProgramDigest
from reports.program import (
    PERIODS,
    RULE_NOTE,
    last_month_published,
    program_get_for_user,
    program_table,
    programs_for_user,
)
from reports.program_digest import due_at, next_publication, program_digest_context, reported_month

# The periods in days the view offered before it counted months, for links kept since.
FORMER_PERIODS = {"30": 1, "90": 3, "365": 12}


@login_required
def program_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    program = program_get_for_user(user=user, program_id=request.GET.get("program"))
    months = PERIODS.get(request.GET.get("months", ""), FORMER_PERIODS.get(request.GET.get("days", ""), 3))
    last_month = last_month_published(program)
    next_month, next_on, publishing = next_publication(program, timezone.now(), last_published=last_month)
    programs = programs_for_user(user)
    return render(
        request,
        "reports/program.html",
        {
            # The police work and the partners' records over the same months, as published.
            "table": (
                program_table(program=program, last_month=last_month, months=months, treated_months=months)
                if last_month
                else None
            ),
            "program": program,
            "agencies": program.agencies.order_by("name"),
            # When the next month is published (with its digest).
            "next_month": next_month,
            "next_on": l10n.weekday_date(next_on),
            "publishing": publishing,
            "months": months,
            "periods": PERIODS,
            "rule_note": RULE_NOTE,
            # A superuser picks between programs; everyone else sees their own.
            "programs": programs if programs.count() > 1 else [],
        },
    )


@login_required
def program_digest_preview(request: HttpRequest) -> HttpResponse:
    """The program's monthly digest as it goes (or went) to its regional coordinators on the
    month's first Monday: the month that ended last, each agency beside the others, read in the
    browser."""
    user: User = request.user  # type: ignore[assignment]
    program = program_get_for_user(user=user, program_id=request.GET.get("program"))
    month_start, due = reported_month(program, timezone.now())
    programs = programs_for_user(user)
    context = program_digest_context(program=program, month_start=month_start)
    sent = ProgramDigest.objects.filter(program=program, month_start=month_start, sent_at__isnull=False)
    context.update(
        {
            "due": due,
            # The day it goes, on the program's calendar (07:00 there).
            "due_on": l10n.weekday_date(due_at(program, month_start).date()),
            "sent": sent.first(),
            # A superuser picks between programs; everyone else sees their own (as the program view).
            "programs": programs if programs.count() > 1 else [],
        }
    )
    return render(request, "reports/program_digest_preview.html", context)
