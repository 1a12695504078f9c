"""Read your own writes from a replica that lags: remember how far your writes got, read only
from a node that has come at least that far, and fall back to the primary when none has.

The token is the primary's replication stream position (id and offset), the same idea as a
PostgreSQL LSN compared with `pg_last_wal_replay_lsn()` or a MongoDB causally consistent session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cap_theorem.cluster import Node, replication

Served = Literal["primary", "replica"]


@dataclass(frozen=True)
class Position:
    """A point in one replication history; offsets of different histories do not compare."""

    replid: str
    offset: int


@dataclass(frozen=True)
class Read:
    value: str | None
    served_by: Served


class ReadYourWritesSession:
    """One client's session: its reads reflect every write it made, wherever they are served."""

    def __init__(self, primary: Node, replica: Node) -> None:
        self.primary, self.replica = primary, replica
        self.seen: Position | None = None  # how far this session's own writes reached

    async def write(self, key: str, value: str) -> None:
        await self.primary.admin.set(key, value)
        # Read after the write returned, so the position is at or beyond it: safe, if conservative.
        self.seen = await _position(self.primary, "master_repl_offset")

    async def read(self, key: str) -> Read:
        node = self.replica if await self._replica_has_caught_up() else self.primary
        value = await node.admin.get(key)  # the admin clients decode responses to str
        return Read(
            None if value is None else str(value), "replica" if node is self.replica else "primary"
        )

    async def _replica_has_caught_up(self) -> bool:
        if self.seen is None:
            return True  # nothing written in this session: any replica's answer is ours to take
        # Offsets only grow within one history, so once it has caught up it stays caught up for
        # the read that follows; a resync or failover starts a new history, and then we ask again.
        applied = await _position(self.replica, "slave_repl_offset")
        return applied.replid == self.seen.replid and applied.offset >= self.seen.offset


async def _position(node: Node, field: str) -> Position:
    info = await replication(node)
    return Position(str(info["master_replid"]), int(info.get(field, -1)))
