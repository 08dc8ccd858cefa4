"""Integration fixtures: a real Redis, real Celery worker processes and a real SMTP server.

The worker runs the production settings module (deflection.settings) in its own process
group against the pytest-django test database, so tests use transactional_db (the worker
sees only committed rows). Outside CI the tests skip without PostgreSQL or Redis; under
CI (CI=true) they fail instead, so a missing service never passes silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import fcntl
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from aiosmtpd.controller import Controller
from celery import Celery
from django.db import connection
from kombu import pools as kombu_pools

from deflection.celery import app as celery_app
from tests.conftest import IN_CI

BASE_DIR = Path(__file__).resolve().parents[2]
# A Redis database of its own, emptied before and after each test.
REDIS_DB = int(os.environ.get("INTEGRATION_REDIS_DB", "13"))
# Every wait is bounded: generous for a loaded CI machine, short enough to fail readably.
WORKER_READY_SECONDS = 60.0
TASK_SECONDS = 60.0
# Another integration test holds the broker's database for a minute or two at most.
LOCK_SECONDS = 600.0
SUCCEEDED = re.compile(r"Task (?P<name>[\w.]+)\[(?P<id>[0-9a-f-]+)\] succeeded in [\d.e-]+s: (?P<value>.*)$", re.M)


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, detail: Callable[[], str] = str) -> object:
    """Poll `condition` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f}s waiting for {what}.\n{detail()}")
        time.sleep(0.05)


# --- requirements: PostgreSQL and Redis, skipped outside CI, failed under CI ----------


def _redis_url() -> str | None:
    base = os.environ.get("REDIS_URL", "")
    if not base.startswith(("redis://", "rediss://")):
        return None
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", "", ""))


def _missing() -> str | None:
    if connection.vendor != "postgresql":
        return (
            "integration tests need PostgreSQL (set DATABASE_URL=postgres://...): "
            f"the database is {connection.vendor}, which a worker process cannot share"
        )
    url = _redis_url()
    if url is None:
        return "integration tests need Redis: set REDIS_URL=redis://host:port/db"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"integration tests need Redis at {url}: {error}"
    return None


@pytest.fixture(autouse=True)
def services_available() -> None:
    """First, before any data is made: skip (or under CI fail) without the services."""
    reason = _missing()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"CI=true and the integration services are missing: {reason}", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def _redis_database_to_ourselves(url: str) -> Iterator[None]:
    """Hold the broker's Redis database alone: every integration test empties it and starts
    workers on it, so two at once (the suite's two processes, or two runs on one machine)
    would take each other's tasks. A lock file per database, which the system releases if
    the process dies."""
    parts = urlsplit(url)
    where = f"{parts.hostname}-{parts.port or 6379}-{parts.path.strip('/')}"
    with open(Path(tempfile.gettempdir()) / f"deflection-integration-{where}.lock", "w") as lock:

        def taken() -> bool:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        wait_for(taken, timeout=LOCK_SECONDS, what=f"another integration test to leave Redis {where} (its lock file)")
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def redis_url(services_available) -> Iterator[str]:
    import redis

    url = _redis_url()
    assert url is not None
    with _redis_database_to_ourselves(url):
        client = redis.Redis.from_url(url)
        client.flushdb()
        yield url
        client.flushdb()
        client.close()


# --- the SMTP server ------------------------------------------------------------------


@dataclass
class Delivered:
    recipients: tuple[str, ...]
    subject: str
    body: str


class Mailbox:
    """An aiosmtpd handler that records each message the server accepted (thread-safe).

    rcpt_delay slows every RCPT TO (a sweep over several assignees then takes seconds).
    hold_rcpt / hold_data: the n-th RCPT TO (or DATA) waits, with `held` set, until the
    test sets `release` (or the client goes away): the test acts while a message is in
    flight, before the server accepted it.
    stall_from_rcpt: from the n-th RCPT TO on, the server stops answering (the connection
    stays open, nothing comes back; `held` is set) until the test sets `recovered`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[Delivered] = []
        self.rcpt_delay = 0.0
        self.hold_rcpt: int | None = None
        self.hold_data: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()
        self.rcpts_started = 0
        self.datas_started = 0
        self.stall_from_rcpt: int | None = None
        self.recovered = threading.Event()

    @property
    def messages(self) -> list[Delivered]:
        with self._lock:
            return list(self._messages)

    def to(self, address: str) -> list[Delivered]:
        return [m for m in self.messages if address in m.recipients]

    def summary(self) -> str:
        lines = [f"  {', '.join(m.recipients)}: {m.subject}" for m in self.messages]
        return "SMTP server accepted:\n" + ("\n".join(lines) or "  (nothing)")

    async def _hold(self) -> None:
        self.held.set()
        deadline = time.monotonic() + 60
        while not self.release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        with self._lock:
            self.rcpts_started += 1
            number = self.rcpts_started
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        if number == self.hold_rcpt:
            await self._hold()
        if self.stall_from_rcpt is not None and number >= self.stall_from_rcpt:
            self.held.set()
            deadline = time.monotonic() + 120
            while not self.recovered.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self._lock:
            self.datas_started += 1
            number = self.datas_started
        if number == self.hold_data:
            await self._hold()
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        text = message.get_body(preferencelist=("plain",))
        delivered = Delivered(
            recipients=tuple(envelope.rcpt_tos),
            subject=str(message["subject"]),
            body=text.get_content() if text is not None else "",
        )
        with self._lock:
            self._messages.append(delivered)
        return "250 OK"


class _Controller(Controller):
    """Listens on a free port the OS picks (port=0): no race for a port number."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp(services_available) -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    server_log = logging.getLogger("mail.log")  # aiosmtpd logs every command at INFO
    level = server_log.level
    server_log.setLevel(logging.WARNING)
    controller = _Controller(mailbox, hostname="127.0.0.1", port=0)
    controller.start()
    yield mailbox, controller.port
    mailbox.release.set()
    mailbox.recovered.set()
    controller.stop()
    server_log.setLevel(level)


# --- Celery: sending to the real broker, real worker processes ------------------------


def _drop_producer_pools() -> None:
    """Close the broker connections and forget the app's pools, so the next send connects
    to the broker_url set now (pools are made lazily, from the URL of the moment, and
    kombu keeps them in a global registry)."""
    kombu_pools.reset()
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextlib.contextmanager
def app_broker(broker_url: str) -> Iterator[Celery]:
    """The test process's Celery app, not eager, publishing to `broker_url`; restored after."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url
    _drop_producer_pools()
    conf.task_always_eager = False
    conf.broker_url = broker_url
    try:
        yield celery_app
    finally:
        _drop_producer_pools()
        conf.task_always_eager, conf.broker_url = saved


class Broker:
    def __init__(self, app: Celery) -> None:
        self.app = app

    def send(self, name: str, *args) -> str:
        """Publish a task by name to the real broker; returns its id (to find it in the log)."""
        return self.app.send_task(name, args=args).id


@pytest.fixture
def broker(redis_url) -> Iterator[Broker]:
    with app_broker(redis_url) as app:
        yield Broker(app)


def database_url() -> str:
    """A URL for the database this test runs on: pytest-django's test database."""
    s = connection.settings_dict
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(s.get("HOST") or "localhost", safe="")
    port = s.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{quote(s['NAME'], safe='')}"


WORKER_APP_NAME = "deflection-it-worker"


def other_sessions() -> list[tuple]:
    """The workers' sessions on the test database (by their application name)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, wait_event_type, left(query, 100) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = %s",
            [WORKER_APP_NAME],
        )
        return cursor.fetchall()


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path
    name: str
    _file: object = field(repr=False, default=None)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self, lines: int = 60) -> str:
        body = "\n".join(self.text().splitlines()[-lines:])
        return f"--- worker {self.name} (exit {self.process.poll()}), last {lines} lines of {self.log}:\n{body}"

    def succeeded(self, task: str | None = None) -> dict[str, str]:
        """Task id -> return value (as logged) of every task this worker finished."""
        return {
            m["id"]: m["value"].strip() for m in SUCCEEDED.finditer(self.text()) if task is None or m["name"] == task
        }

    def wait_succeeded(self, task_id: str, timeout: float = TASK_SECONDS) -> str:
        def done() -> str | None:
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited while waiting for task {task_id}\n{self.tail()}")
            return self.succeeded().get(task_id)

        return wait_for(done, timeout=timeout, what=f"task {task_id} to succeed", detail=self.tail)

    def problems(self) -> list[str]:
        """Log lines of errors, failed tasks or retries."""
        pattern = re.compile(r"ERROR/|CRITICAL/|raised unexpected| retry: |Traceback")
        return [line for line in self.text().splitlines() if pattern.search(line)]

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited before it was ready\n{self.tail()}")
            return " ready." in self.text()

        wait_for(ready, timeout=WORKER_READY_SECONDS, what=f"worker {self.name} to be ready", detail=self.tail)

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (pool children, embedded beat) and reap it."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"worker {self.name} did not die after SIGKILL\n{self.tail()}")
        if self._file is not None:
            self._file.close()
            self._file = None


def wait_for_worker_sessions_to_end(timeout: float = 30.0) -> None:
    """After a kill, PostgreSQL ends the dead worker's sessions and rolls back their
    transactions (releasing row locks) when it notices the closed socket: wait for that."""
    wait_for(
        lambda: not other_sessions(),
        timeout=timeout,
        what="the killed workers' database sessions to end",
        detail=lambda: repr(other_sessions()),
    )


@pytest.fixture
def workers(request, transactional_db, redis_url, smtp) -> Iterator[Callable[..., Worker]]:
    """Start real `celery worker` processes: `workers(concurrency=1, beat=False, env={}, queues=None)`.

    concurrency=1 is the solo pool (one task at a time in the worker process itself);
    more is the prefork pool. queues: the queues it serves (-Q), all of them by default.
    Every worker is killed and reaped at teardown.
    """
    from django.conf import settings

    mailbox, port = smtp
    logs = Path(tempfile.mkdtemp(prefix="deflection-integration-"))
    started: list[Worker] = []

    def start(
        *, concurrency: int = 1, beat: bool = False, env: dict[str, str] | None = None, queues: str | None = None
    ) -> Worker:
        name = f"it{len(started) + 1}-{uuid.uuid4().hex[:8]}"
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
        environment.update(
            {
                "DJANGO_SETTINGS_MODULE": "deflection.settings",
                # Marks the workers' database sessions (libpq), so that waiting for a killed
                # worker's sessions ignores everyone else's (a live server's, say).
                "PGAPPNAME": WORKER_APP_NAME,
                "SECRET_KEY": "integration-test-only-secret-key",
                "DEBUG": "false",
                "DEMO_MODE": "false",
                "DATABASE_URL": database_url(),
                "REDIS_URL": redis_url,
                "EMAIL_URL": f"smtp://127.0.0.1:{port}",
                "SITE_URL": "http://deflection.test",
                "REMIND_AHEAD_HOURS": str(settings.DEFLECTION["REMIND_AHEAD_HOURS"]),
                "LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
                **(env or {}),
            }
        )
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "deflection",
            "worker",
            "--loglevel=INFO",
            f"--hostname={name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        command += ["--pool=solo"] if concurrency == 1 else ["--pool=prefork", f"--concurrency={concurrency}"]
        if beat:
            command.append("--beat")
        if queues:
            command.append(f"--queues={queues}")
        log = logs / f"{name}.log"
        output = log.open("wb")
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command,
            cwd=BASE_DIR,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches pool children and beat
        )
        worker = Worker(process=process, log=log, name=name, _file=output)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start

    try:
        for worker in started:
            with contextlib.suppress(pytest.fail.Exception):  # keep killing the others
                worker.kill()
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            # Shown by pytest for a failed test only: what the workers and the server saw.
            for worker in started:
                print(worker.tail(120))
            print(mailbox.summary())
        else:
            shutil.rmtree(logs, ignore_errors=True)
    finally:
        # No session may outlive the test: the flush and DROP DATABASE need the tables free.
        wait_for_worker_sessions_to_end()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
