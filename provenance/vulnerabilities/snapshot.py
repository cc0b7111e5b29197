"""Which vulnerability data a decision used: a digest over the imported sources.

Each import source (a path given to `vulndb import`) gets a manifest of the files read from it,
one line `<sha256 hex>  <path relative to the source>` per file, sorted: its SHA-256 is the
source's digest, which an auditor holding the same media recomputes with `sha256sum`. The
database snapshot is SHA-256 over a domain string and the digests of every source in import
order, so a decision names exactly which imports, in which order, built the data it read.

What it is not: a proof of the database's contents. Whoever can write the state directory can
change stored records without changing the digests; the snapshot names the data, and the
media it came from can be checked against it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["SNAPSHOT_DOMAIN", "SourceManifest", "snapshot_digest"]

SNAPSHOT_DOMAIN = b"provenance/vulndb-snapshot/v1\n"


@dataclass
class SourceManifest:
    """The files read from one import source, by relative path."""

    lines: dict[str, str] = field(default_factory=dict)  # relative path -> sha256 hex

    def add(self, relative: str, data: bytes) -> None:
        self.lines[relative] = hashlib.sha256(data).hexdigest()

    def add_digest(self, relative: str, sha256_hex: str) -> None:
        self.lines[relative] = sha256_hex

    def text(self) -> str:
        return "".join(f"{digest}  {path}\n" for path, digest in sorted(self.lines.items()))

    def digest(self) -> str:
        return hashlib.sha256(self.text().encode("utf-8")).hexdigest()


def snapshot_digest(source_digests: Sequence[str]) -> str:
    """`sha256:<hex>` over every source's digest, in import order."""
    hasher = hashlib.sha256(SNAPSHOT_DOMAIN)
    for digest in source_digests:
        hasher.update(f"{digest}\n".encode("ascii"))
    return f"sha256:{hasher.hexdigest()}"
