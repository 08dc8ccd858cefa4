"""Settings for Deflection, read from the environment.

One module for every deployment. With nothing set, the app runs on SQLite with a
filesystem Celery broker (the "embedded default"), so one can check out the code
and it works. DATABASE_URL switches to PostgreSQL, REDIS_URL to Redis.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is convenient in development; production sets real variables.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Demo mode: the embedded demo that `make run` starts (demo data, relaxed checks).
DEMO_MODE = env.bool("DEMO_MODE", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
# The web app refuses to serve without a real key unless DEBUG or DEMO_MODE (see wsgi.py);
# management commands (migrate, makemigrations --check) may run with a throwaway one.
SECRET_KEY_IS_SET = bool(SECRET_KEY)
if not SECRET_KEY:
    SECRET_KEY = (
        "insecure-development-key-do-not-use-in-production"  # noqa: S105 (development and demo only)
        if (DEBUG or DEMO_MODE)
        else secrets.token_urlsafe(50)
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI's files, shipped in a package and served from static (no CDN).
    "drf_spectacular_sidecar",
    "deflection",
    "accounts",
    "partners",
    "referrals",
    "buyin",
    "reports",
    "api",
]

MIDDLEWARE = [
    # Before everything: the probes answer the orchestrator by any address, over plain HTTP.
    "deflection.health.HealthMiddleware",
    # First: the client's address behind trusted proxies, for the audit trail and the lockout.
    "deflection.proxy.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, but a request that finds no session under its cookie leaves the cookie alone.
    "accounts.sessions.SessionMiddleware",
    # The browser's language (Accept-Language, or the language cookie) until the user is
    # known; UserLanguageMiddleware below puts the signed-in user's own choice over it.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Right after the user is known, so that it marks every answer given to them, the
    # redirects and refusals of the middleware below included.
    "deflection.middleware.NoStoreForSignedInMiddleware",
    "deflection.middleware.UserLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "deflection.middleware.AgencyTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.sessions.IdleSessionMiddleware",
    "accounts.twofactor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "deflection.urls"
WSGI_APPLICATION = "deflection.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "deflection.context_processors.deployment",
                "deflection.context_processors.navigation",
                "buyin.context_processors.menu",
            ],
        },
    },
]

# Two PostgreSQL roles (see deflection/database_roles.py): DATABASE_URL is the app's, which
# owns nothing and cannot empty or alter the access record; MIGRATE_DATABASE_URL is the
# tables' owner, given only to the process that runs `migrate`. With it set, this process
# connects as the owner and, after migrating, grants the app's role (DATABASE_URL's user)
# what the app needs. Never give it to the web app or the workers.
_APP_DATABASE = env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
MIGRATE_DATABASE_URL = env.str("MIGRATE_DATABASE_URL", default="")
DATABASES = {
    "default": env.db_url_config(MIGRATE_DATABASE_URL) if MIGRATE_DATABASE_URL else _APP_DATABASE,
}
DATABASE_APP_ROLE = _APP_DATABASE.get("USER", "") if MIGRATE_DATABASE_URL else ""
if MIGRATE_DATABASE_URL and any(
    DATABASES["default"].get(key) != _APP_DATABASE.get(key) for key in ("ENGINE", "NAME", "HOST", "PORT")
):
    # Granting in one database and serving from another would leave the app without access.
    raise ImproperlyConfigured("MIGRATE_DATABASE_URL and DATABASE_URL must name the same database.")
# Connections are reused for CONN_MAX_AGE seconds (0: one per request), checked before reuse.
# Each gunicorn thread and each Celery process holds one: see "Capacity" in README.md.
_CONNECTION = {
    "ATOMIC_REQUESTS": False,
    "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
    "CONN_HEALTH_CHECKS": True,
}
DATABASES["default"].update(_CONNECTION)
# An optional read replica (a streaming standby of the primary). Only reads inside
# deflection.replica.from_replica() go there, explicitly: dashboards, exports and the digest,
# which may lag by the replication delay; every write, the access record and every page that
# must be current use the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {**env.db_url_config(DATABASE_REPLICA_URL), **_CONNECTION}
# The alias that reports read from: the replica when there is one.
READ_REPLICA = "replica" if DATABASE_REPLICA_URL else "default"
DATABASE_ROUTERS = ["deflection.replica.PrimaryRouter"]
for _database in DATABASES.values():
    if _database["ENGINE"].endswith("postgresql"):
        # A database that does not answer fails the connection in seconds, not minutes.
        _database.setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
        )
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite: wait for a writer instead of failing at once (web and worker share the file).
    # Transactions take the write lock when they begin: a transaction that read first and
    # then wrote while another wrote would fail at once with "database is locked", whatever
    # the timeout (the demo worker's reminder sweep and digest did, at start-up).
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
    # The reports' covering indexes (INCLUDE columns) are for PostgreSQL at scale; SQLite
    # makes them plain indexes, which is all the embedded default needs: no warning for it.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "deflection.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "deflection.backends.UserBackend",
]

# Argon2 for new and changed passwords; the others only so that older hashes still verify
# (each is rehashed with Argon2 at its owner's next sign-in).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# Lockout: 5 failed sign-ins for one username from one address stop that pair for 15 minutes
# (a fixed 15: trying again meanwhile does not restart the clock). Another user at the same
# address, or the same user elsewhere, can still sign in. Every failure is kept in
# AccessFailureLog; the admin shows them read-only and may delete an attempt to unlock early.
# The address is REMOTE_ADDR, as for the audit trail: behind a proxy, have it pass the client's.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]
# accounts/admin.py registers axes' rows read-only.
AXES_ENABLE_ADMIN = False
# Whom a locked-out or lost user should call, on the lockout and two-factor pages.
SIGN_IN_HELP = env.str("SIGN_IN_HELP", default="")
# Failed sign-ins from one address, whatever the usernames, within AXES_COOLOFF_TIME after
# which sign-in from that address pauses (one password tried on many accounts).
SIGN_IN_ADDRESS_LIMIT = env.int("SIGN_IN_ADDRESS_LIMIT", default=30)

# Two-factor sign-in (accounts/twofactor.py): required of command staff and program
# administrators whenever DEBUG is off; with DEBUG on (development, the demo that `make run`
# starts) only if REQUIRE_TWO_FACTOR says so. Offered to everyone either way.
REQUIRE_TWO_FACTOR = env.bool("REQUIRE_TWO_FACTOR", default=False) if DEBUG else True
OTP_TOTP_ISSUER = "Deflection"
# The admin may delete a lost phone's device, never read its key.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and numbers as each language writes them here (deflection/formats/): 24-hour times
# for both, and Spanish with the decimal point and thousands comma used in Arizona and Mexico.
FORMAT_MODULE_PATH = ["deflection.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="America/Phoenix")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve straight from the source folders when there is no collectstatic (development, demo).
WHITENOISE_USE_FINDERS = DEBUG or DEMO_MODE

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: console in development unless EMAIL_URL says otherwise.
# In the embedded demo, mail lands in var/mail where a new user can read it (and on the
# demo's mail page); elsewhere the console, unless EMAIL_URL says otherwise.
_email = env.email_url("EMAIL_URL", default="filemail://" if DEMO_MODE else "consolemail://")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
# Seconds an SMTP connection may wait for the server at each step. Without it, a server that
# accepts the connection and never answers holds a worker for as long as it likes.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Deflection <deflection@localhost>")

# Sessions and cookies. A session ends after this long without activity (CJIS: 30 minutes at
# most); the partner queue's automatic refresh is not activity (accounts/sessions.py).
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_MINUTES", default=30) * 60
# The cookie and the session row outlive the limit by a little, so that the middleware, not
# the cookie's expiry, ends the session and can tell the user why; both are pushed ahead
# whenever the middleware records activity.
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS + 5 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG and not DEMO_MODE
CSRF_COOKIE_SECURE = not DEBUG and not DEMO_MODE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if (DEBUG or DEMO_MODE) else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Allows submitting the domain to browsers' preload list (only the owner of a whole domain can).
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
# No script reads the CSRF cookie: forms and htmx send the token from the page.
CSRF_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: no inline script or style anywhere in the app (JavaScript lives in
# static/, vendored). Charts and the digest preview use data: images. The admin is Django's
# own, with inline styles of its own: it is left out for now. The service worker and the web
# app manifest come from the app itself (deflection/offline.py), said outright.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# Reverse proxies in front of the app (each appends to X-Forwarded-For). 0: reached
# directly, and forwarded headers, which anyone can send, are ignored (deflection/proxy.py).
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
if PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Celery. REDIS_URL switches the broker to Redis; without it a filesystem broker
# needs no server, so `make run` works on a bare machine.
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = Path(env.str("BROKER_DIR", default=str(BASE_DIR / "var" / "broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        # A task taken by a worker that died without acknowledging it (acks_late) is handed
        # out again after this long. It must outlast the longest a live task can hold its
        # message: its hard time limit plus the longest retry countdown (a retry waits in the
        # worker, unacknowledged). Longer only delays the redelivery; shorter would run a
        # task twice at once. tests/test_task_queues.py checks it against every task.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=30 * 60),
        "socket_connect_timeout": 5,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_TIMEOUT = 5
# Queues by kind, each served by its own workers in production (docker-compose.yml), so that
# a long rollup rebuild, purge or export never delays a follow-up reminder. A worker started
# without -Q (the embedded default, `make run`) serves them all.
CELERY_TASK_QUEUES = {name: {"exchange": name, "routing_key": name} for name in ("reminders", "mail", "batch")}
CELERY_TASK_DEFAULT_QUEUE = "batch"
# Soft and hard time limits (seconds) of each queue's tasks: at the soft one the task stops
# where it is (a sweep picks up the rest at its next run), at the hard one the process is
# killed. A mail task waits at most EMAIL_TIMEOUT per step of the conversation.
TASK_TIME_LIMITS = {"reminders": (240, 300), "mail": (240, 300), "batch": (1140, 1200)}
TASK_QUEUE = {
    "referrals.tasks.send_follow_up_reminders": "reminders",
    "referrals.tasks.sweep_held_charges": "reminders",
    "partners.tasks.send_partner_next_step_reminders": "reminders",
    "reports.tasks.send_weekly_digests": "mail",
    "reports.tasks.send_digest": "mail",
    "reports.tasks.send_roll_call_briefings": "mail",
    "buyin.tasks.sweep_pulse_surveys": "mail",
    "buyin.tasks.send_commendation_email": "mail",
    "buyin.tasks.tell_suggestion_author": "mail",
    "referrals.tasks.send_charge_notice": "mail",
    "api.tasks.scan_webhook_events": "mail",
    "api.tasks.deliver_webhook": "mail",
    "reports.tasks.detect_milestones": "batch",
    "reports.tasks.refresh_rollups": "batch",
    "reports.tasks.rebuild_rollups": "batch",
    "referrals.tasks.purge_expired_identities": "batch",
}
CELERY_TASK_ROUTES = {name: {"queue": queue} for name, queue in TASK_QUEUE.items()}
CELERY_TASK_ANNOTATIONS = {
    name: {"soft_time_limit": TASK_TIME_LIMITS[queue][0], "time_limit": TASK_TIME_LIMITS[queue][1]}
    for name, queue in TASK_QUEUE.items()
}
# Any task not listed above: the batch queue's limits.
CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT = TASK_TIME_LIMITS["batch"]
# A claimed mail's rows are left to another sender only after this long (deflection/claims.py):
# longer than any live sender can hold them (the hard time limit of the mail tasks).
MAIL_CLAIM_SECONDS = max(TASK_TIME_LIMITS["reminders"][1], TASK_TIME_LIMITS["mail"][1]) + 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "deflection.beat:Scheduler"
# Every periodic schedule is defined in deflection/schedules.py.
from deflection.schedules import BEAT_SCHEDULE as CELERY_BEAT_SCHEDULE  # noqa: E402,F401

# Caches. What every web process must see alike lives in the "shared" cache: the API's rate
# limits, the forms that show a secret once (api.forms.SentOnceForm) and each agency's wins
# (reports.highlights). It is Redis (CACHE_URL, by default REDIS_URL); without it each process
# keeps its own, which is what the embedded default (one process) needs.
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="deflection"),
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared"}
    ),
}

# The REST API (api/): integration clients only, by token (never a user's session), JSON only.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.IntegrationTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsIntegrationClient"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.BurstThrottle", "api.throttling.SustainedThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    # No OPTIONS introspection: the OpenAPI description is the API's reference.
    "DEFAULT_METADATA_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests each integration client may make: a burst per minute and a day's total. Past
# either, the API answers 429 with Retry-After.
API_RATES = {
    "burst": env.str("API_RATE_BURST", default="120/minute"),
    "sustained": env.str("API_RATE_SUSTAINED", default="20000/day"),
}
# Webhooks to partners' record systems (api/webhooks): https only, to public addresses only,
# unless these say otherwise (in development, where the receiver tried is on the same laptop:
# http and loopback; in production, a private address where the partner's system is on the
# deployment's own network).
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=DEBUG)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=DEBUG)
SPECTACULAR_SETTINGS = {
    "TITLE": "Deflection API",
    "DESCRIPTION": (
        "The program's REST API for integration clients: an agency's records or dispatch system "
        "logs deflections and reads their status; a partner's record system works its referrals. "
        "Authenticate with the integration client's token: `Authorization: Bearer <token>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Request lines carry no client data: client search is a POST, ids are opaque.
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Program defaults.
DEFLECTION = {
    # Clients matched by search: how many suggestions to show an officer at most.
    "CLIENT_SEARCH_LIMIT": 8,
    "PAGE_SIZE": 25,
    # A follow-up due within this many hours is reminded ("due soon").
    "REMIND_AHEAD_HOURS": env.int("REMIND_AHEAD_HOURS", default=12),
    # `manage.py purge_expired` (nightly) removes the identity of a client with no activity
    # for this many days; their referrals stay, de-identified, in every figure.
    "CLIENT_RETENTION_DAYS": env.int("CLIENT_RETENTION_DAYS", default=7 * 365),
}
# The key of the evaluation export's pseudonymous ids. Keep it stable (ids change with
# it) and secret (with it and the database, ids could be matched to rows).
EXPORT_PSEUDONYM_KEY = env.str("EXPORT_PSEUDONYM_KEY", default="") or f"export:{SECRET_KEY}"

# Links in emails point here.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
