"""WSGI entry point (gunicorn deflection.wsgi:application)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deflection.settings")

application = get_wsgi_application()
