"""Which OSV ecosystem and package a component is, and the one normalised key both sides share.

A record names `affected[].package` as (ecosystem, name); an SBOM names a component by purl.
Both are reduced to `(ecosystem, package_key)` here, so that the database lookup is one indexed
equality and never a fuzzy name search:

| purl type  | OSV ecosystem | package key                                         |
|------------|---------------|-----------------------------------------------------|
| pypi       | PyPI          | PEP 503: lower case, runs of `-_.` become one `-`     |
| golang     | Go            | the module path as written (`github.com/a/b`, `stdlib`) |
| cargo      | crates.io     | the crate name as written                          |
| npm        | npm           | `@scope/name` (the namespace is the scope)         |
| maven      | Maven         | `group:artifact`                                   |
| deb        | Debian/Ubuntu | the source or binary package name                  |
| gem, nuget, composer, ... | see `PURL_ECOSYSTEMS` | the name (`vendor/name`: composer) |

OSV ecosystems may carry a release suffix (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.20`);
only the part before the first `:` is the ecosystem compared here.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from provenance.evidence.sbom.purl import split_purl

__all__ = [
    "PURL_ECOSYSTEMS",
    "PackageRef",
    "base_ecosystem",
    "package_from_purl",
    "package_key",
]

# purl type -> OSV ecosystem (https://ossf.github.io/osv-schema/#affectedpackage-field).
# Debian-family purls are split by namespace in `package_from_purl`.
PURL_ECOSYSTEMS: dict[str, str] = {
    "pypi": "PyPI",
    "golang": "Go",
    "cargo": "crates.io",
    "npm": "npm",
    "maven": "Maven",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
    "hackage": "Hackage",
    "cran": "CRAN",
    "swift": "SwiftURL",
    "deb": "Debian",
    "apk": "Alpine",
}
_DEB_NAMESPACES = {"debian": "Debian", "ubuntu": "Ubuntu"}
_PEP503_SEPARATORS = re.compile(r"[-_.]+")


class PackageRef(NamedTuple):
    """A component's package as the database indexes it, plus the version it names."""

    ecosystem: str
    key: str
    version: str | None


def base_ecosystem(ecosystem: str) -> str:
    """`Debian:12` -> `Debian`; `PyPI` -> `PyPI`."""
    return ecosystem.partition(":")[0]


def package_key(ecosystem: str, name: str) -> str:
    """The normalised package name both records and components are indexed by."""
    base = base_ecosystem(ecosystem)
    if base == "PyPI":
        lowered = name.lower()
        # Most names have no run of separators to fold: the regex only where one can be.
        if "." in lowered or "_" in lowered or "--" in lowered:
            return _PEP503_SEPARATORS.sub("-", lowered)
        return lowered
    if base in ("RubyGems", "Hex", "Pub", "NuGet", "Packagist"):
        # Case-insensitive registries (NuGet ids, Packagist vendor/name, ...).
        return name.lower()
    return name


def package_from_purl(purl: str, version: str | None = None) -> PackageRef | None:
    """The (ecosystem, key, version) a purl names; None if it is not a purl or its type has
    no OSV ecosystem. `version` is used when the purl has none."""
    parts = split_purl(purl)
    if parts is None:
        return None
    ecosystem = PURL_ECOSYSTEMS.get(parts.type)
    if ecosystem is None:
        return None
    namespace, name = parts.namespace, parts.name
    if parts.type == "deb":
        ecosystem = _DEB_NAMESPACES.get(namespace.lower(), "Debian")
        key = package_key(ecosystem, name)
    elif parts.type == "golang":
        key = f"{namespace}/{name}" if namespace else name  # the module path, as written
    elif parts.type == "maven":
        if not namespace:
            return None  # a Maven package is group:artifact; an artifact alone is ambiguous
        key = f"{namespace}:{name}"
    elif parts.type in ("npm", "composer") and namespace:
        key = package_key(ecosystem, f"{namespace}/{name}")
    else:
        key = package_key(ecosystem, name)
    return PackageRef(ecosystem, key, parts.version or version)
