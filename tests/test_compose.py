"""The container setup (Dockerfile, .dockerignore, docker-compose.yml), checked without Docker.

``tests/data/compose-spec.json`` is the Compose Specification JSON schema as shipped, unchanged, in
the PyPI package ``docker-compose`` 1.29.2 at ``compose/config/compose_spec.json`` (Apache-2.0;
its wheel RECORD lists the same sha256 as ``SCHEMA_SHA256`` below). It predates some newer Compose
keys (top-level ``name``, ``develop``, ``include``), which this file therefore does not use.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
import typer.core
import typer.main
import yaml
from sqlalchemy.engine import make_url

from orderwatch.cli import app
from orderwatch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
SCHEMA = Path(__file__).resolve().parent / "data" / "compose-spec.json"
SCHEMA_SHA256 = "0dc04bd346dcfee1b1419628fff79937bbf076925f298f272a2b490e2b112bac"

PORT = 8050
HEALTHZ = f"http://127.0.0.1:{PORT}/healthz"
# service: command. A process kind is listed only once its CLI command exists.
APP_SERVICES = {"migrate": "migrate", "serve": "serve", "worker": "worker"}
BACKING_IMAGES = {"postgres": "postgres:16-alpine", "redis": "redis:7-alpine"}
# Official Docker Hub images the stack may use; tags must carry a major version.
OFFICIAL_IMAGES = {"postgres", "redis"}
SECRET_ENV = "ORDERWATCH_SECRET_KEY"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services = compose["services"]
    assert isinstance(services, dict)
    return services


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def healthcheck_argv(service: dict[str, Any]) -> list[str]:
    """The healthcheck's command as argv (``CMD`` form) or a shell line (``CMD-SHELL``)."""
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return ["sh", "-c", test]
    kind, *argv = test
    assert kind in {"CMD", "CMD-SHELL"}, f"healthcheck test must start with CMD/CMD-SHELL: {test}"
    return argv if kind == "CMD" else ["sh", "-c", " ".join(argv)]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), " ".join(arguments.split())))
        pending = ""
    assert not pending, "Dockerfile ends in a continuation line"
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def only(instructions: list[tuple[str, str]], keyword: str) -> str:
    found = [arguments for kw, arguments in instructions if kw == keyword]
    assert len(found) == 1, f"expected one {keyword} in the final stage, found {found}"
    return found[0]


# --- the Compose Specification -------------------------------------------------------------------


def test_vendored_schema_is_the_released_file() -> None:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256


def test_compose_file_is_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    import jsonschema  # a test extra; only these two tests need it

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # The schema says draft 2019-09 with a URI jsonschema doesn't map, so name the draft here.
    jsonschema.Draft201909Validator.check_schema(schema)
    errors = sorted(
        jsonschema.Draft201909Validator(schema).iter_errors(compose),
        key=lambda error: list(error.absolute_path),
    )
    assert not errors, "\n".join(
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in errors
    )


def test_schema_catches_a_broken_file(compose: dict[str, Any]) -> None:
    """Guards the guard: an unknown service key and a bad condition are reported."""
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(compose))
    broken["services"]["serve"]["helthcheck"] = {}
    broken["services"]["serve"]["depends_on"]["redis"]["condition"] = "service_ready"
    validator = jsonschema.Draft201909Validator(schema)
    assert len(list(validator.iter_errors(broken))) >= 2


# --- services ------------------------------------------------------------------------------------


def test_one_service_per_process_kind(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == set(APP_SERVICES) | set(BACKING_IMAGES)
    for name, command in APP_SERVICES.items():
        assert command_of(services[name]) == [command], name


def test_service_commands_are_orderwatch_subcommands(services: dict[str, dict[str, Any]]) -> None:
    """Every process kind runs a command the CLI has: no service before its command exists."""
    click_group = typer.main.get_command(app)
    assert isinstance(click_group, typer.core.TyperGroup)  # a click Group: it has subcommands
    for name in APP_SERVICES:
        command = command_of(services[name])
        assert command, f"{name}: no command (the image would fall back to its CMD)"
        assert command[0] in click_group.commands, f"{name}: `orderwatch {command[0]}` is unknown"


def test_orderwatch_services_share_one_build_and_image(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    template = compose["x-orderwatch"]
    builds = {json.dumps(services[name]["build"], sort_keys=True) for name in APP_SERVICES}
    images = {services[name].get("image") for name in APP_SERVICES}
    assert builds == {json.dumps(template["build"], sort_keys=True)}
    assert images == {template["image"]}
    build = template["build"]
    context = ROOT / (build if isinstance(build, str) else build["context"])
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert context.resolve() == ROOT
    assert (context / dockerfile).resolve() == DOCKERFILE
    for name in APP_SERVICES:
        assert services[name]["environment"] == template["environment"], name


def test_backing_services_use_pinned_official_images(services: dict[str, dict[str, Any]]) -> None:
    for name, expected in BACKING_IMAGES.items():
        image = services[name]["image"]
        assert image == expected
        repository, _, tag = image.partition(":")
        assert repository in OFFICIAL_IMAGES, f"{name}: {repository} is not an official image"
        assert re.fullmatch(r"\d+(\.\d+)*(-alpine)?", tag), f"{name}: tag {tag!r} has no version"
        assert "build" not in services[name]


def test_long_running_services_have_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        healthcheck = service.get("healthcheck", {})
        if service.get("restart") == "no":
            assert name == "migrate"
            continue
        assert service.get("restart") == "unless-stopped", name
        assert not healthcheck.get("disable", False), name
        assert healthcheck_argv(service), name
        assert healthcheck.get("interval") and healthcheck.get("retries"), name


def test_services_from_the_image_override_its_http_healthcheck(
    services: dict[str, dict[str, Any]],
) -> None:
    """The image's HEALTHCHECK probes the console port: only ``serve`` may inherit its idea."""
    assert services["migrate"]["healthcheck"] == {"disable": True}
    assert HEALTHZ in healthcheck_argv(services["serve"])[-1]
    assert HEALTHZ not in " ".join(healthcheck_argv(services["worker"]))


def test_backing_service_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    assert healthcheck_argv(services["postgres"])[:3] == ["pg_isready", "-U", "orderwatch"]
    assert healthcheck_argv(services["redis"]) == ["redis-cli", "ping"]


def test_start_order(services: dict[str, dict[str, Any]]) -> None:
    def conditions(name: str) -> dict[str, str]:
        depends_on = services[name].get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        return {other: spec["condition"] for other, spec in depends_on.items()}

    assert conditions("postgres") == {}
    assert conditions("redis") == {}
    assert conditions("migrate") == {"postgres": "service_healthy"}
    for name in ("serve", "worker"):
        assert conditions(name) == {
            "migrate": "service_completed_successfully",
            "redis": "service_healthy",
        }


def test_only_the_console_publishes_a_port(services: dict[str, dict[str, Any]]) -> None:
    published = {name: service["ports"] for name, service in services.items() if "ports" in service}
    assert published == {"serve": [f"{PORT}:{PORT}"]}


def test_postgres_keeps_its_data_in_a_named_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    volumes = services["postgres"]["volumes"]
    assert len(volumes) == 1
    name, _, target = volumes[0].partition(":")
    assert target == "/var/lib/postgresql/data"
    assert name in compose["volumes"]


# --- configuration -------------------------------------------------------------------------------


def test_environment_names_are_settings_fields(compose: dict[str, Any]) -> None:
    known = {f"ORDERWATCH_{field}".upper() for field in Settings.model_fields}
    environment = compose["x-orderwatch"]["environment"]
    assert isinstance(environment, dict), "use the mapping form for environment"
    assert all(name.startswith("ORDERWATCH_") for name in environment)
    assert set(environment) <= known, set(environment) - known


def test_environment_parses_as_production_settings(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = dict(compose["x-orderwatch"]["environment"])
    # The secret is never in the file: compose refuses to start until it is set.
    assert re.fullmatch(r"\$\{ORDERWATCH_SECRET_KEY:\?[^}]+\}", environment[SECRET_ENV])
    environment[SECRET_ENV] = "eAnaGhNUoQKNT0Abrtd-NR4Zp3aTtHAaBoYGfVDeq98"
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"ORDERWATCH_{name}".upper(), raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    settings = Settings()
    assert settings.mode == "production"
    assert ip_address(settings.host).is_unspecified  # reachable from outside the container
    assert settings.port == PORT
    assert settings.require_secret() == environment[SECRET_ENV]


def test_urls_point_at_the_backing_services(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    environment = compose["x-orderwatch"]["environment"]
    database = make_url(environment["ORDERWATCH_DATABASE_URL"])
    postgres = services["postgres"]["environment"]
    assert database.drivername == "postgresql+psycopg"
    assert (database.host, database.port) == ("postgres", 5432)
    assert database.username == postgres["POSTGRES_USER"] == "orderwatch"
    assert database.password == postgres["POSTGRES_PASSWORD"]
    assert database.database == postgres["POSTGRES_DB"] == "orderwatch"
    assert environment["ORDERWATCH_REDIS_URL"] == "redis://redis:6379/0"


# --- Dockerfile ----------------------------------------------------------------------------------


def test_dockerfile_builds_a_non_root_image_running_orderwatch() -> None:
    stage = final_stage()
    assert stage[0] == ("FROM", "python:3.11-slim")
    installs = [args for keyword, args in dockerfile_instructions() if keyword == "RUN"]
    pip_installs = [run for run in installs if re.search(r"\bpip install\b", run)]
    assert any(re.search(r"\bpip install( --?\S+)* \.(\s|$)", run) for run in pip_installs)
    assert not any(re.search(r"\s(-e|--editable)\b", run) for run in pip_installs)
    user = only(stage, "USER").split(":")[0]
    assert user not in {"root", "0"}
    assert json.loads(only(stage, "ENTRYPOINT")) == ["orderwatch"]
    assert json.loads(only(stage, "CMD")) == ["serve"]


def test_dockerfile_port_and_healthcheck_match_compose(services: dict[str, dict[str, Any]]) -> None:
    stage = final_stage()
    assert only(stage, "EXPOSE") == str(PORT)
    container_port = services["serve"]["ports"][0].rsplit(":", 1)[1]
    assert container_port == str(PORT)
    healthcheck = only(stage, "HEALTHCHECK")
    options, _, command = healthcheck.partition(" CMD ")
    assert all(option.startswith("--") for option in options.split())
    argv = json.loads(command)
    assert argv[:2] == ["python", "-c"]  # slim has no curl
    assert HEALTHZ in argv[2]
    assert argv == healthcheck_argv(services["serve"])


def test_dockerignore_keeps_local_state_out_of_the_build() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for required in (".git", ".venv", "**/__pycache__", "**/*.db", ".env"):
        assert required in patterns, required
    # Everything `pip install .` reads must stay in the context.
    assert not patterns & {"pyproject.toml", "README.md", "store", "orderwatch", "*.py", "*"}


# --- the healthcheck commands actually work ------------------------------------------------------


class _Healthz(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[HTTPServer]:
    server = HTTPServer(("127.0.0.1", 0), _Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def unused_port() -> int:
    """A loopback port that nothing listens on (bound by the OS, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_check(argv: list[str], env: dict[str, str] | None = None) -> int:
    assert argv[0] == "python"
    return subprocess.run(
        [sys.executable, *argv[1:]], capture_output=True, timeout=60, check=False, env=env
    ).returncode


def test_http_healthcheck_passes_on_healthz_and_fails_otherwise(
    services: dict[str, dict[str, Any]], http_server: HTTPServer
) -> None:
    argv = healthcheck_argv(services["serve"])
    port = http_server.server_address[1]
    ok = [part.replace(f":{PORT}/", f":{port}/") for part in argv]
    assert run_check(ok) == 0
    assert run_check([part.replace("/healthz", "/missing") for part in ok]) != 0
    closed = unused_port()
    assert run_check([part.replace(f":{PORT}/", f":{closed}/") for part in argv]) != 0


def test_worker_healthcheck_checks_the_database_and_redis(
    services: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    argv = healthcheck_argv(services["worker"])
    base = {key: value for key, value in os.environ.items() if not key.startswith("ORDERWATCH_")}
    sqlite = {**base, "ORDERWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    closed = unused_port()
    assert run_check(argv, sqlite) == 0
    dead_redis = {**sqlite, "ORDERWATCH_REDIS_URL": f"redis://127.0.0.1:{closed}/0"}
    assert run_check(argv, dead_redis) != 0
    dead_db = {**base, "ORDERWATCH_DATABASE_URL": f"postgresql+psycopg://x@127.0.0.1:{closed}/x"}
    assert run_check(argv, dead_db) != 0
