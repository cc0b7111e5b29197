"""Match SBOM components to CSAF advisories, saying which kind of match held.

CISA ICS advisories carry no purl and no CPE, so a component is tied to an advisory by, from
strongest to weakest:
  cve           the component (or an OSV record about it) names the advisory's CVE
  model-number  an order/model number (Siemens `6ES7...`) or SKU the component carries
  purl, cpe     when the advisory has them (vendor advisories in CSAF, rarely ICS ones)
  product-name  normalised vendor + product name: only ever a "possible" finding
A product-name match, a range that cannot be interpreted or a component without a comparable
version give "possible", never "not affected": policy may treat it as a warning, but it is
shown. A product in `known_not_affected`, a version outside an interpreted range or a version
listed as fixed gives "not-affected"/"fixed" with the reason, so the report can show it.

Per vulnerability the verdicts of every matched product combine worst first:
affected > possible > fixed > not-affected.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from provenance.evidence.sbom.purl import split_purl
from provenance.vulnerabilities.csaf_products import (
    AFFECTED_STATUSES,
    FIXED_STATUSES,
    NOT_AFFECTED_STATUSES,
    UNDECIDED_STATUSES,
    CsafAdvisory,
    CsafProduct,
    CsafRemediation,
    CsafScore,
    CsafVulnerability,
    ProductStatus,
)
from provenance.vulnerabilities.csaf_versions import RangeCheck, check_version

__all__ = [
    "MATCH_STRENGTH",
    "ComponentQuery",
    "CsafFinding",
    "CsafIndex",
    "MatchKind",
    "ProductMatch",
    "Verdict",
    "advisory_keys",
    "component_keys",
    "match_component",
]

MatchKind = Literal["cve", "model-number", "purl", "cpe", "product-name"]
Verdict = Literal["affected", "possible", "fixed", "not-affected"]
# Strongest first; a lower number is a stronger match.
MATCH_STRENGTH: Mapping[MatchKind, int] = {
    "cve": 0,
    "model-number": 1,
    "purl": 2,
    "cpe": 2,
    "product-name": 3,
}
_VERDICT_WEIGHT: Mapping[Verdict, int] = {
    "affected": 3,
    "possible": 2,
    "fixed": 1,
    "not-affected": 0,
}
# A product listed as affected, by the outcome of the component's version check.
_AFFECTED_BY_CHECK: Mapping[str, Verdict] = {
    "in": "affected",
    "out": "not-affected",
    "unknown": "possible",
}
# Corporate suffixes that vendor names carry or drop at will ("Siemens" / "Siemens AG").
_VENDOR_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited",
        "llc", "gmbh", "ag", "sa", "se", "plc", "bv", "nv", "kg", "spa", "srl", "oy", "ab",
        "as", "kk", "group", "holding", "holdings",
    }
)  # fmt: skip
# Runs of a component name's words looked up as product names: n(n+1)/2 look-ups.
_MAX_NAME_WORDS = 12
_NAME_CACHE_ENTRIES = 100_000
_PARENTHESISED = re.compile(r"\([^)]*\)")
_TOKEN = re.compile(r"[0-9a-z]+")
_CPE_SPLIT = re.compile(r"(?<!\\):")
_CPE_ANY = ("*", "-", "")


@dataclass(frozen=True, slots=True)
class ComponentQuery:
    """What is known about one SBOM component, from the verified SBOM (and OSV matches)."""

    name: str
    version: str | None = None
    supplier: str | None = None  # supplier or manufacturer name
    purl: str | None = None
    cpe: str | None = None
    model_numbers: tuple[str, ...] = ()  # order numbers (Siemens MLFB), model numbers, SKUs
    cves: tuple[str, ...] = ()  # CVE ids the component, or an OSV record about it, names
    ref: str | None = None  # bom-ref, for the report

    @property
    def effective_version(self) -> str | None:
        if self.version:
            return self.version
        parts = split_purl(self.purl) if self.purl else None
        return parts.version if parts is not None else None


@dataclass(frozen=True, slots=True)
class ProductMatch:
    product_id: str
    product: str  # the product's full name in the advisory
    match: MatchKind
    statuses: tuple[ProductStatus, ...]
    verdict: Verdict
    reason: str  # one line: how it matched, its status, the version check
    unparsed: str | None = None  # a range or version that could not be interpreted


@dataclass(frozen=True, slots=True)
class CsafFinding:
    advisory: str  # tracking id, "ICSA-19-099-06"
    source: str  # the advisory document
    cve: str | None
    vulnerability_ids: tuple[str, ...]  # the CVE and the advisory's other ids (SSA-...)
    match: MatchKind  # the strongest kind that held
    verdict: Verdict
    reason: str
    products: tuple[ProductMatch, ...] = ()
    remediations: tuple[CsafRemediation, ...] = ()
    scores: tuple[CsafScore, ...] = ()


@dataclass(frozen=True, slots=True)
class _Identified:
    kind: MatchKind
    detail: str  # "model number 6ES7..." / "vendor Siemens, product name ..."
    # The product whose version fields the component version is checked against (a
    # relationship product matched through the product it relates to uses that one's).
    versioned: CsafProduct
    pinned: str | None = None  # the version a matched purl or CPE names, if any


@dataclass
class _Entry:
    advisory: int  # index into CsafIndex.advisories
    product: CsafProduct


# (where, kind, how in words, the version a purl/CPE pins)
_Identification = tuple[_Entry, MatchKind, str, str | None]


@dataclass
class _NameEntry:
    advisory: int
    product: CsafProduct
    vendor: tuple[str, ...]
    names: tuple[tuple[str, ...], ...]  # product_name branch and full name, tokenised
    # Words of each name outside parentheses ("SIMATIC CP 1604 (6GK1160-4AA01)" -> 3)
    core_words: tuple[int, ...]


@dataclass
class _Indexes:
    model_numbers: dict[str, list[_Entry]] = field(default_factory=lambda: defaultdict(list))
    model_patterns: list[tuple[re.Pattern[str], str, _Entry]] = field(default_factory=list)
    purls: dict[str, list[tuple[str, _Entry]]] = field(default_factory=lambda: defaultdict(list))
    cpes: dict[tuple[str, str], list[tuple[str, _Entry]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    named: list[_NameEntry] = field(default_factory=list)
    # (first vendor token, a product-name token) -> positions in `named` of names holding it
    name_tokens: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    # (first vendor token, a product name's words) -> positions in `named`
    name_words: dict[tuple[str, tuple[str, ...]], set[int]] = field(
        default_factory=lambda: defaultdict(set)
    )
    exact_names: dict[tuple[str, ...], list[_NameEntry]] = field(
        default_factory=lambda: defaultdict(list)
    )
    cves: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


class CsafIndex:
    """Advisories indexed once by every key a component can match them on."""

    def __init__(self, advisories: Iterable[CsafAdvisory]) -> None:
        self.advisories: tuple[CsafAdvisory, ...] = tuple(advisories)
        self._index = _Indexes()
        self._name_cache: dict[tuple[tuple[str, ...], tuple[str, ...]], list[_NameEntry]] = {}
        for position, advisory in enumerate(self.advisories):
            self._add(position, advisory)

    def _add(self, position: int, advisory: CsafAdvisory) -> None:
        for vulnerability in advisory.vulnerabilities:
            if vulnerability.cve is not None:
                self._index.cves[vulnerability.cve.upper()].append(position)
        for product in advisory.products.values():
            entry = _Entry(position, product)
            self._add_identifiers(entry)
            self._add_names(entry)

    def _add_identifiers(self, entry: _Entry) -> None:
        index, product = self._index, entry.product
        for number in (*product.model_numbers, *product.skus):
            key = _model_key(number)
            if "*" in key or "?" in key:
                index.model_patterns.append((_wildcard(key), number, entry))
            elif key:
                index.model_numbers[key].append(entry)
        for purl in product.purls:
            parts = split_purl(purl)
            if parts is not None:
                index.purls[parts.package].append((purl, entry))
        cpe = _cpe_parts(product.cpe) if product.cpe else None
        if product.cpe and cpe is not None:
            index.cpes[cpe[0], cpe[1]].append((product.cpe, entry))

    def _add_names(self, entry: _Entry) -> None:
        index, product = self._index, entry.product
        vendor = _vendor_tokens(product.vendor) if product.vendor else ()
        texts = dict.fromkeys(t for t in (product.product_name or "", product.name) if _tokens(t))
        names = tuple(_tokens(text) for text in texts)
        core = tuple(max(1, len(_tokens(_PARENTHESISED.sub(" ", text)))) for text in texts)
        named = _NameEntry(entry.advisory, product, vendor, names, core)
        for tokens in names:
            index.exact_names[tokens].append(named)
        if vendor and names:
            index.named.append(named)
            slot = len(index.named) - 1
            for tokens in names:
                index.name_words[vendor[0], tokens].add(slot)
                for token in tokens:
                    index.name_tokens[vendor[0], token].add(slot)

    def match(self, component: ComponentQuery, *, identify: bool = True) -> tuple[CsafFinding, ...]:
        """Every advisory vulnerability the component matches, strongest kind per finding.
        `identify=False`: by the component's CVEs only (a component OSV could look up)."""
        identified: dict[int, dict[str, _Identified]] = defaultdict(dict)
        for entry, kind, detail, pinned in self._identify(component) if identify else ():
            held = identified[entry.advisory].get(entry.product.product_id)
            if held is None or MATCH_STRENGTH[kind] < MATCH_STRENGTH[held.kind]:
                identified[entry.advisory][entry.product.product_id] = _Identified(
                    kind, detail, entry.product, pinned
                )
        cve_hits = {
            position for cve in component.cves for position in self._index.cves.get(cve.upper(), ())
        }
        findings: list[CsafFinding] = []
        for position in sorted(set(identified) | cve_hits):
            advisory = self.advisories[position]
            version = component.effective_version
            products = {
                product_id: (held, _version_check(held, version))
                for product_id, held in _through_relationships(
                    advisory, identified.get(position, {})
                ).items()
            }
            for vulnerability in advisory.vulnerabilities:
                finding = _finding(component, advisory, vulnerability, products)
                if finding is not None:
                    findings.append(finding)
        return tuple(findings)

    def _identify(self, component: ComponentQuery) -> Iterable[_Identification]:
        index = self._index
        for number in component.model_numbers:
            key = _model_key(number)
            for entry in index.model_numbers.get(key, ()):
                yield entry, "model-number", f"model number {number}", None
            for pattern, written, entry in index.model_patterns:
                if pattern.fullmatch(key):
                    yield entry, "model-number", f"model number {number} (as {written})", None
        if component.purl:
            parts = split_purl(component.purl)
            if parts is not None:
                for written, entry in index.purls.get(parts.package, ()):
                    pinned = split_purl(written)
                    yield entry, "purl", f"purl {written}", pinned.version if pinned else None
        if component.cpe:
            cpe = _cpe_parts(component.cpe)
            if cpe is not None:
                for written, entry in index.cpes.get((cpe[0], cpe[1]), ()):
                    named = _cpe_parts(written)
                    yield entry, "cpe", f"cpe {written}", (named[2] or None) if named else None
        yield from self._by_name(component)

    def _by_name(self, component: ComponentQuery) -> Iterable[_Identification]:
        """Vendor and product name: the vendors' names agree (one's words begin the other's,
        corporate suffixes aside) and one product name's words appear, in order, in the
        other's; a component name inside a longer advisory name must make up at least half of
        its words outside parentheses (model numbers), so "CPU" is not every Siemens CPU.
        Without a supplier, only an identical product name counts."""
        name = _tokens(component.name)
        if not name:
            return
        vendor = _vendor_tokens(component.supplier) if component.supplier else ()
        if not vendor:
            for named in self._index.exact_names.get(name, ()):
                yield (
                    _Entry(named.advisory, named.product),
                    "product-name",
                    f"product name {component.name!r} (no supplier to compare)",
                    None,
                )
            return
        detail = f"vendor {component.supplier!r} and product name {component.name!r}"
        for named in self._named_like(vendor, name):
            yield _Entry(named.advisory, named.product), "product-name", detail, None

    def _named_like(self, vendor: tuple[str, ...], name: tuple[str, ...]) -> list[_NameEntry]:
        """The advisory names that match (vendor, name) words; remembered per pair, since an
        SBOM repeats suppliers' product names."""
        key = (vendor, name)
        found = self._name_cache.get(key)
        if found is not None:
            return found
        # Candidates: names holding every word of the component's name (checked for order
        # below), and names that are a run of the component's words.
        index = self._index
        holding = [index.name_tokens.get((vendor[0], token), set()) for token in set(name)]
        candidates = set.intersection(*sorted(holding, key=len))
        words = name[:_MAX_NAME_WORDS]
        for start in range(len(words)):
            for end in range(start + 1, len(words) + 1):
                candidates |= index.name_words.get((vendor[0], words[start:end]), set())
        found = []
        width = len(name)
        for slot in sorted(candidates):
            named = index.named[slot]
            if _prefix_either(vendor, named.vendor) and any(
                (len(tokens) <= width and _contains(name, tokens))
                or (2 * width >= core and _contains(tokens, name))
                for tokens, core in zip(named.names, named.core_words, strict=True)
            ):
                found.append(named)
        if len(self._name_cache) < _NAME_CACHE_ENTRIES:
            self._name_cache[key] = found
        return found


def match_component(
    component: ComponentQuery, advisories: Iterable[CsafAdvisory]
) -> tuple[CsafFinding, ...]:
    """One component against advisories (for many components, build a `CsafIndex` once)."""
    return CsafIndex(advisories).match(component)


def _through_relationships(
    advisory: CsafAdvisory, identified: Mapping[str, _Identified]
) -> dict[str, _Identified]:
    """A relationship product ("A default component of B") is matched when A or B is."""
    found = dict(identified)
    for product in advisory.products.values():
        relation = product.relationship
        if relation is None or product.product_id in found:
            continue
        for reference in (relation.product_reference, relation.relates_to_product_reference):
            held = identified.get(reference)
            if held is not None:
                versioned = advisory.products[reference]
                found[product.product_id] = _Identified(
                    held.kind,
                    f"{held.detail} ({relation.category} {reference})",
                    versioned,
                    held.pinned,
                )
                break
    return found


def _version_check(held: _Identified, version: str | None) -> RangeCheck:
    if held.pinned is not None:
        return check_version(version, version=held.pinned, version_range=None)
    product = held.versioned
    return check_version(version, version=product.version, version_range=product.version_range)


def _finding(
    component: ComponentQuery,
    advisory: CsafAdvisory,
    vulnerability: CsafVulnerability,
    identified: Mapping[str, tuple[_Identified, RangeCheck]],
) -> CsafFinding | None:
    matches = []
    for product_id, (held, check) in identified.items():
        statuses = vulnerability.statuses_of(product_id)
        if not statuses:
            continue
        product = advisory.products[product_id]
        verdict = _product_verdict(statuses, check, held.kind)
        if verdict is None:
            continue
        matches.append(
            ProductMatch(
                product_id=product_id,
                product=product.name,
                match=held.kind,
                statuses=statuses,
                verdict=verdict,
                reason=f"{held.detail} names {product_id} ({product.name}), "
                f"{'/'.join(statuses)}; {check.reason}",
                unparsed=check.unparsed,
            )
        )
    names_cve = vulnerability.cve is not None and vulnerability.cve.upper() in {
        cve.upper() for cve in component.cves
    }
    if not matches and not names_cve:
        return None
    ids = (vulnerability.cve, *(text for _, text in vulnerability.ids))
    kind, verdict, reason = _combine(matches, vulnerability.cve if names_cve else None)
    relevant = {m.product_id for m in matches}
    return CsafFinding(
        advisory=advisory.tracking_id,
        source=advisory.source,
        cve=vulnerability.cve,
        vulnerability_ids=tuple(dict.fromkeys(x for x in ids if x)),
        match=kind,
        verdict=verdict,
        reason=reason,
        products=tuple(matches),
        remediations=tuple(
            r for r in vulnerability.remediations if not relevant.isdisjoint(r.product_ids)
        ),
        scores=tuple(s for s in vulnerability.scores if not relevant.isdisjoint(s.product_ids))
        or vulnerability.scores,
    )


def _combine(matches: list[ProductMatch], named_cve: str | None) -> tuple[MatchKind, Verdict, str]:
    """The finding's kind (strongest), verdict (worst) and reason from its product matches.

    A CVE named by the component or an OSV record about it makes the finding "affected",
    unless the advisory identifies the product firmly (not by name) and says otherwise."""
    by_verdict = sorted(
        matches, key=lambda m: (-_VERDICT_WEIGHT[m.verdict], MATCH_STRENGTH[m.match])
    )
    if named_cve is None:
        strongest = min(matches, key=lambda m: MATCH_STRENGTH[m.match])
        return strongest.match, by_verdict[0].verdict, by_verdict[0].reason
    firm = [m for m in by_verdict if m.match != "product-name"]
    if firm:
        return "cve", firm[0].verdict, f"component names {named_cve}; {firm[0].reason}"
    return "cve", "affected", f"component names {named_cve}"


def _product_verdict(
    statuses: tuple[ProductStatus, ...], check: RangeCheck, kind: MatchKind
) -> Verdict | None:
    """What one matched product says about the component; None: nothing (the product is a
    different version, or only `recommended`)."""
    if any(s in AFFECTED_STATUSES for s in statuses):
        verdict = _AFFECTED_BY_CHECK[check.outcome]
        return "possible" if verdict == "affected" and kind == "product-name" else verdict
    if any(s in UNDECIDED_STATUSES for s in statuses):
        return None if check.outcome == "out" else "possible"
    if check.outcome != "in":
        return None  # a fixed or unaffected product that may not be this version: no claim
    if any(s in FIXED_STATUSES for s in statuses):
        return "fixed"
    return "not-affected" if any(s in NOT_AFFECTED_STATUSES for s in statuses) else None


# -- look-up keys: which advisories can match a component, without parsing them all -----------


def advisory_keys(advisory: CsafAdvisory) -> frozenset[str]:
    """Keys under which a database files the advisory: every key `CsafIndex` would index a
    product or vulnerability by. A component can match the advisory only if one of its
    `component_keys` is among them."""
    keys = {f"cve:{v.cve.upper()}" for v in advisory.vulnerabilities if v.cve is not None}
    for product in advisory.products.values():
        for number in (*product.model_numbers, *product.skus):
            key = _model_key(number)
            keys.add("model:*" if "*" in key or "?" in key else f"model:{key}")
        for purl in product.purls:
            parts = split_purl(purl)
            if parts is not None:
                keys.add(f"purl:{parts.package}")
        cpe = _cpe_parts(product.cpe) if product.cpe else None
        if cpe is not None:
            keys.add(f"cpe:{cpe[0]}:{cpe[1]}")
        vendor = _vendor_tokens(product.vendor) if product.vendor else ()
        for text in (product.product_name or "", product.name):
            tokens = _tokens(text)
            if tokens:
                keys.add("name:" + " ".join(tokens))
                if vendor:
                    keys.add(f"vendor:{vendor[0]}")
    return frozenset(keys)


def component_keys(component: ComponentQuery) -> frozenset[str]:
    """The keys an advisory must be filed under for `component` to match it (any one)."""
    keys = {f"cve:{cve.upper()}" for cve in component.cves}
    for number in component.model_numbers:
        keys |= {f"model:{_model_key(number)}", "model:*"}
    parts = split_purl(component.purl) if component.purl else None
    if parts is not None:
        keys.add(f"purl:{parts.package}")
    cpe = _cpe_parts(component.cpe) if component.cpe else None
    if cpe is not None:
        keys.add(f"cpe:{cpe[0]}:{cpe[1]}")
    name = _tokens(component.name)
    vendor = _vendor_tokens(component.supplier) if component.supplier else ()
    if name and vendor:
        keys.add(f"vendor:{vendor[0]}")
    elif name:
        keys.add("name:" + " ".join(name))
    return frozenset(keys)


# -- normalisation ------------------------------------------------------------------------


def _model_key(number: str) -> str:
    """Order numbers are written with and without spaces ("6ES7 516-3AN01-0AB0")."""
    return "".join(number.split()).upper()


def _wildcard(key: str) -> re.Pattern[str]:
    """CSAF model numbers, SKUs: `*` any characters, `?` one character."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in key))


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(text.casefold()))


def _vendor_tokens(text: str) -> tuple[str, ...]:
    tokens = list(_tokens(text))
    while tokens and tokens[-1] in _VENDOR_SUFFIXES:
        tokens.pop()
    return tuple(tokens)


def _prefix_either(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if not a or not b:
        return False
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return longer[: len(shorter)] == shorter


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    """`needle`'s words appear in `haystack` contiguously, in order."""
    width = len(needle)
    return any(haystack[i : i + width] == needle for i in range(len(haystack) - width + 1))


def _cpe_parts(cpe: str) -> tuple[str, str, str] | None:
    """(vendor, product, version) of a CPE 2.3 formatted string or a 2.2 URI, lowercased;
    version "" for any."""
    text = cpe.strip().lower()
    if text.startswith("cpe:2.3:"):
        fields = _CPE_SPLIT.split(text)
        if len(fields) < 6:
            return None
        vendor, product, version = fields[3], fields[4], fields[5]
    elif text.startswith("cpe:/"):
        fields = text[5:].split(":")
        if len(fields) < 3:
            return None
        vendor, product = fields[1], fields[2]
        version = fields[3] if len(fields) > 3 else ""
    else:
        return None
    if vendor in _CPE_ANY or product in _CPE_ANY:
        return None
    return vendor, product, "" if version in _CPE_ANY else version
