"""The weekly quick-win digest: Monday 07:00 in each agency's time zone, to its command
staff and program administrators.

Exactly once: the Digest row is unique per agency and week; it is claimed, rendered and
sent outside any transaction, and marked sent only after the mail server accepted it
(deflection/claims.py). A rerun, a retry or a second beat finds it claimed or sent and sends
nothing. Its figures are read from the read replica where there is one: the week it reports
ended seven hours before it is due, long past any replication delay.
"""

from __future__ import annotations

import io
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buyin.selectors.pulse import pulse_closed_between
from buyin.selectors.recognition import commendations_of_week
from deflection import l10n
from deflection.claims import send_claimed
from deflection.models import Agency, User
from deflection.replica import from_replica
from reports import metrics
from reports.dashboard import charge_tables
from reports.milestones import milestones_detect
from reports.models import Digest, Milestone, SuccessStory

SEND_AT = time(7, 0)
CHART_WEEKS = 8
# The months the partners' records cover (those that ended before the reported week did).
TREATED_MONTHS = 3
CHART_CID = "weekly-deflections"


def agency_zone(agency: Agency) -> zoneinfo.ZoneInfo:
    """The agency's time zone, whose Monday-to-Sunday weeks the digest reports."""
    return zoneinfo.ZoneInfo(agency.timezone)


def reported_week(agency: Agency, now: datetime) -> tuple[date, bool]:
    """The week the digest reports (the last full Monday-to-Sunday week, in the agency's
    zone) and whether it is due (from Monday 07:00 on)."""
    local = now.astimezone(agency_zone(agency))
    this_monday = local.date() - timedelta(days=local.weekday())
    due = local >= datetime.combine(this_monday, SEND_AT, tzinfo=local.tzinfo)
    return this_monday - timedelta(days=7), due


def recipients(agency: Agency) -> list[tuple[str, list[str]]]:
    """The agency's command staff and its program's administrators, grouped by their language:
    one message for each (a regional coordinator reads the program's digest instead:
    reports/program_digest.py)."""
    users = User.objects.filter(is_active=True).filter(
        Q(role=User.Role.COMMAND, agency=agency) | Q(role=User.Role.PROGRAM_ADMIN, program=agency.program_id)
    )
    return l10n.addresses_by_language(users)


@dataclass
class Mail:
    """A weekly mail as rendered in one language."""

    subject: str
    text: str
    html: str


@dataclass
class Rendered(Mail):
    chart_png: bytes
    chart_alt: str


def digest_context(*, agency: Agency, week_start: date, now: datetime | None = None) -> dict:
    """What the agency's weekly digest shows of the week starting `week_start`, beside the week before."""
    now = now or timezone.now()
    zone = agency_zone(agency)
    start = datetime.combine(week_start, time.min, tzinfo=zone)
    end = start + timedelta(days=7)
    week = metrics.Scope(agency.pk, start, end)
    last_week = week.previous()
    this_pathways = metrics.by_pathway(week)
    last_pathways = dict((value, n) for value, _label, n in metrics.by_pathway(last_week))
    milestones = list(
        Milestone.objects.filter(agency=agency, achieved_at__gte=start, achieved_at__lt=end)
        .select_related("officer", "unit", "partner")
        .order_by("achieved_at")
    )
    recognised = sorted({m.officer.display_name for m in milestones if m.officer})
    # Only stories a program administrator approved, in the week they were approved: a story
    # written on Sunday and approved on Tuesday is news in the week of the Tuesday.
    stories = list(
        SuccessStory.objects.filter(
            SuccessStory.SHARED,
            agency=agency,
            reviewed_at__gte=start,
            reviewed_at__lt=end,
        ).order_by("reviewed_at", "pk")
    )
    # What the partners recorded: over the months counted before the week ended, and only
    # where each month is cut into parts of none or at least 11 (reports/metrics/cohorts.py). A
    # window moved a week at a time would differ from last week's by two weeks' few clients.
    treated = metrics.months_counted(agency.pk, TREATED_MONTHS, zone=zone, before=end)
    shown = metrics.treatment_shown(treated, zone=zone)
    # Retention as of the first of the month the week ended in, as the dashboard counts it:
    # its checkpoints come due a month at a time, not a week's few clients at a time.
    as_of = metrics.running_month_start(end, zone)
    retention_shown = shown and metrics.retention_shown(treated, zone=zone, now=as_of)
    partners_shown = shown and metrics.cohorts_large_enough(treated, zone=zone, by=["partner"])
    return {
        "agency": agency,
        "week_start": week_start,
        "week_end": week_start + timedelta(days=6),
        "this_week": metrics.deflections(week),
        "last_week": metrics.deflections(last_week),
        "pathways": [(label, n, last_pathways.get(value, 0)) for value, label, n in this_pathways],
        "milestones": milestones,
        "recognised": recognised,
        "savings": metrics.savings(week),
        "overdose_reversals": metrics.overdose_reversals(week),
        "treated_first": treated.start.date(),
        "treated_last": (treated.end - timedelta(days=1)).date(),
        "treatment_shown": shown,
        "retention_shown": retention_shown,
        "engagement": _engagement(metrics.funnel(treated, now=as_of), shown=shown, retained=retention_shown),
        # Charges held in abeyance over the same months, per month and unit (treatment records).
        "charges": charge_tables(treated, agency=agency, now=end, rollups=False),
        "partners": _partner_rows(metrics.partner_scorecard(treated), shown=partners_shown),
        "partners_withheld": shown and not partners_shown,
        "stories": stories,
        # Pulse survey waves that closed in the week (up to the Monday midnight that ends it):
        # each wave lands in exactly one week, so in one digest.
        "pulse_waves": pulse_closed_between(agency_id=agency.pk, start=start, end=end),
        # Named only where the officer agreed; the others are counted.
        "commendations": commendations_of_week(agency=agency, start=start, end=end),
        "weekly": metrics.weekly_deflections(
            agency_id=agency.pk, weeks=CHART_WEEKS, last_week_start=week_start, tz=zone
        ),
        "dashboard_url": settings.SITE_URL.rstrip("/") + reverse("reports:command_home"),
        "chart_cid": CHART_CID,
    }


def weekly_chart(weekly: list[tuple[date, int]]) -> tuple[bytes, str]:
    """A bar chart of deflections per week (PNG) and its alt text. Deflections are the
    agency's own police work, read by its own staff: every week at its height, exactly."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = [l10n.month_day(monday) for monday, _n in weekly]
    fig, ax = plt.subplots(figsize=(6.4, 2.6), dpi=110)
    positions = list(range(len(labels)))
    bars = ax.bar(positions, [n for _m, n in weekly], color="#0d6efd")
    ax.set_xticks(positions, labels)
    for bar, (_m, n) in zip(bars, weekly, strict=True):
        ax.annotate(
            _police(n),
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_title(_("Deflections per week"), fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=7)
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    alt = _("Deflections per week, the last %(n)d weeks: %(values)s.") % {
        "n": len(weekly),
        "values": "; ".join(f"{label} {_police(n)}" for label, (_m, n) in zip(labels, weekly, strict=True)),
    }
    return buffer.getvalue(), alt


def _police(n: int) -> str:
    """A count of the agency's own police work, as its command staff read it: exact."""
    return metrics.shown_count(n, kind=metrics.Kind.POLICE_WORK)


def _treated(n: int, *, shown: bool) -> str:
    """A count from the partners' treatment records: 1 to 10 as <11, and withheld (—) where the
    groups of deflections are too small to show them (reports/metrics/cohorts.py)."""
    return metrics.shown_count(n, kind=metrics.Kind.TREATMENT) if shown else metrics.WITHHELD


def _partner_rows(scores: list, *, shown: bool) -> list[tuple[str, str, str]]:
    """Each partner's referrals (police work) and intakes (the partners' records). The intakes
    add up to the engagement's "Reached intake", shown beside them: a "<11" that the total less
    the others would give away takes another cell with it (metrics.shown_parts)."""
    intakes = metrics.shown_parts([s.intake for s in scores], kind=metrics.Kind.TREATMENT)
    return [
        (s.name, _police(s.received), intake if shown else metrics.WITHHELD)
        for s, intake in zip(scores, intakes, strict=True)
    ]


def _engagement(funnel: metrics.Funnel, *, shown: bool, retained: bool) -> list[tuple[str, str]]:
    """The funnel's rows as shown: logged is police work, the rest the partners' records
    (retention's withheld on its own: metrics.retention_shown)."""
    return [
        (_("Logged"), _police(funnel.logged)),
        (_("Accepted by a partner"), _treated(funnel.accepted, shown=shown)),
        (_("Reached intake"), _treated(funnel.intake, shown=shown)),
        *[
            (
                _("Still engaged at %(days)d days") % {"days": days},
                # None due: the months' clients have not reached the checkpoint and the month the
                # partner has to record it (metrics.come_due_by), not "0 of 0".
                _("none due yet")
                if retained and r.due == 0
                else _("%(retained)s of %(due)s due")
                % {"retained": _treated(r.retained, shown=retained), "due": _treated(r.due, shown=retained)},
            )
            for days, r in funnel.retained.items()
        ],
    ]


def digest_render(*, agency: Agency, week_start: date, now: datetime | None = None) -> Rendered:
    """The agency's weekly digest as a mail: subject, text, HTML and its chart."""
    context = digest_context(agency=agency, week_start=week_start, now=now)
    png, alt = weekly_chart(context["weekly"])
    context["chart_alt"] = alt
    subject = _("Quick wins, week of %(date)s: %(n)s deflections") % {
        "date": l10n.month_day(week_start),
        "n": _police(context["this_week"]),
    }
    return Rendered(
        subject=f"{agency.name}: {subject}",
        text=render_to_string("reports/digest_email.txt", context),
        html=render_to_string("reports/digest_email.html", context),
        chart_png=png,
        chart_alt=alt,
    )


def _message(rendered: Rendered, to: list[str]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject=rendered.subject, body=rendered.text, to=to)
    message.attach_alternative(rendered.html, "text/html")
    # multipart/related: the chart is shown inline by its Content-ID.
    message.mixed_subtype = "related"
    image = MIMEImage(rendered.chart_png, "png")
    image.add_header("Content-ID", f"<{CHART_CID}>")
    image.add_header("Content-Disposition", "inline", filename="deflections-per-week.png")
    message.attach(image)
    return message


def _post(mail: Mail, to: list[str]) -> None:
    message = EmailMultiAlternatives(subject=mail.subject, body=mail.text, to=to)
    message.attach_alternative(mail.html, "text/html")
    message.send(fail_silently=False)


def weekly_mail_send(
    model,
    key: dict,
    *,
    readers: Callable[[], list[tuple[str, list[str]]]],
    compose: Callable[[], Mail],
    post: Callable[[Mail, list[str]], None] = _post,
):
    """Send a weekly mail (a Digest, a Briefing, a ProgramDigest: its row unique by `key`)
    once: the row is claimed, then outside any transaction `compose()` renders the mail in the
    language of each group of `readers()` and `post` sends it to the group; then the row is
    marked sent (deflection/claims.py), keeping the first group's rendering (the site's
    language when anyone reads it) and every address. Returns the row, or None if it was sent
    already or another worker is sending it."""
    model.objects.get_or_create(**key)

    def send(_claimed: list) -> dict:
        groups = readers()
        kept = None
        for language, to in groups or [(settings.LANGUAGE_CODE, [])]:
            with translation.override(language):
                mail = compose()
            if to:
                # post raises on an SMTP error: the claim is released and the task retries.
                post(mail, to)
            kept = kept or mail
        return {
            "recipients": sorted(address for _language, addresses in groups for address in addresses),
            "subject": kept.subject[:200],
            "text": kept.text,
            "html": kept.html,
            "sent_at": timezone.now(),
        }

    if not send_claimed(model.objects.filter(**key, sent_at__isnull=True), send=send):
        return None
    return model.objects.get(**key)


def digest_send(*, agency_id: int, week_start: date, now: datetime | None = None) -> Digest | None:
    """Send one agency's digest for one week, once. Returns it, or None if it was sent already
    (or is being sent by another worker at this moment)."""
    now = now or timezone.now()
    agency = Agency.objects.get(pk=agency_id)
    milestones_detect(agency_id=agency_id)

    def compose() -> Rendered:
        with from_replica():
            return digest_render(agency=agency, week_start=week_start, now=now)

    return weekly_mail_send(
        Digest,
        {"agency_id": agency_id, "week_start": week_start},
        readers=lambda: recipients(agency),
        compose=compose,
        post=lambda rendered, to: _message(rendered, to).send(fail_silently=False),
    )


def digests_send_due(*, now: datetime | None = None) -> int:
    """For the beat: send every agency's digest that is due and not sent. Catches up after
    an outage (a digest missed on Monday goes out at the next run that week)."""
    now = now or timezone.now()
    sent = 0
    for agency in Agency.objects.all():
        week_start, due = reported_week(agency, now)
        if not due or Digest.objects.filter(agency=agency, week_start=week_start, sent_at__isnull=False).exists():
            continue
        if digest_send(agency_id=agency.pk, week_start=week_start, now=now):
            sent += 1
    return sent
