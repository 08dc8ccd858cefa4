"""Push for partners' record systems: a signed POST to the system's URL when one of its
referrals changes, carrying the Task's reference and status only (the system then reads the
Task with its token, as the SDOH Clinical Care guide's id-only notifications have it).

Where changes come from: the case events casework writes. A periodic scan of them
(api.tasks.scan_webhook_events, every minute) makes one delivery per event and subscriber,
rather than a signal at commit: a scan reads what is committed, so a worker or broker that
was down loses nothing (the next scan starts where the last ended, less a margin), casework
never waits on the broker, and referrals knows nothing of the API. A delivery is sent at
least once: retried with backoff until the receiver answers 2xx, with the same idempotency
key and body every time.
"""
