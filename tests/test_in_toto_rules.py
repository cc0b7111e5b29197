"""Artifact rules, one kind at a time, with in-toto's queue semantics."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from provenance.evidence.in_toto_metadata import ArtifactRule, Link, SignedMetadata, parse_layout
from provenance.verification.in_toto_layout.rules import RuleViolation, Side, apply_rules

A = {"sha256": "a" * 64}
B = {"sha256": "b" * 64}


def link(
    name: str = "step",
    materials: Mapping[str, Mapping[str, str]] | None = None,
    products: Mapping[str, Mapping[str, str]] | None = None,
) -> Link:
    return Link(name, (), materials or {}, products or {}, {}, {})


def rules(*raw: list[str]) -> tuple[ArtifactRule, ...]:
    """Parse rules the way a layout does (so the grammar is tested too)."""
    signed = {
        "_type": "layout",
        "expires": "2030-01-01T00:00:00Z",
        "keys": {},
        "steps": [{"name": "step", "pubkeys": [], "expected_products": [list(r) for r in raw]}],
    }
    metadata = SignedMetadata("test", "metablock", signed, b"", None, ())
    return parse_layout(metadata).steps[0].expected_products


def check(
    raw: list[list[str]],
    subject: Link,
    side: Side = "product",
    others: dict[str, Link] | None = None,
) -> None:
    apply_rules(rules(*raw), side, subject, {subject.name: subject, **(others or {})})


def violation(
    raw: list[list[str]],
    subject: Link,
    side: Side = "product",
    others: dict[str, Link] | None = None,
) -> str:
    with pytest.raises(RuleViolation) as raised:
        check(raw, subject, side, others)
    return raised.value.reason


def test_leftovers_are_allowed_without_disallow() -> None:
    check([], link(products={"anything": A}))


def test_disallow_names_the_artifact_and_rule() -> None:
    assert violation([["DISALLOW", "*"]], link(products={"foo": A})) == (
        "product 'foo' disallowed by rule DISALLOW *"
    )


def test_allow_consumes_before_disallow() -> None:
    check([["ALLOW", "*.py"], ["DISALLOW", "*"]], link(products={"a.py": A, "b/c.py": B}))
    # fnmatch's `*` crosses directories, as in in-toto.
    assert violation(
        [["ALLOW", "*.py"], ["DISALLOW", "*"]], link(products={"a.py": A, "a.pyc": B})
    ) == ("product 'a.pyc' disallowed by rule DISALLOW *")


def test_order_matters_disallow_first() -> None:
    assert violation([["DISALLOW", "*"], ["ALLOW", "*"]], link(products={"foo": A})).startswith(
        "product 'foo' disallowed"
    )


def test_create_consumes_only_new_products() -> None:
    new = link(products={"new": A})
    check([["CREATE", "new"], ["DISALLOW", "*"]], new)
    existing = link(materials={"old": A}, products={"old": A})
    assert violation([["CREATE", "old"], ["DISALLOW", "*"]], existing) == (
        "product 'old' disallowed by rule DISALLOW *"
    )
    # In material rules CREATE can consume nothing: a material is never new.
    assert violation(
        [["CREATE", "*"], ["DISALLOW", "*"]], link(materials={"m": A}), "material"
    ) == ("material 'm' disallowed by rule DISALLOW *")


def test_delete_consumes_materials_gone_from_products() -> None:
    check([["DELETE", "gone"], ["DISALLOW", "*"]], link(materials={"gone": A}), "material")
    kept = link(materials={"kept": A}, products={"kept": A})
    assert violation([["DELETE", "kept"], ["DISALLOW", "*"]], kept, "material") == (
        "material 'kept' disallowed by rule DISALLOW *"
    )


def test_modify_consumes_changed_artifacts_only() -> None:
    changed = link(materials={"f": A}, products={"f": B})
    check([["MODIFY", "f"], ["DISALLOW", "*"]], changed)
    check([["MODIFY", "f"], ["DISALLOW", "*"]], changed, "material")
    same = link(materials={"f": A}, products={"f": A})
    assert violation([["MODIFY", "f"], ["DISALLOW", "*"]], same) == (
        "product 'f' disallowed by rule DISALLOW *"
    )


def test_require_is_a_literal_path() -> None:
    check([["REQUIRE", "foo.tar.gz"]], link(products={"foo.tar.gz": A}))
    assert violation([["REQUIRE", "foo.tar.gz"]], link(products={"bar": A})) == (
        "product 'foo.tar.gz' required by rule REQUIRE foo.tar.gz, not among the remaining products"
    )
    # Not a glob: "*.gz" names a file called "*.gz".
    assert violation([["REQUIRE", "*.gz"]], link(products={"foo.tar.gz": A})).startswith(
        "product '*.gz' required"
    )


def test_require_sees_only_the_queue() -> None:
    # An earlier rule consumed foo, so REQUIRE no longer finds it.
    assert violation([["ALLOW", "foo"], ["REQUIRE", "foo"]], link(products={"foo": A})).startswith(
        "product 'foo' required"
    )


def test_match_consumes_equal_artifacts_of_the_named_step() -> None:
    earlier = link("build", products={"foo": A})
    check(
        [["MATCH", "foo", "WITH", "PRODUCTS", "FROM", "build"], ["DISALLOW", "*"]],
        link(materials={"foo": A}),
        "material",
        {"build": earlier},
    )


def test_match_leaves_a_changed_artifact_in_the_queue() -> None:
    earlier = link("build", products={"foo": A})
    assert violation(
        [["MATCH", "foo", "WITH", "PRODUCTS", "FROM", "build"], ["DISALLOW", "*"]],
        link(materials={"foo": B}),
        "material",
        {"build": earlier},
    ) == ("material 'foo' disallowed by rule DISALLOW *")


def test_match_against_materials_of_the_named_step() -> None:
    earlier = link("build", materials={"foo": A}, products={"foo": B})
    rule = [["MATCH", "foo", "WITH", "MATERIALS", "FROM", "build"], ["DISALLOW", "*"]]
    check(rule, link(products={"foo": A}), "product", {"build": earlier})
    with pytest.raises(RuleViolation):
        check(rule, link(products={"foo": B}), "product", {"build": earlier})


def test_match_with_prefixes_relocates_paths() -> None:
    earlier = link("build", products={"dist/foo": A})
    check(
        [
            ["MATCH", "*", "IN", "pkg", "WITH", "PRODUCTS", "IN", "dist/", "FROM", "build"],
            ["DISALLOW", "*"],
        ],
        link(materials={"pkg/foo": A}),
        "material",
        {"build": earlier},
    )
    # Without the source prefix the path does not line up.
    assert violation(
        [["MATCH", "*", "WITH", "PRODUCTS", "IN", "dist", "FROM", "build"], ["DISALLOW", "*"]],
        link(materials={"pkg/foo": A}),
        "material",
        {"build": earlier},
    ).startswith("material 'pkg/foo' disallowed")


def test_match_from_a_step_without_a_link_matches_nothing() -> None:
    # A skipped inspection, or a name the layout does not define: nothing is consumed.
    assert violation(
        [["MATCH", "*", "WITH", "PRODUCTS", "FROM", "untar"], ["DISALLOW", "*"]],
        link(materials={"foo": A}),
        "material",
    ).startswith("material 'foo' disallowed")


def test_match_compares_every_hash_algorithm() -> None:
    earlier = link("build", products={"foo": {**A, "sha512": "c" * 128}})
    assert violation(
        [["MATCH", "foo", "WITH", "PRODUCTS", "FROM", "build"], ["DISALLOW", "*"]],
        link(materials={"foo": A}),
        "material",
        {"build": earlier},
    ).startswith("material 'foo' disallowed")


def test_rule_keywords_are_case_insensitive_as_in_in_toto() -> None:
    earlier = link("build", products={"foo": A})
    check(
        [["match", "foo", "with", "products", "from", "build"], ["disallow", "*"]],
        link(materials={"foo": A}),
        "material",
        {"build": earlier},
    )
