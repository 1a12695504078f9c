"""`python -m cap_theorem`: the demo for "What is the CAP theorem?"."""

print('cap_theorem: the answer to "What is the CAP theorem?" is coming (issue #7).')
