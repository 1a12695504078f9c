"""`python -m scaling`: the demo for "What is the difference between horizontal and vertical scaling?"."""

print(
    'scaling: the answer to "What is the difference between horizontal and vertical scaling?" is coming (issue #8).'
)
