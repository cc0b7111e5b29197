"""`python -m provenance`: the same as the `provenance` command."""

from provenance._cli import main

main()
