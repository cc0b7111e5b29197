"""Benchmarks against the tools a user would otherwise run; `python -m benchmarks` runs them
all and prints the README's performance table (`benchmarks/run.py`)."""
