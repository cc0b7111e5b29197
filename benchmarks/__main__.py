"""`python -m benchmarks`: every benchmark, each against its reference; the table on stdout."""

from benchmarks.run import main

main()
