"""The queue's knobs in one place: stream names, batch sizes, lease, retries, and test-only faults.

Every field is an environment variable prefixed `QUEUE_DEMO_`; the defaults are safe for local use.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Where a test may ask a process to SIGKILL itself, so that a crash lands exactly there.
CrashPoint = Literal["", "commit_before_ack", "xadd_before_mark", "mid_batch"]


class QueueSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUEUE_DEMO_", extra="ignore")

    stream: str = "queue_demo:messages"
    callbacks_stream: str = "queue_demo:callbacks"
    dead_letter_stream: str = "queue_demo:dead_letters"
    group: str = "deliverers"
    callbacks_group: str = "callbackers"
    # False when a host app owns the `messages` table and only the outbox, inbox and ledger are ours.
    own_messages_table: bool = True

    # Consumer: how much to read at once, how long to wait for it, how many carrier calls at once.
    batch_size: int = Field(default=200, ge=1, le=10_000)
    block_ms: int = Field(default=500, ge=1, le=60_000)
    concurrency: int = Field(default=50, ge=1, le=10_000)
    # Batches one consumer handles at once, so one batch waiting on a slow retry does not stall it.
    batches_in_flight: int = Field(default=2, ge=1, le=16)
    # An entry idle this long in another consumer's pending list is presumed orphaned and claimed.
    lease_ms: int = Field(default=5_000, ge=10)
    # The heartbeat keeps in-flight entries fresh so a slow handler is not mistaken for a dead one.
    heartbeat: bool = True
    # A delivery that keeps crashing its worker is dead-lettered after this many deliveries.
    max_deliveries: int = Field(default=5, ge=1)
    shutdown_deadline_s: float = Field(default=10.0, gt=0)

    # Retries of a transient carrier error: exponential backoff with full jitter.
    max_attempts: int = Field(default=4, ge=1)
    backoff_base_s: float = Field(default=0.05, gt=0)
    backoff_cap_s: float = Field(default=2.0, ge=0)

    # Relay: how many outbox rows per transaction, how long to nap when there are none.
    relay_batch: int = Field(default=500, ge=1, le=10_000)
    relay_idle_s: float = Field(default=0.02, ge=0)
    # The relay trims acknowledged entries this often (see trim.py for why not MAXLEN).
    trim_every_s: float = Field(default=10.0, gt=0)

    # The simulated carrier: a delay per call, a share of transient failures, numbers that never work.
    carrier_delay_s: float = Field(default=0.0, ge=0)
    carrier_failure_rate: float = Field(default=0.0, ge=0, le=1)
    poison_numbers: frozenset[str] = frozenset({"+15005550001"})

    # Status callbacks are signed with API_SECURITY_WEBHOOK_AUTH_TOKEN (api_security's settings).
    callback_timeout_s: float = Field(default=2.0, gt=0)

    # Test-only: SIGKILL this process the `crash_on_hit`-th time it reaches `crash_after`.
    crash_after: CrashPoint = ""
    crash_on_hit: int = Field(default=1, ge=1)
