"""`python -m microservices`: the demo for "Explain microservices architecture and its trade-offs"."""

print(
    'microservices: the answer to "Explain microservices architecture and its trade-offs" is coming (issue #9).'
)
