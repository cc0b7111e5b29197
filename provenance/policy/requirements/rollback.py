"""`rollback: deny`: never admit a version older than the newest one of the same product
already admitted to the segment (a downgrade attack re-installs a known-vulnerable release).
"deny" is the one value (the schema's `const`), so the spec has no settings."""

from __future__ import annotations

from dataclasses import dataclass

from provenance.policy.requirements._entry import Entry
from provenance.policy.requirements._kind import RequirementHelp, RequirementKind, RequirementSpec

__all__ = ["KIND", "RollbackSpec"]


@dataclass(frozen=True)
class RollbackSpec(RequirementSpec):
    pass


def _parse(entry: Entry) -> RollbackSpec:
    return RollbackSpec()


KIND = RequirementKind(
    name="rollback",
    schema="#/$defs/rollback",
    spec=RollbackSpec,
    parse=_parse,
    help=RequirementHelp(
        "No rollback to an older version",
        "The version must not be older than the newest version of this product already "
        "admitted to the segment.",
        "Admit the newer release, or record why the downgrade is wanted and change policy.",
    ),
)
