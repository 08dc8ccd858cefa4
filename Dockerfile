# syntax=docker/dockerfile:1
# Production image for Deflection: one image runs web (gunicorn), the Celery
# workers, Celery beat and the one-shot migrate job (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Unprivileged user that owns the code and runs every process. It owns /app
# itself too, so collectstatic can create /app/staticfiles.
RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app \
    && chown app:app /app

# WeasyPrint (the printable consent form) needs Pango and a font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first so this layer is cached across code changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=app:app . .

USER app

# Collect static files (vendored Bootstrap/htmx/Chart.js included) into the
# image. These values exist only for this build step; the real ones come from
# the runtime environment (docker-compose.yml). collectstatic does not touch
# the database, the broker or the mail server.
RUN SECRET_KEY=build-only \
    DEBUG=false \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/build-only.sqlite3 \
    REDIS_URL=redis://localhost:6379/0 \
    EMAIL_URL=consolemail:// \
    python manage.py collectstatic --noinput

EXPOSE 8000

# Processes, threads and timeouts from the environment (gunicorn.conf.py).
CMD ["gunicorn", "deflection.wsgi:application", "--config", "gunicorn.conf.py"]
