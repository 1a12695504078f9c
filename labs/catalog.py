"""What a lab is: a folder under `labs/` with `lab.toml` (title, answer, tests), `bug.patch` and `README.md`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

LABS = Path(__file__).resolve().parent
ROOT = LABS.parent
PAGE_SECTIONS = ("The bug", "Where it hides", "What fails", "Hint")


class LabError(Exception):
    """A lab that cannot be used as it stands; the message names the lab and what is wrong."""


@dataclass(frozen=True)
class Lab:
    name: str
    title: str
    answer: str  # the package whose answer the bug breaks, or "app"
    tests: tuple[str, ...]  # pytest node ids, relative to the repo root
    folder: Path

    @property
    def patch(self) -> Path:
        return self.folder / "bug.patch"

    @property
    def page(self) -> Path:
        return self.folder / "README.md"


def load(folder: Path) -> Lab:
    try:
        spec = tomllib.loads((folder / "lab.toml").read_text())
        lab = Lab(folder.name, spec["title"], spec["answer"], tuple(spec["tests"]), folder)
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise LabError(f"lab {folder.name}: lab.toml is unreadable ({error!r})") from None
    if not lab.tests:
        raise LabError(f"lab {lab.name}: lab.toml names no tests")
    for path in (lab.patch, lab.page):
        if not path.is_file():
            raise LabError(f"lab {lab.name}: {path.name} is missing")
    return lab


def all_labs(labs_dir: Path = LABS) -> list[Lab]:
    return [load(folder) for folder in sorted(labs_dir.iterdir()) if (folder / "lab.toml").exists()]


def find(name: str, labs_dir: Path = LABS) -> Lab:
    for lab in all_labs(labs_dir):
        if lab.name == name:
            return lab
    known = ", ".join(lab.name for lab in all_labs(labs_dir))
    raise LabError(f"no lab named {name!r}; the labs are: {known}")


def hint(lab: Lab) -> str:
    """The page's "Hint" section, as the runner prints it after the failures."""
    text = lab.page.read_text()
    _, _, after = text.partition("## Hint")
    section = after.split("\n## ", 1)[0].strip()
    # One line per paragraph, so the terminal wraps it at its own width.
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in section.split("\n\n"))
