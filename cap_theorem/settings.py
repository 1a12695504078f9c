"""Knobs for the CAP demo and tests: how long each phase lasts and how hard clients push.

Every field is an environment variable prefixed `CAP_THEOREM_`; the CLI flags override them.
"""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CapTheoremSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAP_THEOREM_", extra="ignore")

    clients: int = Field(default=4, ge=2, le=32)
    # Pause between one client's operations: it bounds the history the checker must search.
    think_ms: float = Field(default=10.0, ge=0.0, le=1000.0)
    healthy_s: float = Field(default=0.8, gt=0.0, le=600.0)
    partition_s: float = Field(default=1.5, gt=0.0, le=600.0)
    healed_s: float = Field(default=0.8, gt=0.0, le=600.0)
    # CP mode: how long a write waits for the replica's acknowledgement (`WAIT 1 <ms>`).
    wait_timeout_ms: int = Field(default=100, ge=1, le=60_000)
    operation_timeout_s: float = Field(default=1.0, gt=0.0, le=60.0)
    seed: int = 7
    # Bounds the checker's memory; past it the verdict is "unknown", never a guess.
    max_checker_states: int = Field(default=300_000, ge=1_000)
    output_dir: Path = Path("out/cap_theorem")
