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
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
VENDOR_DIR = ROOT / "static" / "vendor"

WORKER_SERVICES = ("worker-reminders", "worker-mail", "worker-batch")
APP_SERVICES = ("web", *WORKER_SERVICES, "beat", "migrate")
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


def test_every_app_service_shares_one_environment_and_only_migrate_has_the_owners_url():
    envs = {name: environment_of(service(name)) for name in APP_SERVICES}
    migrate = dict(envs.pop("migrate"))
    assert migrate.pop("MIGRATE_DATABASE_URL")
    assert all(env == envs["web"] for env in envs.values()), envs
    assert migrate == envs["web"]


@pytest.mark.parametrize("name", [n for n in APP_SERVICES])
def test_every_app_service_starts_code_that_exists(name):
    argv = command_argv(service(name))
    checker_for(argv)(argv)


def test_web_is_healthy_when_its_readiness_probe_answers():
    from django.urls import resolve

    check = service("web")["healthcheck"]
    probe = " ".join(check["test"])
    url = re.search(r"http://127\.0\.0\.1:8000(/\w+)", probe)
    assert url and url.group(1) == "/readyz", probe
    assert resolve(url.group(1)).url_name == "readyz"
    # Gunicorn's processes and threads come from the environment, which compose passes.
    env = environment_of(service("web"))
    config = (ROOT / option_value(command_argv(service("web")), "--config", "-c")).read_text()
    for variable in ("WEB_CONCURRENCY", "WEB_THREADS"):
        assert f'os.environ.get("{variable}"' in config and variable in env, variable
    example = (ROOT / ".env.example").read_text()
    for variable in ("WEB_CONCURRENCY", "WEB_THREADS", "CONN_MAX_AGE", "EMAIL_TIMEOUT", "DATABASE_REPLICA_URL"):
        assert f"{variable}=" in example, f"{variable} is not in .env.example"
    for worker in WORKER_SERVICES:
        variable = re.search(r"\$\{(\w+):-", option_value(command_argv(service(worker)), "--concurrency"))
        assert variable and f"{variable.group(1)}=" in example, worker


def database_user(url):
    """(user, host, path) of a database URL whose password is a ${...} compose variable."""
    parts = urlsplit(re.sub(r"\$\{[^}]*\}", "password", url))
    assert parts.scheme.startswith("postgres"), url
    return parts.username, parts.hostname, parts.path


def test_web_and_the_workers_connect_as_the_app_role_and_migrate_as_the_owner():
    db_env = environment_of(service("db"))
    owner, app, superuser = db_env["DB_OWNER_ROLE"], db_env["DB_APP_ROLE"], db_env["POSTGRES_USER"]
    assert len({owner, app, superuser}) == 3, db_env
    for name in ("web", *WORKER_SERVICES, "beat"):
        env = environment_of(service(name))
        assert database_user(env["DATABASE_URL"])[0] == app, name
        assert "MIGRATE_DATABASE_URL" not in env, f"{name} must not hold the owner's password"
    migrate = environment_of(service("migrate"))
    # migrate connects as the owner and grants the app role (DATABASE_URL's user) afterwards.
    assert database_user(migrate["MIGRATE_DATABASE_URL"])[0] == owner
    assert database_user(migrate["DATABASE_URL"])[0] == app
    # Same server and database for both.
    assert database_user(migrate["MIGRATE_DATABASE_URL"])[1:] == database_user(migrate["DATABASE_URL"])[1:]
    assert database_user(migrate["DATABASE_URL"])[2] == "/" + db_env["POSTGRES_DB"]
    # Passwords come from the deployer, not the file.
    for url in (migrate["DATABASE_URL"], migrate["MIGRATE_DATABASE_URL"]):
        assert ":${DB_" in url and ":?" in url, url
    assert db_env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_the_database_creates_both_roles_from_its_init_script():
    db = service("db")
    mounts = [str(v) for v in db["volumes"] if ":/docker-entrypoint-initdb.d" in str(v)]
    assert len(mounts) == 1, db["volumes"]
    folder = ROOT / mounts[0].split(":")[0]
    scripts = sorted(folder.glob("*.sh"))
    assert scripts, f"no init script in {folder}"
    text = "\n".join(p.read_text(encoding="utf-8") for p in scripts)
    for variable in ("DB_OWNER_ROLE", "DB_OWNER_PASSWORD", "DB_APP_ROLE", "DB_APP_PASSWORD"):
        assert f"${variable}" in text and variable in environment_of(db), variable
    assert 'OWNER TO :"owner"' in text and "SUPERUSER" not in text.replace("NOSUPERUSER", "")


def _settings_with(env):
    """DATABASES["default"]["USER"] and DATABASE_APP_ROLE as a process given `env` sees them."""
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['USER'], s.DATABASE_APP_ROLE or '-')"
    )
    base = {k: v for k, v in os.environ.items() if "DATABASE_URL" not in k}
    base.update(DJANGO_SETTINGS_MODULE="deflection.settings", SECRET_KEY="x", **env)
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", script], cwd=ROOT, env=base, capture_output=True, text=True, check=False
    )
    return result.returncode, result.stdout.split(), result.stderr


def test_the_migrate_service_connects_as_the_owner_and_grants_the_app_role():
    passwords = {"${DB_APP_PASSWORD:?set DB_APP_PASSWORD}": "a", "${DB_OWNER_PASSWORD:?set DB_OWNER_PASSWORD}": "o"}

    def resolved(url):
        for variable, value in passwords.items():
            url = url.replace(variable, value)
        return url

    migrate = environment_of(service("migrate"))
    db_env = environment_of(service("db"))
    urls = {key: resolved(migrate[key]) for key in ("DATABASE_URL", "MIGRATE_DATABASE_URL")}
    assert _settings_with(urls)[:2] == (0, [db_env["DB_OWNER_ROLE"], db_env["DB_APP_ROLE"]])
    # Web and the workers: the app role, and nothing to grant.
    assert _settings_with({"DATABASE_URL": urls["DATABASE_URL"]})[:2] == (0, [db_env["DB_APP_ROLE"], "-"])
    # Two URLs naming different databases are refused rather than granted in the wrong one.
    elsewhere = urls["MIGRATE_DATABASE_URL"].replace("/deflection", "/other")
    code, _out, stderr = _settings_with({**urls, "MIGRATE_DATABASE_URL": elsewhere})
    assert code != 0 and "must name the same database" in stderr


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
# Makefile


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_on_another_port_serves_links_and_says_so_on_that_port():
    result = subprocess.run(
        ["make", "--dry-run", "run", "PORT=8001"],  # noqa: S607 (make from PATH)
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    server = next(line for line in lines if "manage.py runserver" in line)
    assert server.rstrip().endswith(":8001") and "SITE_URL=http://localhost:8001 " in server
    worker = next(line for line in lines if "celery -A deflection worker" in line)
    assert "SITE_URL=http://localhost:8001 " in worker
    said = next(line for line in lines if line.startswith("echo ") and "Deflection:" in line)
    assert "http://localhost:8001/" in said
    assert "8000" not in result.stdout


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
