"""One model for CycloneDX (JSON, XML) and SPDX 2.3 SBOMs, built in one pass, immutable.

Only what policy reads is kept: the document's metadata, each component's identity, hashes
and licences (nested components flattened, with their depth), and the dependency graph. The
graph may hold cycles (real SBOMs have them); `dependency_closure` never loops.

The per-component records are NamedTuples, not frozen dataclasses: an SBOM may hold 10^5 of
them, and a frozen dataclass costs about five times as much to build (each field is set
through `object.__setattr__`), which was a tenth of checking a 50,000-component SBOM.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, NamedTuple

__all__ = [
    "Component",
    "ComponentHash",
    "DocumentMetadata",
    "LicenseChoice",
    "Sbom",
    "dependency_closure",
]

SbomFormat = Literal["CycloneDX", "SPDX"]


class ComponentHash(NamedTuple):
    algorithm: str  # as the SBOM names it, upper case: SHA-256, SHA-1, SHA3-512, ...
    value: str  # lowercase hex


class LicenseChoice(NamedTuple):
    """One licence statement: an SPDX expression, an SPDX licence id, or a free-text name."""

    kind: Literal["expression", "id", "name"]
    text: str


class Component(NamedTuple):
    name: str
    version: str | None = None
    bom_ref: str | None = None  # CycloneDX bom-ref, SPDX SPDXID
    component_type: str | None = None
    supplier: str | None = None
    purl: str | None = None
    cpe: str | None = None
    swid: str | None = None  # SWID tagId
    swhid: tuple[str, ...] = ()
    hashes: tuple[ComponentHash, ...] = ()
    licenses: tuple[LicenseChoice, ...] = ()
    depth: int = 0  # 0: a top-level component; n: nested n levels inside others
    # Model, order or part numbers and SKUs from the component's properties (see
    # `_builder.MODEL_NUMBER_PROPERTIES`): how ICS advisories name hardware and firmware.
    model_numbers: tuple[str, ...] = ()

    @property
    def identifiers(self) -> tuple[str, ...]:
        """The component's unique identifiers (purl, CPE, SWID tag, SWHID), as given."""
        found = (self.purl, self.cpe, self.swid, *self.swhid)
        return tuple(value for value in found if value)

    def sha256(self) -> str | None:
        return next((h.value for h in self.hashes if h.algorithm == "SHA-256"), None)


@dataclass(frozen=True, slots=True)
class DocumentMetadata:
    timestamp: str | None = None  # as written (schema-checked date-time for CycloneDX)
    authors: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()  # "name version" of each generating tool
    supplier: str | None = None
    lifecycles: tuple[str, ...] = ()  # generation context: CycloneDX metadata.lifecycles
    component: Component | None = None  # what the SBOM describes (the artifact)


@dataclass(frozen=True, slots=True)
class Sbom:
    format: SbomFormat
    spec_version: str  # "1.6" (CycloneDX), "SPDX-2.3"
    encoding: Literal["json", "xml"]
    serial_number: str | None
    metadata: DocumentMetadata
    components: tuple[Component, ...]
    # bom-ref -> the bom-refs it depends on; only refs that have an entry are listed.
    dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Things that do not make the document unusable but a reviewer should see.
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "dependencies", MappingProxyType(dict(self.dependencies)))

    @property
    def label(self) -> str:
        return f"{self.format} {self.spec_version} ({self.encoding})"


def dependency_closure(sbom: Sbom, ref: str) -> Iterator[str]:
    """Every bom-ref `ref` depends on, directly or not, each once; cycles end the walk."""
    seen = {ref}
    stack = [ref]
    while stack:
        for child in sbom.dependencies.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
                yield child
