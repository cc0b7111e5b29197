"""The offline vulnerability database and OSV matching.

Modules:
- `packages`: purl type -> OSV ecosystem; the normalised package key per ecosystem.
- `versions`: version ordering per ecosystem (PEP 440, SemVer for Go/cargo/npm, Maven and
  Debian via univers); "cannot compare" is an explicit outcome.
- `osv_records`: strict OSV parsing (JSON, YAML) into frozen dataclasses.
- `osv_ranges`: is a version (or commit) affected by one `affected` entry.
- `database`: the SQLite file `<state>/vulndb.sqlite`: OSV records, KEV and CSAF storage,
  sources, status and age; `open_database` for readers, `open_for_import` for the importer.
- `importer`: files, directories, `all.zip` exports, KEV and CSAF into one transaction.
- `sync`: `vulndb sync --online`, downloading OSV exports over HTTPS.
- `matching`: SBOM components against the database.
"""

from __future__ import annotations

from provenance.vulnerabilities.database import (
    DatabaseStatus,
    VulnDatabase,
    VulnDatabaseError,
    open_database,
)
from provenance.vulnerabilities.matching import (
    ComponentMatches,
    ComponentRef,
    MatchResult,
    OsvMatch,
    UncheckedComponent,
    match_components,
)

__all__ = [
    "ComponentMatches",
    "ComponentRef",
    "DatabaseStatus",
    "MatchResult",
    "OsvMatch",
    "UncheckedComponent",
    "VulnDatabase",
    "VulnDatabaseError",
    "match_components",
    "open_database",
]
