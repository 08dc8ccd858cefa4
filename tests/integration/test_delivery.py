"""Delivery with real services: a real Redis broker, real `celery worker` processes, a real
SMTP server (aiosmtpd) on localhost, and the pytest-django PostgreSQL test database.

What the unit tests (eager tasks, locmem mail) cannot show: that reminders and digests
go through the broker to a separate worker process and over SMTP exactly once, also
when a worker is killed mid-sweep, when a task runs twice at once, and when the broker
was down while a deflection was logged.
"""

from __future__ import annotations

import ast
import time
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from deflection.models import Agency, Program, User
from referrals import services
from referrals.models import FollowUp, Pathway, Referral
from reports.digest import reported_week
from reports.models import Digest, ProgramDigest
from tests.factories.core import UserFactory
from tests.factories.referrals import ClientFactory
from tests.integration.conftest import app_broker, other_sessions, wait_for, wait_for_worker_sessions_to_end
from tests.test_log_deflection import _form

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SWEEP = "referrals.tasks.send_follow_up_reminders"
DIGESTS = "reports.tasks.send_weekly_digests"
# Nothing listens on port 1: connections are refused at once.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def _case_manager(cast, partner=None) -> User:
    return UserFactory(role=User.Role.CASE_MANAGER, agency=None, partner=partner or cast.partner_y, badge_number="")


def _follow_up(cast, assignee: User, *, due_in: timedelta, partner=None) -> FollowUp:
    """A deflection logged and accepted through the services (accepting schedules the
    72-hour check for the acceptor), its check then moved to `now + due_in`."""
    person = ClientFactory.build()
    referral = services.referral_create(
        officer_user=cast.officer_a1,
        partner=partner or cast.partner_y,
        pathway=Pathway.OFFICER_PREVENTION,
        officer_minutes=30,
        new_client=services.NewClient(
            first_name=person.first_name, last_name=person.last_name, date_of_birth=person.date_of_birth
        ),
    ).referral
    services.referral_accept(referral_id=referral.pk, actor=assignee)
    follow_up = referral.follow_ups.get()
    FollowUp.objects.filter(pk=follow_up.pk).update(due_at=timezone.now() + due_in)
    return follow_up


def _value(logged: str) -> dict | int:
    return ast.literal_eval(logged)


def test_due_reminders_are_delivered_exactly_once(cast, smtp, workers, broker):
    """Two sweeps at once on a two-process worker, then a third: each assignee gets one
    message for everything due, the partner lead one, nobody a second."""
    mailbox, _port = smtp
    mailbox.rcpt_delay = 0.2  # the two concurrent sweeps overlap
    lead = _case_manager(cast)
    cast.partner_y.lead = lead
    cast.partner_y.save()
    managers = [cast.case_manager_y, _case_manager(cast), _case_manager(cast)]
    overdue = _follow_up(cast, managers[0], due_in=-timedelta(hours=3))
    soon = _follow_up(cast, managers[0], due_in=timedelta(hours=2))
    days_late = _follow_up(cast, managers[1], due_in=-timedelta(days=2))
    late = _follow_up(cast, managers[2], due_in=-timedelta(hours=1))
    not_due = _follow_up(cast, cast.case_manager_x, partner=cast.partner_x, due_in=timedelta(days=3))

    worker = workers(concurrency=2)
    at_once = [broker.send(SWEEP), broker.send(SWEEP)]
    results = [_value(worker.wait_succeeded(task_id)) for task_id in at_once]
    again = _value(worker.wait_succeeded(broker.send(SWEEP)))

    assert sum(r["reminded"] for r in results) == 4
    assert sum(r["leads"] for r in results) == 1
    assert again == {"reminded": 0, "leads": 0}
    for manager in managers:
        assert len(mailbox.to(manager.email)) == 1, mailbox.summary()
    assert len(mailbox.to(lead.email)) == 1, mailbox.summary()
    assert mailbox.to(cast.case_manager_x.email) == []
    assert len(mailbox.messages) == 4, mailbox.summary()
    first = mailbox.to(managers[0].email)[0]
    assert "2 follow-ups due, 1 overdue" in first.subject
    assert f"#{overdue.referral_id}" in first.body and f"#{soon.referral_id}" in first.body
    assert "http://deflection.test/" in first.body
    to_lead = mailbox.to(lead.email)[0]
    assert f"#{days_late.referral_id}" in to_lead.body and f"#{late.referral_id}" not in to_lead.body
    reminded = set(FollowUp.objects.filter(reminded_at__isnull=False).values_list("pk", flat=True))
    assert reminded == {overdue.pk, soon.pk, days_late.pk, late.pk}
    assert FollowUp.objects.get(pk=not_due.pk).reminded_at is None
    assert FollowUp.objects.get(pk=days_late.pk).lead_reminded_at is not None
    assert worker.problems() == []


def test_a_worker_killed_mid_sweep_loses_no_reminder_and_doubles_none(cast, smtp, workers, broker):
    """SIGKILL during the third of six messages (the server has not accepted it), then a
    fresh worker: every assignee gets exactly one message.

    What no SMTP design can close: a crash after the server answered 250 to DATA and
    before the worker's COMMIT marks the rows reminded. That message was delivered, the
    rows roll back and the next sweep sends it again. The window is the time from the
    server's 250 to the commit (milliseconds); this test kills outside it, during the
    RCPT of the next message, where the design promises no loss and no duplicate.
    """
    mailbox, _port = smtp
    mailbox.rcpt_delay = 0.3  # six assignees: the sweep takes seconds
    mailbox.hold_rcpt = 3  # the third message waits in RCPT TO until the worker is dead
    managers = [cast.case_manager_y, *(_case_manager(cast) for _ in range(5))]
    follow_ups = {m.email: _follow_up(cast, m, due_in=-timedelta(hours=1)) for m in managers}

    first = workers()
    broker.send(SWEEP)
    wait_for(mailbox.held.is_set, timeout=60, what="the sweep's third message", detail=first.tail)
    # Two messages accepted and committed (the sweep commits one assignee before it
    # starts the next); the third is in flight.
    assert len(mailbox.messages) == 2, mailbox.summary()
    first.kill()
    mailbox.release.set()
    # PostgreSQL rolls back the dead worker's open transaction: the third assignee's rows
    # are unlocked and not marked reminded.
    wait_for_worker_sessions_to_end()
    delivered = {r for m in mailbox.messages for r in m.recipients}
    marked = set(
        FollowUp.objects.filter(reminded_at__isnull=False).values_list("assigned_to__email", flat=True).distinct()
    )
    assert marked == delivered and len(delivered) == 2

    # The killed sweep's message stays unacknowledged (acks_late) until the broker's
    # visibility timeout; the next sweep (beat sends one every few minutes) does the rest.
    # The third assignee's rows stay claimed by the dead worker until the claim lapses
    # (MAIL_CLAIM_SECONDS, longer than any live sender may take): the next sweep leaves them.
    second = workers()
    assert _value(second.wait_succeeded(broker.send(SWEEP)))["reminded"] == 3
    claimed = FollowUp.objects.filter(mail_claimed_at__isnull=False)
    assert list(claimed.values_list("assigned_to__email", flat=True)) == [managers[2].email]
    # As when the claim has lapsed: a sweep then sends them.
    claimed.update(mail_claimed_at=F("mail_claimed_at") - timedelta(seconds=settings.MAIL_CLAIM_SECONDS))
    assert _value(second.wait_succeeded(broker.send(SWEEP)))["reminded"] == 1

    for manager in managers:
        assert len(mailbox.to(manager.email)) == 1, mailbox.summary()
    assert len(mailbox.messages) == len(managers)
    assert not FollowUp.objects.filter(pk__in=[f.pk for f in follow_ups.values()], reminded_at__isnull=True).exists()
    assert second.problems() == []


def _zone_where_the_digest_is_due(now: datetime) -> str:
    """A time zone in which the digest of last week is due now (Monday 07:00 has passed)
    and stays due for the test (not within 10 minutes of the next week). Phoenix and
    Tokyo are 16 hours apart: the 7-hour Monday morning gap cannot hold in both."""
    for name in ("America/Phoenix", "Asia/Tokyo"):
        local = now.astimezone(ZoneInfo(name))
        send_at = datetime.combine(local.date() - timedelta(days=local.weekday()), clock(7), tzinfo=local.tzinfo)
        next_week = send_at + timedelta(days=7) - timedelta(hours=7)
        if send_at + timedelta(minutes=10) <= local < next_week - timedelta(minutes=10):
            return name
    raise AssertionError("unreachable: one of the zones is always outside Monday morning")


def test_the_digest_is_delivered_once_although_the_task_runs_twice_at_once(cast, smtp, workers, broker):
    """send_weekly_digests twice at the same moment on two worker processes: while the
    first has claimed agency A's Digest and talks to the server, with no transaction open,
    the second leaves it to the first and finishes. One message per recipient, one sent
    Digest."""
    mailbox, _port = smtp
    mailbox.hold_data = 1  # the first digest waits in DATA until the second run is blocked
    now = timezone.now()
    zone = _zone_where_the_digest_is_due(now)
    # Every agency and program of the cast in that zone: every weekly digest is due at once.
    Agency.objects.update(timezone=zone)
    Program.objects.update(timezone=zone)
    cast.agency_a.refresh_from_db()
    week_start, due = reported_week(cast.agency_a, now)
    assert due
    # A deflection in the reported week: numbers in the digest and milestones to detect.
    services.referral_create(
        officer_user=cast.officer_a1,
        partner=cast.partner_y,
        pathway=Pathway.OFFICER_INTERVENTION,
        officer_minutes=30,
        occurred_at=datetime.combine(week_start + timedelta(days=2), clock(10), tzinfo=ZoneInfo(zone)),
        new_client=services.NewClient(first_name="Digest", last_name="Person"),
    )

    worker = workers(concurrency=2)
    runs = [broker.send(DIGESTS), broker.send(DIGESTS)]
    wait_for(mailbox.held.is_set, timeout=60, what="the first digest to reach DATA", detail=worker.tail)
    # The second run does not wait for the first: it is done while the first is still in DATA.
    wait_for(
        lambda: [task_id for task_id in runs if task_id in worker.succeeded()],
        timeout=60,
        what="the second run to finish while the first is in DATA",
        detail=worker.tail,
    )
    # Nobody sits in a transaction while the mail server talks.
    assert not [s for s in other_sessions() if s[1] == "idle in transaction"], other_sessions()
    mailbox.release.set()
    sent_counts = [_value(worker.wait_succeeded(task_id)) for task_id in runs]

    prefix = f"{cast.agency_a.name}: "
    of_a = [m for m in mailbox.messages if m.subject.startswith(prefix)]
    assert len(of_a) == 1, mailbox.summary()
    readers = [cast.command_a.email, cast.admin.email, cast.program_admin.email]
    assert sorted(of_a[0].recipients) == sorted(readers)
    digests = Digest.objects.filter(agency=cast.agency_a)
    assert digests.count() == 1
    assert digests.get().sent_at is not None and digests.get().week_start == week_start
    # Every digest went out once (agency B's to the program admin too, each program's to its
    # coordinator), and the two runs together sent exactly the digests there are (which run
    # sent which may vary: after agency A, the second run may take agency B first).
    sent = Digest.objects.filter(sent_at__isnull=False).count()
    sent += ProgramDigest.objects.filter(sent_at__isnull=False).count()
    assert len(mailbox.messages) == sent == sum(sent_counts)
    for recipient in readers:
        assert len([m for m in of_a if recipient in m.recipients]) == 1
    assert worker.problems() == []


def test_a_deflection_logged_while_the_broker_is_down_is_reminded_after_it_returns(cast, smtp, workers, redis_url):
    """The officer's save never waits on the broker; the follow-up sweep (beat) finds
    the follow-up once a worker and the broker are back."""
    mailbox, _port = smtp
    with app_broker(UNREACHABLE_BROKER) as app:
        # The test process really cannot reach its broker.
        with pytest.raises(OperationalError), app.connection_for_write() as broker_connection:
            broker_connection.ensure_connection(max_retries=1)
        officer = cast.login("officer_a1")
        started = time.monotonic()
        response = officer.post("/log/", _form(cast))
        elapsed = time.monotonic() - started
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert response["Location"] == f"/referrals/{referral.pk}/"
    assert elapsed < 10, f"logging a deflection took {elapsed:.1f}s with the broker down"

    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    follow_up = referral.follow_ups.get()
    FollowUp.objects.filter(pk=follow_up.pk).update(due_at=timezone.now() - timedelta(hours=1))

    # The broker returns: a worker with its embedded beat, sweeping every 3 seconds.
    worker = workers(beat=True, env={"REMINDER_SWEEP_MINUTES": "0.05"})
    address = cast.case_manager_y.email
    wait_for(lambda: mailbox.to(address), timeout=60, what=f"the reminder to {address}", detail=worker.tail)
    message = mailbox.to(address)[0]
    assert "1 follow-up due, 1 overdue" in message.subject
    assert f"#{referral.pk}" in message.body
    assert "Lorenzo" not in message.body and "Abernathy" not in message.body
    # One more sweep after the delivery sends nothing twice.
    swept = len(worker.succeeded(SWEEP))
    wait_for(lambda: len(worker.succeeded(SWEEP)) > swept, timeout=30, what="another beat sweep", detail=worker.tail)
    assert len(mailbox.to(address)) == 1, mailbox.summary()
    assert FollowUp.objects.get(pk=follow_up.pk).reminded_at is not None
    assert worker.problems() == []


def test_a_mail_server_that_stops_answering_mid_sweep_holds_up_no_other_queue(cast, smtp, workers, broker):
    """The server accepts two reminders, then stops answering (the connection stays open,
    nothing comes back). The reminders worker gives up on each message after EMAIL_TIMEOUT,
    holding no transaction meanwhile; the batch worker's rollups and milestones run on; when
    the server answers again, every reminder goes out once."""
    mailbox, _port = smtp
    mailbox.stall_from_rcpt = 3
    managers = [cast.case_manager_y, *(_case_manager(cast) for _ in range(4))]
    follow_ups = [_follow_up(cast, m, due_in=-timedelta(hours=1)) for m in managers]
    quick = {"EMAIL_TIMEOUT": "2"}
    reminders = workers(queues="reminders", env=quick)
    batch = workers(queues="batch", env=quick)

    sweep = broker.send(SWEEP)
    wait_for(mailbox.held.is_set, timeout=60, what="the sweep's third message", detail=reminders.tail)
    assert len(mailbox.messages) == 2, mailbox.summary()
    # While the server is silent: no worker sits in a transaction, and the other queue runs.
    for task in ("reports.tasks.refresh_rollups", "reports.tasks.detect_milestones"):
        batch.wait_succeeded(broker.send(task), timeout=30)
        assert not [s for s in other_sessions() if s[1] == "idle in transaction"], other_sessions()
    # Each of the last three messages timed out, its claim released; the task waits to retry.
    wait_for(lambda: " retry: " in reminders.text(), timeout=60, what="the sweep to retry", detail=reminders.tail)
    # The retry's jittered countdown may be near zero, so its own first claim can be held at
    # this moment; a claim the first run failed to release would be held for good.
    wait_for(
        lambda: not FollowUp.objects.filter(mail_claimed_at__isnull=False).exists(),
        timeout=60,
        what="every claim released",
        detail=reminders.tail,
    )
    assert FollowUp.objects.filter(reminded_at__isnull=True).count() == 3

    mailbox.recovered.set()
    # A new sweep and the first one's retry, whichever runs first, send the rest between them
    # (the retry's countdown may end before the new sweep is picked up); the other finds nothing.
    fresh = _value(reminders.wait_succeeded(broker.send(SWEEP)))["reminded"]
    # Up to the third retry's countdown (backoff 30 s doubling, jittered), had two run meanwhile.
    retried = _value(reminders.wait_succeeded(sweep, timeout=150))["reminded"]
    assert sorted([fresh, retried]) == [0, 3]
    for manager in managers:
        assert len(mailbox.to(manager.email)) == 1, mailbox.summary()
    assert len(mailbox.messages) == len(managers)
    assert not FollowUp.objects.filter(pk__in=[f.pk for f in follow_ups], reminded_at__isnull=True).exists()
    assert batch.problems() == []
