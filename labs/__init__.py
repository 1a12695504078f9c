"""Break-it labs: each one puts a classic production bug back into the real code and runs the tests
that prove the answer, so a student watches the proof fail and learns what the failure looks like."""
