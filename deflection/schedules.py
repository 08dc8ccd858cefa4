"""Every periodic schedule, in one place.

django-celery-beat's DatabaseScheduler copies these into the database at start-up,
where an administrator can see and change them in the admin (Periodic tasks).
"""

from __future__ import annotations

import os

from celery.schedules import crontab

# Minutes between the reminder sweeps: follow-ups, partners' next steps, held charges
# (REMINDER_SWEEP_MINUTES, default 15; the demo and the integration tests use less,
# fractions allowed).
REMINDER_SWEEP_MINUTES = float(os.environ.get("REMINDER_SWEEP_MINUTES", "15"))
# Seconds between scans of casework's changes for partners' webhooks (WEBHOOK_SCAN_SECONDS,
# default 60): a partner's system hears of a change within about this long.
WEBHOOK_SCAN_SECONDS = float(os.environ.get("WEBHOOK_SCAN_SECONDS", "60"))
# Minutes between checks for a due weekly digest (DIGEST_CHECK_MINUTES, default 10).
DIGEST_CHECK_MINUTES = float(os.environ.get("DIGEST_CHECK_MINUTES", "10"))


def _every(task: str, seconds: float) -> dict:
    """A task run every `seconds`; a run still waiting for a worker when the next is due
    expires, as the next one does its work."""
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


BEAT_SCHEDULE: dict[str, dict] = {
    "follow-up-reminders": _every("referrals.tasks.send_follow_up_reminders", REMINDER_SWEEP_MINUTES * 60.0),
    # Partners' next steps, to the program administrators on the morning each is due
    # (in the partner's program's time zone; reminded once, partners/reminders.py).
    "partner-next-steps": _every("partners.tasks.send_partner_next_step_reminders", REMINDER_SWEEP_MINUTES * 60.0),
    # Held charges: decided once their deadline day has ended, the notices their consents
    # allow emailed, and deadlines reminded at 07:00, all in each agency's time zone: the
    # sweep is frequent, and each decision, notice and reminder happens once
    # (referrals/charge_reminders.py).
    "held-charges": _every("referrals.tasks.sweep_held_charges", REMINDER_SWEEP_MINUTES * 60.0),
    # Quick wins are noticed within minutes of the casework that makes them.
    "detect-milestones": _every("reports.tasks.detect_milestones", 5 * 60.0),
    # Each agency's digest goes out at the first check after Monday 07:00 in its own time
    # zone. Each program's (to its regional coordinators) publishes the month that ended and
    # goes out after 07:00 on the first Monday of the next, in the program's (time zones
    # differ, so the check is frequent; a sent digest is never resent).
    "weekly-digests": _every("reports.tasks.send_weekly_digests", DIGEST_CHECK_MINUTES * 60.0),
    # Each unit's roll-call briefing goes to its supervisors at the same moment as the digest
    # (reports/briefing.py; a sent briefing is never resent).
    "roll-call-briefings": _every("reports.tasks.send_roll_call_briefings", DIGEST_CHECK_MINUTES * 60.0),
    # Pulse survey waves open at midnight and remind at 09:00 in each agency's time zone: the
    # sweep is frequent, and each invitation and reminder goes once (buyin/services/pulse.py).
    "pulse-surveys": _every("buyin.tasks.sweep_pulse_surveys", DIGEST_CHECK_MINUTES * 60.0),
    # The dashboards' per-day rollups take in casework's changes every minute: dashboards
    # only read them (and say up to when they are counted); a nightly rebuild also takes in
    # admin edits.
    "refresh-rollups": _every("reports.tasks.refresh_rollups", 60.0),
    "rebuild-rollups": {
        "task": "reports.tasks.rebuild_rollups",
        "schedule": crontab(hour=3, minute=30),
    },
    # Partners' record systems are pushed their referrals' changes (api/webhooks): new case
    # events become signed deliveries, retried with backoff until they arrive.
    "webhook-deliveries": _every("api.tasks.scan_webhook_events", WEBHOOK_SCAN_SECONDS),
    # Client identities go after CLIENT_RETENTION_DAYS without activity (referrals/purge.py).
    "purge-expired-identities": {
        "task": "referrals.tasks.purge_expired_identities",
        "schedule": crontab(hour=2, minute=45),
    },
}
