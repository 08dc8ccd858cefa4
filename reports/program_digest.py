"""The program's weekly digest: Monday 07:00 in the program's time zone, to its regional
coordinators, every agency beside the others and the whole (reports/program.py's rules:
every count from 1 to 10 as "<11", none recoverable from the whole).

Exactly once, as the agencies' digests (reports/digest.py): the ProgramDigest row is unique
per program and week, claimed while it is sent (outside any transaction) and marked sent only
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
from deflection.replica import from_replica
from reports.digest import TREATED_MONTHS, Mail, week_due, weekly_mail_send
from reports.models import ProgramDigest
from reports.program import RULE_NOTE, program_table, program_zone, week_bounds


def reported_week(program: Program, now: datetime) -> tuple[date, bool]:
    """The week the digest reports (the last full Monday-to-Sunday week, on the program's
    calendar) and whether it is due (from Monday 07:00 there)."""
    return week_due(program_zone(program), now)


def recipients(program: Program) -> list[tuple[str, list[str]]]:
    """The program's regional coordinators (command staff of the program, without an agency),
    grouped by their language."""
    return l10n.addresses_by_language(
        User.objects.filter(is_active=True, role=User.Role.COMMAND, program=program, agency__isnull=True)
    )


def program_digest_context(*, program: Program, week_start: date) -> dict:
    """What the program's weekly digest shows its regional coordinators: each agency's week in one table."""
    start, end = week_bounds(program, week_start)
    return {
        "program": program,
        "week_start": week_start,
        "week_end": week_start + timedelta(days=6),
        # The partners' records: the three months that had ended when the week did.
        "table": program_table(program=program, start=start, end=end, months=TREATED_MONTHS, before=end),
        "program_url": settings.SITE_URL.rstrip("/") + reverse("reports:program"),
        "rule_note": RULE_NOTE,
    }


def program_digest_send(*, program_id: int, week_start: date) -> ProgramDigest | None:
    """Send one program's digest for one week, once. Returns it, or None if it was sent already."""
    program = Program.objects.get(pk=program_id)

    def compose() -> Mail:
        with from_replica():
            context = program_digest_context(program=program, week_start=week_start)
            text = render_to_string("reports/program_digest_email.txt", context)
            html = render_to_string("reports/program_digest_email.html", context)
        subject = _("%(program)s: the agencies' week of %(date)s") % {
            "program": program.name,
            "date": l10n.month_day(week_start),
        }
        return Mail(subject=subject, text=text, html=html)

    return weekly_mail_send(
        ProgramDigest,
        {"program_id": program_id, "week_start": week_start},
        readers=lambda: recipients(program),
        compose=compose,
    )


def program_digests_send_due(*, now: datetime | None = None) -> int:
    """For the beat: send every program's digest that is due and not sent (catching up after
    an outage, as the agencies' digests do)."""
    now = now or timezone.now()
    sent = 0
    for program in Program.objects.all():
        week_start, due = reported_week(program, now)
        sent_already = ProgramDigest.objects.filter(program=program, week_start=week_start, sent_at__isnull=False)
        if not due or sent_already.exists():
            continue
        if program_digest_send(program_id=program.pk, week_start=week_start):
            sent += 1
    return sent
