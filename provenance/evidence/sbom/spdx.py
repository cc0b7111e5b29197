"""SPDX 2.3 JSON: a strict reader of what the gate needs, so vendors shipping SPDX are served.

Read: creationInfo (created, creators), packages (SPDXID, name, versionInfo, supplier,
externalRefs purl/cpe/swh, checksums, licenseConcluded/licenseDeclared), the described
package (documentDescribes or a DESCRIBES relationship), and dependency relationships.
Every field read is type-checked; a field of the wrong type or a repeated SPDXID refuses the
document. Fields not read are not checked (this is not a full SPDX validator).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provenance.errors import EvidenceError
from provenance.evidence.sbom.limits import MAX_COMPONENTS, MAX_DEPENDENCY_EDGES
from provenance.evidence.sbom.model import (
    Component,
    ComponentHash,
    DocumentMetadata,
    LicenseChoice,
    Sbom,
)

__all__ = ["SPDX_VERSIONS", "parse_spdx_json"]

SPDX_VERSIONS = ("SPDX-2.3",)
_NO_VALUE = ("NOASSERTION", "NONE")
# a -> b edges; the *_OF types point the other way.
_FORWARD = {"DEPENDS_ON", "CONTAINS"}
_REVERSED = {
    "DEPENDENCY_OF", "CONTAINED_BY", "BUILD_DEPENDENCY_OF", "DEV_DEPENDENCY_OF",
    "OPTIONAL_DEPENDENCY_OF", "PROVIDED_DEPENDENCY_OF", "TEST_DEPENDENCY_OF",
    "RUNTIME_DEPENDENCY_OF",
}  # fmt: skip
_ALGORITHMS = {
    "SHA1": "SHA-1", "SHA224": "SHA-224", "SHA256": "SHA-256", "SHA384": "SHA-384",
    "SHA512": "SHA-512", "SHA3-256": "SHA3-256", "SHA3-384": "SHA3-384", "SHA3-512": "SHA3-512",
    "MD5": "MD5", "BLAKE2b-256": "BLAKE2b-256", "BLAKE2b-384": "BLAKE2b-384",
    "BLAKE2b-512": "BLAKE2b-512", "BLAKE3": "BLAKE3",
}  # fmt: skip


class _Reader:
    def __init__(self, what: str) -> None:
        self.what = what

    def fail(self, problem: str) -> EvidenceError:
        return EvidenceError(f"{self.what}: not valid SPDX 2.3: {problem}", check="sbom")

    def field(
        self, raw: Mapping[str, Any], key: str, kind: type, at: str, *, required: bool = False
    ) -> Any:
        value = raw.get(key)
        if value is None:
            if required:
                raise self.fail(f"{at}: expected {key}, got none")
            return None
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            raise self.fail(f"{at}.{key}: expected a non-empty {kind.__name__}, got {value!r:.80}")
        return value

    def objects(self, raw: Mapping[str, Any], key: str, at: str) -> list[Mapping[str, Any]]:
        items = self.field(raw, key, list, at) or []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.fail(f"{at}.{key}[{index}]: expected an object, got {item!r:.80}")
        return items

    def package(self, raw: Mapping[str, Any], at: str) -> Component:
        spdx_id = self.field(raw, "SPDXID", str, at, required=True)
        name = self.field(raw, "name", str, at, required=True)
        version = self.field(raw, "versionInfo", str, at)
        supplier = self.field(raw, "supplier", str, at)
        if supplier in _NO_VALUE:
            supplier = None
        elif supplier is not None:
            supplier = supplier.partition(":")[2].strip() or supplier
        refs: dict[str, str] = {}
        for index, ref in enumerate(self.objects(raw, "externalRefs", at)):
            where = f"{at}.externalRefs[{index}]"
            kind = self.field(ref, "referenceType", str, where, required=True)
            locator = self.field(ref, "referenceLocator", str, where, required=True)
            refs.setdefault(kind, locator)
        hashes = []
        for index, checksum in enumerate(self.objects(raw, "checksums", at)):
            where = f"{at}.checksums[{index}]"
            algorithm = self.field(checksum, "algorithm", str, where, required=True)
            value = self.field(checksum, "checksumValue", str, where, required=True)
            if algorithm not in _ALGORITHMS:
                raise self.fail(f"{where}.algorithm: expected an SPDX algorithm, got {algorithm!r}")
            hashes.append(ComponentHash(_ALGORITHMS[algorithm], value.lower()))
        licenses = []
        for key in ("licenseConcluded", "licenseDeclared"):
            text = self.field(raw, key, str, at)
            if text is not None and text not in _NO_VALUE:
                licenses.append(LicenseChoice("expression", text))
                break
        return Component(
            name=name,
            version=version,
            bom_ref=spdx_id,
            component_type=self.field(raw, "primaryPackagePurpose", str, at),
            supplier=supplier,
            purl=refs.get("purl"),
            cpe=refs.get("cpe23Type") or refs.get("cpe22Type"),
            swhid=(refs["swh"],) if "swh" in refs else (),
            hashes=tuple(hashes),
            licenses=tuple(licenses),
        )


def parse_spdx_json(document: Mapping[str, Any], what: str) -> Sbom:
    reader = _Reader(what)
    version = document.get("spdxVersion")
    if version not in SPDX_VERSIONS:
        raise EvidenceError(
            f"{what}: expected spdxVersion one of {', '.join(SPDX_VERSIONS)}, got {version!r}",
            check="sbom",
        )
    if document.get("SPDXID") != "SPDXRef-DOCUMENT":
        raise reader.fail(f"expected SPDXID 'SPDXRef-DOCUMENT', got {document.get('SPDXID')!r}")
    creation = reader.field(document, "creationInfo", dict, "document", required=True)
    created = reader.field(creation, "created", str, "creationInfo", required=True)
    creators = reader.field(creation, "creators", list, "creationInfo", required=True)
    authors: list[str] = []
    tools: list[str] = []
    for index, creator in enumerate(creators):
        if not isinstance(creator, str) or ":" not in creator:
            raise reader.fail(
                f"creationInfo.creators[{index}]: expected 'Kind: name', got {creator!r:.80}"
            )
        kind, _, name = creator.partition(":")
        (tools if kind.strip() == "Tool" else authors).append(name.strip())
    packages = reader.objects(document, "packages", "document")
    if len(packages) > MAX_COMPONENTS:
        raise reader.fail(f"expected at most {MAX_COMPONENTS} packages, got {len(packages)}")
    components: list[Component] = []
    by_id: dict[str, Component] = {}
    for index, raw in enumerate(packages):
        component = reader.package(raw, f"packages[{index}]")
        if component.bom_ref in by_id:
            raise reader.fail(f"expected unique package SPDXIDs, got {component.bom_ref!r} twice")
        by_id[component.bom_ref or ""] = component
        components.append(component)
    described = list(reader.field(document, "documentDescribes", list, "document") or [])
    graph: dict[str, list[str]] = {}
    edges = 0
    for index, relation in enumerate(reader.objects(document, "relationships", "document")):
        at = f"relationships[{index}]"
        source = reader.field(relation, "spdxElementId", str, at, required=True)
        kind = reader.field(relation, "relationshipType", str, at, required=True)
        target = reader.field(relation, "relatedSpdxElement", str, at, required=True)
        if kind == "DESCRIBES" and source == "SPDXRef-DOCUMENT":
            described.append(target)
        elif kind in _FORWARD or kind in _REVERSED:
            a, b = (source, target) if kind in _FORWARD else (target, source)
            if b not in graph.setdefault(a, []):
                graph[a].append(b)
                edges += 1
                if edges > MAX_DEPENDENCY_EDGES:
                    raise reader.fail(f"expected at most {MAX_DEPENDENCY_EDGES} relationships")
    warnings = [
        f"dependency graph names {ref!r}, which no package has"
        for ref in dict.fromkeys(r for a, bs in graph.items() for r in (a, *bs))
        if ref not in by_id and not ref.startswith(("DocumentRef-", "SPDXRef-DOCUMENT"))
    ][:20]
    described_ids = list(dict.fromkeys(d for d in described if isinstance(d, str)))
    subject = by_id.get(described_ids[0]) if len(described_ids) == 1 else None
    return Sbom(
        format="SPDX",
        spec_version=version,
        encoding="json",
        serial_number=reader.field(document, "documentNamespace", str, "document"),
        metadata=DocumentMetadata(
            timestamp=created,
            authors=tuple(authors),
            tools=tuple(tools),
            supplier=subject.supplier if subject else None,
            component=subject,
        ),
        components=tuple(components),
        dependencies={ref: tuple(targets) for ref, targets in graph.items()},
        warnings=tuple(warnings),
    )
