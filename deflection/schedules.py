"""Every periodic schedule, in one place.

django-celery-beat's DatabaseScheduler copies these into the database at start-up,
where an administrator can see and change them in the admin (Periodic tasks).
"""

from __future__ import annotations

import os

# Minutes between follow-up reminder sweeps (REMINDER_SWEEP_MINUTES, default 15).
REMINDER_SWEEP_MINUTES = int(os.environ.get("REMINDER_SWEEP_MINUTES", "15"))

BEAT_SCHEDULE: dict[str, dict] = {
    "follow-up-reminders": {
        "task": "referrals.tasks.send_follow_up_reminders",
        "schedule": REMINDER_SWEEP_MINUTES * 60.0,
        "options": {"expires": REMINDER_SWEEP_MINUTES * 60.0},
    },
}
