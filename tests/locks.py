"""Two writers at once, on PostgreSQL: the first holds its row locks while the second tries."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection, transaction


def while_held(hold: Callable[[], object], then: Callable[[], object]) -> tuple[object, object]:
    """Run `hold` in a transaction kept open (its row locks held) half a second after it
    returns, and meanwhile, in another thread, `then`: what each returned (or raised)."""
    held = threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                outcome["first"] = hold()
                held.set()
                threading.Event().wait(0.5)  # the second one tries now, and waits on the lock
        except Exception as error:
            outcome["first"] = error
        finally:
            held.set()
            connection.close()

    def second() -> None:
        held.wait(5)
        try:
            outcome["second"] = then()
        except Exception as error:
            outcome["second"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return outcome.get("first"), outcome.get("second")
