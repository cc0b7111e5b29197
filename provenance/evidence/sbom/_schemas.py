"""The CycloneDX JSON Schemas and XSDs that cyclonedx-python-lib ships, compiled once, offline.

Why jsonschema-rs for JSON: cyclonedx-python-lib's own `JsonStrictValidator` (Python
jsonschema) took 18.8 s on a 5,000-component SBOM here; jsonschema-rs over the very same
schema files takes milliseconds. Format checking is on (date-time, uri, email, ...): the spec's
own test corpus has 14 verdicts that depend on it.

The bundled JSON Schemas `$ref` spdx, jsf and cryptography-defs schemas by URI relative to
their `$id` (http://cyclonedx.org/schema/...). Those are registered from the bundled files and
the validator is built `offline`, so nothing is ever fetched. The XSDs import spdx.SNAPSHOT.xsd
by relative path; they are parsed with the same hardened parser as documents (no network).

For 1.2 and 1.3 the `-strict` schemas are used (unknown properties refused), as the spec's
own test suite does.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from importlib.abc import Traversable
from typing import Any

import jsonschema_rs
from lxml import etree

__all__ = ["JSON_VERSIONS", "XML_VERSIONS", "json_validator", "xml_schema"]

_PACKAGE, _FOLDER = "cyclonedx.schema", "_res"
_BASE_URI = "http://cyclonedx.org/schema/"
_REFERENCED = (
    "spdx.SNAPSHOT.schema.json",
    "jsf-0.82.SNAPSHOT.schema.json",
    "cryptography-defs.SNAPSHOT.schema.json",
)
_JSON_FILES = {
    "1.2": "bom-1.2-strict.SNAPSHOT.schema.json",
    "1.3": "bom-1.3-strict.SNAPSHOT.schema.json",
    "1.4": "bom-1.4.SNAPSHOT.schema.json",
    "1.5": "bom-1.5.SNAPSHOT.schema.json",
    "1.6": "bom-1.6.SNAPSHOT.schema.json",
    "1.7": "bom-1.7.SNAPSHOT.schema.json",
}
JSON_VERSIONS = tuple(_JSON_FILES)
XML_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7")


def _folder() -> Traversable:
    return resources.files(_PACKAGE).joinpath(_FOLDER)


def _load(name: str) -> Any:
    return json.loads(_folder().joinpath(name).read_text("utf-8"))


@functools.cache
def _registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(_BASE_URI + name, _load(name)) for name in _REFERENCED])


@functools.cache
def json_validator(spec_version: str) -> jsonschema_rs.Validator:
    """The validator for a CycloneDX JSON `specVersion` listed in `JSON_VERSIONS`.

    Patterns run on the linear-time `regex` engine (`RegexOptions`) rather than the default
    backtracking one: the schemas' patterns need no look-around or back-references (every
    version compiles), no pattern can backtrack catastrophically on a hostile SBOM, and
    validation is about a sixth faster."""
    return jsonschema_rs.validator_for(
        _load(_JSON_FILES[spec_version]),
        validate_formats=True,
        registry=_registry(),
        offline=True,
        pattern_options=jsonschema_rs.RegexOptions(),
    )


def schema_parser() -> etree.XMLParser:
    """The hardened parser for schema files and documents alike."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


@functools.cache
def xml_schema(spec_version: str) -> etree.XMLSchema:
    """The XSD for a CycloneDX XML version listed in `XML_VERSIONS`."""
    path = _folder().joinpath(f"bom-{spec_version}.SNAPSHOT.xsd")
    with resources.as_file(path) as file:
        # Parsed from its path so that the relative import of spdx.SNAPSHOT.xsd resolves.
        document = etree.parse(str(file), schema_parser())
        return etree.XMLSchema(document)
