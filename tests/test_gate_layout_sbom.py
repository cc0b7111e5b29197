"""in-toto layouts and SBOMs as gate evidence, through `provenance verify --segment` on a copy
of the fixture delivery (firmware 4.2.1: a key-signed layout with its build link, a signed
CycloneDX SBOM attestation, an OpenVEX document)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from fixtures.generate import (
    FIRMWARE,
    ISSUER,
    SEED,
    SIGNED_AT,
    VENDOR_WORKFLOW,
    layout_files,
    sbom_predicate,
)
from provenance.commands.evaluate import evaluate
from provenance.testing import PrivateSigstoreInstance, bundle_json
from provenance.testing.in_toto import (
    derive_signer,
    dump,
    inspection_dict,
    layout_dict,
    link_dict,
    metablock,
    step_dict,
)
from tests.conftest import CliRunner

DELIVERY = Path(__file__).parents[1] / "fixtures/acme-delivery"
L1 = "level1-controllers"


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    folder = tmp_path / "delivery"
    shutil.copytree(DELIVERY, folder)
    return folder


def decide(cli: CliRunner, delivery: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = cli(
        "verify", delivery / FIRMWARE, "--policy", delivery / "policy.yaml", "--segment", L1,
        "--format", "json", *extra,
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return result.code, report


def finding(report: dict[str, Any], rule: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in report["findings"] if f["rule"] == rule)
    return found


def problems(report: dict[str, Any]) -> list[str]:
    return [p["reason"] for p in report["evidence"]["problems"]]


def test_the_fixture_firmware_meets_layout_and_sbom_requirements(
    cli: CliRunner, delivery: Path
) -> None:
    code, report = decide(cli, delivery)
    assert code == 0, report["reason"]
    assert (
        finding(report, "in_toto")["reason"] == "layout by acme-automation verified (steps build)"
    )
    assert finding(report, "sbom")["reason"] == (
        "CycloneDX 1.6 (json), 3 components, bound: signed-attestation, ntia-2021 met"
    )
    assert report["evidence"]["layouts"][0]["steps"] == ["build"]
    assert report["evidence_strength"] == "attested-build"


def test_without_the_layout_the_requirement_fails(cli: CliRunner, delivery: Path) -> None:
    (delivery / f"{FIRMWARE}.layout").unlink()
    code, report = decide(cli, delivery)
    assert code == 1
    assert finding(report, "in_toto")["reason"] == (
        "expected a verified in-toto layout by acme-automation naming it, got none"
    )


def test_a_tampered_link_is_named(cli: CliRunner, delivery: Path) -> None:
    link = next(delivery.glob("build.*.link"))
    document = json.loads(link.read_text())
    document["signed"]["command"] = ["make", "debug"]
    link.write_text(json.dumps(document))
    code, report = decide(cli, delivery)
    assert code == 1
    [reason] = [p for p in problems(report) if ".layout" in p]
    assert "in-toto layout (vendor acme-automation)" in reason
    assert "0 of threshold 1" in reason or "signature" in reason, reason


def test_a_layout_for_another_artifact_does_not_count(cli: CliRunner, delivery: Path) -> None:
    other = layout_files(FIRMWARE, b"some other firmware")
    for name, data in other.items():
        (delivery / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    code, report = decide(cli, delivery)
    assert code == 1
    assert any("product" in reason and ".layout" in reason for reason in problems(report)), (
        problems(report)
    )


def _layout_with_inspection(delivery: Path, marker: str, script: str | None = None) -> None:
    """Replace the layout with one whose inspection writes `marker` in its working folder
    (or runs `script`, Python)."""
    owner = derive_signer(SEED, "acme layout owner")
    builder = derive_signer(SEED, "acme build machine")
    firmware = (delivery / FIRMWARE).read_bytes()
    step = step_dict("build", [builder.key], products=[["CREATE", FIRMWARE], ["DISALLOW", "*"]],
                     command=["make", "release"])  # fmt: skip
    script = script or f"open({marker!r}, 'w').write('ran')"
    inspect = inspection_dict("smoke-test", [sys.executable, "-c", script])
    layout = layout_dict(keys=[builder.key], steps=[step], inspect=[inspect],
                         expires="2036-01-01T00:00:00Z")  # fmt: skip
    (delivery / f"{FIRMWARE}.layout").write_bytes(dump(metablock(layout, [owner])))
    link = link_dict("build", products={FIRMWARE: firmware}, command=["make", "release"])
    (delivery / f"build.{builder.keyid[:8]}.link").write_bytes(dump(metablock(link, [builder])))


def test_inspections_are_skipped_unless_asked_and_never_touch_the_delivery(
    cli: CliRunner, delivery: Path
) -> None:
    _layout_with_inspection(delivery, "inspected.txt")
    code, report = decide(cli, delivery)
    assert code == 0, report["reason"]
    assert finding(report, "in_toto")["reason"] == (
        "layout by acme-automation verified (steps build); inspections skipped: smoke-test"
    )
    assert not (delivery / "inspected.txt").exists()
    policy = delivery / "policy.yaml"
    policy.write_text(
        policy.read_text().replace(
            "in_toto: {from: [acme-automation]}",
            "in_toto: {from: [acme-automation], inspections: required}",
        )
    )
    code, report = decide(cli, delivery)
    assert code == 1
    assert finding(report, "in_toto")["reason"] == (
        "expected the layout's inspections to run, got them skipped (smoke-test); run with "
        "--run-inspections"
    )
    code, report = decide(cli, delivery, "--run-inspections")
    assert code == 0, report["reason"]
    assert report["evidence"]["layouts"][0]["inspections_run"] == ["smoke-test"]
    # It ran in a private copy: the delivery is as it was.
    assert not (delivery / "inspected.txt").exists()


def test_inspections_run_with_an_empty_environment(
    cli: CliRunner, delivery: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: the caller's environment (in the Action, GITHUB_TOKEN) never reaches a
    vendor's inspection command."""
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_not_for_vendors")
    leaks = (
        "import os, sys; sys.exit(3 if {'GITHUB_TOKEN', 'PATH', 'HOME'} & set(os.environ) else 0)"
    )
    _layout_with_inspection(delivery, "unused", script=leaks)
    policy = delivery / "policy.yaml"
    policy.write_text(
        policy.read_text().replace(
            "in_toto: {from: [acme-automation]}",
            "in_toto: {from: [acme-automation], inspections: required}",
        )
    )
    code, report = decide(cli, delivery, "--run-inspections")
    assert code == 0, report["reason"]
    assert report["evidence"]["layouts"][0]["inspections_run"] == ["smoke-test"]


def test_run_inspections_needs_a_segment(cli: CliRunner, delivery: Path) -> None:
    result = cli("verify", delivery / FIRMWARE, "--run-inspections")
    assert result.code == 2
    assert result.stderr == (
        "error: --run-inspections: only with --segment (a decision under a policy)\n"
    )


# -- SBOM bindings ----------------------------------------------------------------------------


def _unsigned_sbom(delivery: Path, names: bytes) -> None:
    """Replace the signed SBOM attestation with an unsigned SBOM file beside the firmware."""
    (delivery / f"{FIRMWARE}.sbom.sigstore.json").unlink()
    (delivery / f"{FIRMWARE}.cdx.json").write_text(json.dumps(sbom_predicate(names)))


def test_an_unsigned_sbom_naming_the_digest_is_only_named(cli: CliRunner, delivery: Path) -> None:
    _unsigned_sbom(delivery, (delivery / FIRMWARE).read_bytes())
    code, report = decide(cli, delivery)
    assert code == 1
    assert finding(report, "sbom")["reason"] == (
        "expected a signed SBOM attestation or signed SBOM file about the artifact, got binding "
        "named (names the artifact's SHA-256)"
    )
    policy = delivery / "policy.yaml"
    policy.write_text(policy.read_text().replace("bound: signed", "bound: named"))
    code, report = decide(cli, delivery)
    assert code == 0, report["reason"]


def test_an_sbom_for_another_artifact_does_not_count(cli: CliRunner, delivery: Path) -> None:
    _unsigned_sbom(delivery, b"another firmware")
    policy = delivery / "policy.yaml"
    policy.write_text(policy.read_text().replace("bound: signed", "bound: named"))
    code, report = decide(cli, delivery)
    assert code == 1
    reason = finding(report, "sbom")["reason"]
    assert "does not list the artifact's SHA-256" in reason, reason


def test_a_malformed_sbom_is_a_problem_and_fails(cli: CliRunner, delivery: Path) -> None:
    (delivery / f"{FIRMWARE}.sbom.sigstore.json").unlink()
    (delivery / f"{FIRMWARE}.cdx.json").write_text('{"bomFormat": "CycloneDX", "specVersion": "9"}')
    code, report = decide(cli, delivery)
    assert code == 1
    assert any(f"{FIRMWARE}.cdx.json" in p["source"] for p in report["evidence"]["problems"])
    assert finding(report, "sbom")["passed"] is False


def test_vex_statements_reach_the_decision_context(delivery: Path) -> None:
    result = evaluate(str(delivery / FIRMWARE), policy_path=delivery / "policy.yaml", segment=L1)
    facts = result.examination.assessment.sbom
    assert facts is not None
    assert facts.binding == "signed-attestation"
    assert [s.vulnerability for s in facts.vex] == ["CVE-2024-10918"]
    assert hashlib.sha256((delivery / FIRMWARE).read_bytes()).hexdigest() == result.sha256


def test_a_signed_sbom_file_naming_the_digest_is_bound_signed_file(
    cli: CliRunner, delivery: Path
) -> None:
    _unsigned_sbom(delivery, (delivery / FIRMWARE).read_bytes())
    sbom = delivery / f"{FIRMWARE}.cdx.json"
    instance = PrivateSigstoreInstance.create(SEED, origin="log.fixtures.invalid")
    bundle = instance.sign_artifact(
        sbom.read_bytes(),
        identity=f"{VENDOR_WORKFLOW}@refs/tags/v4.2.1",
        issuer=ISSUER,
        signed_at=SIGNED_AT,
    )
    signature = sbom.with_name(sbom.name + ".sigstore.json")
    signature.write_text(bundle_json(bundle))
    code, report = decide(cli, delivery)
    assert code == 0, report["reason"]
    assert "bound: signed-file" in finding(report, "sbom")["reason"]
    # The signature covers the bytes as signed: an edited SBOM is only "named".
    sbom.write_text(sbom.read_text().replace("ACME Automation release", "Someone else's"))
    code, report = decide(cli, delivery)
    assert code == 1
    assert any(str(signature) == p["source"] for p in report["evidence"]["problems"])


def test_vex_documents_carry_how_they_are_bound(delivery: Path) -> None:
    vex = delivery / f"{FIRMWARE}.vex.json"
    result = evaluate(str(delivery / FIRMWARE), policy_path=delivery / "policy.yaml", segment=L1)
    facts = result.examination.assessment.sbom
    assert facts is not None
    assert facts.vex_bindings == {str(vex): None}  # unsigned: the vulnerability policy decides
    instance = PrivateSigstoreInstance.create(SEED, origin="log.fixtures.invalid")
    bundle = instance.sign_artifact(
        vex.read_bytes(),
        identity=f"{VENDOR_WORKFLOW}@refs/tags/v4.2.1",
        issuer=ISSUER,
        signed_at=SIGNED_AT,
    )
    vex.with_name(vex.name + ".sigstore.json").write_text(bundle_json(bundle))
    result = evaluate(str(delivery / FIRMWARE), policy_path=delivery / "policy.yaml", segment=L1)
    facts = result.examination.assessment.sbom
    assert facts is not None
    assert facts.vex_bindings == {str(vex): "signed-file"}


def test_an_unusable_sbom_beside_a_good_one_still_fails(cli: CliRunner, delivery: Path) -> None:
    (delivery / f"{FIRMWARE}.cdx.json").write_text("{not json")
    code, report = decide(cli, delivery)
    assert code == 1
    reason = finding(report, "sbom")["reason"]
    assert reason.startswith("expected a valid SBOM, got: "), reason
    assert f"{FIRMWARE}.cdx.json" in reason
