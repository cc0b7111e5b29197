"""Requirement kinds, one by one, over synthetic verified facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from provenance.decision.context import DecisionContext, NoHistory
from provenance.decision.requirements import VendorSignature, compile_requirement
from provenance.decision.rules import AllOf, AnyOf, Finding, Rule
from provenance.facts import ApprovalFact, ProductVersion, SignatureFact
from provenance.policy import Product
from provenance.policy.requirements import read_requirements

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
FW = Product("fw", "pkg:generic/acme/fw", "acme")
DIGEST = "ab" * 32


def signature(vendor: str | None, *, days_old: int = 9, identity: str = "") -> SignatureFact:
    return SignatureFact(
        artifact_sha256=DIGEST,
        signer_kind="sigstore-identity",
        identity=identity or f"https://github.com/{vendor}/fw/.github/workflows/r.yml@refs/tags/v1",
        issuer="https://token.actions.githubusercontent.com",
        key_id=None,
        matched_rule="identity glob",
        vendor=vendor,
        signed_at=NOW - timedelta(days=days_old),
        integrated_time=NOW - timedelta(days=days_old),
        rfc3161_times=(),
        log_index=7,
        log_id="00",
        log_url="https://log.test.invalid",
        trust_root="test",
        bundle="fw.bin.sigstore.json",
        bundle_media_type="application/vnd.dev.sigstore.bundle.v0.3+json",
        log_entry_kind="hashedrekord/0.0.1",
        content="message-signature",
        predicate_type=None,
    )


def approval(member: str, *, group: str = "ot-security", segment: str = "level1") -> ApprovalFact:
    return ApprovalFact(
        artifact_sha256=DIGEST,
        group=group,
        member=member,
        key_id=f"sha256:{member}",
        segment=segment,
        approved_at=NOW,
        comment="reviewed",
        source=f"fw.bin.approval-{member}.json",
    )


class History:
    def __init__(self, newest: str | None) -> None:
        self.newest = newest

    def newest_version(self, product: str, segment: str, key: Callable[[str], Any]) -> str | None:
        return self.newest


def context(**changes: Any) -> DecisionContext:
    base = DecisionContext(
        artifact_sha256=DIGEST,
        artifact_name="fw.bin",
        segment="level1",
        signatures=(signature("acme"),),
        approvals=(),
        product=FW,
        version=ProductVersion("4.2.1", "signed-identity"),
        identification_problem=None,
        now=NOW,
        history=NoHistory(),
    )
    return replace(base, **changes)


def rule(kind: str, spec: Any, requirements: dict[str, Any] | None = None) -> Rule:
    """The rule of `spec` as a policy would compile it, beside the segment's other
    `requirements`."""
    effective = read_requirements({**(requirements or {}), kind: spec})
    return compile_requirement(effective[kind], effective)


def evaluate(
    kind: str, spec: Any, ctx: DecisionContext, requirements: dict[str, Any] | None = None
) -> Finding:
    return rule(kind, spec, requirements).evaluate(ctx)


def test_default_deny_without_a_vendor_signature() -> None:
    unknown_signer = context(signatures=(signature(None),))
    finding = VendorSignature().evaluate(unknown_signer)
    assert not finding.passed
    assert finding.reason == "expected a verified signature by a vendor of this policy, got none"
    assert VendorSignature().evaluate(context()).passed


def test_signed_by_any_and_k_of_n() -> None:
    ok = evaluate("signed_by", ["acme", "integrator"], context())
    assert ok.passed
    assert ok.reason == "signed by acme"
    assert ok.evidence["signatures"][0]["log_index"] == 7

    two = {"vendors": ["acme", "integrator"], "count": 2}
    only_one = evaluate("signed_by", two, context())
    assert not only_one.passed
    assert only_one.reason == "expected signatures by 2 of acme, integrator, got only acme"
    both = context(signatures=(signature("acme"), signature("integrator")))
    assert evaluate("signed_by", two, both).passed

    other = evaluate("signed_by", ["siemens"], context())
    assert other.reason == "expected signatures by siemens, got none of them"


def test_freshness() -> None:
    assert evaluate("freshness", {"max_age_days": 30}, context()).passed
    stale = evaluate(
        "freshness", {"max_age_days": 30}, context(signatures=(signature("acme", days_old=45),))
    )
    assert not stale.passed
    assert stale.reason == (
        "expected a signature at most 30 days old, got one 45 days old (signed 2026-04-26)"
    )
    early = evaluate("freshness", {"not_before": "2026-06-05"}, context())
    assert early.reason == "expected a signature on or after 2026-06-05, got 2026-06-01"
    # The newest signature counts: a vendor re-signing an old release makes it fresh again.
    resigned = context(signatures=(signature("acme", days_old=400), signature("acme", days_old=2)))
    assert evaluate("freshness", {"max_age_days": 30}, resigned).passed


def test_freshness_counts_only_the_products_vendor_over_this_file() -> None:
    """A fresh signature by another vendor, or a fresh signed checksum list or statement
    about several files, must not make a stale release look current (DESIGN.md, rule 1)."""
    spec = {"max_age_days": 365}
    stale = signature("acme", days_old=2900)
    fresh = [
        signature("integrator", days_old=1),
        replace(signature("acme", days_old=1), content="checksum-list"),
        replace(signature("acme", days_old=1), content="dsse", other_subjects=1),
    ]
    for other in fresh:
        finding = evaluate("freshness", spec, context(signatures=(stale, other)))
        assert not finding.passed
        assert finding.reason.startswith("expected a signature at most 365 days old, got one 2900")
    alone = evaluate("freshness", spec, context(signatures=tuple(fresh)))
    assert alone.reason == (
        "expected a verified signing time of a signature by acme over this file, got none"
    )
    unknown = context(product=None, identification_problem="product not identified: ...")
    assert evaluate("freshness", spec, unknown).reason == "product not identified: ..."
    assert rule("freshness", spec, {"signed_by": ["acme"]}).describe() == (
        "the newest signature by the product's vendor over this file at most 365 days old"
    )


def test_version() -> None:
    assert evaluate("version", ">=4.0,<5", context()).reason == (
        "4.2.1 matches >=4.0,<5 (signed-identity)"
    )
    old = context(version=ProductVersion("3.9", "operator"))
    assert evaluate("version", ">=4.0,<5", old).reason == (
        "expected a version matching >=4.0,<5, got 3.9 (operator)"
    )
    assert not evaluate("version", ">=4", context(version=None)).passed
    assert evaluate(
        "version", ">=4", context(version=ProductVersion("banana", "operator"))
    ).reason == ("expected a PEP 440 version, got 'banana'")
    conflict = context(
        identification_problem="expected --artifact-version 4.3 to match the signed version 4.2.1"
    )
    assert evaluate("version", ">=4", conflict).reason == (
        "expected --artifact-version 4.3 to match the signed version 4.2.1"
    )
    # One range per product: the artifact's own applies; a product not listed is denied.
    per_product = {"fw": ">=4.0,<5", "tool": ">=1"}
    assert evaluate("version", per_product, context()).passed
    assert evaluate("version", {"fw": ">=5"}, context()).reason == (
        "expected a version matching >=5, got 4.2.1 (signed-identity)"
    )
    assert evaluate("version", {"tool": ">=1"}, context()).reason == (
        "expected one of the products this segment gives a version range (tool), got fw"
    )
    assert evaluate("version", ">=4", context(version=None)).reason == (
        "expected a version of fw matching >=4, got none stated by its vendor about this file "
        "(a signature from a version tag, signed SLSA provenance or SBOM for it), nor --version"
    )
    # Pre-releases only when the specifier names one (PEP 440).
    assert not evaluate(
        "version", ">=4", context(version=ProductVersion("5.0rc1", "operator"))
    ).passed


@pytest.mark.parametrize(
    ("newest", "passed", "reason"),
    [
        (None, True, "first admission of pkg:generic/acme/fw to this segment"),
        ("4.2.0", True, "4.2.1 is not older than 4.2.0"),
        ("4.2.1", True, "4.2.1 is not older than 4.2.1"),
        (
            "4.10.0",
            False,
            "expected version 4.10.0 or newer (newest pkg:generic/acme/fw admitted to level1), "
            "got 4.2.1",
        ),
    ],
)
def test_rollback(newest: str | None, passed: bool, reason: str) -> None:
    finding = evaluate("rollback", "deny", context(history=History(newest)))
    assert (finding.passed, finding.reason) == (passed, reason)


def test_rollback_needs_a_product_and_a_version() -> None:
    assert evaluate("rollback", "deny", context(product=None)).reason == (
        "expected an identified product to compare with earlier admissions, got none"
    )
    assert evaluate("rollback", "deny", context(version=None)).reason == (
        "expected a version of fw to compare with earlier admissions, got none stated by its "
        "vendor about this file, nor --version"
    )


def test_approvals_count_distinct_members_of_the_group_for_this_segment() -> None:
    spec = {"count": 2, "group": "ot-security"}
    one = context(approvals=(approval("alice"), approval("alice")))
    assert evaluate("approvals", spec, one).reason == (
        "expected 2 approvals from ot-security for level1, got 1 (alice)"
    )
    wrong = context(
        approvals=(
            approval("alice"),
            approval("bob", segment="level3"),
            approval("eve", group="it"),
        )
    )
    assert not evaluate("approvals", spec, wrong).passed
    two = context(approvals=(approval("alice"), approval("bob")))
    finding = evaluate("approvals", spec, two)
    assert finding.reason == "approved by alice, bob (ot-security)"
    assert [a["member"] for a in finding.evidence["approvals"]] == ["alice", "bob"]


def test_composites_keep_every_childs_reason() -> None:
    rules = [rule("signed_by", ["siemens"]), rule("version", ">=5")]
    any_of = AnyOf("any", rules).evaluate(context())
    assert not any_of.passed
    assert any_of.reason == (
        "none met: signed_by: expected signatures by siemens, got none of them; "
        "version: expected a version matching >=5, got 4.2.1 (signed-identity)"
    )
    all_of = AllOf("all", [VendorSignature(), *rules]).evaluate(context())
    assert [f.rule for f in all_of.failures()] == ["signed_by", "version"]
    assert AllOf("empty", []).evaluate(context()).reason == (
        "expected at least one rule, got none: default deny"
    )
