"""Celery's queues by kind: every task routed to one, each with soft and hard time limits, each
queue served by its own worker service, and a killed task's message redelivered before long
but never while a live one may still hold it."""

from __future__ import annotations

import pytest
from django.conf import settings

from deflection.celery import MAIL_TASK_OPTIONS
from deflection.celery import app as celery_app
from deflection.schedules import BEAT_SCHEDULE
from tests.test_deployment_files import command_argv, load_compose, option_value


def _our_tasks() -> dict:
    celery_app.loader.import_default_modules()
    return {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}


def _queue_of(name: str) -> str:
    return celery_app.amqp.router.route({}, name)["queue"].name


def test_every_task_is_routed_to_a_queue_of_its_kind_in_the_routing_table():
    tasks = _our_tasks()
    assert tasks, "no tasks found: autodiscovery failed"
    assert set(tasks) == set(settings.TASK_QUEUE), "a task is missing from settings.TASK_QUEUE, or a row is stale"
    for name in tasks:
        assert _queue_of(name) == settings.TASK_QUEUE[name] in settings.CELERY_TASK_QUEUES, name


def test_reminders_share_their_queue_with_nothing_slow():
    reminders = {name for name, queue in settings.TASK_QUEUE.items() if queue == "reminders"}
    assert reminders == {
        "referrals.tasks.send_follow_up_reminders",
        # The held charges' deadlines: decided, told and reminded by one short sweep.
        "referrals.tasks.sweep_held_charges",
        "partners.tasks.send_partner_next_step_reminders",
    }
    for slow in ("reports.tasks.rebuild_rollups", "referrals.tasks.purge_expired_identities"):
        assert _queue_of(slow) == "batch"
    assert _queue_of("reports.tasks.send_weekly_digests") == "mail"


def test_every_periodic_task_goes_to_a_queue_a_worker_serves():
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in settings.TASK_QUEUE, entry["task"]


@pytest.mark.parametrize("name", sorted(settings.TASK_QUEUE))
def test_every_task_has_a_soft_time_limit_before_its_hard_one(name):
    task = _our_tasks()[name]
    assert task.soft_time_limit and task.time_limit, name
    assert 0 < task.soft_time_limit < task.time_limit, name


def _longest_retry_wait(task) -> int:
    if not getattr(task, "autoretry_for", ()):
        return 0
    return int(task.retry_backoff_max) if task.retry_backoff else int(task.default_retry_delay)


def test_a_killed_tasks_message_comes_back_sooner_than_the_default_hour_but_never_during_a_live_one(settings):
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")
    if timeout is None:
        pytest.skip("the embedded filesystem broker has no visibility timeout")
    assert timeout < 3600
    # A retry waits in the worker unacknowledged, then runs up to its hard limit: all of it
    # must fit, or the broker would hand the message to a second worker meanwhile.
    for name, task in _our_tasks().items():
        assert _longest_retry_wait(task) + task.time_limit < timeout, name
    assert MAIL_TASK_OPTIONS["retry_backoff_max"] + settings.TASK_TIME_LIMITS["mail"][1] < timeout


def test_each_queue_is_served_by_its_own_worker_service_with_its_concurrency_from_the_environment():
    served: dict[str, str] = {}
    for name, svc in load_compose()["services"].items():
        argv = command_argv(svc) if svc.get("command") else []
        if argv[:4] == ["celery", "-A", "deflection", "worker"]:
            queues = option_value(argv, "-Q", "--queues")
            assert queues and "," not in queues, f"{name} should serve one queue"
            assert queues not in served, f"{queues} is served by {served.get(queues)} and {name}"
            served[queues] = name
            concurrency = option_value(argv, "--concurrency", "-c") or ""
            assert concurrency.startswith("${") and ":-" in concurrency, f"{name}: concurrency not from the environment"
            assert svc.get("healthcheck"), f"{name} has no healthcheck"
    assert set(served) == set(settings.CELERY_TASK_QUEUES)
