"""Checks that the deployment files describe a stack that can actually run.

docker compose cannot run here, so these tests parse docker-compose.yml and the
Dockerfile and check that what they name exists: the Dockerfile, the
environment every app process needs, and the Python code each command starts
(WSGI app, Celery app, beat scheduler, management command).

No database is needed. Django objects are imported inside the tests, after
pytest-django has configured settings.
"""

import importlib
import json
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
VENDOR_DIR = ROOT / "static" / "vendor"

APP_SERVICES = ("web", "worker", "beat", "migrate")
ALL_SERVICES = APP_SERVICES + ("db", "redis", "mail")
REQUIRED_APP_ENV = ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY")


# --------------------------------------------------------------------------
# helpers


def load_compose():
    with COMPOSE_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def service(name):
    return load_compose()["services"][name]


def environment_of(svc):
    """Compose allows `environment` as a mapping or a list of KEY=VALUE."""
    env = svc.get("environment") or {}
    if isinstance(env, dict):
        return {str(k): v for k, v in env.items()}
    result = {}
    for item in env:
        key, _, value = str(item).partition("=")
        result[key] = value
    return result


def command_argv(svc):
    command = svc.get("command")
    assert command, "service has no command"
    if isinstance(command, str):
        return shlex.split(command)
    return [str(part) for part in command]


def option_value(argv, *names):
    """Value of the first of `names` in argv, as `--opt value` or `--opt=value`."""
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def import_object(dotted):
    """Import `pkg.module:attr` or `pkg.module.attr`."""
    if ":" in dotted:
        module_name, attr = dotted.split(":", 1)
    else:
        module_name, _, attr = dotted.rpartition(".")
    module = importlib.import_module(module_name)
    assert hasattr(module, attr), f"{module_name} has no attribute {attr!r}"
    return getattr(module, attr)


def gunicorn_target(argv):
    """The `module:attr` WSGI target in a gunicorn argv."""
    assert Path(argv[0]).name == "gunicorn", argv
    positional = [a for a in argv[1:] if not a.startswith("-") and ":" in a]
    # `--bind 0.0.0.0:8000` also contains a colon: skip option values.
    values = {option_value(argv, "--bind", "-b")}
    targets = [a for a in positional if a not in values]
    assert len(targets) == 1, f"expected one module:attr target in {argv}"
    return targets[0]


def dockerfile_instructions():
    """(INSTRUCTION, arguments) pairs, with line continuations joined."""
    logical, current = [], ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current:
        logical.append(current)
    pairs = []
    for line in logical:
        instruction, _, args = line.partition(" ")
        pairs.append((instruction.upper(), args.strip()))
    return pairs


def dockerfile_cmd_argv():
    cmds = [args for instr, args in dockerfile_instructions() if instr == "CMD"]
    assert cmds, "Dockerfile has no CMD"
    cmd = cmds[-1]  # the last CMD is the one that counts
    if cmd.startswith("["):
        return json.loads(cmd)
    return shlex.split(cmd)


# Each checker gets the argv of an app service and asserts that the code it
# starts exists.


def check_gunicorn(argv):
    target = gunicorn_target(argv)
    obj = import_object(target)
    assert callable(obj), f"{target} is not a WSGI callable"


def check_celery(argv):
    from celery import Celery

    app_arg = option_value(argv, "-A", "--app")
    assert app_arg, f"celery command without -A/--app: {argv}"
    if ":" in app_arg:
        app = import_object(app_arg)
    else:
        module = importlib.import_module(f"{app_arg}.celery")
        assert hasattr(module, "app"), f"{app_arg}.celery has no `app`"
        app = module.app
    assert isinstance(app, Celery), f"{app_arg} does not give a Celery app"

    scheduler = option_value(argv, "--scheduler", "-S")
    if scheduler:
        from celery.beat import Scheduler

        cls = import_object(scheduler)
        assert isinstance(cls, type) and issubclass(cls, Scheduler), f"{scheduler} is not a celery beat Scheduler class"


def check_manage_py(argv):
    from django.core.management import get_commands

    assert argv[1] == "manage.py", argv
    assert (ROOT / "manage.py").is_file(), "manage.py is missing"
    name = argv[2]
    assert name in get_commands(), f"no management command {name!r}"


def checker_for(argv):
    program = Path(argv[0]).name
    if program == "gunicorn":
        return check_gunicorn
    if program == "celery":
        return check_celery
    if program.startswith("python") and len(argv) > 2 and argv[1] == "manage.py":
        return check_manage_py
    pytest.fail(f"don't know how to check command {argv}")


# --------------------------------------------------------------------------
# docker-compose.yml


def test_the_production_stack_defines_every_service():
    services = load_compose()["services"]
    missing = [name for name in ALL_SERVICES if name not in services]
    assert not missing, f"missing services: {missing}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_builds_from_a_dockerfile_that_exists(name):
    build = service(name).get("build")
    assert build, f"{name} has no build section"
    if isinstance(build, str):
        context, dockerfile = build, "Dockerfile"
    else:
        context = build.get("context", ".")
        dockerfile = build.get("dockerfile", "Dockerfile")
    path = (ROOT / context / dockerfile).resolve()
    assert path.is_file(), f"{name} builds from {path}, which does not exist"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_gets_database_redis_email_and_secret_key(name):
    env = environment_of(service(name))
    missing = [key for key in REQUIRED_APP_ENV if not env.get(key)]
    assert not missing, f"{name} lacks {missing} in its environment"


def test_every_app_service_shares_one_environment():
    envs = {name: environment_of(service(name)) for name in APP_SERVICES}
    assert all(env == envs["web"] for env in envs.values()), envs


def test_the_secret_key_must_come_from_the_deployer_and_debug_is_off():
    env = environment_of(service("web"))
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), env["SECRET_KEY"]
    assert str(env["DEBUG"]).lower() == "false"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_command_points_at_code_that_exists(name):
    argv = command_argv(service(name))
    checker_for(argv)(argv)


@pytest.mark.parametrize("name", ("web", "worker", "beat"))
def test_long_running_services_start_only_after_migrate_succeeds(name):
    depends_on = service(name).get("depends_on") or {}
    assert isinstance(depends_on, dict), "depends_on needs conditions"
    assert depends_on.get("migrate", {}).get("condition") == ("service_completed_successfully")


def test_migrate_runs_the_migrate_command_once_the_database_is_healthy():
    migrate = service("migrate")
    argv = command_argv(migrate)
    assert argv[1:3] == ["manage.py", "migrate"] and "--noinput" in argv, argv
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert str(migrate.get("restart", "no")) in ("no", "False", "false")


def test_the_database_and_redis_have_healthchecks_and_data_persists():
    compose = load_compose()
    db, redis = compose["services"]["db"], compose["services"]["redis"]
    assert "pg_isready" in " ".join(map(str, db["healthcheck"]["test"]))
    assert "ping" in " ".join(map(str, redis["healthcheck"]["test"]))
    volume = db["volumes"][0].split(":")[0]
    assert volume in (compose.get("volumes") or {}), "db volume is not named"


def test_the_mail_catcher_exposes_smtp_and_its_web_ui():
    mail = service("mail")
    assert mail["image"].startswith("axllent/mailpit")
    ports = " ".join(map(str, mail.get("ports", [])))
    assert "1025" in ports and "8025" in ports
    assert environment_of(service("web"))["EMAIL_URL"] == "smtp://mail:1025"


# --------------------------------------------------------------------------
# Dockerfile


def test_the_dockerfile_cmd_runs_the_same_gunicorn_target_as_compose_web():
    docker_target = gunicorn_target(dockerfile_cmd_argv())
    compose_target = gunicorn_target(command_argv(service("web")))
    assert docker_target == compose_target
    check_gunicorn(dockerfile_cmd_argv())


def test_the_dockerfile_collects_static_files_and_runs_as_a_non_root_user():
    instructions = dockerfile_instructions()
    froms = [args for instr, args in instructions if instr == "FROM"]
    assert froms and froms[0].startswith("python:3.11-slim")
    runs = " ".join(args for instr, args in instructions if instr == "RUN")
    assert "-r requirements.txt" in runs
    assert "collectstatic --noinput" in runs
    assert "SECRET_KEY=" in runs, "collectstatic needs a build-only SECRET_KEY"
    users = [args for instr, args in instructions if instr == "USER"]
    assert users and users[-1] not in ("root", "0"), "image runs as root"
    exposed = " ".join(args for instr, args in instructions if instr == "EXPOSE")
    assert "8000" in exposed.split()


# --------------------------------------------------------------------------
# vendored front-end assets (no CDN)

VENDORED_FILES = (
    "bootstrap/bootstrap.min.css",
    "bootstrap/bootstrap.bundle.min.js",
    "bootstrap/LICENSE",
    "htmx/htmx.min.js",
    "htmx/LICENSE",
    "chartjs/chart.umd.min.js",
    "chartjs/LICENSE",
    "README.md",
)


def test_vendored_assets_and_their_licences_are_present():
    missing = [f for f in VENDORED_FILES if not (VENDOR_DIR / f).is_file()]
    assert not missing, f"missing vendored files: {missing}"


def test_vendored_assets_point_at_no_missing_source_maps():
    # Manifest static storage follows sourceMappingURL comments and fails
    # collectstatic when the .map file is not there.
    offenders = [
        str(path.relative_to(ROOT))
        for path in VENDOR_DIR.rglob("*")
        if path.suffix in (".js", ".css")
        and "sourceMappingURL=" in path.read_text(encoding="utf-8")
        and not path.with_name(path.name + ".map").is_file()
    ]
    assert not offenders, offenders
