"""`python -m auth`: the demo for "Describe how you would implement authentication and authorization"."""

print(
    'auth: the answer to "Describe how you would implement authentication and authorization" is coming (issue #3).'
)
