"""The compiled policy: immutable values, built only from a file that passed every check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from provenance.errors import PolicyError
from provenance.policy._yaml import JsonPath, Mark
from provenance.policy.requirements import Requirements, RequirementSpec
from provenance.verification.in_toto_keys import InTotoKey
from provenance.verification.matching import Pattern
from provenance.verification.signers import PublicKeySigner, SignerRule
from provenance.vulnerabilities.advisory_signatures import AdvisoryPublisher

__all__ = ["Group", "Policy", "Product", "Segment", "Vendor"]


def _read_only(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Product:
    """A product of one vendor: its package URL (what the ledger and VSAs record) and the
    file name globs that recognise its files.

    `shorthand`: declared as a bare package URL in a list, so it has no `files`; the only
    product of a vendor declared so is every file that vendor signs.
    """

    name: str  # the policy's name for it (the purl's last segment in the shorthand)
    purl: str  # without version
    vendor: str
    files: tuple[Pattern, ...] = ()
    shorthand: bool = False
    source: str | None = None  # the repository it is built from (`https://host/org/repo`)

    def built_from(self, repository: str) -> bool:
        """True if `repository` (a URI, `.git` and a trailing `/` ignored) is its `source`."""
        return self.source is not None and _repository(repository) == _repository(self.source)

    def names_file(self, file_name: str) -> bool:
        """True if a `files` glob matches the last path segment of `file_name`."""
        base = file_name.replace("\\", "/").rpartition("/")[2]
        return any(glob.matches(base) for glob in self.files)


def _repository(uri: str) -> str:
    return uri.removeprefix("git+").rstrip("/").removesuffix(".git").casefold()


@dataclass(frozen=True)
class Vendor:
    """A vendor: who may sign for it (any one signer suffices) and what it makes."""

    name: str
    signers: tuple[SignerRule, ...]
    products: tuple[Product, ...] = ()  # none: it only co-signs others' products
    # in-toto supply-chain layouts: the keys that sign the vendor's root layouts, and how many
    # must (None: all of them, in-toto's rule).
    layout_keys: tuple[InTotoKey, ...] = ()
    layout_threshold: int | None = None


@dataclass(frozen=True)
class Group:
    """Site staff who sign approvals: member name -> the key that verifies their approvals.

    No two members share a key, so N approvals are N people.
    """

    name: str
    members: Mapping[str, PublicKeySigner]

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", _read_only(self.members))


@dataclass(frozen=True)
class Segment:
    """A network segment as written: the segment it extends, and its own requirements.

    `require` maps each requirement kind ("signed_by", "approvals", ...) to the typed spec of
    the segment's own entry (`provenance.policy.requirements`); it is empty when the segment
    only extends another.
    """

    name: str
    extends: str | None
    require: Mapping[str, RequirementSpec]

    def __post_init__(self) -> None:
        object.__setattr__(self, "require", _read_only(self.require))


@dataclass(frozen=True)
class Policy:
    """A loaded policy file.

    `sigstore_trust` holds "embedded:production", "embedded:staging" or the absolute path of a
    `trusted_root.json`, in file order. `vendors`, `groups` and `segments` are read-only and
    keep the file's order. `sha256` is the digest of the file's bytes as parsed (for audit
    records: which policy decided). `positions` maps a path in the file, such as
    `("segments", "level1", "require", "approvals")`, to where it is written (the position of
    its key, or of the value for list items); see `position` and `requirement_position`.
    """

    path: str
    sigstore_trust: tuple[str, ...]
    vendors: Mapping[str, Vendor]
    groups: Mapping[str, Group] = field(default_factory=dict)
    segments: Mapping[str, Segment] = field(default_factory=dict)
    site_vsa_key: PublicKeySigner | None = None
    # `delivery.documents`: files of a delivery that are documentation, not decided about.
    documents: tuple[Pattern, ...] = ()
    sha256: str = ""
    positions: Mapping[JsonPath, Mark] = field(default_factory=dict, repr=False, compare=False)
    # `trust.advisories`: CSAF publishers whose advisories must be signed (vulndb import).
    advisory_publishers: tuple[AdvisoryPublisher, ...] = ()
    # `trust.tuf.max_staleness_days`: how long past expiry a TUF snapshot may be imported.
    tuf_max_staleness_days: int | None = None

    def __post_init__(self) -> None:
        for name in ("vendors", "groups", "segments", "positions"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def products(self) -> dict[str, Product]:
        """Every product by name, in file order (names are unique across vendors)."""
        return {product.name: product for v in self.vendors.values() for product in v.products}

    def signer_rules(self, vendor: str | None = None) -> list[tuple[str, SignerRule]]:
        """(vendor name, rule) for every signer, or for one vendor's signers, in file order.

        Raises `PolicyError` (a usage error) if `vendor` is not in the policy.
        """
        if vendor is None:
            chosen = list(self.vendors.values())
        elif vendor in self.vendors:
            chosen = [self.vendors[vendor]]
        else:
            raise self._usage_error(f"unknown vendor {vendor!r}", self.vendors, "vendors")
        return [(v.name, rule) for v in chosen for rule in v.signers]

    def extends_chain(self, segment: str) -> list[str]:
        """`segment`, the segment it extends, and so on up to one that extends none.

        Raises `PolicyError` (a usage error) if `segment` is not in the policy.
        """
        self._segment(segment)
        chain = [segment]
        parent = self.segments[segment].extends
        while parent is not None:
            if parent in chain or parent not in self.segments:
                # A loaded policy has neither; a hand-built one might.
                shown = " -> ".join([*chain, parent])
                raise PolicyError(self.path, None, None, f"invalid extends chain: {shown}")
            chain.append(parent)
            parent = self.segments[parent].extends
        return chain

    def effective_requirements(self, segment: str) -> Requirements:
        """The requirements an artifact must meet to enter `segment`, inheritance applied.

        Algorithm: walk the `extends` chain from the root down to `segment`; each segment's
        entry for a kind replaces the entry inherited for that kind (whole entries, never a
        merge inside one). The result keeps inherited kinds first; it and its specs are
        read-only. Raises `PolicyError` (a usage error) if `segment` is not in the policy.
        """
        merged: dict[str, RequirementSpec] = {}
        for name in reversed(self.extends_chain(segment)):
            merged.update(self.segments[name].require)
        return Requirements(merged)

    def requirement_origin(self, segment: str, kind: str) -> str:
        """The segment whose own entry is `segment`'s effective requirement `kind`.

        Raises `PolicyError` (a usage error) if `segment` is unknown or does not require `kind`.
        """
        chain = self.extends_chain(segment)
        for name in chain:
            if kind in self.segments[name].require:
                return name
        effective = sorted(self.effective_requirements(segment))
        raise PolicyError(
            self.path,
            None,
            None,
            f"segment {segment!r} has no requirement {kind!r} "
            f"(its requirements: {', '.join(effective)})",
        )

    def position(self, *path: str | int) -> Mark | None:
        """Where `path` is written in the file, or None if it is not."""
        return self.positions.get(tuple(path))

    def requirement_position(self, segment: str, kind: str) -> Mark | None:
        """Where `segment`'s effective requirement `kind` is written (maybe in a parent)."""
        origin = self.requirement_origin(segment, kind)
        return self.position("segments", origin, "require", kind)

    def _segment(self, segment: str) -> Segment:
        if segment not in self.segments:
            raise self._usage_error(f"unknown segment {segment!r}", self.segments, "segments")
        return self.segments[segment]

    def _usage_error(self, problem: str, known: Mapping[str, Any], what: str) -> PolicyError:
        if known:
            expected = f"expected one of: {', '.join(sorted(known))}"
        else:
            expected = f"the policy defines no {what}"
        return PolicyError(self.path, None, None, f"{problem} ({expected})")
