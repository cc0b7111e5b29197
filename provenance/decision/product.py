"""Which product and version an artifact is: only from evidence about this digest, issued by
the product's own vendor (DESIGN.md, rule 1). The operator's word comes last, and is recorded
as theirs.

The vendors that vouch for the artifact are those with a verified signature over its digest
(a signed checksum list that lists it included) or an in-toto layout naming it.

Product: every source below that names one is read; they must all name the same product.
1. Signed names: the names a vouching vendor's signed content gives this digest (in-toto
   subject names, the entry of a checksum list) against that vendor's products' `files`
   globs; the package URL of the SBOM that vendor signed for this digest against its
   products' purls (its component's name against their names where it has no purl). A
   signed name that is none of that vendor's products is not silence: the vendor said this
   file is something the policy does not declare, so nothing else may say otherwise.
2. The file's own name, against the `files` globs of the vouching vendors' products.
3. Only where neither names one: a vouching vendor that declares exactly one product, as a
   bare package URL (the shorthand), makes every file it signs that product.
4. The operator's `--product` (a name or a purl) must be a product of a vouching vendor, and
   agree with what the evidence names; it decides only where the evidence names nothing.
Nothing names a product, or two sources disagree: the product is not identified.

Version, once the product is known; every source that says one must agree:
1. `signed-identity`: the tag in the Sigstore identity (`...@refs/tags/v4.2.1`) of a signature
   over this digest alone (not a checksum list, not a statement about several files), by a
   signer of the product's vendor;
2. `slsa-provenance`: the source ref (`refs/tags/v4.2.1`) of SLSA provenance whose only
   subject is this digest, signed by the product's vendor;
   both are a release of the repository they name, so they count only where that repository
   is the product's `source`, or, for a product without one, where it is its vendor's only
   product (another product's release workflow must not version this one);
3. `signed-sbom`: `metadata.component.version` of the SBOM the product's vendor signed for
   this digest, when its described component is this artifact;
4. `operator`: `--version`, only where none of these says one; where they do, it must agree.
A leading `v` is dropped from tags; versions compare in their PEP 440 form where they have
one, as text otherwise. Another vendor's tag, a checksum list's signer, an approval or the
file name never sets a version.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from provenance.decision.requirements.version import parse_version
from provenance.evidence.sbom.purl import split_purl
from provenance.evidence.slsa import BuildProvenance
from provenance.facts import (
    AttestationFact,
    LayoutFact,
    ProductVersion,
    SbomFacts,
    SignatureFact,
)
from provenance.policy import Product, Vendor

__all__ = ["Identification", "identify"]

_TAG = re.compile(r"@refs/tags/(?P<tag>[^@\s]+)\Z")
_TAG_REF = re.compile(r"refs/tags/(?P<tag>\S+)\Z")


@dataclass(frozen=True)
class Identification:
    product: Product | None
    basis: str | None  # how the product was recognised, in words
    version: ProductVersion | None
    problem: str | None  # why the product or version cannot be used (rules that need it fail)
    versions: tuple[ProductVersion, ...] = ()  # every version source that said one

    @property
    def purl(self) -> str | None:
        return self.product.purl if self.product is not None else None


@dataclass(frozen=True)
class _Named:
    """One source naming products: what it is, in words, and the products it names."""

    source: str
    products: frozenset[str]  # product names


def identify(
    *,
    file_name: str | None,
    signatures: Sequence[SignatureFact],
    attestations: Sequence[AttestationFact],
    layouts: Sequence[LayoutFact],
    sbom: SbomFacts | None,
    vendors: Mapping[str, Vendor],
    operator_product: str | None,
    operator_version: str | None,
) -> Identification:
    vouching = {f.vendor for f in signatures if f.vendor} | {x.vendor for x in layouts}
    products = {p.name: p for v in vouching if v in vendors for p in vendors[v].products}
    makers = {v for v in vouching if v in vendors and vendors[v].products}
    named = _signed_names(signatures, sbom, products, makers)
    if file_name is not None:
        by_file = frozenset(n for n, p in products.items() if p.names_file(file_name))
        if by_file:
            named.append(_Named("its file name", by_file))
    if not named:
        sole = [p for v in sorted(vouching) if v in vendors for p in _shorthand(vendors[v])]
        if len(sole) == 1:
            named.append(
                _Named(f"the only product {sole[0].vendor} declares", frozenset({sole[0].name}))
            )
    product, basis, problem = _choose(named, products, operator_product)
    if product is None:
        return Identification(None, None, None, problem)
    only_product = len(vendors[product.vendor].products) == 1
    versions = _bound_versions(product, only_product, signatures, attestations, sbom)
    version, problem = _version(versions, operator_version)
    return Identification(product, basis, version, problem, tuple(versions))


def _shorthand(vendor: Vendor) -> list[Product]:
    products = vendor.products
    return list(products) if len(products) == 1 and products[0].shorthand else []


def _signed_names(
    signatures: Sequence[SignatureFact],
    sbom: SbomFacts | None,
    products: Mapping[str, Product],
    makers: Collection[str],
) -> list[_Named]:
    """Each name a vendor that declares products signed for this digest, with the products
    it names (possibly none: the vendor called the file something the policy does not
    declare)."""
    found: list[_Named] = []
    for fact in signatures:
        if fact.vendor not in makers:
            continue
        for name in fact.subject_names:
            matches = frozenset(
                n for n, p in products.items() if p.vendor == fact.vendor and p.names_file(name)
            )
            found.append(_Named(f"the name {name!r} {fact.vendor} signed for it", matches))
    described = sbom.sbom.metadata.component if sbom and sbom.sbom else None
    if sbom is not None and sbom.describes_artifact and described and sbom.signed_by in makers:
        own = {n: p for n, p in products.items() if p.vendor == sbom.signed_by}
        if described.purl:
            package = _package(described.purl)
            what = f"the purl of the SBOM {sbom.signed_by} signed for it"
            matches = frozenset(n for n, p in own.items() if _package(p.purl) == package)
        else:
            what = f"the component name {described.name!r} of the SBOM {sbom.signed_by} signed"
            matches = frozenset(n for n in own if n == described.name)
        found.append(_Named(what, matches))
    return found


def _package(purl: str) -> str | None:
    parts = split_purl(purl)
    return parts.package if parts is not None else None


def _choose(
    named: Sequence[_Named], products: Mapping[str, Product], operator: str | None
) -> tuple[Product | None, str | None, str | None]:
    """(product, basis, problem): the one product every source names."""
    unknown = [source.source for source in named if not source.products]
    if unknown:
        return (
            None,
            None,
            (
                f"product not identified: {'; '.join(dict.fromkeys(unknown))} names none of the "
                "products the policy declares for its vendor"
            ),
        )
    names = {name for source in named for name in source.products}
    if len(names) > 1:
        said = "; ".join(
            dict.fromkeys(f"{s.source}: {', '.join(sorted(s.products))}" for s in named)
        )
        return None, None, f"product not identified: the evidence names several ({said})"
    chosen = next(iter(names), None)
    if operator is not None:
        return _operators(operator, chosen, named, products)
    if chosen is None:
        looked = ", ".join(sorted(products)) or "none: no vendor of the policy signed it"
        return (
            None,
            None,
            (
                "product not identified: no signed name, file name or single declared product "
                f"names one of the signing vendors' products ({looked})"
            ),
        )
    return products[chosen], _sources(named), None


def _operators(
    operator: str, chosen: str | None, named: Sequence[_Named], products: Mapping[str, Product]
) -> tuple[Product | None, str | None, str | None]:
    """`--product`: a product of a vendor that signed the file, agreeing with the evidence."""
    wanted = next((n for n, p in products.items() if operator in (n, p.purl)), None)
    if wanted is None:
        known = ", ".join(sorted(products)) or "none"
        return (
            None,
            None,
            (
                f"expected --product to be a product of a vendor that signed this file "
                f"({known}), got {operator}"
            ),
        )
    if chosen is not None and wanted != chosen:
        return (
            None,
            None,
            (
                f"expected --product {operator} to match the product the evidence names, "
                f"{chosen} ({_sources(named)})"
            ),
        )
    if chosen is None:
        return products[wanted], "operator (--product)", None
    return products[chosen], _sources(named), None


def _sources(named: Iterable[_Named]) -> str:
    return "; ".join(dict.fromkeys(source.source for source in named))


def _bound_versions(
    product: Product,
    sole: bool,
    signatures: Sequence[SignatureFact],
    attestations: Sequence[AttestationFact],
    sbom: SbomFacts | None,
) -> list[ProductVersion]:
    """Every version that evidence about this digest alone, by the product's vendor, states;
    a repository's release only where it is the product's (`sole`: the vendor's only one)."""

    def released(repository: str | None) -> bool:
        return product.built_from(repository or "") if product.source else sole

    found: list[ProductVersion] = []
    for fact in signatures:
        if fact.vendor != product.vendor or not fact.about_this_digest_only:
            continue
        match = _TAG.search(fact.identity or "")
        if match is not None and released(_identity_repository(fact.identity or "")):
            found.append(ProductVersion(_untagged(match["tag"]), "signed-identity", fact.bundle))
    for attestation in attestations:
        claims, signature = attestation.claims, attestation.signature
        if (
            isinstance(claims, BuildProvenance)
            and signature.vendor == product.vendor
            and signature.about_this_digest_only
        ):
            match = _TAG_REF.fullmatch(claims.source_ref or "")
            if match is not None and released(claims.source_uri):
                found.append(
                    ProductVersion(_untagged(match["tag"]), "slsa-provenance", signature.bundle)
                )
    described = sbom.sbom.metadata.component if sbom and sbom.sbom else None
    if (
        sbom is not None
        and described is not None
        and sbom.describes_artifact
        and sbom.signed_by == product.vendor
    ):
        parts = split_purl(described.purl or "")
        stated = described.version or (parts.version if parts is not None else None)
        if stated:
            found.append(ProductVersion(stated, "signed-sbom", sbom.source))
    return found


def _identity_repository(identity: str) -> str | None:
    """The repository a CI workflow identity names: GitHub
    `https://github.com/ORG/REPO/.github/workflows/F@REF`, GitLab `https://HOST/G/P//F@REF`."""
    for marker in ("/.github/workflows/", "//"):
        head, found, _ = identity.partition("://")[2].partition(marker)
        if found and head:
            return identity.partition("://")[0] + "://" + head
    return None


def _untagged(tag: str) -> str:
    return tag[1:] if tag[:1] in "vV" and tag[1:2].isdigit() else tag


def _normal(text: str) -> str:
    parsed = parse_version(text)
    return str(parsed) if parsed is not None else text


def _version(
    found: Sequence[ProductVersion], operator: str | None
) -> tuple[ProductVersion | None, str | None]:
    """The one version every bound source states (or the operator's, where none does)."""
    distinct = {_normal(v.value) for v in found}
    if len(distinct) > 1:
        said = ", ".join(f"{v.value} ({v.source}, {v.evidence})" for v in found)
        return None, f"the vendor's evidence states different versions: {said}"
    if not found:
        if operator is None:
            return None, None
        return ProductVersion(operator, "operator"), None
    first = found[0]
    version = ProductVersion(_normal(first.value), first.source, first.evidence)
    if operator is not None and _normal(operator) != version.value:
        return None, (
            f"expected --artifact-version {operator} to match the version the vendor's "
            f"evidence states, {version.value} ({version.source})"
        )
    return version, None
