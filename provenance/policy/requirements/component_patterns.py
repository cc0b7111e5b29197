"""Component patterns: a purl glob, an optional version range, or a supplier.

    pkg:npm/event-stream@3.3.6                exactly that version
    {purl: pkg:npm/left-pad, versions: "vers:npm/<1.3.0"}
    {purl: "pkg:pypi/requests", versions: "<2.31"}        PEP 440 for pypi
    {purl: "pkg:maven/org.apache.logging.log4j/**"}       ** any text, * no "/"
    {supplier: "Evil Corp"}                   the supplier's name, case-insensitive

Version ranges: PEP 440 specifiers (packaging) for pypi; anything else a `vers:` range
(univers: npm, cargo, golang, maven, nuget, gem, deb, rpm, ...). univers costs about 0.2 s to
import here, so it is imported only when a policy uses a `vers:` range.

A version that cannot be compared against a range is "unknown": a deny rule then counts the
component as denied and an allow rule as not allowed (fail closed).

Compiled when the policy loads (a pattern that does not compile is a policy error); the rule
that applies them is `provenance.decision.requirements.components`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from provenance.evidence.sbom.model import Component
from provenance.evidence.sbom.purl import Purl, split_purl

__all__ = ["ComponentPattern", "PatternError", "compile_pattern"]

# True: in range; False: not; None: the version cannot be compared against this range.
RangeTest = Callable[[str], bool | None]


class PatternError(ValueError):
    """A policy's component pattern or version range is not valid (a policy error)."""


@dataclass(frozen=True)
class ComponentPattern:
    text: str  # as the policy writes it, for reasons
    package: re.Pattern[str] | None
    version: str | None  # exact version from purl@version
    versions: RangeTest | None = field(compare=False)  # a closure: `text` says which range
    supplier: str | None  # casefolded
    # The normalised package name when the purl pattern has no glob: every purl the pattern
    # matches contains it, up to case and '-'/'_' (see `decision.sbom.components.prefilter`).
    name: str | None = None

    def matches(self, component: Component, purl: Purl | None) -> bool | None:
        """True/False, or None if the version cannot be compared against the range."""
        if self.supplier is not None and (component.supplier or "").casefold() != self.supplier:
            return False
        if self.package is None:
            return True
        if purl is None or not self.package.fullmatch(purl.package):
            return False
        version = purl.version or component.version
        if self.version is not None and version != self.version:
            return False
        if self.versions is not None:
            return None if version is None else self.versions(version)
        return True


def _glob(package: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*)", package)
    translated = {"**": ".*", "*": "[^/]*"}
    return re.compile("".join(translated.get(p) or re.escape(p) for p in parts))


def _pep440(text: str) -> RangeTest:
    try:
        specifier = SpecifierSet(text)
    except InvalidSpecifier as exc:
        raise PatternError(
            f"expected a PEP 440 specifier set such as '<2.31', got {text!r}"
        ) from exc

    def test(version: str) -> bool | None:
        try:
            parsed = Version(version)
        except InvalidVersion:
            return None
        return specifier.contains(parsed, prereleases=True)

    return test


def _vers(text: str) -> RangeTest:
    from univers.version_range import VersionRange  # noqa: PLC0415 (lazy: ~0.2 s of imports)

    try:
        parsed = VersionRange.from_string(text)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError, KeyError) as exc:
        # univers raises plain ValueError (and TypeError/KeyError for unknown schemes).
        raise PatternError(
            f"expected a vers: range such as 'vers:npm/>=1.0.0|<2.0.0', got {text!r} ({exc})"
        ) from exc

    def test(version: str) -> bool | None:
        try:
            return bool(parsed.version_class(version) in parsed)
        except (ValueError, TypeError) as exc:
            del exc  # univers' version classes raise these for versions of another scheme
            return None

    return test


def compile_pattern(entry: Any) -> ComponentPattern:
    """A policy entry (a purl string, or {purl, versions} / {supplier}) -> pattern.
    Raises `PatternError` if it is not valid."""
    if isinstance(entry, str):
        entry = {"purl": entry}
    text = ", ".join(f"{key} {value}" for key, value in entry.items())
    supplier = entry.get("supplier")
    purl_text = entry.get("purl")
    versions_text = entry.get("versions")
    if purl_text is None:
        if versions_text is not None:
            raise PatternError("versions needs a purl to apply to")
        return ComponentPattern(text, None, None, None, str(supplier).casefold())
    purl = split_purl(purl_text)
    if purl is None:
        raise PatternError(f"expected a package URL such as 'pkg:npm/left-pad', got {purl_text!r}")
    if purl.version is not None and versions_text is not None:
        raise PatternError(
            f"give an exact version in the purl or versions, not both: {purl_text!r}"
        )
    versions: RangeTest | None = None
    if versions_text is not None:
        if versions_text.startswith("vers:"):
            versions = _vers(versions_text)
        elif purl.type == "pypi":
            versions = _pep440(versions_text)
        else:
            raise PatternError(
                f"expected a vers: range for {purl.type} packages (such as "
                f"'vers:{purl.type}/>=1.0.0|<2.0.0'), got {versions_text!r}"
            )
    return ComponentPattern(
        text=text,
        package=_glob(purl.package),
        version=purl.version,
        versions=versions,
        supplier=str(supplier).casefold() if supplier is not None else None,
        name=None if "*" in purl.package else purl.name,
    )
