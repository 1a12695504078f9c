"""`python -m migrations_demo.cli`: the Alembic project from the command line, in the demo schema.

upgrade/downgrade/current run against DATABASE_URL (schema `demo_migrations_demo`); sql and lint need no server.
"""

from __future__ import annotations

import argparse
import sys

from alembic.util import CommandError

from backing_services.resolve import services_for_demo
from migrations_demo import alembic_runner
from migrations_demo.lint import lint
from migrations_demo.settings import MigrationSettings

TARGET_HELP = "a revision: safe@head, naive@head, 0001_baseline, 0005_index_account_id, -1, base …"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m migrations_demo.cli", description=__doc__)
    parser.add_argument("--schema", help="work in this schema instead of the demo schema")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("upgrade", "downgrade"):
        commands.add_parser(name, help=f"{name} the demo schema").add_argument(
            "target", help=TARGET_HELP
        )
    commands.add_parser("current", help="print the demo schema's revision(s)")
    sql = commands.add_parser("sql", help="print the SQL a path would run (alembic upgrade --sql)")
    sql.add_argument("path", choices=sorted(alembic_runner_ranges()))
    check = commands.add_parser("lint", help="run squawk on a path's SQL; exit 1 when flagged")
    check.add_argument("path", choices=sorted(alembic_runner_ranges()))
    return parser.parse_args(argv)


def alembic_runner_ranges() -> dict[str, tuple[str, str]]:
    return {
        "naive": (alembic_runner.BASELINE, alembic_runner.NAIVE_HEAD),
        "safe": (alembic_runner.BASELINE, alembic_runner.SAFE_HEAD),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "sql":
        print(alembic_runner.offline_sql(*alembic_runner_ranges()[args.path]))
        return 0
    if args.command == "lint":
        result = lint(args.path)
        print(result.output or f"{args.path}: squawk found nothing to flag")
        return 1 if result.flagged else 0
    settings = MigrationSettings()
    if args.schema:
        settings.demo_schema = args.schema
    with services_for_demo():  # one clear line when PostgreSQL is missing
        url = alembic_runner.default_database_url(settings)  # creates the schema if it is missing
        try:
            if args.command == "upgrade":
                alembic_runner.upgrade(url, args.target, settings=settings, on_event=print)
            elif args.command == "downgrade":
                alembic_runner.downgrade(url, args.target, settings=settings)
        except CommandError as error:
            print(f"cannot {args.command} to {args.target!r}: {error}", file=sys.stderr)
            return 2
        print(
            f"{settings.demo_schema}: {', '.join(sorted(alembic_runner.current_revisions(url))) or 'empty'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
