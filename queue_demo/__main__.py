"""`python -m queue_demo`: the demo for "Describe your experience with message queues and event-driven architecture"."""

print(
    'queue_demo: the answer to "Describe your experience with message queues and event-driven architecture" is coming (issue #12).'
)
