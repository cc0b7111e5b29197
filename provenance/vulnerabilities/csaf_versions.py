"""Versions and version ranges as ICS advisories write them, interpreted where that is safe.

CISA's CSAF advisories write ranges as text: `vers:all/<V5.5.2` (a vers string with the made-up
scheme "all"), `< V4.1.3`, `All versions < V7.4 SP1`, `>= V6.2 < V7.1`, `>= 1.0 | <= 1.32`,
`2.3.6 and below`, and also `< A17`, `< SP1 P01`, `<=the_first_5_digits_of_serial_number_22081`.
Only the first kind is read here; anything else is `None` ("cannot interpret"), and the caller
must then report a *possible* finding with the text, never "not affected".

An ICS version: an optional `V`, dotted numbers, then optional Siemens-style qualifiers in this
order of weight: `SP n` (service pack), `Update n` (`Upd n`), `HF n` (hotfix), `P n` (patch).
`V7.4` < `V7.4 SP1` < `V7.4 SP1 Update 2` < `V7.4.1`: a qualifier refines its release and
missing numbers are zero (`V3.0` == `V3.00` == `V3`). Numbers compare as integers (`V3.10` >
`V3.9`): vendors who mean decimals (`2.72` < `2.8`) are not told apart, a documented limit.

Product-prefixed versions: firmware of one device family is versioned per firmware line, and
advisories write the line's name before the version (SICAM A8000 `< CPC80 V16.30`,
RUGGEDCOM `All versions < ROS V5.0.1`, Hirschmann `<= HiOS 07.0.02`, APC `NMC2 <= 6.9.6`).
The prefix is part of the version: `CPC80 V16.20` is compared with `< CPC80 V16.30` because
the prefixes match (case-insensitively); a component version with another prefix, or none,
against a prefixed range (or the reverse) cannot be compared, which is "unknown" (a possible
finding with the text), never "out": another firmware line's numbers say nothing about this
one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cmp_to_key, lru_cache
from itertools import pairwise
from typing import Literal

__all__ = [
    "MAX_PREFIX_CHARS",
    "MAX_RANGE_CHARS",
    "Constraint",
    "IcsVersion",
    "RangeCheck",
    "VersionRange",
    "check_version",
    "parse_range",
    "parse_version",
]

# Advisory ranges are short; a longer text is not interpreted (it stays a "possible").
MAX_RANGE_CHARS = 200
_MAX_CONSTRAINTS = 16
# Advisories repeat the same few thousand version texts; both parsers are pure functions.
_CACHED = 16_384

Operator = Literal["<", "<=", ">", ">=", "=", "!="]
_QUALIFIER_SLOTS = {
    "sp": 0,
    "servicepack": 0,
    "update": 1,
    "upd": 1,
    "hf": 2,
    "hotfix": 2,
    "p": 3,
    "patch": 3,
}
_VERSION = re.compile(
    r"(?:v|version\s*)?(?P<release>[0-9]{1,9}(?:\.[0-9]{1,9}){0,7})"
    r"(?P<qualifiers>(?:\s*(?:sp|service\s*pack|update|upd|hf|hotfix|patch|p)\s*[0-9]{1,9})*)",
    re.IGNORECASE,
)
_QUALIFIER = re.compile(
    r"(sp|service\s*pack|update|upd|hf|hotfix|patch|p)\s*([0-9]{1,9})", re.IGNORECASE
)
# A firmware line's name before its version: starts with a letter, no spaces ("CPC80",
# "HiOS", "NMC2", "CR-IR"); at most this long, and never a word of the version grammar.
_PREFIX = re.compile(r"(?P<prefix>[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*)\s+(?P<rest>.+)")
MAX_PREFIX_CHARS = 32
_NOT_PREFIXES = frozenset(
    {
        "v", "version", "versions", "all", "sp", "service", "servicepack", "update", "upd",
        "hf", "hotfix", "p", "patch", "and", "or", "prior", "before", "to", "from", "since",
        "up", "below", "above", "earlier", "later", "older", "newer", "than", "including",
        "excluding", "between", "only", "with", "vers", "build", "release", "rev", "revision",
        # "manufactured prior to August 28", "<= January 2019": dates, not firmware lines
        "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december",
    }
)  # fmt: skip
# "NMC2 <= 6.9.6": the prefix written once, before the operators.
_LEADING_PREFIX = re.compile(
    r"(?P<prefix>[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*)\s*(?P<rest>(?:<=|>=|<|>|=).+)"
)
_ALL = frozenset({"*", "all", "all versions", "vers:all/*", "all versions: *"})
_VERS = re.compile(r"vers:([a-z0-9.+-]+)/(.+)", re.IGNORECASE)
# vers schemes read with the ICS comparison: CISA's "all" and vers' "generic".
_ICS_SCHEMES = ("all", "generic")
_CONSTRAINT = re.compile(r"(<=|>=|!=|<|>|=)?\s*([^<>=!|]+?)\s*")
_OPERATOR_RUN = re.compile(r"\s*(<=|>=|!=|<|>|=)\s*")
_SUFFIX_FORMS = (
    # "2.3.6 and below" -> "<= 2.3.6"; "V2.0 and later" -> ">= V2.0"
    (re.compile(r"(.+?)\s+(?:and|or)\s+(?:below|prior|earlier|older|lower)", re.I), "<="),
    (re.compile(r"(.+?)\s+(?:and|or)\s+(?:above|later|newer|higher)", re.I), ">="),
)
_PREFIX_FORMS = (
    (re.compile(r"(?:prior\s+to|before|older\s+than|earlier\s+than)\s+(.+)", re.I), "<"),
)


@dataclass(frozen=True, slots=True)
class IcsVersion:
    release: tuple[int, ...]
    qualifiers: tuple[int, int, int, int]  # SP, Update, HF, Patch (0: none)
    text: str  # as written
    prefix: str | None = None  # the firmware line ("cpc80"), case-folded; None: unprefixed

    def key(self, width: int) -> tuple[int, ...]:
        return (*self.release, *(0,) * (width - len(self.release)), *self.qualifiers)

    def compare(self, other: IcsVersion) -> int:
        """-1, 0 or 1. Versions of different firmware lines have no order: callers check
        `prefix` first (`check_version` does), and a mismatch here is a bug."""
        if self.prefix != other.prefix:
            raise ValueError(
                f"cannot order {self.text!r} and {other.text!r}: different version prefixes"
            )
        width = max(len(self.release), len(other.release))
        mine, theirs = self.key(width), other.key(width)
        return (mine > theirs) - (mine < theirs)


@lru_cache(maxsize=_CACHED)
def parse_version(text: str) -> IcsVersion | None:
    """An ICS version (`V4.1.3`, `4.00.02`, `V7.4 SP1 Update 2`, `CPC80 V16.30`), or None if
    it is not one."""
    cleaned = " ".join(text.split())
    unprefixed = _parse_unprefixed(cleaned, text)
    if unprefixed is not None:
        return unprefixed
    shape = _PREFIX.fullmatch(cleaned)
    if shape is None:
        return None
    prefix = shape.group("prefix")
    if not _is_prefix(prefix):
        return None
    version = _parse_unprefixed(shape.group("rest"), text)
    if version is None:
        return None
    return IcsVersion(version.release, version.qualifiers, text, prefix.casefold())


def _is_prefix(word: str) -> bool:
    """A firmware line's name: not a word of the version grammar, not itself a version
    ("V14 < V14 SP3" is a version range, not line "V14")."""
    return (
        len(word) <= MAX_PREFIX_CHARS
        and word.casefold() not in _NOT_PREFIXES
        and _VERSION.fullmatch(word) is None
    )


def _parse_unprefixed(cleaned: str, text: str) -> IcsVersion | None:
    shape = _VERSION.fullmatch(cleaned)
    if shape is None:
        return None
    qualifiers = [0, 0, 0, 0]
    last = -1
    for name, number in _QUALIFIER.findall(shape.group("qualifiers")):
        slot = _QUALIFIER_SLOTS["".join(name.lower().split())]
        if slot <= last:  # repeated or out of order ("Update 2 SP1"): not a version we know
            return None
        qualifiers[slot], last = int(number), slot
    release = tuple(int(part) for part in shape.group("release").split("."))
    return IcsVersion(release, (qualifiers[0], qualifiers[1], qualifiers[2], qualifiers[3]), text)


@dataclass(frozen=True, slots=True)
class Constraint:
    operator: Operator
    version: IcsVersion

    def holds(self, version: IcsVersion) -> bool:
        order = version.compare(self.version)
        match self.operator:
            case "<":
                return order < 0
            case "<=":
                return order <= 0
            case ">":
                return order > 0
            case ">=":
                return order >= 0
            case "=":
                return order == 0
            case "!=":
                return order != 0


@dataclass(frozen=True, slots=True)
class VersionRange:
    text: str  # as written
    constraints: tuple[Constraint, ...]  # empty: every version
    # Derived: `=`/`!=` constraints, and the others sorted by version.
    _equal: tuple[Constraint, ...] = field(init=False, repr=False, compare=False)
    _bounds: tuple[Constraint, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        equal = tuple(c for c in self.constraints if c.operator in ("=", "!="))
        bounds = sorted(
            (c for c in self.constraints if c.operator not in ("=", "!=")),
            key=cmp_to_key(_by_version),
        )
        object.__setattr__(self, "_equal", equal)
        object.__setattr__(self, "_bounds", tuple(bounds))

    def contains(self, version: IcsVersion) -> bool:
        """The vers containment algorithm (package-url/purl-spec VERSION-RANGE-SPEC):
        1. An `=` constraint equal to the version: in; a `!=` one: out.
        2. The rest sorted by version: in if below a leading `<`/`<=`, above a trailing
           `>`/`>=`, or between a `>`/`>=` and the `<`/`<=` right after it."""
        if not self.constraints:
            return True
        for constraint in self._equal:
            if version.compare(constraint.version) == 0:
                return constraint.operator == "="
        bounds = self._bounds
        if not bounds:
            return any(c.operator == "!=" for c in self._equal)
        if bounds[0].operator in ("<", "<=") and bounds[0].holds(version):
            return True
        if bounds[-1].operator in (">", ">=") and bounds[-1].holds(version):
            return True
        return any(
            low.operator in (">", ">=")
            and high.operator in ("<", "<=")
            and low.holds(version)
            and high.holds(version)
            for low, high in pairwise(bounds)
        )


def _by_version(a: Constraint, b: Constraint) -> int:
    return a.version.compare(b.version)


@lru_cache(maxsize=_CACHED)
def parse_range(text: str) -> VersionRange | None:
    """A range we can interpret, or None (the caller reports the text as "possible")."""
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > MAX_RANGE_CHARS:
        return None
    if cleaned.lower() in _ALL:
        return VersionRange(text, ())
    vers = _VERS.fullmatch(cleaned)
    if vers is not None:
        if vers.group(1).lower() not in _ICS_SCHEMES:
            return None
        if vers.group(2).strip() == "*":
            return VersionRange(text, ())
        return _constraints(text, _split_operators(vers.group(2).split("|")))
    lowered = cleaned.lower()
    for prefix in ("all versions", "versions", "all"):
        if lowered.startswith(prefix + " ") or lowered.startswith(prefix + ":"):
            cleaned = cleaned[len(prefix) :].lstrip(" :")
            break
    for pattern, operator in _SUFFIX_FORMS + _PREFIX_FORMS:
        form = pattern.fullmatch(cleaned)
        if form is not None:
            cleaned = f"{operator} {form.group(1)}"
            break
    leading = _LEADING_PREFIX.fullmatch(cleaned)
    line = None
    if leading is not None and _is_prefix(leading.group("prefix")):
        line, cleaned = leading.group("prefix"), leading.group("rest")
    parts = re.split(r"\s*(?:\||,|&|\band\b)\s*", cleaned, flags=re.IGNORECASE)
    return _constraints(text, _split_operators(parts), line)


def _split_operators(parts: list[str]) -> list[str]:
    """`> V3.0 < V4.0` (and CISA's `vers:all/>=2.3<V3.0`): two constraints in one part."""
    return [
        piece
        for part in parts
        for piece in _OPERATOR_RUN.sub(lambda m: "\0" + m.group(1), part).split("\0")
        if piece.strip()
    ]


def _constraints(text: str, pieces: list[str], line: str | None = None) -> VersionRange | None:
    """The constraints of a range; `line` is a prefix written once before the operators
    ("NMC2 <= 6.9.6"), which every version then carries. Versions of two different prefixes
    in one range are not interpreted."""
    if not pieces or len(pieces) > _MAX_CONSTRAINTS:
        return None
    found = []
    for piece in pieces:
        shape = _CONSTRAINT.fullmatch(piece.strip())
        if shape is None:
            return None
        written = shape.group(2)
        version = parse_version(f"{line} {written}" if line is not None else written)
        if version is None:
            return None
        operator: Operator = _operator(shape.group(1) or "=")
        found.append(Constraint(operator, version))
    if len({constraint.version.prefix for constraint in found}) > 1:
        return None
    return VersionRange(text, tuple(found))


def _operator(text: str) -> Operator:
    for operator in ("<", "<=", ">", ">=", "=", "!="):
        if text == operator:
            return operator
    raise ValueError(text)  # unreachable: the pattern admits only these


@dataclass(frozen=True, slots=True)
class RangeCheck:
    """Whether a component version falls in what an advisory product names.

    `outcome` "unknown": the range or the version could not be interpreted (`reason` says
    which, with the text): a caller reports "possible", never "not affected".
    """

    outcome: Literal["in", "out", "unknown"]
    reason: str
    unparsed: str | None = None  # the text that could not be read


def check_version(
    component_version: str | None, *, version: str | None, version_range: str | None
) -> RangeCheck:
    """Whether `component_version` is the advisory product's `version` (a `product_version`
    branch, which some advisories fill with a range) or within its `version_range`."""
    written, interpreted = _interpret(version, version_range)
    if interpreted is None:
        return RangeCheck("unknown", f"cannot interpret version range {written!r}", written)
    if not interpreted.constraints:
        named = f"({written!r})" if written else "(the product names none)"
        return RangeCheck("in", f"every version {named}")
    if component_version is None:
        return RangeCheck("unknown", f"component has no version to compare with {written!r}")
    return _compare(component_version, written, interpreted)


def _compare(component_version: str, written: str, interpreted: VersionRange) -> RangeCheck:
    parsed = parse_version(component_version)
    problem = None
    if parsed is None:
        problem = ""
    elif parsed.prefix != interpreted.constraints[0].version.prefix:
        line = interpreted.constraints[0].version.prefix
        problem = f": {_line_text(parsed.prefix)} against {_line_text(line)}"
    if parsed is None or problem is not None:
        return RangeCheck(
            "unknown",
            f"cannot compare component version {component_version!r} with {written!r}{problem}",
            component_version,
        )
    if interpreted.contains(parsed):
        return RangeCheck("in", f"version {component_version} within {written!r}")
    return RangeCheck("out", f"version {component_version} outside {written!r}")


def _line_text(prefix: str | None) -> str:
    return f"version prefix {prefix!r}" if prefix is not None else "no version prefix"


def _interpret(version: str | None, version_range: str | None) -> tuple[str, VersionRange | None]:
    """The product's version text and what it means: a `product_version` that is one version
    means exactly it; otherwise the text is read as a range (6.1.31: some advisories put
    ranges in `product_version`)."""
    if version_range is not None:
        return version_range, parse_range(version_range)
    if version is None:
        return "", VersionRange("", ())
    written = version
    exact = parse_version(written)
    if exact is not None:
        return written, VersionRange(written, (Constraint("=", exact),))
    return written, parse_range(written)
