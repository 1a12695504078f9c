"""How do you handle database migrations in production? Expand/contract, short locks, batched backfills.

Alembic project in `migrations/`; `python -m migrations_demo` measures naive vs safe under live traffic.
"""
