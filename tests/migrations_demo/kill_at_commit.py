"""Run one migration and SIGKILL this process right after its Nth commit, as a pod eviction would.

    python -m tests.migrations_demo.kill_at_commit URL upgrade|downgrade TARGET N

The kill lands on progress (a committed step), never on the clock. Before dying it prints the step it
committed last. It exits 0 when the migration finished with fewer than N commits.
"""

from __future__ import annotations

import os
import signal
import sys

from migrations_demo import alembic_runner
from migrations_demo.settings import MigrationSettings


def main(argv: list[str]) -> None:
    url, direction, target, kill_after = argv[0], argv[1], argv[2], int(argv[3])
    commits = 0

    def on_commit(step: str) -> None:
        nonlocal commits
        commits += 1
        if commits == kill_after:
            print(step, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no rollback of our own: the server's

    settings = MigrationSettings(show_progress=False, backfill_batch_size=500, backfill_pause_ms=0)
    if direction == "upgrade":
        alembic_runner.upgrade(url, target, settings=settings, on_commit=on_commit)
    else:
        alembic_runner.downgrade(url, target, settings=settings, on_commit=on_commit)


if __name__ == "__main__":
    main(sys.argv[1:])
