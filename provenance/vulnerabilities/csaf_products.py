"""CSAF 2.0 (and 2.1) security advisories: the product tree flattened, the vulnerabilities read.

A CSAF product tree names products three ways, all flattened here into `CsafProduct`:
- `branches`: a tree vendor -> product_name -> product_version | product_version_range (other
  levels such as product_family or service_pack are kept in `branches`), a product at a leaf;
- `full_product_names`: products named outside the tree;
- `relationships`: a new product made of two (`default_component_of`, `installed_on`, ...),
  named after the referenced product, whose identity it inherits.
`product_groups` are expanded wherever a group id is referenced.

Every CISA ICS advisory is vendor -> product name -> version or version range, with Siemens
order numbers as `model_numbers`, and no purl or CPE (../shared/vulndata/README.md).

Strictness: shapes are checked field by field, and the CSAF mandatory tests that decide what a
document *means* refuse it (6.1.1 undefined product id, 6.1.2 product id defined twice, 6.1.3
circular definition, 6.1.4/6.1.5 group ids, 6.1.6 contradicting product status, 6.1.7 two
scores of one CVSS version for a product, 6.1.13 invalid purl, 6.1.23 a CVE used twice, 6.1.29
a remediation naming no product). Stated CVSS base scores are kept but never trusted:
`severity.py` computes from the vector.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from provenance.evidence.sbom.purl import split_purl
from provenance.vulnerabilities._advisory_json import Fields, show

__all__ = [
    "AFFECTED_STATUSES",
    "FIXED_STATUSES",
    "MAX_CSAF_BRANCH_DEPTH",
    "MAX_CSAF_PRODUCTS",
    "MAX_CSAF_VULNERABILITIES",
    "NOT_AFFECTED_STATUSES",
    "UNDECIDED_STATUSES",
    "CsafAdvisory",
    "CsafFlag",
    "CsafProduct",
    "CsafRelationship",
    "CsafRemediation",
    "CsafScore",
    "CsafThreat",
    "CsafVulnerability",
    "ProductStatus",
    "parse_csaf",
]

# Limits: the largest CISA ICS advisory has a few hundred products; vendor advisories
# (Cisco, Red Hat) reach tens of thousands. The schema caps branch depth at 30.
MAX_CSAF_PRODUCTS = 200_000
MAX_CSAF_BRANCH_DEPTH = 30
MAX_CSAF_VULNERABILITIES = 10_000
MAX_CSAF_LIST_ITEMS = 200_000  # product ids in one status list, remediations, scores, ...
MAX_RELATIONSHIP_CHAIN = 32  # a relationship product referring to another one, and so on

_CHECK = "csaf"
_VERSIONS = ("2.0", "2.1")
_CVE = re.compile(r"CVE-[0-9]{4}-[0-9]{4,}")

ProductStatus = Literal[
    "first_affected",
    "known_affected",
    "last_affected",
    "first_fixed",
    "fixed",
    "known_not_affected",
    "under_investigation",
    "unknown",  # 2.1
    "recommended",
]
AFFECTED_STATUSES: tuple[ProductStatus, ...] = ("first_affected", "known_affected", "last_affected")
FIXED_STATUSES: tuple[ProductStatus, ...] = ("first_fixed", "fixed")
NOT_AFFECTED_STATUSES: tuple[ProductStatus, ...] = ("known_not_affected",)
UNDECIDED_STATUSES: tuple[ProductStatus, ...] = ("under_investigation", "unknown")
_STATUSES: tuple[ProductStatus, ...] = (
    *AFFECTED_STATUSES,
    *FIXED_STATUSES,
    *NOT_AFFECTED_STATUSES,
    *UNDECIDED_STATUSES,
    "recommended",
)
# 6.1.6: a product may be in at most one of these groups per vulnerability.
_CONTRADICTING: tuple[tuple[ProductStatus, ...], ...] = (
    AFFECTED_STATUSES,
    FIXED_STATUSES,
    NOT_AFFECTED_STATUSES,
    ("under_investigation",),
    ("unknown",),
)
_REMEDIATIONS = (
    "mitigation",
    "no_fix_planned",
    "none_available",
    "vendor_fix",
    "workaround",
    "fix_planned",  # 2.1
    "optional_patch",  # 2.1
)
_BRANCH_CATEGORIES = (
    "architecture",
    "host_name",
    "language",
    "legacy",
    "patch_level",
    "platform",  # 2.1
    "product_family",
    "product_name",
    "product_version",
    "product_version_range",
    "service_pack",
    "specification",
    "vendor",
)
ScoreKind = Literal["cvss_v2", "cvss_v3", "cvss_v4"]
_SCORE_KINDS: tuple[ScoreKind, ...] = ("cvss_v2", "cvss_v3", "cvss_v4")


@dataclass(frozen=True, slots=True)
class CsafRelationship:
    category: str  # default_component_of, installed_on, installed_with, optional_component_of, ...
    product_reference: str  # the product this one is made of (whose identity it carries)
    relates_to_product_reference: str


@dataclass(frozen=True, slots=True)
class CsafProduct:
    product_id: str
    name: str  # the full product name as written
    vendor: str | None  # the `vendor` branch above it
    product_name: str | None  # the `product_name` branch above it
    version: str | None  # a `product_version` branch (sometimes a range in free text)
    version_range: str | None  # a `product_version_range` branch ("vers:all/<V5.5.2", "< A17")
    model_numbers: tuple[str, ...] = ()  # Siemens order numbers (MLFB) live here
    skus: tuple[str, ...] = ()
    serial_numbers: tuple[str, ...] = ()
    purls: tuple[str, ...] = ()
    cpe: str | None = None
    branches: tuple[tuple[str, str], ...] = ()  # (category, name) from the root
    relationship: CsafRelationship | None = None


@dataclass(frozen=True, slots=True)
class CsafRemediation:
    category: str  # vendor_fix, mitigation, workaround, no_fix_planned, none_available, ...
    details: str
    product_ids: tuple[str, ...]  # groups expanded
    url: str | None = None


@dataclass(frozen=True, slots=True)
class CsafScore:
    kind: ScoreKind
    vector: str  # vectorString, as written; score it with severity.score_vector
    version: str  # the object's `version` ("3.1")
    stated_base_score: float | None  # as written, not trusted
    product_ids: tuple[str, ...]  # groups expanded
    source: str | None = None  # 2.1: who scored it, when not the document's author


@dataclass(frozen=True, slots=True)
class CsafFlag:
    """A machine-readable VEX justification (CSAF `flags[]`): `component_not_present`,
    `vulnerable_code_not_present`, `vulnerable_code_not_in_execute_path`, ..."""

    label: str
    product_ids: tuple[str, ...]  # groups expanded


@dataclass(frozen=True, slots=True)
class CsafThreat:
    category: str  # impact, exploit_status, target_set
    details: str
    product_ids: tuple[str, ...]  # groups expanded; empty: the whole vulnerability


@dataclass(frozen=True, slots=True)
class CsafVulnerability:
    cve: str | None
    ids: tuple[tuple[str, str], ...]  # (system_name, text): vendor ids, e.g. SSA numbers
    title: str | None
    product_status: Mapping[ProductStatus, tuple[str, ...]]
    remediations: tuple[CsafRemediation, ...]
    scores: tuple[CsafScore, ...]
    flags: tuple[CsafFlag, ...] = ()
    threats: tuple[CsafThreat, ...] = ()
    # product id -> its statuses, derived from product_status
    by_product: Mapping[str, tuple[ProductStatus, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_product: dict[str, tuple[ProductStatus, ...]] = {}
        for status, ids in self.product_status.items():
            for product_id in ids:
                by_product[product_id] = (*by_product.get(product_id, ()), status)
        object.__setattr__(self, "by_product", MappingProxyType(by_product))

    def statuses_of(self, product_id: str) -> tuple[ProductStatus, ...]:
        return self.by_product.get(product_id, ())

    def product_ids(self) -> Iterator[str]:
        """Every product the vulnerability gives a status for, each once."""
        return iter(self.by_product)

    def remediations_for(self, product_id: str) -> tuple[CsafRemediation, ...]:
        return tuple(r for r in self.remediations if product_id in r.product_ids)

    def scores_for(self, product_id: str) -> tuple[CsafScore, ...]:
        return tuple(s for s in self.scores if product_id in s.product_ids)


@dataclass(frozen=True)
class CsafAdvisory:
    tracking_id: str  # "ICSA-19-099-06"
    title: str
    publisher: str
    category: str  # csaf_security_advisory, csaf_vex, csaf_base, ...
    csaf_version: str  # "2.0" or "2.1"
    revision: str  # tracking.version
    status: str  # tracking.status: draft, interim, final
    initial_release: datetime
    current_release: datetime
    products: Mapping[str, CsafProduct]  # product id -> product
    vulnerabilities: tuple[CsafVulnerability, ...]
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "products", MappingProxyType(dict(self.products)))


def parse_csaf(document: Any, source: str) -> CsafAdvisory:
    """A CSAF 2.0/2.1 document (parsed JSON) -> its advisory; `EvidenceError` naming the JSON
    path and the reason if it is malformed or self-contradicting."""
    root = Fields(document, "", source, _CHECK)
    meta = root.child("document")
    csaf_version = meta.string("csaf_version")
    if csaf_version not in _VERSIONS:
        raise meta.error(
            meta.path("csaf_version"),
            f"expected one of {', '.join(_VERSIONS)}, got {csaf_version!r}",
        )
    tracking = meta.child("tracking")
    tree = root.optional_child("product_tree")
    products, groups = _ProductTree(source).read(tree) if tree is not None else ({}, {})
    resolver = _References(products, groups, source)
    raw = root.array("vulnerabilities", limit=MAX_CSAF_VULNERABILITIES, required=False)
    vulnerabilities = []
    cves: dict[str, int] = {}
    for index, item in enumerate(raw):
        vulnerability = _vulnerability(
            Fields(item, f"vulnerabilities[{index}]", source, _CHECK), resolver, csaf_version
        )
        if vulnerability.cve is not None:
            if vulnerability.cve in cves:
                raise root.error(
                    f"vulnerabilities[{index}].cve",
                    f"expected each CVE once (6.1.23), got {vulnerability.cve} again "
                    f"(also vulnerabilities[{cves[vulnerability.cve]}])",
                )
            cves[vulnerability.cve] = index
        vulnerabilities.append(vulnerability)
    return CsafAdvisory(
        tracking_id=tracking.string("id"),
        title=meta.string("title"),
        publisher=meta.child("publisher").string("name"),
        category=meta.string("category"),
        csaf_version=csaf_version,
        revision=tracking.string("version"),
        status=tracking.string("status"),
        initial_release=tracking.date_time("initial_release_date"),
        current_release=tracking.date_time("current_release_date"),
        products=products,
        vulnerabilities=tuple(vulnerabilities),
        source=source,
    )


# -- the product tree ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Helper:
    model_numbers: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    serial_numbers: tuple[str, ...] = ()
    purls: tuple[str, ...] = ()
    cpe: str | None = None


class _ProductTree:
    """Reads one product tree: every product id defined once (6.1.2), references resolved."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.products: dict[str, CsafProduct] = {}
        self.where: dict[str, str] = {}  # product id -> where it was defined

    def read(self, tree: Fields) -> tuple[dict[str, CsafProduct], dict[str, tuple[str, ...]]]:
        self._branches(tree)
        for fields in tree.objects("full_product_names", limit=MAX_CSAF_PRODUCTS, required=False):
            self._define(fields, vendor=None, product_name=None, version=None, version_range=None)
        pending = {}
        for fields in tree.objects("relationships", limit=MAX_CSAF_PRODUCTS, required=False):
            named = fields.child("full_product_name")
            product_id = named.string("product_id")
            self._claim(product_id, named.where, named)
            relation = CsafRelationship(
                category=fields.string("category"),
                product_reference=fields.string("product_reference"),
                relates_to_product_reference=fields.string("relates_to_product_reference"),
            )
            pending[product_id] = (named, relation, fields)
        # 2.1 product paths: a product made of a chain of others; read as a relationship from
        # the beginning product to the last one.
        for fields in tree.objects("product_paths", limit=MAX_CSAF_PRODUCTS, required=False):
            named = fields.child("full_product_name")
            product_id = named.string("product_id")
            self._claim(product_id, named.where, named)
            hops = fields.objects("subpaths", limit=MAX_RELATIONSHIP_CHAIN)
            if not hops:
                raise fields.error(fields.path("subpaths"), "expected subpaths, got none")
            relation = CsafRelationship(
                category="/".join(hop.string("category") for hop in hops),
                product_reference=fields.string("beginning_product_reference"),
                relates_to_product_reference=hops[-1].string("next_product_reference"),
            )
            pending[product_id] = (named, relation, fields)
        self._relationships(pending)
        groups = self._groups(tree)
        return self.products, groups

    def _claim(self, product_id: str, where: str, fields: Fields) -> None:
        if len(self.where) >= MAX_CSAF_PRODUCTS:
            raise fields.error(where, f"expected at most {MAX_CSAF_PRODUCTS} products, got more")
        if product_id in self.where:
            raise fields.error(
                f"{where}.product_id",
                f"expected each product id defined once (6.1.2), got {product_id!r} again "
                f"(first at {self.where[product_id]})",
            )
        self.where[product_id] = where

    def _branches(self, tree: Fields) -> None:
        # Depth-first without recursion; each entry: the branch list, its path, the
        # (category, name) pairs above it.
        stack: list[tuple[list[Any], str, tuple[tuple[str, str], ...]]] = []
        top = tree.array("branches", limit=MAX_CSAF_PRODUCTS, required=False)
        stack.append((top, tree.path("branches"), ()))
        while stack:
            items, where, above = stack.pop()
            if len(above) >= MAX_CSAF_BRANCH_DEPTH:
                raise tree.error(where, f"expected branches at most {MAX_CSAF_BRANCH_DEPTH} deep")
            for index, item in enumerate(items):
                branch = Fields(item, f"{where}[{index}]", self.source, _CHECK)
                category = branch.string("category")
                if category not in _BRANCH_CATEGORIES:
                    raise branch.error(
                        branch.path("category"), f"expected a branch category, got {show(category)}"
                    )
                path = (*above, (category, branch.string("name")))
                has_children, has_product = branch.has("branches"), branch.has("product")
                if has_children == has_product:
                    raise branch.error(
                        branch.where, "expected either branches or a product, got both or neither"
                    )
                if has_children:
                    children = branch.array("branches", limit=MAX_CSAF_PRODUCTS)
                    if not children:
                        raise branch.error(branch.path("branches"), "expected branches, got none")
                    stack.append((children, branch.path("branches"), path))
                    continue
                named = dict(path)
                self._define(
                    branch.child("product"),
                    vendor=named.get("vendor"),
                    product_name=named.get("product_name"),
                    version=named.get("product_version"),
                    version_range=named.get("product_version_range"),
                    branches=path,
                )

    def _define(
        self,
        fields: Fields,
        *,
        vendor: str | None,
        product_name: str | None,
        version: str | None,
        version_range: str | None,
        branches: tuple[tuple[str, str], ...] = (),
    ) -> None:
        product_id = fields.string("product_id")
        self._claim(product_id, fields.where, fields)
        helper = _helper(fields)
        self.products[product_id] = CsafProduct(
            product_id=product_id,
            name=fields.string("name"),
            vendor=vendor,
            product_name=product_name,
            version=version,
            version_range=version_range,
            model_numbers=helper.model_numbers,
            skus=helper.skus,
            serial_numbers=helper.serial_numbers,
            purls=helper.purls,
            cpe=helper.cpe,
            branches=branches,
        )

    def _relationships(self, pending: dict[str, tuple[Fields, CsafRelationship, Fields]]) -> None:
        """Each relationship product takes the identity of the product it refers to,
        following chains of relationship products (6.1.1 undefined, 6.1.3 circular)."""
        for product_id, (named, relation, fields) in pending.items():
            for key, reference in (
                ("product_reference", relation.product_reference),
                ("relates_to_product_reference", relation.relates_to_product_reference),
            ):
                if reference not in self.where:
                    raise fields.error(
                        fields.path(key),
                        f"expected a defined product id (6.1.1), got {reference!r}",
                    )
            base, seen = relation.product_reference, {product_id}
            while base in pending:
                if base in seen or len(seen) > MAX_RELATIONSHIP_CHAIN:
                    raise fields.error(
                        fields.path("product_reference"),
                        f"expected a product defined without itself (6.1.3), got a circular "
                        f"definition of {product_id!r}",
                    )
                seen.add(base)
                base = pending[base][1].product_reference
            related = pending.get(relation.relates_to_product_reference)
            if related is not None and product_id in (
                related[1].product_reference,
                related[1].relates_to_product_reference,
            ):
                raise fields.error(
                    fields.path("relates_to_product_reference"),
                    f"expected a product defined without itself (6.1.3), got a circular "
                    f"definition of {product_id!r}",
                )
            origin = self.products[base]
            helper = _helper(named)
            self.products[product_id] = CsafProduct(
                product_id=product_id,
                name=named.string("name"),
                vendor=origin.vendor,
                product_name=origin.product_name,
                version=origin.version,
                version_range=origin.version_range,
                model_numbers=helper.model_numbers or origin.model_numbers,
                skus=helper.skus or origin.skus,
                serial_numbers=helper.serial_numbers or origin.serial_numbers,
                purls=helper.purls or origin.purls,
                cpe=helper.cpe or origin.cpe,
                branches=origin.branches,
                relationship=relation,
            )

    def _groups(self, tree: Fields) -> dict[str, tuple[str, ...]]:
        groups: dict[str, tuple[str, ...]] = {}
        for group in tree.objects("product_groups", limit=MAX_CSAF_PRODUCTS, required=False):
            group_id = group.string("group_id")
            if group_id in groups:
                raise group.error(
                    group.path("group_id"),
                    f"expected each group id defined once (6.1.5), got {group_id!r} again",
                )
            members = group.strings("product_ids", limit=MAX_CSAF_LIST_ITEMS)
            for position, member in enumerate(members):
                if member not in self.products:
                    raise group.error(
                        f"{group.path('product_ids')}[{position}]",
                        f"expected a defined product id (6.1.1), got {member!r}",
                    )
            groups[group_id] = members
        return groups


def _helper(product: Fields) -> _Helper:
    helper = product.optional_child("product_identification_helper")
    if helper is None:
        return _Helper()
    purls = list(helper.strings("purls", limit=MAX_CSAF_LIST_ITEMS))  # 2.1: a list
    single = helper.optional_string("purl")  # 2.0: one
    if single is not None:
        purls.insert(0, single)
    for purl in purls:
        if split_purl(purl) is None:
            raise helper.error(
                helper.path("purl"), f"expected a package URL (6.1.13), got {show(purl)}"
            )
    return _Helper(
        model_numbers=helper.strings("model_numbers", limit=MAX_CSAF_LIST_ITEMS),
        skus=helper.strings("skus", limit=MAX_CSAF_LIST_ITEMS),
        serial_numbers=helper.strings("serial_numbers", limit=MAX_CSAF_LIST_ITEMS),
        purls=tuple(purls),
        cpe=helper.optional_string("cpe"),
    )


# -- vulnerabilities ----------------------------------------------------------------------


class _References:
    """Product and group ids as a vulnerability refers to them, checked and expanded."""

    def __init__(
        self,
        products: Mapping[str, CsafProduct],
        groups: Mapping[str, tuple[str, ...]],
        source: str,
    ) -> None:
        self.products = products
        self.groups = groups
        self.source = source

    def product_ids(self, fields: Fields, key: str) -> tuple[str, ...]:
        ids = fields.strings(key, limit=MAX_CSAF_LIST_ITEMS)
        for index, product_id in enumerate(ids):
            if product_id not in self.products:
                raise fields.error(
                    f"{fields.path(key)}[{index}]",
                    f"expected a defined product id (6.1.1), got {product_id!r}",
                )
        return ids

    def expanded(self, fields: Fields) -> tuple[str, ...]:
        """`product_ids` plus the members of `group_ids`, in order, each once."""
        found = list(self.product_ids(fields, "product_ids"))
        for index, group_id in enumerate(fields.strings("group_ids", limit=MAX_CSAF_LIST_ITEMS)):
            if group_id not in self.groups:
                raise fields.error(
                    f"{fields.path('group_ids')}[{index}]",
                    f"expected a defined product group id (6.1.4), got {group_id!r}",
                )
            found.extend(self.groups[group_id])
        return tuple(dict.fromkeys(found))


def _vulnerability(fields: Fields, refs: _References, csaf_version: str) -> CsafVulnerability:
    cve = fields.optional_string("cve")
    if cve is not None and not _CVE.fullmatch(cve):
        raise fields.error(fields.path("cve"), f"expected CVE-YYYY-NNNN, got {show(cve)}")
    ids = []
    for entry in fields.objects("ids", limit=MAX_CSAF_LIST_ITEMS, required=False):
        ids.append((entry.string("system_name"), entry.string("text")))
    return CsafVulnerability(
        cve=cve,
        ids=tuple(ids),
        title=fields.optional_string("title"),
        product_status=_product_status(fields, refs),
        remediations=_remediations(fields, refs),
        scores=_scores(fields, refs, csaf_version),
        flags=_flags(fields, refs),
        threats=_threats(fields, refs),
    )


def _flags(fields: Fields, refs: _References) -> tuple[CsafFlag, ...]:
    found = []
    for entry in fields.objects("flags", limit=MAX_CSAF_LIST_ITEMS, required=False):
        product_ids = refs.expanded(entry)
        if not product_ids:
            raise entry.error(
                entry.where, "expected product_ids or group_ids (6.1.32), got neither"
            )
        found.append(CsafFlag(label=entry.string("label"), product_ids=product_ids))
    return tuple(found)


def _threats(fields: Fields, refs: _References) -> tuple[CsafThreat, ...]:
    found = []
    for entry in fields.objects("threats", limit=MAX_CSAF_LIST_ITEMS, required=False):
        found.append(
            CsafThreat(
                category=entry.string("category"),
                details=entry.string("details"),
                product_ids=refs.expanded(entry),
            )
        )
    return tuple(found)


def _product_status(fields: Fields, refs: _References) -> Mapping[ProductStatus, tuple[str, ...]]:
    raw = fields.optional_child("product_status")
    if raw is None:
        return MappingProxyType({})
    status: dict[ProductStatus, tuple[str, ...]] = {}
    for key in raw.value:
        if key not in _STATUSES:
            raise raw.error(raw.path(key), f"expected a product status, got {show(key)}")
    for key in _STATUSES:
        if raw.has(key):
            status[key] = refs.product_ids(raw, key)
    members = {key: frozenset(ids) for key, ids in status.items()}
    for product_id in frozenset().union(*members.values()):
        held = [
            next(s for s in group if product_id in members.get(s, ()))
            for group in _CONTRADICTING
            if any(product_id in members.get(s, ()) for s in group)
        ]
        if len(held) > 1:
            raise raw.error(
                raw.where,
                f"expected one status group per product (6.1.6), got {product_id!r} both "
                f"{' and '.join(held)}",
            )
    return MappingProxyType(status)


def _remediations(fields: Fields, refs: _References) -> tuple[CsafRemediation, ...]:
    found = []
    for entry in fields.objects("remediations", limit=MAX_CSAF_LIST_ITEMS, required=False):
        category = entry.string("category")
        if category not in _REMEDIATIONS:
            raise entry.error(
                entry.path("category"), f"expected a remediation category, got {show(category)}"
            )
        product_ids = refs.expanded(entry)
        if not product_ids:
            raise entry.error(
                entry.where, "expected product_ids or group_ids (6.1.29), got neither"
            )
        found.append(
            CsafRemediation(
                category=category,
                details=entry.string("details"),
                product_ids=product_ids,
                url=entry.optional_string("url"),
            )
        )
    return tuple(found)


def _scores(fields: Fields, refs: _References, csaf_version: str) -> tuple[CsafScore, ...]:
    """2.0 `scores[]` ({products, cvss_v2, cvss_v3}); 2.1 `metrics[]` ({products, content})."""
    key = "scores" if csaf_version == "2.0" else "metrics"
    found: list[CsafScore] = []
    # (product id, CVSS version, source): one score each (6.1.7; 2.1 allows one per source)
    seen: set[tuple[str, str, str | None]] = set()
    for entry in fields.objects(key, limit=MAX_CSAF_LIST_ITEMS, required=False):
        product_ids = refs.product_ids(entry, "products")
        if not product_ids:
            raise entry.error(entry.path("products"), "expected products, got none")
        content = entry if csaf_version == "2.0" else entry.child("content")
        scored_by = None if csaf_version == "2.0" else entry.optional_string("source")
        for kind in _SCORE_KINDS:
            cvss = content.optional_child(kind)
            if cvss is None:
                continue
            version = cvss.string("version")
            for product_id in product_ids:
                if (product_id, version, scored_by) in seen:
                    raise entry.error(
                        entry.path("products"),
                        f"expected one CVSS v{version} score per product (6.1.7), got a second "
                        f"for {product_id!r}",
                    )
                seen.add((product_id, version, scored_by))
            found.append(
                CsafScore(
                    kind=kind,
                    vector=cvss.string("vectorString"),
                    version=version,
                    stated_base_score=cvss.number("baseScore") if cvss.has("baseScore") else None,
                    product_ids=product_ids,
                    source=scored_by,
                )
            )
    return tuple(found)
