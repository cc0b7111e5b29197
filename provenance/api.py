"""The public library entry points, one per command (implemented in `provenance.commands`)."""

from __future__ import annotations

from provenance.commands.verify import verify

__all__ = ["verify"]
