"""Every periodic schedule, in one place.

django-celery-beat's DatabaseScheduler copies these into the database at start-up,
where an administrator can see and change them in the admin.
"""

from __future__ import annotations

BEAT_SCHEDULE: dict[str, dict] = {}
