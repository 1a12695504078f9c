"""How many SQL statements did that request cost? Count them at the driver's door.

A `before_cursor_execute` listener on the engine sees every statement SQLAlchemy sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class StatementCounter:
    """Counts and keeps the SQL sent through one engine while attached.

    >>> with counting_statements(engine) as counter:
    ...     await client.get("/2010-04-01/Accounts/AC…/Messages.json")
    >>> counter.count
    1
    """

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()

    def __call__(self, *args: Any) -> None:
        # (conn, cursor, statement, parameters, context, executemany)
        self.statements.append(str(args[2]))


@contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", counter)
