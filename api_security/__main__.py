"""`python -m api_security`: the demo for "How do you secure an API endpoint?"."""

print('api_security: the answer to "How do you secure an API endpoint?" is coming (issue #6).')
