"""Artifact rules, with in-toto's queue semantics (in-toto spec v0.9, section 4.3.3).

For each step or inspection, its materials (or products) start in a queue. Rules run in order;
each rule *consumes* the queued artifacts it accounts for, so a later rule only sees what no
earlier rule explained. Whatever is left after the last rule is allowed (a strict layout ends
its list with `DISALLOW *`). Patterns are fnmatch globs (`*` crosses `/`), case-sensitive.

- MATCH p [IN src] WITH (MATERIALS|PRODUCTS) [IN dst] FROM step: consumes queued artifacts
  under `src/` matching p whose path (with `src/` replaced by `dst/`) is in the named step's
  materials or products with identical hashes. A step that has no link (an inspection that was
  not run) matches nothing. MATCH never fails by itself.
- CREATE / DELETE / MODIFY p: consumes matching artifacts that are in products only / in
  materials only / in both with different hashes (so CREATE in material rules consumes none).
- ALLOW p: consumes matching artifacts. DISALLOW p: fails if any queued artifact matches.
- REQUIRE p: fails unless the queue holds the path p; p is a literal path here, as in-toto and
  in-toto-golang treat it, not a pattern. Consumes nothing.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Literal

from provenance.evidence.in_toto_metadata import ArtifactRule, Artifacts, Link

__all__ = ["RuleViolation", "apply_rules"]

Side = Literal["material", "product"]


class RuleViolation(Exception):
    """A DISALLOW or REQUIRE rule failed; `rule` is the rule and `reason` the sentence."""

    def __init__(self, rule: ArtifactRule, reason: str) -> None:
        self.rule = rule
        self.reason = reason
        super().__init__(reason)


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> Callable[[str], re.Match[str] | None]:
    return re.compile(fnmatch.translate(pattern)).match


def _directory(prefix: str) -> str:
    # in-toto joins prefixes as directories: "src" and "src/" both mean "src/".
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def _match(
    rule: ArtifactRule, queue: set[str], artifacts: Artifacts, links: Mapping[str, Link]
) -> set[str]:
    destination = links.get(rule.dest_name)
    if destination is None:
        return set()
    targets = destination.materials if rule.dest_type == "materials" else destination.products
    source, dest = _directory(rule.source_prefix), _directory(rule.dest_prefix)
    matches = _glob(rule.pattern)
    consumed = set()
    for path in queue:
        if not path.startswith(source):
            continue
        relative = path[len(source) :]
        if matches(relative) and targets.get(dest + relative) == artifacts[path]:
            consumed.add(path)
    return consumed


def apply_rules(
    rules: Sequence[ArtifactRule], side: Side, link: Link, links: Mapping[str, Link]
) -> None:
    """Apply one rule list to `link`'s materials or products; raise `RuleViolation`."""
    artifacts = link.materials if side == "material" else link.products
    queue = set(artifacts)
    materials, products = set(link.materials), set(link.products)
    changes = {
        "CREATE": products - materials,
        "DELETE": materials - products,
        "MODIFY": {p for p in materials & products if link.materials[p] != link.products[p]},
    }
    for rule in rules:
        if rule.kind == "MATCH":
            queue -= _match(rule, queue, artifacts, links)
            continue
        if rule.kind == "REQUIRE":
            if rule.pattern not in queue:
                raise RuleViolation(
                    rule,
                    f"{side} {rule.pattern!r} required by rule {rule.text}, "
                    f"not among the remaining {side}s",
                )
            continue
        matches = _glob(rule.pattern)
        matched = {path for path in queue if matches(path)}
        if rule.kind == "DISALLOW":
            if matched:
                raise RuleViolation(rule, f"{side} {min(matched)!r} disallowed by rule {rule.text}")
        elif rule.kind == "ALLOW":
            queue -= matched
        else:
            queue -= matched & changes[rule.kind]
