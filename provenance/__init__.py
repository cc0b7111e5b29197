"""provenance: a zero-trust gate for software entering OT network segments."""

__version__ = "0.1.0"
