from __future__ import annotations

import base64
import re
import zoneinfo
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from buyin.selectors.champions import agency_today, unit_champions
from buyin.selectors.recognition import commendations_for_officer
from buyin.selectors.training import officers_untrained
from deflection import l10n
from deflection.models import Agency, User
from deflection.permissions import (
    administers_programs,
    agencies_of_program,
    exports_whole_treatment_record,
    leads_buyin,
    may_add_story,
    may_read_reports,
    may_see_highlights,
    may_see_process_evaluation,
    may_see_pulse_trend,
    may_see_untrained,
)
from deflection.replica import reads_replica
from partners.selectors import partner_list_for_user
from referrals.checkins import LATEST_SHOWN, check_ins_made_by
from referrals.consent_documents import TEXT as CONSENT_TEXT
from referrals.selectors import referral_get_for_user
from reports import dashboard as dashboard_data
from reports import export, metrics, process, process_voice
from reports.digest import digest_context, digest_send, reported_week, weekly_chart
from reports.forms import DashboardFilterForm, ExportForm, ProcessFilterForm, SuccessStoryForm
from reports.highlights import highlights_for, personal_milestones
from reports.metrics.check_ins import non_enforcement_engagements
from reports.metrics.process import PROCESS_DEFINITIONS
from reports.metrics.voice import VOICE_DEFINITIONS
from reports.models import Digest, ExportRecord, Milestone
from reports.services import success_story_create

INLINE_STYLE = re.compile(r'\s+style="[^"]*"')
PERIODS = {"30": 30, "90": 90, "365": 365}
# The whole months counted that the partners' records cover, for each period of days: a
# window moved a day at a time would differ from yesterday's by a day's few clients.
TREATED_MONTHS = {30: 1, 90: 3, 365: 12}


@login_required
@reads_replica
def command_home(request: HttpRequest) -> HttpResponse:
    """Agency counts for command staff: aggregates only, no client identities."""
    user: User = request.user  # type: ignore[assignment]
    if not user.is_command or not user.agency_id:
        raise Http404
    period = request.GET.get("days", "30")
    days = PERIODS.get(period, 30)
    now = timezone.now()
    zone = zoneinfo.ZoneInfo(user.agency.timezone)
    # Whole days on the agency's calendar.
    start, end = metrics.last_whole_days(days, zone=zone, now=now)
    current = metrics.agency_counts(agency_id=user.agency_id, start=start, end=end)
    previous = metrics.agency_counts(agency_id=user.agency_id, start=start - timedelta(days=days), end=start)
    # Where the referrals stand (the partners' records): of the months counted, and only over
    # months cut into parts of none or at least 11 (metrics.standing_shown).
    treated = metrics.months_counted(user.agency_id, TREATED_MONTHS[days], zone=zone, before=now)
    treated_end = treated.end
    standing = metrics.agency_counts(agency_id=user.agency_id, start=treated.start, end=treated.end)
    milestones = Milestone.objects.filter(agency_id=user.agency_id).select_related("officer", "unit", "partner")[:8]
    return render(
        request,
        "reports/command_home.html",
        {
            "agency": user.agency,
            "days": days,
            "periods": PERIODS,
            "current": current,
            "previous": previous,
            "rows": dashboard_data.count_rows(
                current, standing=standing, withhold=not metrics.standing_shown(treated, zone=zone)
            ),
            "treated_first": treated.start.date(),
            "treated_last": (treated_end - timedelta(days=1)).date(),
            "period_start": start.date(),
            "period_end": (end - timedelta(days=1)).date(),
            "milestones": milestones,
        },
    )


def _digest_agency(request: HttpRequest) -> Agency:
    """Command staff see their agency's digest; a program administrator picks one of their
    program's (another program's agency answers 404, as a missing one)."""
    user: User = request.user  # type: ignore[assignment]
    if user.is_command and user.agency_id:
        return user.agency
    if administers_programs(user):
        agency_id = request.POST.get("agency") or request.GET.get("agency")
        agencies = agencies_of_program(user)
        agency = agencies.filter(pk=agency_id).first() if str(agency_id or "").isdigit() else agencies.first()
        if agency is not None:
            return agency
    raise Http404


def _agency_choices(user: User):
    """The agencies a program administrator may switch between; others see their own only."""
    return agencies_of_program(user) if administers_programs(user) else []


@login_required
@reads_replica
def digest_preview(request: HttpRequest) -> HttpResponse:
    """This week's digest as it will be (or was) sent, in the browser."""
    agency = _digest_agency(request)
    week_start, due = reported_week(agency, timezone.now())
    context = digest_context(agency=agency, week_start=week_start)
    png, alt = weekly_chart(context["weekly"])
    context.update(
        {
            "chart_src": "data:image/png;base64," + base64.b64encode(png).decode(),
            "chart_alt": alt,
            "sent": Digest.objects.filter(agency=agency, week_start=week_start, sent_at__isnull=False).first(),
            "due": due,
            "agencies": _agency_choices(request.user),
        }
    )
    # The email's inline styles (for mail clients) would break the page's
    # Content-Security-Policy; in the browser the page's own stylesheet does that work.
    body = render_to_string("reports/_digest_body.html", context, request=request)
    context["body"] = mark_safe(INLINE_STYLE.sub("", body))  # noqa: S308 (our own template's output)
    return render(request, "reports/digest_preview.html", context)


@login_required
@require_POST
def digest_send_now(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not administers_programs(user):
        raise Http404
    agency = _digest_agency(request)
    week_start, _due = reported_week(agency, timezone.now())
    digest = digest_send(agency_id=agency.pk, week_start=week_start)
    if digest is None:
        messages.info(request, _("This week's digest was already sent; it is not sent twice."))
    else:
        messages.success(request, _("Digest sent to %(n)d recipient(s).") % {"n": len(digest.recipients)})
    return redirect(f"{reverse('reports:digest_preview')}?agency={agency.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def story_new(request: HttpRequest, referral_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    referral = referral_get_for_user(user=user, referral_id=referral_id)
    if not may_add_story(user=user, referral=referral):
        raise Http404
    # The client, so that the form can refuse a shareable story that names them.
    form = SuccessStoryForm(request.POST or None, client=referral.client)
    if request.method == "POST" and form.is_valid():
        try:
            success_story_create(
                referral=referral,
                actor=user,
                source=form.cleaned_data["source"],
                text=form.cleaned_data["text"],
                consent_to_share=form.cleaned_data["consent_to_share"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "Thank you: the story is saved with the referral. "
                    "A program administrator reviews it before it is shared."
                )
                if form.cleaned_data["consent_to_share"]
                else _("Thank you: the story is saved with the referral."),
            )
            return redirect("referrals:detail", referral_id=referral.pk)
    return render(request, "reports/story_form.html", {"form": form, "referral": referral})


@login_required
@require_http_methods(["GET", "POST"])
@reads_replica
def evaluation_export(request: HttpRequest) -> HttpResponse:
    """One click for the university evaluator's data set: de-identified CSV or Excel."""
    user: User = request.user  # type: ignore[assignment]
    if not may_read_reports(user):
        raise Http404
    agency = _digest_agency(request)
    form = ExportForm(request.POST or None, agency=agency)
    if request.method == "POST" and form.is_valid():
        scope = form.scope(agency)
        file_format = form.cleaned_data["file_format"]
        if form.cleaned_data.get("dataset") == "process":
            rollups = metrics.counted_until(agency.pk) is not None
            content, count = export.process_export(
                scope, user=user, agency=agency, rollups=rollups, file_format=file_format
            )
        else:
            write = export.as_xlsx if file_format == "xlsx" else export.as_csv
            content, count = write(scope, whole_record=exports_whole_treatment_record(user))
        ExportRecord.objects.create(
            user=user,
            agency=agency,
            filters=form.filters(),
            file_format=file_format,
            rows=count,
            remote_addr=request.META.get("REMOTE_ADDR") or None,
        )
        content_type = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if file_format == "xlsx"
            else "text/csv; charset=utf-8"
        )
        response = HttpResponse(content, content_type=content_type)
        first, last = form.cleaned_data["start"], form.cleaned_data["end"]
        what = "process-evaluation" if form.cleaned_data.get("dataset") == "process" else "evaluation"
        name = f"deflection-{what}-{first:%Y-%m}-to-{last:%Y-%m}.{file_format}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    agencies = _agency_choices(user)
    return render(
        request,
        "reports/export.html",
        {
            "form": form,
            "agency": agency,
            "agencies": agencies,
            "records": ExportRecord.objects.filter(agency=agency)[:10],
            "whole_record": exports_whole_treatment_record(user),
        },
    )


@login_required
def codebook(request: HttpRequest) -> HttpResponse:
    """Every column of the export and every metric, defined; also as a text download."""
    user: User = request.user  # type: ignore[assignment]
    if not may_read_reports(user):
        raise Http404
    context = {
        "columns": export.COLUMNS,
        "definitions": metrics.DEFINITIONS,
        # The federal notice in the reader's language; the files themselves carry the English.
        "notice": CONSENT_TEXT.get(translation.get_language(), CONSENT_TEXT["en"])["notice"],
        "process_columns": process_voice.EXPORT_COLUMNS,
        "process_definitions": [*PROCESS_DEFINITIONS, *VOICE_DEFINITIONS],
        "withheld": process.WITHHELD_NOTE,
    }
    if request.GET.get("download"):
        text = render_to_string("reports/codebook.txt", context)
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="deflection-evaluation-codebook.txt"'
        return response
    return render(request, "reports/codebook.html", context)


def _dashboard_agency_and_unit(request: HttpRequest):
    user: User = request.user  # type: ignore[assignment]
    if user.role == User.Role.SUPERVISOR and user.agency_id:
        if not user.unit_id:
            raise Http404
        return user.agency, user.unit
    return _digest_agency(request), None


def _named(months: list) -> list[str]:
    """Months (first days) as the pages name them ("May 2026")."""
    return [l10n.year_month(month) for month in months]


def _months_in_order(request: HttpRequest) -> HttpResponse:
    """The same page with its two months, entered the wrong way round, in order: its URL and
    fields then say the period it shows."""
    query = request.GET.copy()
    query["start"], query["end"] = request.GET["end"], request.GET["start"]
    return redirect(f"{request.path}?{query.urlencode()}")


@login_required
@reads_replica
def dashboard(request: HttpRequest) -> HttpResponse:
    """The command dashboard (a supervisor's is limited to their unit). Aggregates only."""
    agency, fixed_unit = _dashboard_agency_and_unit(request)
    form = DashboardFilterForm(request.GET or None, agency=agency, fixed_unit=fixed_unit)
    if form.is_bound:
        form.is_valid()
    if form.months_reversed:
        return _months_in_order(request)
    scope = form.scope()
    now = timezone.now()
    # A read: the worker counts casework into the rollups every minute and the page says up
    # to when; before its first count the figures come from the referrals themselves.
    counted_at = metrics.counted_until(agency.pk)
    rollups = counted_at is not None
    # Who deflected is read once: for the split by training and unit, and the headline.
    buyin = metrics.buyin_figures(scope, agency=agency, now=now, rollups=rollups)
    before = scope.previous()
    # The month still running is counted to date, against whole months before.
    to_date = scope.end > now
    zone = zoneinfo.ZoneInfo(agency.timezone)
    # The partners' records: for the months counted, and only over groups of deflections big
    # enough (metrics.cohorts).
    # Counted months as of what the rollups have taken in: a month shown the minute its count
    # day came, before the worker took in that last minute's casework, would then move.
    counted_now = min(now, counted_at) if rollups else now
    treated = metrics.counted_months(scope, zone=zone, now=counted_now)
    treated_before = treated.previous() if treated else None
    withheld_months = metrics.treatment_withheld_months(treated, zone=zone, rollups=rollups) if treated else []
    shown_now = treated is not None and not withheld_months
    before_months = (
        metrics.treatment_withheld_months(treated_before, zone=zone, rollups=rollups) if treated_before else []
    )
    shown_before = treated_before is not None and not before_months
    # The partners' records as of the running month's first day: retention's checkpoints would
    # otherwise come due day by day, a day's few clients at a time.
    as_of = metrics.running_month_start(now, zone)
    retention_months = (
        metrics.retention_withheld_months(treated, zone=zone, now=as_of, rollups=rollups) if shown_now else []
    )
    retention_now = shown_now and not retention_months
    retention_before = shown_before and metrics.retention_shown(treated_before, zone=zone, now=as_of, rollups=rollups)
    # A period of counted months is counted once, as of then; one running into this month twice.
    at = as_of if treated == scope else now
    current = metrics.headlines(scope, now=at, rollups=rollups, participation=buyin.training.whole)
    previous = metrics.headlines(before, now=at, rollups=rollups)
    # (Of a running month alone nothing is shown: its figures are withheld whatever they are.)
    current_treated, previous_treated = current, previous
    if treated not in (scope, None):
        # Participation is police work, of the whole period: not counted again.
        current_treated = metrics.headlines(treated, now=as_of, rollups=rollups, participation=current.participation)
        previous_treated = metrics.headlines(
            treated_before, now=as_of, rollups=rollups, participation=previous.participation
        )
    # The held charges by their own parts (metrics.charge_parts), whatever the funnel's say.
    charges = dashboard_data.charge_tables(
        treated or scope,
        agency=agency,
        now=counted_now,
        totals=current_treated.counts,
        rollups=rollups,
        withhold=treated is None,
    )
    charges_before = dashboard_data.charge_tables(
        treated_before or before,
        agency=agency,
        now=counted_now,
        totals=previous_treated.counts,
        rollups=rollups,
        withhold=treated_before is None,
    )
    # Each partner's own months too (read whatever the page's: a page costs the same queries).
    partner_months = metrics.breakdown_withheld_months(treated or scope, "partner", zone=zone, rollups=rollups)
    partners_shown = not partner_months
    scorecard_withheld = not (shown_now and partners_shown)
    context = {
        "agency": agency,
        "form": form,
        "scope": scope,
        "period_end": scope.end - timedelta(days=1),
        "before": before,
        "before_end": before.end - timedelta(days=1),
        "to_date": to_date,
        "treatment_shown": shown_now,
        # The months a reader may leave out to see the partners' records (each withheld alone too).
        "withheld_months": _named(withheld_months),
        "before_withheld_months": _named(before_months),
        "retention_withheld_months": _named(retention_months),
        "scorecard_withheld_months": _named(partner_months) if shown_now else [],
        "retention_shown": retention_now,
        # The period before's partners' records, beside each headline figure, withheld alone.
        "before_withheld": treated_before is not None and shown_now and not shown_before,
        # The partners' records stop before the month still running (None: it is the whole period).
        "treated": treated if treated != scope else None,
        "treated_first": treated.start.date() if treated else None,
        "treated_last": (treated.end - timedelta(days=1)).date() if treated else None,
        "treated_before_first": treated_before.start.date() if treated_before else None,
        "treated_before_last": (treated_before.end - timedelta(days=1)).date() if treated_before else None,
        "running_month_only": treated is None,
        # Whether the withheld note may advise fewer filters: one the reader chose, not their fixed unit.
        "filter_to_remove": bool((scope.unit_id and not fixed_unit) or scope.pathway or scope.partner_id),
        "figures": [
            *dashboard_data.figures(
                current,
                previous,
                changes=not to_date,
                treatment=(shown_now, shown_before),
                retention=(retention_now, retention_before),
                treated=(current_treated, previous_treated),
            ),
            dashboard_data.check_in_figure(scope, agency=agency, rollups=rollups, changes=not to_date),
            dashboard_data.charge_figure(charges, charges_before),
        ],
        "charges": charges,
        "charts": dashboard_data.charts(
            scope,
            agency=agency,
            counts=current_treated.counts,
            now=now,
            retained=current_treated.retention,
            rollups=rollups,
            treatment_shown=shown_now,
            retention_shown=retention_now,
            participation_now=current.participation,
        ),
        "scorecard": dashboard_data.scorecard_rows(
            metrics.partner_scorecard(treated or scope, rollups=rollups), withhold=scorecard_withheld
        ),
        "scorecard_withheld": scorecard_withheld,
        # The scorecard's partners whose page the user may open (a supervisor: none).
        "partner_pages": set(partner_list_for_user(user=request.user).values_list("pk", flat=True)),
        "roster": dashboard_data.unit_roster(agency_id=agency.pk, unit_id=fixed_unit.pk, rollups=rollups)
        if fixed_unit
        else None,
        "training_rows": dashboard_data.training_rows(buyin.training),
        # The names of the unit's officers not yet trained: for its supervisor (colleagues, not clients).
        "untrained": officers_untrained(agency_id=agency.pk, unit_id=fixed_unit.pk)
        if fixed_unit and may_see_untrained(request.user, unit_id=fixed_unit.pk)
        else None,
        "champion_rows": dashboard_data.champion_rows(
            unit_champions(agency_id=agency.pk, on=agency_today(agency)), buyin.units
        )
        if scope.unit_id is None
        else None,
        "can_lead_buyin": leads_buyin(request.user, agency_id=agency.pk),
        "counted_at": counted_at,
        "counting_late": metrics.counting_late(counted_at, now),
        "fixed_unit": fixed_unit,
        "agencies": _agency_choices(request.user),
        "can_see_process": may_see_process_evaluation(request.user),
    }
    template = "reports/_dashboard_body.html" if request.headers.get("HX-Request") else "reports/dashboard.html"
    return render(request, template, context)


@login_required
@reads_replica
def process_evaluation(request: HttpRequest) -> HttpResponse:
    """Process evaluation: how officers find deflecting compared with an arrest, what got in
    the way, and how long logging takes; in aggregate only (a supervisor's is their unit's)."""
    agency, fixed_unit = _dashboard_agency_and_unit(request)
    form = ProcessFilterForm(request.GET or None, agency=agency, fixed_unit=fixed_unit)
    if form.is_bound:
        form.is_valid()
    if form.months_reversed:
        return _months_in_order(request)
    scope = form.scope()
    # A read, like the dashboard: the worker counts feedback into the rollups every minute.
    counted_at = metrics.counted_until(agency.pk)
    context = process.page(scope, agency=agency, rollups=counted_at is not None)
    voice = process_voice.page(scope, user=request.user, agency=agency)
    context["chart_data"]["pulse"] = voice.pop("pulse_chart")
    context.update(voice)
    context.update(
        {
            "agency": agency,
            "form": form,
            "scope": scope,
            "period_end": scope.end - timedelta(days=1),
            "counted_at": counted_at,
            "counting_late": metrics.counting_late(counted_at, timezone.now()),
            "fixed_unit": fixed_unit,
            "agencies": _agency_choices(request.user),
            "floor": process.FEEDBACK_FLOOR,
            "can_see_pulse": may_see_pulse_trend(request.user),
        }
    )
    return render(request, "reports/process.html", context)


@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    """An officer's own record: their deflections and the time they saved versus arrest."""
    user: User = request.user  # type: ignore[assignment]
    if not user.is_field_officer or not user.agency_id:
        raise Http404
    officer = getattr(user, "officer", None)
    mine = metrics.Scope(user.agency_id, officer_id=officer.pk if officer else -1)
    now = timezone.now()
    year = metrics.Scope(user.agency_id, now - timedelta(days=365), now, officer_id=mine.officer_id)
    return render(
        request,
        "reports/my_record.html",
        {
            "all_time": metrics.deflections(mine),
            "this_year": metrics.deflections(year),
            "savings": metrics.savings(mine),
            "savings_year": metrics.savings(year),
            "reversals": metrics.overdose_reversals(mine),
            # Clients seen again while their referral was open: the officer's time, not new referrals.
            "contacts": metrics.officer_contacts(mine),
            # Non-enforcement engagements: their check-ins with people they referred (no client named).
            "check_ins": non_enforcement_engagements(mine),
            "latest_check_ins": check_ins_made_by(user=user)[:LATEST_SHOWN],
            "commendations": commendations_for_officer(officer=user),
            "mine": personal_milestones(user=user),
        },
    )


@login_required
def program_wins(request: HttpRequest) -> HttpResponse:
    """The program's wins and the officer's own: below the log form (htmx loads the fragment
    once it scrolls into view, so logging never waits for it) or as a page without JavaScript."""
    user: User = request.user  # type: ignore[assignment]
    if not may_see_highlights(user):
        raise Http404
    template = "reports/_wins.html" if request.headers.get("HX-Request") else "reports/wins.html"
    response = render(request, template, {"highlights": highlights_for(user=user)})
    patch_vary_headers(response, ["HX-Request"])  # one URL, two answers: caches must tell them apart
    return response
