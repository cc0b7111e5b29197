"""`policy explain` says what the gate enforces: for every segment of every shipped policy,
the requirements it explains are, in order and in words, the rules the gate evaluates."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provenance.commands.evaluation import Examination, judge
from provenance.commands.policy_explain import explain_segment
from provenance.decision.context import NoHistory
from provenance.decision.product import Identification
from provenance.decision.segment import compile_segment
from provenance.facts import SignatureFact
from provenance.inputs.artifact import Artifact
from provenance.policy import load_policy
from provenance.verification.evidence_set import Assessment
from tests.conftest import CliRunner

ROOT = Path(__file__).parents[1]
SHIPPED = sorted([*ROOT.glob("policies/*.yaml"), *ROOT.glob("fixtures/*/policy.yaml")])
NOW = datetime(2026, 6, 10, tzinfo=UTC)


def _segments() -> list[tuple[Path, str]]:
    return [(path, name) for path in SHIPPED for name in load_policy(path).segments]


def _examination() -> Examination:
    """Some evidence (one vendor signature), so that every rule is evaluated."""
    digest = "ab" * 32
    signature = SignatureFact.without_log(
        artifact_sha256=digest,
        signer_kind="key",
        key_id="sha256:00",
        matched_rule="key",
        vendor="acme-automation",
        source="fw.bin.sig",
        content="cms",
    )
    assessment = Assessment(
        signatures=(signature,), approvals=(), problems=(), inputs=(("fw.bin.sig", digest),)
    )
    return Examination(
        Artifact("fw.bin", bytes.fromhex(digest)),
        assessment,
        Identification(None, None, None, "product not identified"),
    )


def test_every_shipped_policy_is_covered() -> None:
    assert len(SHIPPED) >= 8
    assert len(_segments()) >= 15


@pytest.mark.parametrize(
    ("path", "segment"),
    _segments(),
    ids=[f"{path.relative_to(ROOT)}:{segment}" for path, segment in _segments()],
)
def test_explain_is_what_the_gate_evaluates(path: Path, segment: str) -> None:
    explained = explain_segment(path, segment)
    rules = compile_segment(load_policy(path), segment)
    decision = judge(rules, _examination(), segment=segment, now=NOW, history=NoHistory())

    assert [e.kind for e in explained] == [f.rule for f in decision.finding.children]
    assert [e.words for e in explained] == [rule.describe() for rule in rules.rules]


def test_a_published_hash_segment_explains_that_the_hash_stands_in(cli: CliRunner) -> None:
    policy = ROOT / "fixtures/northwind-delivery/policy.yaml"
    explained = cli("policy", "explain", policy, "--segment", "test-bench")
    assert explained.code == 0
    assert (
        "  - vendor_signature: a verified signature by one of the policy's vendors, or, in its "
        "place, the SHA-256 the operator copied from the vendor (--expected-sha256): this "
        "segment's minimum evidence is published-hash  [built in]"
    ) in explained.stdout.splitlines()
    assert "always required" not in explained.stdout
    # ... and the gate does let the operator's hash stand in for a signature there.
    firmware = ROOT / "fixtures/northwind-delivery/io-module-firmware-2.4.0.bin"
    digest = hashlib.sha256(firmware.read_bytes()).hexdigest()
    verified = cli(
        "verify", f"sha256:{digest}", "--policy", policy, "--segment", "test-bench",
        "--expected-sha256", digest,
    )  # fmt: skip
    assert verified.code == 0, verified.stderr
