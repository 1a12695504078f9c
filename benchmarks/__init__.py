"""The scripts behind every figure in the READMEs: `python -m benchmarks.<name>`; results in `results/`."""
