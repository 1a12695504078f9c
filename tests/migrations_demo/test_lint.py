"""squawk reads the SQL Alembic would run: it must flag the naive revision and pass the safe ones."""

from migrations_demo.lint import lint


def test_squawk_flags_every_dangerous_statement_of_the_naive_revision() -> None:
    # Rule: the one-migration version is caught in CI before anyone runs it.
    result = lint("naive")

    assert result.flagged
    assert {
        "require-lock-timeout",
        "adding-not-nullable-field",
        "require-concurrent-index-creation",
        "constraint-missing-not-valid",
        "adding-foreign-key-constraint",
        "ban-drop-column",
    } <= set(result.rules)


def test_squawk_passes_the_safe_revisions() -> None:
    # Rule: the expand/contract revisions pass the same linter (one documented exclusion, lint.py).
    result = lint("safe")

    assert not result.flagged, result.output
    assert result.rules == ()
