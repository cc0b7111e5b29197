"""SBOMs and VEX at the boundary: CycloneDX (JSON 1.2-1.7, XML 1.0-1.7) and SPDX 2.3 JSON,
parsed strictly into one model (`Sbom`); CycloneDX VEX and OpenVEX into `VexStatement`s.

Nothing here decides anything: `provenance.decision.sbom` evaluates the model.
"""

from __future__ import annotations

from pathlib import Path

from provenance.errors import EvidenceError
from provenance.evidence.sbom.limits import MAX_SBOM_BYTES
from provenance.evidence.sbom.model import (
    Component,
    ComponentHash,
    DocumentMetadata,
    LicenseChoice,
    Sbom,
    dependency_closure,
)
from provenance.inputs.files import read_bounded

__all__ = [
    "MAX_SBOM_BYTES",
    "Component",
    "ComponentHash",
    "DocumentMetadata",
    "LicenseChoice",
    "Sbom",
    "dependency_closure",
    "parse_sbom",
    "read_sbom",
]

_UTF8_BOM = b"\xef\xbb\xbf"


def parse_sbom(data: bytes, what: str) -> Sbom:
    """The SBOM in `data` (`what` names it in messages). Raises `EvidenceError` (a failed
    verification, exit 1) for anything that is not a valid CycloneDX or SPDX 2.3 document."""
    # Imported here: the model is imported by policy compilation, which must stay light
    # (no jiter, jsonschema-rs or lxml unless an SBOM is actually read).
    from provenance.evidence.sbom._json import load_strict_json  # noqa: PLC0415
    from provenance.evidence.sbom.cyclonedx import (  # noqa: PLC0415
        parse_cyclonedx_json,
        parse_cyclonedx_xml,
    )
    from provenance.evidence.sbom.spdx import parse_spdx_json  # noqa: PLC0415

    start = data.removeprefix(_UTF8_BOM).lstrip()[:1]
    if start == b"<":
        return parse_cyclonedx_xml(data, what)
    if start != b"{":
        raise EvidenceError(
            f"{what}: expected a CycloneDX (JSON or XML) or SPDX JSON document, got neither",
            check="sbom",
        )
    document = load_strict_json(data.removeprefix(_UTF8_BOM), what)
    if "bomFormat" in document:
        if document["bomFormat"] != "CycloneDX":
            raise EvidenceError(
                f"{what}: expected bomFormat 'CycloneDX', got {document['bomFormat']!r}",
                check="sbom",
            )
        return parse_cyclonedx_json(document, what)
    if "spdxVersion" in document:
        return parse_spdx_json(document, what)
    raise EvidenceError(
        f"{what}: expected a CycloneDX (bomFormat) or SPDX (spdxVersion) document, got a JSON "
        "object with neither",
        check="sbom",
    )


def read_sbom(path: Path, *, max_bytes: int = MAX_SBOM_BYTES) -> Sbom:
    """Read and parse the SBOM at `path`. `InputError` (exit 2) if it cannot be read;
    `EvidenceError` (exit 1) if it is larger than `max_bytes` (checked before reading, from
    the file's size) or not a valid SBOM."""
    data = read_bounded(path, max_bytes, "an SBOM")
    if data is None:
        raise EvidenceError(
            f"{path}: expected an SBOM of at most {max_bytes} bytes, got a larger file",
            check="sbom",
        )
    return parse_sbom(data, str(path))
