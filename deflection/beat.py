"""The beat scheduler: django-celery-beat's, installing deflection/schedules.py once.

The stock DatabaseScheduler writes the code's schedules over the database's on every
start, so a change an administrator made in the admin would be undone by the next
restart. This one adds only the schedules the database does not have yet.
"""

from __future__ import annotations

from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler


class Scheduler(DatabaseScheduler):
    def setup_schedule(self) -> None:
        self.install_default_entries(self.schedule)
        wanted = self.app.conf.beat_schedule
        present = set(PeriodicTask.objects.filter(name__in=list(wanted)).values_list("name", flat=True))
        self.update_from_dict({name: entry for name, entry in wanted.items() if name not in present})
