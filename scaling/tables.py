"""The experiments' results as rich tables, shared by `python -m scaling` and the benchmark."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from scaling.cache_experiment import CacheRow
from scaling.partitioning import BalanceRow, MovementRow
from scaling.shared_state import LimiterOutcome, SessionOutcome
from scaling.throughput import ThroughputRow


def throughput_table(rows: Sequence[ThroughputRow]) -> Table:
    table = Table(
        "layout",
        "processes",
        "route",
        "req/s",
        "p50 ms",
        "p99 ms",
        "efficiency",
        "served by",
        "failed",
    )
    for r in rows:
        efficiency = "—" if r.efficiency is None else f"{r.efficiency:.2f}"
        table.add_row(
            r.layout,
            str(r.processes),
            r.route,
            f"{r.per_second:.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}",
            efficiency,
            str(r.instances_seen),
            str(r.failed),
        )
    return table


def limiter_table(outcomes: Sequence[LimiterOutcome]) -> Table:
    table = Table(
        "bucket in", "instances", "limit", "sent", "admitted", "× limit", "admitted per instance"
    )
    for o in outcomes:
        per_instance = ", ".join(str(n) for _, n in sorted(o.admitted_by.items()))
        table.add_row(
            o.store,
            str(o.instances),
            str(o.limit),
            str(o.sent),
            str(o.admitted),
            f"{o.times_the_limit:.1f}",
            per_instance,
        )
    return table


def session_table(outcomes: Sequence[SessionOutcome]) -> Table:
    table = Table("session in", "instances", "reads", "found", "lost")
    for o in outcomes:
        table.add_row(o.store, str(o.instances), str(o.reads), str(o.found), str(o.reads - o.found))
    return table


def movement_table(rows: Sequence[MovementRow], keys: int) -> Table:
    table = Table(
        "N → N+1",
        "mod N moves",
        "N/(N+1)",
        "ring moves",
        "jump moves",
        "1/(N+1)",
        title=f"{keys:,} keys",
    )
    for r in rows:
        table.add_row(
            f"{r.nodes} → {r.nodes + 1}",
            f"{r.modulo:.1%}",
            f"{r.modulo_theory:.1%}",
            f"{r.ring:.1%}",
            f"{r.jump:.1%}",
            f"{r.consistent_theory:.1%}",
        )
    return table


def balance_table(rows: Sequence[BalanceRow], jump_max_over_mean: float) -> Table:
    table = Table("placement", "busiest ÷ mean")
    for r in rows:
        table.add_row(f"ring, {r.vnodes} vnodes × {r.nodes} nodes", f"{r.max_over_mean:.2f}")
    table.add_row(f"jump hash, {rows[0].nodes} buckets", f"{jump_max_over_mean:.2f}")
    return table


def cache_table(rows: Sequence[CacheRow]) -> Table:
    table = Table("read path", "reads", "DB queries", "hit ratio", "p50 µs", "p99 µs", "reads/s")
    for r in rows:
        table.add_row(
            r.path,
            str(r.reads),
            str(r.database_queries),
            f"{r.hit_ratio:.1%}",
            f"{r.p50_us:.0f}",
            f"{r.p99_us:.0f}",
            f"{r.per_second:.0f}",
        )
    return table
