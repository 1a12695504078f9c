"""Turn a run's requests into the answer's numbers (per-phase p50/p99/max, errors) and its plot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backing_services.measure import percentile
from migrations_demo.scenario import MIGRATION_DONE, MIGRATION_STARTS, PathRun

PHASES = ("before", "during", "after")


@dataclass(frozen=True)
class PhaseStats:
    path: str
    phase: str
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def latency_ms(latencies: list[float], percent: float) -> float:
    """The repo's one percentile (`backing_services.measure`); a phase with no requests reports 0."""
    return percentile(latencies, percent) if latencies else 0.0


def phase_of(run: PathRun, started_s: float) -> str:
    if started_s < run.phase_time(MIGRATION_STARTS):
        return "before"
    return "during" if started_s < run.phase_time(MIGRATION_DONE) else "after"


def phase_stats(run: PathRun) -> list[PhaseStats]:
    stats = []
    for phase in PHASES:
        chosen = [r for r in run.requests if phase_of(run, r.started_s) == phase]
        latencies = sorted(r.latency_s * 1000 for r in chosen)
        stats.append(
            PhaseStats(
                path=run.path,
                phase=phase,
                requests=len(chosen),
                errors=sum(not r.ok for r in chosen),
                p50_ms=latency_ms(latencies, 50),
                p99_ms=latency_ms(latencies, 99),
                max_ms=latencies[-1] if latencies else 0.0,
            )
        )
    return stats


def error_kinds(run: PathRun) -> dict[str, int]:
    """How many failed requests per error type (the part of the message before the colon)."""
    kinds: dict[str, int] = {}
    for request in run.requests:
        if request.error:
            kind = request.error.split(":")[0]
            kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


MARKERS = {
    "migration starts": "migration starts",
    "migration done": "done",
    "app versions now v1+v2": "v2 deployed beside v1",
    "app versions now v2": "v1 retired",
}


def short_label(phase: str) -> str | None:
    """The plot's marker text for a phase boundary ("applied 0005_index_account_id" → "0005 index")."""
    if phase.startswith("applied "):
        number, name = phase.removeprefix("applied ").split("_", 2)[:2]
        return f"{number} {name}"
    if phase.startswith("long transaction opens"):
        return "long txn opens"
    return MARKERS.get(phase)


def plot(runs: list[PathRun], destination: Path) -> Path:
    """Latency over time, one panel per path, with the migration's phase boundaries marked."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(runs), 1, figsize=(11, 3.6 * len(runs)), sharey=True)
    for axis, run in zip(list(axes) if len(runs) > 1 else [axes], runs, strict=True):
        ok = [r for r in run.requests if r.ok]
        failed = [r for r in run.requests if not r.ok]
        axis.scatter([r.started_s for r in ok], [r.latency_s * 1000 for r in ok], s=3, label="ok")
        axis.scatter(
            [r.started_s for r in failed],
            [r.latency_s * 1000 for r in failed],
            s=14,
            marker="x",
            color="red",
            label=f"failed ({len(failed)})",
        )
        for at, phase in run.phases:
            label = short_label(phase)
            if label:
                axis.axvline(at, color="grey", linewidth=0.6, linestyle="--")
                axis.annotate(
                    label,
                    (at, 1),
                    xycoords=("data", "axes fraction"),
                    rotation=90,
                    fontsize=7,
                    va="top",
                    ha="right",
                    color="dimgrey",
                )
        axis.set_yscale("log")
        axis.set_ylabel("latency (ms)")
        axis.set_title(f"{run.path} path, {run.rows:,} rows")
        axis.legend(loc="upper right", fontsize=7)
    axes_list = list(axes) if len(runs) > 1 else [axes]
    axes_list[-1].set_xlabel("seconds since traffic started")
    figure.tight_layout()
    destination.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(destination, dpi=110)
    plt.close(figure)
    return destination
