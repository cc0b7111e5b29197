"""Support for the record-layer tests: event factories and a crash-test admit loop."""
