"""Package URLs (purl), split just enough to compare them; fast enough for every component.

    pkg:type/namespace/name@version?qualifiers#subpath

packageurl-python parses fully but costs tens of microseconds a call; policy needs only the
type, namespace, name and version, normalised as the purl spec asks for the common types.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

__all__ = ["Purl", "split_purl"]

# Types whose namespace and name are case-insensitive (purl spec, PURL-TYPES).
_CASE_INSENSITIVE = frozenset({"bitbucket", "github", "pypi", "hex", "composer", "golang"})


@dataclass(frozen=True, slots=True)
class Purl:
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
    """The purl's parts, normalised; None if `text` is not a purl."""
    if not text.startswith("pkg:"):
        return None
    rest = text[4:].lstrip("/")
    rest = rest.partition("#")[0].partition("?")[0]
    path, at, version = rest.rpartition("@") if "@" in rest else (rest, "", "")
    kind, slash, names = path.partition("/")
    if not slash or not kind or not names.strip("/"):
        return None
    kind = kind.lower()
    parts = [unquote(part) for part in names.strip("/").split("/")]
    namespace, name = "/".join(parts[:-1]), parts[-1]
    if kind in _CASE_INSENSITIVE and kind != "golang":
        namespace, name = namespace.lower(), name.lower()
    if kind == "pypi":
        name = name.replace("_", "-")
    return Purl(kind, namespace, name, unquote(version) if at and version else None)
