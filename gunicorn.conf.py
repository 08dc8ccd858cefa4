"""Gunicorn's settings, from the environment (docker-compose.yml passes them; README "Capacity").

Threads: a request spends most of its time waiting on PostgreSQL, so each process serves
several at once. Each thread holds its own database connection (CONN_MAX_AGE): the web
service needs WEB_CONCURRENCY x WEB_THREADS connections per replica.
"""

from __future__ import annotations

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")  # noqa: S104 (inside the container; compose publishes it on 127.0.0.1)
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
# A request still running after this long is abandoned and its worker restarted.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30
# Behind the proxy, which keeps its connections to us open between requests.
keepalive = 5
# Each process is replaced after about this many requests: memory a long life gathers goes.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
# Request lines carry no client data (searches are POSTs, ids are opaque).
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
