"""WSGI entry point (gunicorn deflection.wsgi:application)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deflection.settings")

application = get_wsgi_application()

if not (settings.SECRET_KEY_IS_SET or settings.DEBUG or settings.DEMO_MODE):
    # Serving with a throwaway key would sign sessions no other process can read.
    raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for development).")
