"""Version ordering per OSV ecosystem, with "cannot compare" as an explicit outcome.

A version this module cannot parse is never guessed at: `version_key` raises
`UncomparableVersion`, and range evaluation turns that into an "undetermined" match, which
policy treats as a finding (fail closed), never as "not affected".

| ecosystem              | ordering                                                        |
|------------------------|-----------------------------------------------------------------|
| PyPI                   | PEP 440 (packaging); invalid PEP 440 versions cannot be compared |
| Go                     | SemVer 2.0 after an optional leading `v` (see below)            |
| crates.io, npm         | SemVer 2.0 (build metadata ignored in precedence)               |
| Maven, Debian, Ubuntu  | univers' Maven and Debian version classes (imported lazily)     |
| anything else          | cannot compare (only exact `versions` lists can match)          |

Go: `+incompatible` is build metadata, ignored in precedence; pseudo-versions
(`v0.0.0-20200101000000-abcdef123456`) are pre-releases of the next version, as Go orders them.

The OSV event value `"0"` ("from the beginning") is not a version in any scheme: callers test
for it before asking for a key (`osv_ranges`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from packaging.version import InvalidVersion, Version

__all__ = [
    "SEMVER_ECOSYSTEMS",
    "UncomparableVersion",
    "VersionKey",
    "can_order",
    "semver_key",
    "version_key",
]

SEMVER_ECOSYSTEMS = frozenset({"Go", "crates.io", "npm"})
_UNIVERS_ECOSYSTEMS = frozenset({"Maven", "Debian", "Ubuntu"})
# Longer than any real version string; a longer one is refused rather than parsed.
MAX_VERSION_LENGTH = 256
_CACHE_SIZE = 65536

# SemVer 2.0 (https://semver.org/#backusnaur-form-grammar-for-valid-semver-versions), with
# leading zeros in numeric identifiers refused as the grammar requires.
_NUMBER = r"0|[1-9]\d*"
_IDENTIFIER = r"[0-9A-Za-z-]+"
_SEMVER = re.compile(
    rf"(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<pre>{_IDENTIFIER}(?:\.{_IDENTIFIER})*))?"
    rf"(?:\+(?P<build>{_IDENTIFIER}(?:\.{_IDENTIFIER})*))?"
)


class UncomparableVersion(ValueError):
    """A version that cannot be ordered in its ecosystem; the message says why."""


class VersionKey(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...
    def __le__(self, other: Any, /) -> bool: ...


def can_order(ecosystem: str) -> bool:
    """True if ranges (ECOSYSTEM/SEMVER) of this ecosystem can be evaluated at all."""
    return ecosystem in SEMVER_ECOSYSTEMS or ecosystem in _UNIVERS_ECOSYSTEMS or ecosystem == "PyPI"


def semver_key(text: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    """SemVer 2.0 precedence as a tuple: a release sorts after its pre-releases; pre-release
    identifiers compare numerically when numeric, lexically otherwise, numeric < alphanumeric,
    and a shorter identifier list sorts first when it is a prefix (spec items 11.1-11.4)."""
    found = _SEMVER.fullmatch(text)
    if found is None:
        raise UncomparableVersion(f"expected a SemVer 2.0 version such as 1.2.3, got {text!r}")
    major, minor, patch = (int(found[name]) for name in ("major", "minor", "patch"))
    pre = found["pre"]
    if pre is None:
        return (major, minor, patch, 1, ())
    identifiers: list[tuple[int, int | str]] = []
    for part in pre.split("."):
        if part.isdigit():
            if len(part) > 1 and part[0] == "0":
                raise UncomparableVersion(
                    f"expected SemVer pre-release numbers without leading zeros, got {text!r}"
                )
            identifiers.append((0, int(part)))
        else:
            identifiers.append((1, part))
    return (major, minor, patch, 0, tuple(identifiers))


def _go_key(text: str) -> VersionKey:
    # Go module versions are written with a leading "v" (purls keep it); OSV drops it.
    return semver_key(text[1:] if text.startswith("v") else text)


def _pypi_key(text: str) -> VersionKey:
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise UncomparableVersion(f"expected a PEP 440 version, got {text!r}") from exc


def _univers_key(ecosystem: str) -> Callable[[str], VersionKey]:
    from univers.versions import DebianVersion, MavenVersion  # noqa: PLC0415 (lazy: ~0.2 s)

    version_class = MavenVersion if ecosystem == "Maven" else DebianVersion

    def key(text: str) -> VersionKey:
        try:
            parsed: VersionKey = version_class(text)
        except (ValueError, TypeError) as exc:
            # univers raises plain ValueError/TypeError (and its own InvalidVersion, a
            # ValueError) for strings outside the scheme.
            raise UncomparableVersion(
                f"expected a {ecosystem} version, got {text!r} ({exc})"
            ) from exc
        return parsed

    return key


@lru_cache(maxsize=_CACHE_SIZE)
def version_key(ecosystem: str, text: str) -> VersionKey:
    """A sortable key for `text` in `ecosystem`; raises `UncomparableVersion`.

    Cached: the same event versions are compared against many components.
    """
    if not text or len(text) > MAX_VERSION_LENGTH:
        raise UncomparableVersion(
            f"expected a version of 1 to {MAX_VERSION_LENGTH} characters, got {len(text)}"
        )
    if ecosystem == "PyPI":
        return _pypi_key(text)
    if ecosystem == "Go":
        return _go_key(text)
    if ecosystem in SEMVER_ECOSYSTEMS:
        return semver_key(text)
    if ecosystem in _UNIVERS_ECOSYSTEMS:
        return _univers_key(ecosystem)(text)
    raise UncomparableVersion(f"no version ordering for ecosystem {ecosystem!r}")
