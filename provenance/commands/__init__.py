"""One library function per CLI command, each running the pipeline of DESIGN.md for it:
inputs -> evidence -> verification -> facts -> policy/decision -> record/report."""
