"""`python -m rate_limiter`: the demo for "How would you design a rate-limiting system?"."""

print(
    'rate_limiter: the answer to "How would you design a rate-limiting system?" is coming (issue #11).'
)
