"""The Celery app. Tasks live in each app's tasks.py and are discovered by name."""

from __future__ import annotations

import os
from pathlib import Path
from smtplib import SMTPException

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deflection.settings")

# The tasks that send mail: an SMTP or network error retries with backoff, and a worker
# killed mid-task leaves the message to another (acks_late); their sweeps are safe to rerun.
# The longest wait before a retry counts towards the broker's visibility_timeout (settings).
MAIL_TASK_OPTIONS = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 10,
    "acks_late": True,
}

app = Celery("deflection")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs) -> None:
    # The embedded filesystem broker needs its folders before the first message.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
