"""`python -m error_handling`: the demo for "How do you handle error handling and logging in a production system?"."""

print(
    'error_handling: the answer to "How do you handle error handling and logging in a production system?" is coming (issue #5).'
)
