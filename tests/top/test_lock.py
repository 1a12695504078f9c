"""requirements.lock pins what pyproject.toml's ranges allow, and every install path uses it.

pyproject.toml says what the code needs (ranges); the lock says what the suite passed on (pins).
A range edited without `make lock`, or an install that skips the lock, fails here.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        lines += extra
    return [Requirement(line) for line in lines]


def pins() -> dict[str, Version]:
    pinned: dict[str, Version] = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier  # exactly one `==`, or this is not a lock
            assert specifier.operator == "==", f"{line!r} is not pinned with =="
            pinned[canonicalize_name(requirement.name)] = Version(specifier.version)
    return pinned


def test_every_declared_dependency_is_pinned_inside_its_range() -> None:
    locked = pins()

    problems = []
    for requirement in declared():
        version = locked.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} is outside {requirement.specifier}")

    assert not problems, "run `make lock`:\n" + "\n".join(problems)


def test_the_makefile_and_the_image_install_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")

    assert "pip install --quiet -c requirements.lock -e" in makefile
    assert "pip install --no-cache-dir -c requirements.lock ." in dockerfile
    assert "requirements.lock" not in (ROOT / ".dockerignore").read_text(encoding="utf-8")
