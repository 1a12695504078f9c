"""The compose file is checked without a Docker engine: schema, commands, settings, healthchecks."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from tests.isolation import PACKAGES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
OUR_IMAGE = "backend-interview-answers:dev"
STATEFUL = ("redis", "postgres")
# Importing these runs them (a demo, an ASGI app built from the environment, Alembic's env.py).
NOT_IMPORTED = ("__main__", "asgi", "env", "versions")


def our_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in COMPOSE["services"].items() if s.get("image") == OUR_IMAGE}


def environment_names_read_by_settings() -> set[str]:
    for package in PACKAGES:
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if not any(part in NOT_IMPORTED for part in module.name.split(".")):
                importlib.import_module(module.name)
    names: set[str] = set()
    pending = list(BaseSettings.__subclasses__())
    while pending:
        settings = pending.pop()
        pending.extend(settings.__subclasses__())
        prefix = str(settings.model_config.get("env_prefix", ""))
        for field_name, field in settings.model_fields.items():
            alias = (
                field.validation_alias if isinstance(field.validation_alias, str) else field.alias
            )
            names.add((alias or f"{prefix}{field_name}").upper())
    return names


def test_the_compose_file_matches_the_compose_specification() -> None:
    # The schema ships inside check-jsonschema, so this needs no network and no engine.
    result = subprocess.run(
        [
            Path(sys.executable).parent / "check-jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            ROOT / "docker-compose.yml",
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(our_services()))
def test_every_service_command_names_a_real_entry_point_of_this_repo(name: str) -> None:
    command = our_services()[name].get("command") or ["python", "-m", "app"]

    assert command[:2] == ["python", "-m"], f"{name}: run modules as `python -m <module>`"
    module = command[2]
    spec = importlib.util.find_spec(module)
    assert spec is not None, f"{name}: no module {module}"
    if spec.submodule_search_locations is not None:  # a package runs its __main__
        assert importlib.util.find_spec(f"{module}.__main__") is not None, (
            f"{name}: {module} has no __main__"
        )


def test_every_environment_variable_a_service_sets_is_read_by_a_settings_object() -> None:
    read = environment_names_read_by_settings()

    for name, service in our_services().items():
        unknown = set(service.get("environment", {})) - read
        assert not unknown, f"{name} sets {sorted(unknown)}, which no settings object reads"


def test_every_stateful_service_has_a_healthcheck() -> None:
    for name in STATEFUL:
        assert "healthcheck" in COMPOSE["services"][name], f"{name} has no healthcheck"


def test_every_wait_for_health_points_at_a_service_with_a_healthcheck() -> None:
    for name, service in COMPOSE["services"].items():
        for dependency, rule in service.get("depends_on", {}).items():
            if rule.get("condition") == "service_healthy":
                assert "healthcheck" in COMPOSE["services"][dependency], (
                    f"{name} waits on {dependency}"
                )


def test_every_published_port_is_bound_to_localhost_only() -> None:
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond localhost"
