"""The command lines (`python -m migrations_demo.cli`, `python -m migrations_demo`) answer clearly."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from backing_services import get_settings
from backing_services.local_processes import free_port
from backing_services.resolve import ServiceURLs
from migrations_demo import alembic_runner
from migrations_demo.__main__ import parse_args
from migrations_demo.cli import main as cli


def schema_of(database_url: str) -> str:
    return str(make_url(database_url).query["options"]).split("=", 1)[1]


@pytest.fixture
def services_env(
    monkeypatch: pytest.MonkeyPatch, service_urls: ServiceURLs, redis_url: str
) -> Iterator[None]:
    """The CLI finds its services in the environment, as a user's shell gives them: this test's."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("DATABASE_URL", service_urls.database_url)
    get_settings.cache_clear()  # settings are read once per process; this test changed them
    yield
    get_settings.cache_clear()


def demo_env(redis_url: str, database_url: str) -> dict[str, str]:
    return {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": database_url}


@pytest.mark.usefixtures("services_env")
def test_cli_upgrades_a_schema_to_the_safe_head(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Rule: `upgrade safe@head` runs every safe revision and reports where the schema ends up.
    code = cli(["--schema", schema_of(database_url), "upgrade", "safe@head"])

    assert code == 0
    assert (
        capsys.readouterr().out.splitlines()[-1]
        == f"{schema_of(database_url)}: 0008_contract_account_sid"
    )
    assert alembic_runner.current_revisions(database_url) == {"0008_contract_account_sid"}


@pytest.mark.usefixtures("services_env")
def test_cli_refuses_the_ambiguous_head_and_names_the_branches(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Rule: two paths share the baseline, so plain `head` is ambiguous; the message says what to type.
    code = cli(["--schema", schema_of(database_url), "upgrade", "head"])

    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "cannot upgrade to 'head': Multiple head revisions are present for given argument 'head'; "
        "please specify a specific target revision, '<branchname>@head' to narrow to a specific head, "
        "or 'heads' for all heads"
    )


@pytest.mark.usefixtures("services_env")
def test_cli_refuses_an_unknown_revision(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Rule: a typo in the target is named back, and nothing runs.
    code = cli(["--schema", schema_of(database_url), "upgrade", "0042_nope"])

    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "cannot upgrade to '0042_nope': Can't locate revision identified by '0042_nope'"
    )
    assert alembic_runner.current_revisions(database_url) == set()


def test_cli_prints_the_safe_sql_with_a_lock_timeout_in_every_ddl_transaction(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Rule: the offline SQL is what a reviewer (and squawk) sees: each DDL transaction sets its timeouts.
    assert cli(["sql", "safe"]) == 0

    sql = capsys.readouterr().out
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_messages_account_id_id" in sql
    assert sql.count("SET LOCAL lock_timeout = '300ms'") == sql.count("SET LOCAL statement_timeout")
    assert sql.count("SET LOCAL lock_timeout") >= 6


def test_cli_lint_exits_one_for_the_naive_path(capsys: pytest.CaptureFixture[str]) -> None:
    # Rule: `lint naive` fails the build, as CI needs.
    assert cli(["lint", "naive"]) == 1
    assert "ban-drop-column" in capsys.readouterr().out


def test_demo_refuses_too_few_rows(capsys: pytest.CaptureFixture[str]) -> None:
    # Rule: demo flags are validated with one line naming the bound.
    with pytest.raises(SystemExit) as exited:
        parse_args(["--rows", "5"])

    assert exited.value.code == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith("error: argument --rows: must be between 100 and 20000000, not 5")
    )


def test_demo_refuses_a_blocker_that_is_not_a_number(capsys: pytest.CaptureFixture[str]) -> None:
    # Rule: a non-number is named back as such.
    with pytest.raises(SystemExit) as exited:
        parse_args(["--blocker-s", "soon"])

    assert exited.value.code == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith("error: argument --blocker-s: expected a number, not 'soon'")
    )


def test_demo_says_in_one_line_that_postgres_is_unreachable(redis_url: str) -> None:
    # Rule: without PostgreSQL the demo exits with one actionable line, not a traceback.
    port = free_port()
    completed = subprocess.run(
        [sys.executable, "-m", "migrations_demo", "--rows", "100"],
        env=demo_env(redis_url, f"postgresql://postgres@127.0.0.1:{port}/test"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 1
    assert completed.stderr.strip() == (
        f"cannot run the demo: PostgreSQL is not answering at 127.0.0.1:{port} (DATABASE_URL): "
        "Connection refused. Start it, or unset DATABASE_URL to use Docker."
    )


def test_demo_says_in_one_line_that_the_database_does_not_exist(
    redis_url: str, service_urls: ServiceURLs
) -> None:
    # Rule: a server that answers but lacks the named database is named, with how to create it.
    missing = f"no_such_db_{uuid.uuid4().hex[:8]}"
    database_url = make_url(service_urls.database_url).set(database=missing)
    completed = subprocess.run(
        [sys.executable, "-m", "migrations_demo", "--rows", "100"],
        env=demo_env(redis_url, database_url.render_as_string(hide_password=False)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 1
    assert completed.stderr.startswith("cannot run the demo: PostgreSQL at ")
    assert f'has no database "{missing}" (DATABASE_URL): create it (createdb ' in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
