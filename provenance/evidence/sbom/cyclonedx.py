"""CycloneDX SBOMs, JSON (1.2-1.7) and XML (1.0-1.7): schema-validated, then modelled.

Algorithm (JSON):
1. Parse strictly (`_json.load_strict_json`: duplicate keys and deep nesting refused).
2. Require `bomFormat: CycloneDX` and a `specVersion` with a bundled schema; an unknown
   version is refused, never validated against a neighbour's schema.
3. Validate against that version's schema with format checking (jsonschema-rs).
4. Build the model in one pass (`_builder.CycloneDxBuilder`).

Algorithm (XML):
1. Parse with a hardened lxml parser: no entity substitution, no DTD loading, no network,
   libxml2's default size limits (huge_tree off). A document with a DOCTYPE is refused: a
   CycloneDX document never needs one, and that is where billion-laughs and external
   entities live.
2. The root's namespace names the version (http://cyclonedx.org/schema/bom/1.6).
3. Validate against that version's XSD.
4. Convert the parts the model reads to CycloneDX's JSON shape and build as for JSON.

Why not cyclonedx-python-lib's `Bom.from_json` / `JsonStrictValidator`: far too slow for
SBOMs of tens of thousands of components (see benchmarks/sbom_check_vs_cyclonedx.py); its
schema files are used, its model is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
from lxml import etree

from provenance.errors import EvidenceError
from provenance.evidence.sbom._builder import CycloneDxBuilder
from provenance.evidence.sbom._schemas import (
    JSON_VERSIONS,
    XML_VERSIONS,
    json_validator,
    schema_parser,
    xml_schema,
)
from provenance.evidence.sbom.model import Sbom

__all__ = ["parse_cyclonedx_json", "parse_cyclonedx_xml", "parse_xml_document"]

_NAMESPACE_PREFIX = "http://cyclonedx.org/schema/bom/"
# CycloneDX 1.1's dependency-graph extension (1.2 made the graph part of the core schema).
_DEPENDENCY_GRAPH_NS = "http://cyclonedx.org/schema/ext/dependency-graph/1.0"
_MAX_SCHEMA_ERROR = 300


def _fail(what: str, problem: str) -> EvidenceError:
    return EvidenceError(f"{what}: {problem}", check="sbom")


def _pointer(path: list[str | int]) -> str:
    return "/" + "/".join(str(part) for part in path)


def parse_cyclonedx_json(document: dict[str, Any], what: str) -> Sbom:
    """A CycloneDX JSON document (already strictly parsed) -> `Sbom`; `EvidenceError` if it is
    not valid for its declared version. The document's `components` arrays are consumed
    (emptied to None as they are modelled, to bound peak memory); other keys are untouched."""
    version = document.get("specVersion")
    if version not in JSON_VERSIONS:
        raise _fail(
            what,
            f"expected CycloneDX specVersion one of {', '.join(JSON_VERSIONS)}, got {version!r}",
        )
    try:
        json_validator(version).validate(document)
    except jsonschema_rs.ValidationError as exc:
        message = " ".join(exc.message.split())[:_MAX_SCHEMA_ERROR]
        raise _fail(
            what,
            f"not valid CycloneDX {version}: at {_pointer(exc.instance_path)}: {message}",
        ) from exc
    builder = CycloneDxBuilder(what)
    metadata = builder.metadata(document.get("metadata"))
    builder.add_components(document.get("components", []))
    dependencies = builder.dependencies(document.get("dependencies"))
    return builder.build(
        spec_version=version,
        encoding="json",
        serial_number=document.get("serialNumber"),
        metadata=metadata,
        dependencies=dependencies,
    )


def parse_xml_document(data: bytes, what: str) -> etree._ElementTree:
    """Parse untrusted XML with the hardened parser; refuse any DOCTYPE."""
    try:
        tree = etree.ElementTree(etree.fromstring(data, schema_parser()))
    except etree.XMLSyntaxError as exc:
        raise _fail(what, f"expected well-formed XML, got: {exc}") from exc
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _fail(
            what,
            "expected XML without a DOCTYPE, got a document type declaration (DTDs and "
            "entities are refused: entity expansion and external entities are attacks here)",
        )
    return tree


def parse_cyclonedx_xml(data: bytes, what: str) -> Sbom:
    tree = parse_xml_document(data, what)
    root = tree.getroot()
    namespace = etree.QName(root).namespace or ""
    version = namespace.removeprefix(_NAMESPACE_PREFIX)
    if not namespace.startswith(_NAMESPACE_PREFIX) or version not in XML_VERSIONS:
        raise _fail(
            what,
            f"expected a CycloneDX XML namespace {_NAMESPACE_PREFIX}<version> with version one "
            f"of {', '.join(XML_VERSIONS)}, got {namespace or 'none'!r}",
        )
    if etree.QName(root).localname != "bom":
        raise _fail(what, f"expected root element bom, got {etree.QName(root).localname!r}")
    schema = xml_schema(version)
    if not schema.validate(tree):
        error = schema.error_log.last_error
        message = " ".join(str(error.message).split())[:_MAX_SCHEMA_ERROR]
        raise _fail(what, f"not valid CycloneDX {version}: line {error.line}: {message}")
    reader = _XmlReader(namespace)
    builder = CycloneDxBuilder(what)
    metadata = builder.metadata(reader.metadata(root))
    listed = reader.all(root, "components", "component")
    builder.add_components([reader.component(component) for component in listed])
    dependencies = builder.dependencies(reader.dependencies(root, what))
    return builder.build(
        spec_version=version,
        encoding="xml",
        serial_number=root.get("serialNumber"),
        metadata=metadata,
        dependencies=dependencies,
    )


class _XmlReader:
    """CycloneDX XML -> the JSON shape `CycloneDxBuilder` reads, for the fields it reads."""

    def __init__(self, namespace: str) -> None:
        self.ns = "{" + namespace + "}"

    def child(self, element: etree._Element, name: str) -> etree._Element | None:
        return element.find(self.ns + name)

    def text(self, element: etree._Element, name: str) -> str | None:
        found = element.find(self.ns + name)
        return (found.text or "").strip() if found is not None else None

    def all(self, element: etree._Element, *path: str) -> Iterator[etree._Element]:
        return iter(element.iterfind("/".join(self.ns + part for part in path)))

    def entity(self, element: etree._Element | None) -> dict[str, Any] | None:
        if element is None:
            return None
        return {"name": self.text(element, "name"), "url": [self.text(element, "url")]}

    def licenses(self, element: etree._Element) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        holder = self.child(element, "licenses")
        if holder is None:
            return found
        for entry in holder:
            local = etree.QName(entry).localname
            if local == "expression":
                found.append({"expression": (entry.text or "").strip()})
            elif local == "license":
                found.append(
                    {"license": {"id": self.text(entry, "id"), "name": self.text(entry, "name")}}
                )
        return found

    def component(self, element: etree._Element) -> dict[str, Any]:
        swid = self.child(element, "swid")
        return {
            "type": element.get("type"),
            "bom-ref": element.get("bom-ref"),
            "name": self.text(element, "name"),
            "version": self.text(element, "version"),
            "supplier": self.entity(self.child(element, "supplier")),
            "manufacturer": self.entity(self.child(element, "manufacturer")),
            "publisher": self.text(element, "publisher"),
            "purl": self.text(element, "purl"),
            "cpe": self.text(element, "cpe"),
            "swid": {"tagId": swid.get("tagId")} if swid is not None else None,
            "swhid": [(e.text or "").strip() for e in self.all(element, "swhid")],
            "hashes": [
                {"alg": h.get("alg"), "content": (h.text or "").strip()}
                for h in self.all(element, "hashes", "hash")
            ],
            "licenses": self.licenses(element),
            "properties": [
                {"name": p.get("name"), "value": (p.text or "").strip()}
                for p in self.all(element, "properties", "property")
            ],
            "components": [self.component(c) for c in self.all(element, "components", "component")],
        }

    def tools(self, metadata: etree._Element) -> list[dict[str, Any]]:
        holder = self.child(metadata, "tools")
        if holder is None:
            return []
        legacy = list(self.all(holder, "tool"))
        modern = [
            *self.all(holder, "components", "component"),
            *self.all(holder, "services", "service"),
        ]
        return [
            {"name": self.text(tool, "name"), "version": self.text(tool, "version")}
            for tool in (*legacy, *modern)
        ]

    def metadata(self, root: etree._Element) -> dict[str, Any] | None:
        metadata = self.child(root, "metadata")
        if metadata is None:
            return None
        component = self.child(metadata, "component")
        return {
            "timestamp": self.text(metadata, "timestamp"),
            "authors": [
                {"name": self.text(a, "name"), "email": self.text(a, "email")}
                for a in self.all(metadata, "authors", "author")
            ],
            "tools": self.tools(metadata),
            "supplier": self.entity(self.child(metadata, "supplier")),
            "manufacturer": self.entity(self.child(metadata, "manufacturer")),
            "manufacture": self.entity(self.child(metadata, "manufacture")),
            "lifecycles": [
                {"phase": self.text(entry, "phase"), "name": self.text(entry, "name")}
                for entry in self.all(metadata, "lifecycles", "lifecycle")
            ],
            "component": self.component(component) if component is not None else None,
        }

    def dependencies(self, root: etree._Element, what: str) -> list[dict[str, Any]]:
        core = self.child(root, "dependencies")
        extension = root.find("{" + _DEPENDENCY_GRAPH_NS + "}dependencies")
        entries: list[dict[str, Any]] = []
        for holder in (core, extension):
            if holder is None:
                continue
            for dependency in holder:
                self._dependency(dependency, entries, what, depth=0)
        return entries

    def _dependency(
        self, element: etree._Element, out: list[dict[str, Any]], what: str, depth: int
    ) -> str:
        # The 1.1 extension nests a tree; the core schema nests one level. Either way each
        # element with children is an entry "ref depends on each child's ref".
        ref = str(element.get("ref") or "")
        if not ref:
            raise _fail(what, "expected every dependency to name its ref, got one without")
        if depth > 64:
            raise _fail(what, "expected a dependency tree at most 64 levels deep, got deeper")
        children = [self._dependency(child, out, what, depth + 1) for child in element]
        if depth == 0 or children:
            out.append({"ref": ref, "dependsOn": children})
        return ref
