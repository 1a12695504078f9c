"""The knobs of a production migration: how long DDL may wait for a lock, and how gently to backfill.

Every field is an environment variable prefixed `MIGRATIONS_DEMO_`; the defaults are safe ones.
"""

from pydantic_settings import BaseSettings, SettingsConfigDict


class MigrationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MIGRATIONS_DEMO_", extra="ignore")

    # A DDL statement that cannot get its lock within this time gives up, so the queue of
    # requests forming behind it never grows longer than this.
    lock_timeout_ms: int = 300
    # A short DDL statement (not VALIDATE, not the index build) that runs longer is a surprise.
    ddl_statement_timeout_ms: int = 10_000
    lock_retry_attempts: int = 40
    lock_retry_backoff_ms: int = 50
    lock_retry_backoff_max_ms: int = 1_000
    backfill_batch_size: int = 1_000
    # A pause between batches leaves room for replication and autovacuum to keep up.
    backfill_pause_ms: int = 5
    show_progress: bool = True
    # The request budget of the app versions the traffic generator plays.
    request_timeout_ms: int = 3_000
    # Demos and the CLI work in this schema, never in `public`.
    demo_schema: str = "demo_migrations_demo"
