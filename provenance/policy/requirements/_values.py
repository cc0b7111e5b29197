"""Values several kinds write the same way: a day, a PEP 440 specifier set, a pattern."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from provenance.policy._yaml import JsonPath
from provenance.policy.requirements._entry import Entry
from provenance.verification.matching import Pattern

__all__ = ["Day", "VersionRange", "read_day", "read_pattern", "read_specifier"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SPECIFIER_EXAMPLE = "'>=4.0,<5'"


@dataclass(frozen=True, order=True)
class Day:
    """A day as the policy writes it, YYYY-MM-DD, ordered as the days are (the text is
    zero-padded). Kept as written: an impossible day (2025-02-30) is an error, and lint still
    compares it with the entry that replaces it."""

    text: str

    @property
    def date(self) -> date:
        """The day itself (every day of a policy that loaded is a real one)."""
        return date.fromisoformat(self.text)


def read_day(entry: Entry, key: str, at: JsonPath) -> Day | None:
    """The day at `key`, `at` being the path of the value below the entry; a text that is
    not a real day YYYY-MM-DD is an error."""
    text = entry.text(key)
    if text is None:
        return None
    problem = None if _ISO_DATE.fullmatch(text) else "not YYYY-MM-DD"
    if problem is None:
        try:
            date.fromisoformat(text)
        except ValueError as exc:
            problem = str(exc)
    if problem is not None:
        entry.error(at, f"expected a date YYYY-MM-DD, got {text!r} ({problem})")
    return Day(text)


@dataclass(frozen=True)
class VersionRange:
    """A PEP 440 specifier set, and its text as the policy writes it (SpecifierSet reorders
    its parts)."""

    specifier: SpecifierSet
    text: str

    def contains(self, version: Version) -> bool:
        # Explicit: packaging's default for pre-releases has changed between releases. As
        # PEP 440 says, pre-releases match only if the specifier names one.
        return self.specifier.contains(version, prereleases=bool(self.specifier.prereleases))


def read_specifier(entry: Entry, at: JsonPath, text: object) -> VersionRange | None:
    """`text` (at `at` below the entry) as a specifier set; None, and an error, if it is not
    one. One no version matches is a warning: no artifact could ever meet it."""
    if not isinstance(text, str) or not text:
        return None
    expected = f"expected a PEP 440 version specifier set such as {_SPECIFIER_EXAMPLE}"
    if any(not part.strip() for part in text.split(",")):
        entry.error(at, f"{expected}, got {text!r}, which has an empty specifier")
        return None
    try:
        wanted = VersionRange(SpecifierSet(text), text)
    except InvalidSpecifier as exc:
        entry.error(at, f"{expected}, got {text!r} ({exc})")
        return None
    if not any(wanted.contains(version) for version in _probe_versions(wanted.specifier)):
        entry.warn(
            at,
            f"expected a specifier some version matches, got {text!r}, which none does, so no "
            "artifact could ever enter this segment",
        )
    return wanted


def _probe_versions(specifier: SpecifierSet) -> Iterator[Version]:
    """Versions at and just around every bound of `specifier`.

    A specifier set is an intersection of intervals bounded by the versions it names, so if
    any version matches, one of these does: the bound itself, a release just above it
    (X.Y -> X.Y.0.0.1), the next release (X.Y -> X.(Y+1)), one just below (X.Y -> X.(Y-1).9999),
    or the ends (0, a very large release). `===` (arbitrary equality) is probed as written.
    """
    yield Version("0")
    yield Version("999999")
    for clause in specifier:
        if clause.operator == "===":
            try:
                yield Version(clause.version)
            except InvalidVersion:
                continue
            continue
        try:
            bound = Version(clause.version.removesuffix(".*"))
        except InvalidVersion:
            continue
        release = bound.release
        yield bound
        yield Version(".".join(map(str, (*release, 0, 0, 1))))
        for i in range(len(release)):
            yield Version(".".join(map(str, (*release[:i], release[i] + 1))))
            if release[i] > 0:
                yield Version(".".join(map(str, (*release[:i], release[i] - 1, 9999))))


def read_pattern(entry: Entry, name: str) -> Pattern | None:
    """The claim `name` as a glob (`name`) or a regular expression (`name_regex`), which must
    compile; None if neither is given (or the regex is an error)."""
    regex = None
    text = entry.text(f"{name}_regex")
    if text is not None:
        try:
            regex = Pattern.regex(text)
        except re.error as exc:
            entry.error(
                (f"{name}_regex",),
                f"expected a regular expression, got {text!r}, which does not compile: {exc}",
            )
    glob = entry.text(name)
    return Pattern.glob(glob) if glob is not None else regex
