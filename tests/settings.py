"""Test settings: the production module, with a fast hasher and an in-memory mail outbox."""

from __future__ import annotations

import os
import uuid

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DEBUG", "false")

from deflection.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
# Tests read static files from the source folders; no collectstatic needed.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Lockouts need the request at authentication, which the test client's login() does not
# pass; the lockout tests (tests/test_signin_lockout.py) turn django-axes back on.
AXES_ENABLED = False
# The cast signs in with a password only; tests/test_signin_two_factor.py turns it on.
REQUIRE_TWO_FACTOR = False
# A second PostgreSQL database stands in for the read replica in tests/test_read_replica.py
# (created only for the tests that ask for it, which make it a copy of the primary: its tables
# come from the models, not the migrations); everywhere else reports read the primary.
_primary = DATABASES["default"]  # noqa: F405
if _primary["ENGINE"].endswith("postgresql"):
    DATABASES["replica"] = {**_primary, "NAME": f"{_primary['NAME']}_replica", "TEST": {"MIGRATE": False}}  # noqa: F405
READ_REPLICA = "default"
# Webhooks may be http in tests (their receivers are local servers; the tests that check the
# address rules set what they need).
WEBHOOK_ALLOW_HTTP = True
# Each test process keeps what it caches in Redis under a prefix of its own: the suite's two
# processes (pytest-xdist), and any other run at the same time, number their agencies, users
# and integration clients alike in their own test databases.
if "KEY_PREFIX" in CACHES["shared"]:  # noqa: F405
    CACHES["shared"]["KEY_PREFIX"] = f"{CACHES['shared']['KEY_PREFIX']}-test-{uuid.uuid4().hex[:12]}"  # noqa: F405
