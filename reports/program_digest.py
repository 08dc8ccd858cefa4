"""The program's monthly digest: on the first Monday of each month at 07:00 in the program's
time zone, to its regional coordinators, the month that ended with every agency beside the
others and the whole (reports/program.py's rules: every count from 1 to 10 as "<11", none
recoverable from others). Monthly because what leaves an agency is counted in whole months: a
weekly table would set weeks beside the months of the program view, and a month less its
weeks is a few days' deflections.

Exactly once, as the agencies' digests (reports/digest.py): the ProgramDigest row is unique
per program and month, claimed while it is sent (outside any transaction) and marked sent only
after the mail server accepted the message (deflection/claims.py). A rerun, a retry or a second
beat finds it claimed or sent and sends nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection import l10n
from deflection.models import Program, User
from reports import metrics
from reports.digest import SEND_AT, TREATED_MONTHS, Mail, weekly_mail_send
from reports.models import ProgramDigest, PublishedMonth
from reports.program import RULE_NOTE, months_publish, program_table, program_zone


def due_at(program: Program, month_start: date) -> datetime:
    """When the digest of a month is due: 07:00 on the first Monday of the month after it, on
    the program's calendar."""
    first = metrics.months_before(month_start, -1)
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    return datetime.combine(monday, SEND_AT, tzinfo=program_zone(program))


def reported_month(program: Program, now: datetime) -> tuple[date, bool]:
    """The month the digest reports (the last that had ended, on the program's calendar; its
    first day) and whether it is due."""
    running = metrics.running_month_start(now, program_zone(program))
    month_start = metrics.months_before(running, 1).date()
    return month_start, now >= due_at(program, month_start)


def next_publication(program: Program, now: datetime, *, last_published: date | None) -> tuple[date, date, bool]:
    """The next month the program publishes (its first day), the day it does (at 07:00 there,
    with its digest), and whether that moment has come and the beat has yet to publish it."""
    month_start, due = reported_month(program, now)
    if last_published is not None and last_published >= month_start:
        month_start, due = metrics.months_before(month_start, -1), False
    return month_start, due_at(program, month_start).date(), due


def months_published_by(program: Program, now: datetime) -> int:
    """Publish what the beat would have by `now`: every month up to the last whose digest has
    come due (a program new to the beat, the demo's history). Returns how many."""
    month_start, due = reported_month(program, now)
    return months_publish(program, through=month_start if due else metrics.months_before(month_start, 1), now=now)


def month_published(program: Program, month_start: date) -> bool:
    """Whether every agency of the program has the month published."""
    agencies = program.agencies.count()
    published = PublishedMonth.objects.filter(agency__program=program, month=month_start).count()
    return bool(agencies) and published == agencies


def recipients(program: Program) -> list[tuple[str, list[str]]]:
    """The program's regional coordinators (command staff of the program, without an agency),
    grouped by their language."""
    return l10n.addresses_by_language(
        User.objects.filter(is_active=True, role=User.Role.COMMAND, program=program, agency__isnull=True)
    )


def program_digest_context(*, program: Program, month_start: date, published: bool | None = None) -> dict:
    """What the program's monthly digest shows its regional coordinators: each agency's month
    in one table, and the partners' records of the three months before it (published with it,
    once counted). No
    table before the month is published (on the day the digest is due); `published` where the
    caller knows already."""
    if published is None:
        published = month_published(program, month_start)
    return {
        "program": program,
        "month_start": month_start,
        "table": (
            program_table(program=program, last_month=month_start, months=1, treated_months=TREATED_MONTHS)
            if published
            else None
        ),
        "program_url": settings.SITE_URL.rstrip("/") + reverse("reports:program"),
        "rule_note": RULE_NOTE,
    }


class NotYetPublished(Exception):
    """An agency of the program has not ended the month yet (a zone behind the program's):
    the digest waits for the next run rather than go out with its column withheld."""


def program_digest_send(*, program_id: int, month_start: date) -> ProgramDigest | None:
    """Send one program's digest for one month, once. Returns it, or None if it was sent
    already; raises NotYetPublished while an agency's month cannot be published yet."""
    program = Program.objects.get(pk=program_id)
    months_publish(program, through=month_start)
    if not month_published(program, month_start):
        raise NotYetPublished(month_start)

    def compose() -> Mail:
        # From the primary, where the month was just published: its figures were counted
        # then, and a replica a moment behind would not have them yet.
        context = program_digest_context(program=program, month_start=month_start, published=True)
        text = render_to_string("reports/program_digest_email.txt", context)
        html = render_to_string("reports/program_digest_email.html", context)
        subject = _("%(program)s: the agencies in %(month)s") % {
            "program": program.name,
            "month": l10n.year_month(month_start),
        }
        return Mail(subject=subject, text=text, html=html)

    return weekly_mail_send(
        ProgramDigest,
        {"program_id": program_id, "month_start": month_start},
        readers=lambda: recipients(program),
        compose=compose,
    )


def program_digests_send_due(*, now: datetime | None = None) -> int:
    """For the beat: send every program's digest that is due and not sent (catching up after
    an outage, as the agencies' digests do)."""
    now = now or timezone.now()
    sent = 0
    for program in Program.objects.all():
        month_start, due = reported_month(program, now)
        sent_already = ProgramDigest.objects.filter(program=program, month_start=month_start, sent_at__isnull=False)
        if not due or sent_already.exists():
            # Every run: an agency that joined the program since gets its months within
            # minutes. (Sending publishes them itself.)
            months_published_by(program, now)
            continue
        try:
            if program_digest_send(program_id=program.pk, month_start=month_start):
                sent += 1
        except NotYetPublished:
            continue
    return sent
