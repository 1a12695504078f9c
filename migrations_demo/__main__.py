"""`python -m migrations_demo`: the demo for "How do you handle database migrations in production?"."""

print(
    'migrations_demo: the answer to "How do you handle database migrations in production?" is coming (issue #4).'
)
