"""Which product and version an artifact is, from verified facts first, the operator second.

The version is read from a verified signer identity's tag (`...@refs/tags/v4.2.1`), which the
CA bound to the signature; an operator's `--version` is used only when no signature names one,
and a disagreement between the two is reported, never resolved silently. The product is the
one the signing vendor declares (`products` in the policy), or the operator's `--product` if it
is among the signing vendors' products.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from provenance.decision.requirements.version import parse_version
from provenance.facts import ProductVersion, SignatureFact
from provenance.policy import Vendor

__all__ = ["Identification", "identify"]

_TAG = re.compile(r"@refs/tags/(?P<tag>[^@\s]+)\Z")


@dataclass(frozen=True)
class Identification:
    product: str | None
    version: ProductVersion | None
    problem: str | None  # a conflict or an unusable claim, reported by the rules that need it


def _signed_versions(signatures: Sequence[SignatureFact]) -> set[str]:
    versions = set()
    for fact in signatures:
        match = _TAG.search(fact.identity or "") if fact.vendor else None
        if match is None:
            continue
        tag = match.group("tag")
        parsed = parse_version(tag[1:] if tag[:1] in "vV" else tag)
        if parsed is not None:
            versions.add(str(parsed))
    return versions


def identify(
    signatures: Sequence[SignatureFact],
    vendors: Mapping[str, Vendor],
    *,
    operator_product: str | None,
    operator_version: str | None,
) -> Identification:
    problems = []
    signed = _signed_versions(signatures)
    version: ProductVersion | None = None
    if len(signed) > 1:
        problems.append(f"signatures name different versions: {', '.join(sorted(signed))}")
    elif signed:
        (value,) = signed
        version = ProductVersion(value, "signed-identity")
        if operator_version is not None and parse_version(operator_version) != parse_version(value):
            problems.append(
                f"expected --version {operator_version} to match the signed version {value}"
            )
    elif operator_version is not None:
        version = ProductVersion(operator_version, "operator")

    signing_vendors = [vendors[f.vendor] for f in signatures if f.vendor and f.vendor in vendors]
    declared = sorted({product for vendor in signing_vendors for product in vendor.products})
    product = None
    if operator_product is not None:
        if operator_product in declared:
            product = operator_product
        else:
            problems.append(
                f"expected --product to be one the signing vendors declare "
                f"({', '.join(declared) or 'none'}), got {operator_product}"
            )
    elif len(declared) == 1:
        product = declared[0]
    return Identification(product, version, "; ".join(problems) or None)
