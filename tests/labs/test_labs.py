"""The labs machinery: every lab is complete, a run never touches the checkout, and `check` names a lab
that stopped biting. (Whether each lab bites is `python -m labs check`, which `make test` runs.)"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labs.__main__ import failures
from labs.catalog import PAGE_SECTIONS, ROOT, Lab, all_labs
from labs.sandbox import Outcome

ANSWERS = {
    "rate_limiter", "rest_vs_graphql", "migrations_demo", "cap_theorem", "auth",
    "error_handling", "scaling", "microservices", "api_security", "queue_demo", "app",
}  # fmt: skip
MAX_CHANGED_LINES = 30  # a bug a reviewer could miss, not a rewrite
FAST_TEST = "tests/microservices/test_circuit_breaker.py::test_a_success_resets_the_count_of_failures_in_a_row"


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


@pytest.mark.parametrize("lab", all_labs(), ids=lambda lab: lab.name)
def test_each_lab_names_existing_tests_and_has_a_complete_page(lab: Lab) -> None:
    for node_id in lab.tests:
        file, _, name = node_id.partition("::")
        assert (ROOT / file).is_file(), f"{lab.name}: {file} does not exist"
        assert name.split("[")[0] in functions_in(ROOT / file), f"{lab.name}: no {name} in {file}"
    page = lab.page.read_text()
    for section in PAGE_SECTIONS:
        assert f"## {section}" in page, f"{lab.name}: its page has no '## {section}'"
    assert lab.answer in ANSWERS, f"{lab.name}: unknown answer {lab.answer!r}"


@pytest.mark.parametrize("lab", all_labs(), ids=lambda lab: lab.name)
def test_each_lab_patches_only_the_answer_code_and_only_a_few_lines(lab: Lab) -> None:
    # A patch that touched the tests (or the labs) would prove nothing about the code.
    lines = lab.patch.read_text().splitlines()
    targets = [line.removeprefix("+++ b/") for line in lines if line.startswith("+++ ")]
    changed = [
        line
        for line in lines
        if line[:1] in "+-" and not line.startswith(("+++ ", "--- ")) and line[1:].strip()
    ]

    assert targets, f"{lab.name}: bug.patch names no file"
    assert not [t for t in targets if t.startswith(("tests/", "labs/"))], targets
    assert len(changed) <= MAX_CHANGED_LINES, f"{lab.name}: {len(changed)} lines changed"


def test_the_labs_cover_every_answer_and_the_mini_twilio() -> None:
    labs = all_labs()

    assert len(labs) >= 14
    assert {lab.answer for lab in labs} == ANSWERS


def labs_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labs", *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )


def write_lab(folder: Path, patch: str) -> None:
    folder.mkdir(parents=True)
    (folder / "lab.toml").write_text(
        f'title = "t"\nanswer = "microservices"\ntests = ["{FAST_TEST}"]\n'
    )
    (folder / "bug.patch").write_text(patch)
    (folder / "README.md").write_text(
        "".join(f"## {section}\n\nx\n\n" for section in PAGE_SECTIONS)
    )


def harmless_patch() -> str:
    """A real patch against the checkout that changes only a comment: a lab with no teeth."""
    original = (ROOT / "labs" / "__init__.py").read_text().splitlines(keepends=True)
    first = original[0]
    return (
        "--- a/labs/__init__.py\n+++ b/labs/__init__.py\n@@ -1,1 +1,2 @@\n"
        f"+# a comment changes nothing\n {first}"
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="labs copy the checkout with git ls-files")
def test_check_names_a_lab_whose_bug_no_longer_makes_its_tests_fail(tmp_path: Path) -> None:
    write_lab(tmp_path / "toothless", harmless_patch())

    result = labs_cli("--labs-dir", str(tmp_path), "check")

    assert result.returncode == 1
    assert (
        f"lab toothless: with the bug applied, {FAST_TEST} still pass: the lab has lost its teeth"
        in result.stderr
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="labs copy the checkout with git ls-files")
def test_check_names_a_lab_whose_patch_no_longer_applies(tmp_path: Path) -> None:
    stale = "--- a/labs/__init__.py\n+++ b/labs/__init__.py\n@@ -1,1 +1,1 @@\n-no such line\n+x\n"
    write_lab(tmp_path / "stale", stale)

    result = labs_cli("--labs-dir", str(tmp_path), "check")

    assert result.returncode == 1
    assert "lab stale: bug.patch no longer applies to the code" in result.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="labs copy the checkout with git ls-files")
def test_running_a_lab_leaves_the_checkout_exactly_as_it_was(tmp_path: Path) -> None:
    write_lab(tmp_path / "toothless", harmless_patch())
    status = ["git", "status", "--porcelain", "--untracked-files=all"]
    before = subprocess.run(status, cwd=ROOT, capture_output=True, text=True, check=True).stdout

    result = labs_cli("--labs-dir", str(tmp_path), "run", "toothless")

    after = subprocess.run(status, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "The tests did not fail as expected (pytest exit 0)" in result.stdout
    assert after == before


def test_an_unknown_lab_is_refused_in_one_line_listing_the_labs() -> None:
    result = labs_cli("run", "no-such-lab")

    assert result.returncode == 2
    assert result.stderr.startswith("labs: no lab named 'no-such-lab'; the labs are: ")
    assert result.stderr.strip().count("\n") == 0


def test_the_failures_shown_are_pytest_s_own_lines_not_log_records_at_error_level() -> None:
    output = "\n".join(
        [
            "ERROR    error_handling.access:request_logging.py:111 {'status': 500}",
            "tests/auth/test_attacks.py:402: assert 200 == 404",
            "FAILED tests/auth/test_attacks.py::test_x - assert 200 == 404",
            "ERROR tests/auth/test_attacks.py::test_y - fixture 'z' not found",
            "1 failed, 1 error in 1.62s",
        ]
    )

    shown = failures(Outcome(1, output))

    assert shown == output.splitlines()[1:]


@pytest.mark.skipif(shutil.which("git") is None, reason="labs copy the checkout with git ls-files")
def test_check_names_a_lab_whose_tests_never_finish_instead_of_waiting_forever(
    tmp_path: Path,
) -> None:
    # A bug can deadlock the very test meant to catch it; CI must still end, naming the lab.
    # Time is the subject: the patch's sleep is the hang (bounded, should a kill fail) and the
    # check's 3 s timeout must cut it short.
    hang = (
        "--- /dev/null\n+++ b/sitecustomize.py\n@@ -0,0 +1,2 @@\n+import time\n+time.sleep(120)\n"
    )
    write_lab(tmp_path / "hangs", hang)

    result = labs_cli("--labs-dir", str(tmp_path), "check", "--timeout", "3")

    assert result.returncode == 1
    assert "lab hangs: its tests did not finish within 3 s with the bug applied" in result.stderr
