"""`provenance policy lint | explain | test` through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import CliRunner

REPO = Path(__file__).parents[1]
POLICY = REPO / "fixtures/acme-delivery/policy.yaml"
CASES = REPO / "fixtures/policy-tests"


def test_lint_clean_file(cli: CliRunner) -> None:
    result = cli("policy", "lint", POLICY)
    assert result.code == 0
    assert result.stdout == ""
    assert result.stderr == f"OK: {POLICY}: 0 error(s), 0 warning(s)\n"


def test_lint_reports_every_problem_with_its_position(cli: CliRunner, tmp_path: Path) -> None:
    shutil.copytree(POLICY.parent / "keys", tmp_path / "keys")
    shutil.copy(POLICY.parent / "trusted_root.json", tmp_path)
    text = POLICY.read_text()
    text = text.replace("signed_by: [acme-automation]", "signed_by: [acme-automaton]")
    text = text.replace("extends: level3-operations", "extends: level3")
    text = text.replace('issuer: "https://token', 'issuer_regex: "https://token')
    broken = tmp_path / "site.yaml"
    broken.write_text(text)
    result = cli("policy", "lint", broken)
    assert result.code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        f"{broken}:11:25: warning: vendors.acme-automation.signers[0].sigstore.issuer_regex"
    )
    assert "matches any character (so 'tokenXactions' matches too)" in lines[0]
    assert any(
        line.startswith(
            f"{broken}:32:19: error: segments.level3-operations.require.signed_by[0]: "
            "unknown vendor 'acme-automaton'"
        )
        for line in lines
    ), lines
    assert any(
        line.startswith(
            f"{broken}:42:14: error: segments.level1-controllers.extends: unknown segment 'level3'"
        )
        for line in lines
    ), lines
    # 3 errors above, and signed_by in engineering-workstations too.
    assert result.stderr.startswith(f"FAIL: {broken}: 4 error(s), ")


def test_lint_unreadable_file_is_a_usage_error(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("policy", "lint", tmp_path / "absent.yaml")
    assert result.code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'absent.yaml'}: cannot read file")


def test_explain_lists_inherited_requirements(cli: CliRunner) -> None:
    result = cli("policy", "explain", POLICY, "--segment", "level1-controllers")
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "To enter level1-controllers, an artifact needs:",
        "  - vendor_signature: a verified signature by one of the policy's vendors (always "
        "required)  [built in]",
        f"  - signed_by: signed by acme-automation  [{POLICY}:32:7, from level3-operations]",
        "  - freshness: the newest signature by the product's vendor over this file made on or "
        f"after 2026-01-01  [{POLICY}:33:7, from level3-operations]",
        "  - provenance: verified SLSA provenance by acme-automation: builder_id glob "
        "'https://github.com/acme-automation/plc-firmware/.github/workflows/release.yml"
        "@refs/tags/v*', source 'https://github.com/acme-automation/plc-firmware', ref glob "
        f"'refs/tags/v*', SLSA build level 2 or higher  [{POLICY}:36:7, from level3-operations]",
        "  - in_toto: a verified in-toto layout signed by the layout keys of acme-automation "
        f"whose last step produced the artifact  [{POLICY}:45:7, from level1-controllers]",
        "  - sbom: an SBOM bound as signed with ntia-2021 minimum elements in 100% of "
        f"components  [{POLICY}:46:7, from level1-controllers]",
        "  - licenses: component licences: never AGPL-3.0-only, GPL-3.0-only; unknown licences "
        f"accepted  [{POLICY}:47:7, from level1-controllers]",
        "  - version: a version stated by the product's vendor, by product: plc-firmware "
        f">=4.0,<5, hmi-setup >=2.0,<3 (others denied)  [{POLICY}:34:7, from level3-operations]",
        "  - rollback: no version older than the newest one admitted (rollback denied)  "
        f"[{POLICY}:35:7, from level3-operations]",
        "  - approvals: approved by 2 distinct members of ot-security  "
        f"[{POLICY}:44:7, from level1-controllers]",
    ]
    unknown = cli("policy", "explain", POLICY, "--segment", "level0")
    assert unknown.code == 2
    assert (
        "unknown segment 'level0' (expected one of: engineering-workstations, "
        "level1-controllers, level2-supervisory, level3-operations)"
    ) in unknown.stderr


def test_policy_test_reports_mismatches(cli: CliRunner, tmp_path: Path) -> None:
    delivery = POLICY.parent
    for name, expect in (("old-firmware-allowed", "allow"), ("old-firmware-denied", "deny")):
        (tmp_path / name).mkdir()
        case = {
            "segment": "level3-operations",
            "artifact": str(delivery / "plc-firmware-3.9.0.bin"),
            "now": "2026-06-10T00:00:00Z",
            "expect": expect,
        }
        (tmp_path / name / "case.yaml").write_text(json.dumps(case))
    result = cli("policy", "test", POLICY, tmp_path)
    assert result.code == 1
    assert result.stdout.splitlines() == [
        "FAIL: old-firmware-allowed: expected allow, got deny (version: expected a version "
        "matching >=4.0,<5, got 3.9.0 (signed-identity))",
        "PASS: old-firmware-denied: deny",
    ]
    assert result.stderr == f"FAIL: {tmp_path}: 1 of 2 cases as expected\n"


def test_policy_test_malformed_case_is_a_usage_error(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad/case.yaml").write_text("segment: x\nartifact: y\nexpect: maybe\n")
    result = cli("policy", "test", POLICY, tmp_path)
    assert result.code == 2
    assert result.stderr == (
        f"error: {tmp_path / 'bad/case.yaml'}: expect: expected allow or deny, got 'maybe'\n"
    )
