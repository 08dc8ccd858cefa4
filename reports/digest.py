"""The weekly quick-win digest: Monday 07:00 in each agency's time zone, to its command
staff and program administrators.

Exactly once: the Digest row is unique per agency and week and is locked while it is
sent; it is marked sent only after the mail server accepted the message, in the same
transaction. A rerun, a retry or a second beat finds it sent and sends nothing.
"""

from __future__ import annotations

import io
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buyin.selectors.pulse import pulse_closed_between
from buyin.selectors.recognition import commendations_of_week
from deflection import l10n
from deflection.models import Agency, User
from reports import metrics
from reports.milestones import milestones_detect
from reports.models import Digest, Milestone, SuccessStory

SEND_AT = time(7, 0)
CHART_WEEKS = 8
CHART_CID = "weekly-deflections"


def agency_zone(agency: Agency) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(agency.timezone)


def reported_week(agency: Agency, now: datetime) -> tuple[date, bool]:
    """The week the digest reports (the last full Monday-to-Sunday week, in the agency's
    zone) and whether it is due (from Monday 07:00 on)."""
    local = now.astimezone(agency_zone(agency))
    this_monday = local.date() - timedelta(days=local.weekday())
    due = local >= datetime.combine(this_monday, SEND_AT, tzinfo=local.tzinfo)
    return this_monday - timedelta(days=7), due


def recipients(agency: Agency) -> list[tuple[str, list[str]]]:
    """The agency's command staff and its program administrators (and the whole program's),
    grouped by their language: one message for each."""
    users = User.objects.filter(is_active=True).filter(
        Q(role=User.Role.COMMAND, agency=agency)
        | Q(role=User.Role.PROGRAM_ADMIN, agency=agency)
        | Q(role=User.Role.PROGRAM_ADMIN, agency__isnull=True)
    )
    return l10n.addresses_by_language(users)


def send_in_each_language(groups: list[tuple[str, list[str]]], render, send) -> tuple[object, list[str]]:
    """Render a weekly mail in each recipient group's language and send it to the group; the
    rendering in the first group's language (the site's, when anyone reads it) is returned
    for the record, with every address. With nobody to send to, it is rendered in the site's."""
    kept = None
    for language, to in groups or [(settings.LANGUAGE_CODE, [])]:
        with translation.override(language):
            rendered = render()
            if to:
                # fail_silently=False: an SMTP error rolls back and the task retries.
                send(rendered, to)
        kept = kept or rendered
    return kept, sorted(address for _language, addresses in groups for address in addresses)


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    chart_png: bytes
    chart_alt: str


def digest_context(*, agency: Agency, week_start: date, now: datetime | None = None) -> dict:
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
            agency=agency,
            consent_to_share=True,
            review_state=SuccessStory.Review.APPROVED,
            reviewed_at__gte=start,
            reviewed_at__lt=end,
        ).order_by("reviewed_at", "pk")
    )
    funnel_scope = metrics.Scope(agency.pk, end - timedelta(days=90), end)
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
        "funnel": metrics.funnel(funnel_scope, now=now),
        "partner_intakes": metrics.partner_intakes(agency_id=agency.pk, start=start, end=end),
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


def digest_render(*, agency: Agency, week_start: date, now: datetime | None = None) -> Rendered:
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


def claim(model, **key):
    """The row of a weekly mail (a Digest, a Briefing), made if new and locked until the
    caller's transaction ends: a second worker waits here, then finds it sent."""
    try:
        with transaction.atomic():
            model.objects.get_or_create(**key)
    except IntegrityError:
        pass  # another worker made the row at the same moment: lock it below
    return model.objects.select_for_update().get(**key)


def digest_send(*, agency_id: int, week_start: date, now: datetime | None = None) -> Digest | None:
    """Send one agency's digest for one week, once. Returns it, or None if it was sent already."""
    now = now or timezone.now()
    agency = Agency.objects.get(pk=agency_id)
    milestones_detect(agency_id=agency_id)
    with transaction.atomic():
        digest = claim(Digest, agency_id=agency_id, week_start=week_start)
        if digest.sent_at is not None:
            return None
        rendered, to = send_in_each_language(
            recipients(agency),
            lambda: digest_render(agency=agency, week_start=week_start, now=now),
            lambda rendered, to: _message(rendered, to).send(fail_silently=False),
        )
        digest.recipients = to
        digest.subject = rendered.subject
        digest.text = rendered.text
        digest.html = rendered.html
        digest.sent_at = timezone.now()
        digest.save()
        return digest


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
