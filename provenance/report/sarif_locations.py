"""Where a SARIF result points, so that GitHub code scanning can show it: a URI relative to
the repository checkout that names a file existing there, and a region.

Code scanning resolves a result's `artifactLocation.uri` against the checkout and drops what
it cannot place: it does not read `originalUriBaseIds`, and a file inside an archive has no
path of its own. So:
- the root is `--sarif-root`, else `$GITHUB_WORKSPACE` (the Action's checkout), else the
  current directory;
- a file below the root is named by its path from there, with `/` separators;
- a member of an archive is located at the archive, and named in a logical location (and in
  the message) as `archive!/member`;
- a file outside the root keeps an absolute `file://` URI: valid SARIF, but code scanning
  places it nowhere (the run is not in the checkout);
- every location has `region.startLine` 1: these are findings about whole files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = ["artifact_location", "sarif_root"]


def sarif_root(given: Path | None = None) -> Path:
    """The directory SARIF URIs are relative to (see the module docstring)."""
    if given is not None:
        return given
    workspace = os.environ.get("GITHUB_WORKSPACE")
    return Path(workspace) if workspace else Path.cwd()


def artifact_location(path: Path, root: Path, *, member: str | None = None) -> dict[str, Any]:
    """A SARIF `location` for the file at `path` (or `member` inside the archive there)."""
    resolved = Path(os.path.abspath(path))
    try:
        uri = quote(resolved.relative_to(Path(os.path.abspath(root))).as_posix(), safe="/")
    except ValueError:
        uri = resolved.as_uri()
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}}
    }
    if member is not None:
        location["logicalLocations"] = [
            {"fullyQualifiedName": f"{path.name}!/{member}", "kind": "member"}
        ]
    return location
