"""Package URLs (purl), split just enough to compare them; fast enough for every component.

    pkg:type/namespace/name@version?qualifiers#subpath

packageurl-python parses fully but costs tens of microseconds a call; policy needs only the
type, namespace, name and version, normalised as the purl spec asks for the common types.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import unquote

__all__ = ["Purl", "split_purl"]

# Types whose namespace and name are case-insensitive (purl spec, PURL-TYPES).
_CASE_INSENSITIVE = frozenset({"bitbucket", "github", "pypi", "hex", "composer", "golang"})


class Purl(NamedTuple):
    type: str
    namespace: str  # "" if none
    name: str
    version: str | None

    @property
    def package(self) -> str:
        """pkg:type/namespace/name, normalised, without version."""
        middle = f"{self.namespace}/" if self.namespace else ""
        return f"pkg:{self.type}/{middle}{self.name}"


def split_purl(text: str) -> Purl | None:
    """The purl's parts, normalised; None if `text` is not a purl. (Called once per component:
    partitions only, and percent-decoding only where there is a '%'.)"""
    if not text.startswith("pkg:"):
        return None
    rest = text[4:]
    if "#" in rest:
        rest = rest.partition("#")[0]
    if "?" in rest:
        rest = rest.partition("?")[0]
    rest = rest.strip("/")
    path, at, version = rest.rpartition("@")
    if not at or "/" in version:  # no version; an '@' in a scoped npm namespace is not one
        path, version = rest, ""
    kind, slash, names = path.partition("/")
    names = names.strip("/")
    if not slash or not kind or not names:
        return None
    kind = kind.lower()
    if "%" in names:
        names = "/".join(unquote(part) for part in names.split("/"))
    namespace, _, name = names.rpartition("/")
    if kind in _CASE_INSENSITIVE and kind != "golang":
        namespace, name = namespace.lower(), name.lower()
    if kind == "pypi":
        name = name.replace("_", "-")
    if "%" in version:
        version = unquote(version)
    return Purl(kind, namespace, name, version or None)
