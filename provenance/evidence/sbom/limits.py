"""Limits on SBOM and VEX input: beyond these a document is refused, never processed slowly."""

from __future__ import annotations

__all__ = [
    "MAX_COMPONENTS",
    "MAX_COMPONENT_DEPTH",
    "MAX_DEPENDENCY_EDGES",
    "MAX_SBOM_BYTES",
    "MAX_VEX_BYTES",
    "MAX_VEX_STATEMENTS",
]

# A 200,000-component CycloneDX JSON SBOM is about 80 MB; a delivery's SBOM larger than this
# is refused before it is read (the size is taken from the file system first).
MAX_SBOM_BYTES = 256 * 1024 * 1024
MAX_VEX_BYTES = 64 * 1024 * 1024
# Components, nested ones included; and how deep nesting may go (assemblies in real SBOMs
# nest a handful of levels).
MAX_COMPONENTS = 1_000_000
MAX_COMPONENT_DEPTH = 32
MAX_DEPENDENCY_EDGES = 10_000_000
MAX_VEX_STATEMENTS = 100_000
