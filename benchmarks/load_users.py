"""The Locust side of benchmarks/load.py: who the load is and what each one does.

Run by load.py in a process of its own (Locust patches the standard library with gevent; the
Django side must not be): `python benchmarks/load_users.py PLAN.json RESULT.json`. It reads
the plan (the server's address, the users' sessions, the data to type), runs the phases one
after the other, and writes per phase the stats and what the load did (the tokens of the
deflections it logged, the transitions it made, the pages it read) for load.py to check.
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
import uuid
from collections import defaultdict

import gevent
from locust import HttpUser, events, task
from locust.env import Environment

PLAN: dict = {}
DONE: dict = {"logged": {}, "transitions": [], "reads": defaultdict(int), "listed": defaultdict(set)}
# Every request of the mixed load: when it started (seconds since the epoch), what it was and
# how long it took (ms), for load.py to see what the slowest pages waited behind.
TIMELINE: list[tuple[float, str, float]] = []
REFERRAL_LINK = re.compile(r'href="/referrals/(\d+)/"')
CLIENT_CHOICE = re.compile(r'name="client" value="(\d+)"')
TOKEN = re.compile(r'name="submission_token" value="([^"]+)"')
ACTION = re.compile(r'action="/referrals/(\d+)/act/(accept|record_intake)/"')
FOLLOW_UP_DONE = re.compile(r'action="/follow-ups/(\d+)/done/"')


class Signed(HttpUser):
    """A user with a session made for the benchmark (no sign-in: see load.py)."""

    abstract = True
    role = ""
    # Seconds between one task and the next (scaled by --think-scale); none: back to back.
    think = (0.0, 0.0)

    def wait_time(self) -> float:
        return self.rnd.uniform(*self.think) * PLAN["think_scale"]

    def on_start(self) -> None:
        account = PLAN["accounts"][self.role].pop()
        PLAN["accounts"][self.role].insert(0, account)  # several Locust users may share one
        self.user_id = account["user_id"]
        # Sent with every request rather than kept in the cookie jar: the app marks its cookies
        # Secure (production settings), which a client over plain http would not send back.
        self.cookies = {"sessionid": account["session"], "csrftoken": account["csrf"]}
        self.headers = {"X-CSRFToken": account["csrf"], "Referer": self.host + "/"}
        self.rnd = random.Random()

    def get(self, path: str, name: str, **kwargs):
        return self.client.get(path, name=name, cookies=self.cookies, headers=self.headers, **kwargs)

    def post(self, path: str, name: str, data: dict, **kwargs):
        return self.client.post(path, data=data, name=name, cookies=self.cookies, headers=self.headers, **kwargs)

    def expect(self, response, *codes: int) -> bool:
        if response.status_code not in codes:
            response.failure(f"{response.status_code} (expected {codes})")
            return False
        response.success()
        return True

    def pause(self, low: float, high: float) -> None:
        gevent.sleep(self.rnd.uniform(low, high) * PLAN["think_scale"])


def _log_form(user: Signed, token: str, client_id: str) -> dict:
    rnd = user.rnd
    data = {
        "submission_token": token,
        "search": "",
        "client": client_id,
        "preferred_language": "en",
        "pathway": rnd.choice(PLAN["pathways"]),
        "partner": str(rnd.choice(PLAN["partner_ids"])),
        "presenting_needs": ["substance_use", "housing"],
        "substances": ["fentanyl"],
        "warm_handoff": "on",
        "charge_deflected": "Possession of drug paraphernalia" if rnd.random() < 0.4 else "",
        "officer_minutes": str(rnd.randint(15, 90)),
        "location": f"Beat {rnd.randint(1, 60)}",
    }
    if rnd.random() < 0.1:
        data["naloxone_administered"] = "on"
    return data


def _post_log(user: Signed, token: str, client_id: str) -> None:
    with user.post(
        "/log/", "POST /log/", _log_form(user, token, client_id), allow_redirects=False, catch_response=True
    ) as r:
        # The token decides: a POST that failed may still have saved (checked by load.py).
        DONE["logged"][token.split(":", 1)[0]] = r.status_code
        user.expect(r, 302)


class Officer(Signed):
    """Logs deflections (searching the person as they type) and looks at My deflections."""

    role = "officer"
    think = (20.0, 60.0)

    @task(3)
    def log_a_deflection(self) -> None:
        with self.get("/log/", "GET /log/", catch_response=True) as r:
            if not self.expect(r, 200):
                return
            found = TOKEN.search(r.text)
        token = found.group(1) if found else str(uuid.uuid4())
        first, last = self.rnd.choice(PLAN["names"])
        typed = f"{first} {last}"
        shown: list[str] = []
        # htmx posts after each pause in typing: a few letters of the first name, then more.
        for length in sorted({min(len(typed), n) for n in (3, len(first) + 2, len(typed))}):
            self.pause(0.4, 1.2)
            with self.post(
                "/log/clients/", "POST /log/clients/ (search)", {"search": typed[:length]}, catch_response=True
            ) as r:
                if self.expect(r, 200):
                    shown = CLIENT_CHOICE.findall(r.text)
                    DONE["listed"][(self.user_id, "client search")].update(map(int, shown))
        self.pause(8, 25)  # pathway, partner, what happened, minutes
        _post_log(self, token, self.rnd.choice(shown) if shown else str(self.rnd.choice(PLAN["client_ids"])))

    @task(1)
    def my_deflections(self) -> None:
        with self.get("/mine/", "GET /mine/", catch_response=True) as r:
            if self.expect(r, 200):
                DONE["listed"][(self.user_id, "my deflections")].update(map(int, REFERRAL_LINK.findall(r.text)))


class CaseManager(Signed):
    """Refreshes the queue, accepts new referrals, records intake, completes follow-ups."""

    role = "case_manager"
    think = (10.0, 30.0)

    def on_start(self) -> None:
        super().on_start()
        self.accepted: list[str] = []

    def _open(self, referral_id: str) -> str | None:
        with self.get(f"/referrals/{referral_id}/", "GET /referrals/<id>/", catch_response=True) as r:
            if not self.expect(r, 200):
                return None
            DONE["reads"][(self.user_id, int(referral_id))] += 1
            return r.text

    def _act(self, referral_id: str, action: str) -> bool:
        name = f"POST /referrals/<id>/act/{action}/"
        path = f"/referrals/{referral_id}/act/{action}/"
        with self.post(path, name, {}, allow_redirects=False, catch_response=True) as r:
            if r.status_code == 302:
                to = {"accept": "accepted", "record_intake": "in_progress"}[action]
                DONE["transitions"].append((int(referral_id), to))
                r.success()
                return True
            if r.status_code == 422:
                # A colleague took the step first: the referral's page says so (and is a read).
                DONE["reads"][(self.user_id, int(referral_id))] += 1
                r.success()
            else:
                r.failure(str(r.status_code))
            return False

    @task
    def work_the_queue(self) -> None:
        with self.get("/queue/", "GET /queue/", catch_response=True) as r:
            if not self.expect(r, 200):
                return
            DONE["listed"][(self.user_id, "partner queue")].update(map(int, REFERRAL_LINK.findall(r.text)))
        with self.get("/queue/?filter=new", "GET /queue/?filter=new", catch_response=True) as r:
            if not self.expect(r, 200):
                return
            new = REFERRAL_LINK.findall(r.text)
            DONE["listed"][(self.user_id, "partner queue")].update(map(int, new))
        # A new referral to accept, and one accepted earlier whose intake is now done.
        for referral_id in new[:1] + self.accepted[:1]:
            self.pause(3, 10)
            page = self._open(referral_id)
            if page is None:
                continue
            for found_id, action in ACTION.findall(page)[:1]:
                self.pause(2, 6)
                if self._act(found_id, action) and action == "accept":
                    self.accepted.append(found_id)
                elif referral_id in self.accepted:
                    self.accepted.remove(referral_id)
            for follow_up in FOLLOW_UP_DONE.findall(page)[:1]:
                self.pause(2, 6)
                with self.post(
                    f"/follow-ups/{follow_up}/done/",
                    "POST /follow-ups/<id>/done/",
                    {"outcome": "engaged"},
                    allow_redirects=False,
                    catch_response=True,
                ) as r:
                    self.expect(r, 302)


class Command(Signed):
    """Reads the dashboards; one of them exports the evaluation data set once."""

    role = "command"
    think = (20.0, 60.0)

    @task(3)
    def dashboards(self) -> None:
        for path in ("/reports/command/", "/reports/dashboard/", "/reports/process/"):
            with self.get(path, f"GET {path}", catch_response=True) as r:
                self.expect(r, 200)
            self.pause(5, 15)

    @task(1)
    def export_once(self) -> None:
        if PLAN.get("exported"):
            return
        PLAN["exported"] = True
        form = {"start": PLAN["export_from"], "end": PLAN["export_to"], "file_format": "csv", "dataset": "referrals"}
        with self.post("/reports/export/", "POST /reports/export/", form, catch_response=True) as r:
            self.expect(r, 200)


class Floor(Signed):
    """The cheapest signed-in request (the redirect to the role's home), back to back."""

    role = "officer"

    @task
    def floor(self) -> None:
        with self.get("/", "GET / (floor)", allow_redirects=False, catch_response=True) as r:
            self.expect(r, 302)


class Logger(Signed):
    """The log POST back to back at the same concurrency, for its throughput beside the floor's."""

    role = "officer"

    @task
    def log(self) -> None:
        # A bare UUID is a valid token (as an integration's), saving the form's GET.
        _post_log(self, str(uuid.uuid4()), str(self.rnd.choice(PLAN["client_ids"])))


def _stats(environment: Environment) -> dict:
    rows = {}
    for (name, _method), entry in environment.stats.entries.items():
        rows[name] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "rps": entry.num_requests / max(entry.last_request_timestamp - entry.start_time, 1e-9)
            if entry.num_requests > 1
            else 0.0,
            "p50": entry.get_response_time_percentile(0.50),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
        }
    errors = [f"{e.method} {e.name}: {e.error} x{e.occurrences}" for e in environment.stats.errors.values()]
    return {"rows": rows, "errors": errors}


def run_phase(classes: list[type], counts: dict[str, int], seconds: float, measure: bool) -> dict:
    for cls in classes:
        cls.host = PLAN["host"]
    environment = Environment(user_classes=classes, host=PLAN["host"], events=events)
    runner = environment.create_local_runner()
    total = sum(counts.values())
    for cls in classes:
        cls.fixed_count = counts[cls.__name__]

    def on_request(name: str, response_time: float, **_kwargs) -> None:
        TIMELINE.append((time.time() - response_time / 1000, name, response_time))

    if measure:
        environment.events.request.add_listener(on_request)
    runner.start(total, spawn_rate=max(total / 10, 1))
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    # Counted before the users are stopped: a request cut off by the end of the phase is none.
    result = _stats(environment) if measure else {}
    runner.quit()
    result["seconds"] = elapsed
    if measure:
        environment.events.request.remove_listener(on_request)
        result["timeline"], TIMELINE[:] = list(TIMELINE), []
    return result


def main() -> None:
    plan_path, result_path = sys.argv[1], sys.argv[2]
    PLAN.update(json.load(open(plan_path)))
    mixed = {"Officer": PLAN["officers"], "CaseManager": PLAN["case_managers"], "Command": PLAN["commanders"]}
    everyone = sum(mixed.values())
    phases = {}
    print(f"warm-up {PLAN['warmup']:.0f} s ...", flush=True)
    run_phase([Officer, CaseManager, Command], mixed, PLAN["warmup"], measure=False)
    print(f"mixed load {PLAN['duration']:.0f} s: {mixed} ...", flush=True)
    phases["mixed"] = run_phase([Officer, CaseManager, Command], mixed, PLAN["duration"], measure=True)
    print(f"floor {PLAN['saturation']:.0f} s, {everyone} users back to back ...", flush=True)
    phases["floor"] = run_phase([Floor], {"Floor": everyone}, PLAN["saturation"], measure=True)
    print(f"log POST {PLAN['saturation']:.0f} s, {everyone} users back to back ...", flush=True)
    phases["log"] = run_phase([Logger], {"Logger": everyone}, PLAN["saturation"], measure=True)
    done = {
        "logged": DONE["logged"],
        "transitions": DONE["transitions"],
        "reads": [[user, referral, n] for (user, referral), n in DONE["reads"].items()],
        "listed": [[user, what, sorted(ids)] for (user, what), ids in DONE["listed"].items()],
    }
    json.dump({"phases": phases, "done": done}, open(result_path, "w"))


if __name__ == "__main__":
    main()
