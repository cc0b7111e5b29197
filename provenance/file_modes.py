"""Permission bits of the files the tool writes into its state directory."""

from __future__ import annotations

__all__ = ["PRIVATE_FILE_MODE", "SEALED_FILE_MODE"]

# A staged or temporary file (or a database of the site's) is the owner's alone.
PRIVATE_FILE_MODE = 0o600
# A file in the store or among the VSAs is never written again, only replaced by a rename.
SEALED_FILE_MODE = 0o400
