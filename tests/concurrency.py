"""Two sweeps at the same moment, for the tests that prove a reminder goes out once: a mail
server slow enough that they overlap, and the two runs, each on its own connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

# settings.EMAIL_BACKEND for the test.
SLOW_BACKEND = "tests.concurrency.SlowBackend"


class SlowBackend(BaseEmailBackend):
    """A mail server that takes its time, so that two sweeps overlap."""

    sent: list = []

    def send_messages(self, messages):
        time.sleep(0.5)
        SlowBackend.sent.extend(messages)
        return len(messages)


def twice_at_once(sweep: Callable[[], int]) -> list[int]:
    """Run `sweep` in two threads at once; what each returned, smallest first."""
    SlowBackend.sent = []
    counts: list[int] = []

    def run() -> None:
        try:
            counts.append(sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return sorted(counts)
