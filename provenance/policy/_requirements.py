"""What the schema cannot check about each requirement kind, and when a segment weakens one.

Adding a kind: its JSON Schema under `$defs` in `schema/policy-v1.schema.json`, referenced
from `$defs/require/properties` (which has `additionalProperties: false`, so an unlisted kind
is an unknown key), its rule in `provenance.decision.requirements`, and here, only if it has
checks beyond the schema, an entry in `KINDS`.

The checks run on data that may have failed the schema (`provenance policy lint` reports every
problem, not only the first), so each one skips values of the wrong shape: the schema has
reported those already.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from provenance.policy._yaml import JsonPath
from provenance.scales import SEVERITY_ORDER, STRENGTHS, rank

__all__ = [
    "KINDS",
    "CheckContext",
    "RequirementKind",
    "approval_group",
    "signed_by_vendors",
]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SPECIFIER_EXAMPLE = "'>=4.0,<5'"


class CheckContext(Protocol):
    """What a check may know about the rest of the policy, and where it reports."""

    @property
    def vendors(self) -> Collection[str] | None:
        """The vendor names; None if `vendors` is not a mapping (nothing to check against)."""

    @property
    def groups(self) -> Mapping[str, int] | None:
        """Group name -> number of members; None if `groups` is not a mapping."""

    @property
    def products(self) -> Collection[str] | None:
        """The product names (either form of `products`); None if `vendors` is malformed."""

    def error(self, path: JsonPath, problem: str) -> None: ...

    def warn(self, path: JsonPath, problem: str) -> None: ...


# (path below the kind's entry, "expected X, got Y") for each way the child is weaker.
Weakening = list[tuple[JsonPath, str]]


@dataclass(frozen=True)
class RequirementKind:
    """The checks of one kind beyond its schema.

    `check(context, path, entry)` reports errors (the policy cannot load) and warnings (lint
    only) about one segment's own entry at `path`. `weakening(inherited, own)` says how a
    segment's own entry is weaker than the one it replaces, in clear cases only.
    """

    check: Callable[[CheckContext, JsonPath, Any], None]
    weakening: Callable[[Any, Any], Weakening]


def _nothing_weaker(inherited: Any, own: Any) -> Weakening:
    return []


def _int(value: Any) -> int | None:
    """A count or a number of days: a positive integer, as the schema demands; else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# --- signed_by ---------------------------------------------------------------------------------


def signed_by_vendors(entry: Any) -> list[str]:
    """The vendor names a `signed_by` entry lists (either form); [] if it is malformed."""
    names = entry.get("vendors") if isinstance(entry, dict) else entry
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _signed_by_count(entry: Any) -> int | None:
    if isinstance(entry, list):
        return 1
    return _int(entry.get("count")) if isinstance(entry, dict) else None


def _check_signed_by(context: CheckContext, at: JsonPath, entry: Any) -> None:
    names_at = (*at, "vendors") if isinstance(entry, dict) else at
    names = entry.get("vendors") if isinstance(entry, dict) else entry
    if not isinstance(names, list):
        return
    known = context.vendors
    if known is not None:
        for index, name in enumerate(names):
            if isinstance(name, str) and name not in known:
                context.error((*names_at, index), f"unknown vendor {name!r} ({_one_of(known)})")
    count = _signed_by_count(entry)
    if isinstance(entry, dict) and count is not None and count > len(names):
        context.error(
            (*at, "count"),
            f"expected at most {len(names)} (the vendors listed), got {count}, so no artifact "
            "could ever enter this segment",
        )


def _signed_by_weakening(inherited: Any, own: Any) -> Weakening:
    before, after = _signed_by_count(inherited), _signed_by_count(own)
    if before is None or after is None or after >= before:
        return []
    at: JsonPath = ("count",) if isinstance(own, dict) else ()
    return [(at, f"expected signatures by at least {before} distinct vendors, got {after}")]


# --- freshness ---------------------------------------------------------------------------------


def _check_freshness(context: CheckContext, at: JsonPath, entry: Any) -> None:
    text = _str(entry.get("not_before")) if isinstance(entry, dict) else None
    if text is not None and _ISO_DATE.fullmatch(text):
        try:
            date.fromisoformat(text)
        except ValueError as exc:
            context.error((*at, "not_before"), f"expected a date YYYY-MM-DD, got {text!r} ({exc})")


def _freshness_weakening(inherited: Any, own: Any) -> Weakening:
    if not isinstance(inherited, dict) or not isinstance(own, dict):
        return []
    whole = "(an entry of its own replaces the inherited one whole)"
    out: Weakening = []
    oldest, own_oldest = _int(inherited.get("max_age_days")), _int(own.get("max_age_days"))
    if oldest is not None and "max_age_days" not in own:
        out.append(((), f"expected max_age_days at most {oldest}, got none {whole}"))
    elif oldest is not None and own_oldest is not None and own_oldest > oldest:
        out.append((("max_age_days",), f"expected at most {oldest}, got {own_oldest}"))
    earliest, own_earliest = _str(inherited.get("not_before")), _str(own.get("not_before"))
    if earliest is not None and "not_before" not in own:
        out.append(((), f"expected not_before {earliest!r} or later, got none {whole}"))
    elif earliest is not None and own_earliest is not None and own_earliest < earliest:
        out.append((("not_before",), f"expected {earliest!r} or later, got {own_earliest!r}"))
    return out


# --- version -----------------------------------------------------------------------------------


def _check_version(context: CheckContext, at: JsonPath, entry: Any) -> None:
    """One specifier for every product, or one per product named in the policy."""
    if not isinstance(entry, dict):
        _check_specifier(context, at, entry)
        return
    known = context.products
    for product, text in entry.items():
        if known is not None and product not in known:
            context.error(
                (*at, product), f"unknown product {product!r} ({_one_of(known, 'products')})"
            )
        _check_specifier(context, (*at, product), text)


def _check_specifier(context: CheckContext, at: JsonPath, entry: Any) -> None:
    text = _str(entry)
    if not text:
        return
    expected = f"expected a PEP 440 version specifier set such as {_SPECIFIER_EXAMPLE}"
    if any(not part.strip() for part in text.split(",")):
        context.error(at, f"{expected}, got {text!r}, which has an empty specifier")
        return
    try:
        specifier = SpecifierSet(text)
    except InvalidSpecifier as exc:
        context.error(at, f"{expected}, got {text!r} ({exc})")
        return
    if not any(_matches(specifier, version) for version in _probe_versions(specifier)):
        context.warn(
            at,
            f"expected a specifier some version matches, got {text!r}, which none does, so no "
            "artifact could ever enter this segment",
        )


def _matches(specifier: SpecifierSet, version: Version) -> bool:
    # As the decision rule does: pre-releases only if the specifier names one.
    return specifier.contains(version, prereleases=bool(specifier.prereleases))


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


# --- approvals ---------------------------------------------------------------------------------


def approval_group(entry: Any) -> str | None:
    """The group an `approvals` entry names, if it is well-formed enough to name one."""
    return _str(entry.get("group")) if isinstance(entry, dict) else None


def _check_approvals(context: CheckContext, at: JsonPath, entry: Any) -> None:
    if not isinstance(entry, dict):
        return
    group, count = approval_group(entry), _int(entry.get("count"))
    groups = context.groups
    if group is None or groups is None:
        return
    if group not in groups:
        context.error((*at, "group"), f"unknown group {group!r} ({_one_of(groups, 'groups')})")
    elif count is not None and count > groups[group]:
        context.error(
            (*at, "count"),
            f"expected at most {groups[group]} (the members of {group}), got {count}, so no "
            "artifact could ever enter this segment",
        )


def _approvals_weakening(inherited: Any, own: Any) -> Weakening:
    if not isinstance(inherited, dict) or not isinstance(own, dict):
        return []
    before, after = _int(inherited.get("count")), _int(own.get("count"))
    if before is None or after is None or after >= before:
        return []
    return [(("count",), f"expected at least {before} approvals, got {after}")]


# --- provenance, attestations -----------------------------------------------------------------


def _check_vendor_list(context: CheckContext, at: JsonPath, names: Any) -> None:
    known = context.vendors
    if known is None or not isinstance(names, list):
        return
    for index, name in enumerate(names):
        if isinstance(name, str) and name not in known:
            context.error((*at, index), f"unknown vendor {name!r} ({_one_of(known)})")


def _check_regex(context: CheckContext, at: JsonPath, text: Any) -> None:
    if not isinstance(text, str):
        return
    try:
        re.compile(text)
    except re.error as exc:
        context.error(
            at, f"expected a regular expression, got {text!r}, which does not compile: {exc}"
        )


def _check_provenance(context: CheckContext, at: JsonPath, entry: Any) -> None:
    if not isinstance(entry, dict):
        return
    _check_vendor_list(context, (*at, "from"), entry.get("from"))
    for claim in ("builder_id", "source", "ref"):
        _check_regex(context, (*at, f"{claim}_regex"), entry.get(f"{claim}_regex"))
    if isinstance(entry.get("tag_version"), str):
        _check_specifier(context, (*at, "tag_version"), entry["tag_version"])
    if entry.get("slsa_build_level") == 3 and "isolated_builders" not in entry:
        context.error(
            (*at, "slsa_build_level"),
            "expected isolated_builders with slsa_build_level 3 (which builders the site trusts "
            "as isolated), got none, so no provenance could ever reach level 3",
        )
    vsa = entry.get("vsa")
    if isinstance(vsa, dict):
        _check_vendor_list(context, (*at, "vsa", "from"), vsa.get("from"))


def _provenance_weakening(inherited: Any, own: Any) -> Weakening:
    if not isinstance(inherited, dict) or not isinstance(own, dict):
        return []
    before, after = _int(inherited.get("slsa_build_level")), _int(own.get("slsa_build_level"))
    if before is None:
        return []
    if after is None:
        return [((), f"expected slsa_build_level at least {before}, got none")]
    if after < before:
        return [(("slsa_build_level",), f"expected at least {before}, got {after}")]
    return []


def _evidence_weakening(inherited: Any, own: Any) -> Weakening:
    before = inherited.get("minimum") if isinstance(inherited, dict) else None
    after = own.get("minimum") if isinstance(own, dict) else None
    if before not in STRENGTHS or after not in STRENGTHS:
        return []
    if rank(after) < rank(before):
        return [(("minimum",), f"expected {before} or stronger, got {after}")]
    return []


def _check_attestations(context: CheckContext, at: JsonPath, entry: Any) -> None:
    """`attestations`, `in_toto`, `evidence`: the vendors in `from` must exist."""
    if isinstance(entry, dict):
        _check_vendor_list(context, (*at, "from"), entry.get("from"))


# --- sbom, components, licenses ------------------------------------------------------------------


def _check_sbom(context: CheckContext, at: JsonPath, entry: Any) -> None:
    if isinstance(entry, dict) and "min_coverage" in entry and "minimum_elements" not in entry:
        context.error(
            (*at, "min_coverage"),
            "expected minimum_elements beside min_coverage (the coverage of which fields?), "
            "got none",
        )


def _check_components(context: CheckContext, at: JsonPath, entry: Any) -> None:
    # Imported here: policy loading should not pay for version-range libraries it may not need.
    from provenance.policy.requirements.component_patterns import (  # noqa: PLC0415
        PatternError,
        compile_pattern,
    )

    for key in ("deny", "allow"):
        patterns = entry.get(key) if isinstance(entry, dict) else None
        for index, pattern in enumerate(patterns if isinstance(patterns, list) else ()):
            if isinstance(pattern, str | dict):
                try:
                    compile_pattern(pattern)
                except PatternError as exc:
                    context.error((*at, key, index), str(exc))


def _check_licenses(context: CheckContext, at: JsonPath, entry: Any) -> None:
    from provenance.policy.requirements.licence_names import (  # noqa: PLC0415
        PolicyLicenseError,
        canonical_licence,
    )

    for key in ("allow", "deny"):
        names = entry.get(key) if isinstance(entry, dict) else None
        for index, name in enumerate(names if isinstance(names, list) else ()):
            if isinstance(name, str) and name.strip():
                try:
                    canonical_licence(name)
                except PolicyLicenseError as exc:
                    context.error((*at, key, index), str(exc))


# --- vulnerabilities ----------------------------------------------------------------------------


def _check_vulnerabilities(context: CheckContext, at: JsonPath, entry: Any) -> None:
    if not isinstance(entry, dict):
        return
    if "max_db_age_days" not in entry:
        context.warn(
            at,
            "no max_db_age_days: vulnerability data of any age passes (stale data would "
            "silently allow); consider max_db_age_days: 30",
        )
    ignore = entry.get("ignore")
    for index, item in enumerate(ignore if isinstance(ignore, list) else ()):
        text = _str(item.get("expires")) if isinstance(item, dict) else None
        if text is None:
            continue
        problem = None if _ISO_DATE.fullmatch(text) else "not YYYY-MM-DD"
        if problem is None:
            try:
                date.fromisoformat(text)
            except ValueError as exc:
                problem = str(exc)
        if problem is not None:
            context.error(
                (*at, "ignore", index, "expires"),
                f"expected a date YYYY-MM-DD, got {text!r} ({problem})",
            )


def _vulnerabilities_weakening(inherited: Any, own: Any) -> Weakening:
    if not isinstance(inherited, dict) or not isinstance(own, dict):
        return []
    out: Weakening = []
    before, after = inherited.get("max_severity", "none"), own.get("max_severity", "none")
    if (
        before in SEVERITY_ORDER
        and after in SEVERITY_ORDER
        and SEVERITY_ORDER.index(after) > SEVERITY_ORDER.index(before)
    ):
        out.append((("max_severity",), f"expected {before} or lower, got {after}"))
    oldest, own_oldest = _int(inherited.get("max_db_age_days")), _int(own.get("max_db_age_days"))
    if oldest is not None and own_oldest is None:
        out.append(((), f"expected max_db_age_days at most {oldest}, got none"))
    elif oldest is not None and own_oldest is not None and own_oldest > oldest:
        out.append((("max_db_age_days",), f"expected at most {oldest}, got {own_oldest}"))
    for key, strict in (("known_exploited", "deny"), ("unscored", "deny"), ("possible", "deny"),
                        ("unchecked", "deny"), ("vex", "signed")):  # fmt: skip
        default = {"possible": "warn", "unchecked": "allow"}.get(key, strict)
        if inherited.get(key, default) == strict and own.get(key, default) != strict:
            out.append(((key,), f"expected {strict}, got {own.get(key, default)}"))
    return out


# -----------------------------------------------------------------------------------------------


def _one_of(known: Collection[str], what: str = "vendors") -> str:
    if not known:
        return f"the policy defines no {what}"
    return f"expected one of: {', '.join(sorted(known))}"


# Kinds without checks beyond their schema (rollback: only "deny") need no entry.
KINDS: Mapping[str, RequirementKind] = {
    "signed_by": RequirementKind(_check_signed_by, _signed_by_weakening),
    "freshness": RequirementKind(_check_freshness, _freshness_weakening),
    "version": RequirementKind(_check_version, _nothing_weaker),
    "approvals": RequirementKind(_check_approvals, _approvals_weakening),
    "provenance": RequirementKind(_check_provenance, _provenance_weakening),
    "attestations": RequirementKind(_check_attestations, _nothing_weaker),
    "evidence": RequirementKind(_check_attestations, _evidence_weakening),
    "in_toto": RequirementKind(_check_attestations, _nothing_weaker),
    "sbom": RequirementKind(_check_sbom, _nothing_weaker),
    "components": RequirementKind(_check_components, _nothing_weaker),
    "licenses": RequirementKind(_check_licenses, _nothing_weaker),
    "vulnerabilities": RequirementKind(_check_vulnerabilities, _vulnerabilities_weakening),
}
