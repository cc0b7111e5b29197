"""A cheap first pass of the `components` rule over thousands of SBOM components."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import compress, repeat
from operator import not_

from provenance.evidence.sbom.model import Component
from provenance.policy.requirements.component_patterns import ComponentPattern

__all__ = ["prefilter"]


def prefilter(
    patterns: tuple[ComponentPattern, ...],
) -> Callable[[Sequence[Component]], list[Component]] | None:
    """A cheap pass that keeps, in order, every component some pattern matches (and maybe
    others), so that `split_purl` and the full test run only for those; None if a glob pattern
    needs the full test for every component. C-level maps over the purls: at 50,000
    components the rule is then a small part of the check.

    Sound because split_purl's normalisation (lower case, '_' -> '-' for pypi) maps characters
    one to one, so the normalised name is in the purl up to case and '-'/'_'; purls it decodes
    ('%') or whose case mapping changes length (non-ASCII) always take the full test.
    """
    suppliers = frozenset(
        p.supplier for p in patterns if p.package is None and p.supplier is not None
    )
    names = [p.name for p in patterns if p.package is not None]
    if None in names:
        return None
    alternatives = "|".join(
        "".join("[-_]" if char in "-_" else re.escape(char) for char in name)
        for name in names
        if name is not None
    )
    search = re.compile(alternatives, re.IGNORECASE).search if alternatives else None

    def candidates(components: Sequence[Component]) -> list[Component]:
        positions = range(len(components))
        kept: set[int] = set()
        if search is not None:
            purls = [component.purl or "" for component in components]
            kept.update(compress(positions, map(search, purls)))
            kept.update(compress(positions, map(str.__contains__, purls, repeat("%"))))
            kept.update(compress(positions, map(not_, map(str.isascii, purls))))
        if suppliers:
            named = [(component.supplier or "").casefold() for component in components]
            kept.update(compress(positions, map(suppliers.__contains__, named)))
        return [components[position] for position in sorted(kept)]

    return candidates
