"""sigstore-python's own test assets: real staging and production bundles, TSA, Rekor v2,
CVE-2022-36056, the real rfc8785 0.1.2 wheel (by digest), and trust-material parsing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from provenance.errors import TrustRootError
from provenance.verification.sigstore.trust_root import load_trust_root, parse_trust_root
from tests.conftest import CORPORA, CliRunner, corpus

NAME = "sigstore-python"
# Why each failing case fails (a wrong reason could hide a missing check).
FAILURE_REASONS = {
    "a.dsse.staging-rekor-v2.txt": "attestation subject: expected sha256:e248a5db",
    "bundle_cve_2022_36056.txt": "log entry signature",
    "bundle_invalid_version.txt": "bundle is malformed: mediaType",
    "bundle_no_cert_v1.txt": "certificate chain is empty",
    "bundle_no_log_entry.txt": "expected exactly one transparency log entry, got 0",
    "bundle_no_checkpoint.txt": "expected an inclusion proof with a checkpoint",
    "bundle_v3_no_signed_time.txt": "expected an inclusion promise or an RFC 3161 timestamp",
    "integration/Python-3.12.5.tgz (as shipped)": "expected an inclusion proof with a checkpoint",
    "tsa/bundle.many_timestamp": "expected at most 32 RFC 3161 timestamps, got 33",
    "tsa/bundle.duplicate": "bundle repeats an RFC 3161 timestamp",
    "tsa/bundle.txt.late_timestamp": "signature time from rfc3161 is 2025-05-12T19:00:27",
    "tsa/bundle.txt.late_timestamp (default threshold)": "signature time from rfc3161",
}
# expected.json says "pass" because upstream only checks the envelope; its statement is about
# the conformance suite's a.txt, not the file shipped beside it, so a gate must refuse it.
SUBJECT_MISMATCH = {"a.dsse.staging-rekor-v2.txt"}


def _cases(kind: str | None) -> list[str]:
    expected = CORPORA / NAME / "expected.json"
    if not expected.is_file():
        return ["corpus-absent"]
    cases = json.loads(expected.read_text())
    return sorted(name for name, case in cases.items() if case.get("kind") == kind)


def _case(name: str) -> tuple[Path, dict[str, Any]]:
    folder = corpus(NAME)
    return folder, json.loads((folder / "expected.json").read_text())[name]


def _trust_args(folder: Path, description: str, tmp_path: Path) -> list[str]:
    if description.startswith("sigstore STAGING"):
        return ["--staging"]
    if description.startswith("sigstore PRODUCTION"):
        return []
    if description.startswith("staging + test TSA"):
        root = json.loads((folder / "embedded_trust_roots/staging/trusted_root.json").read_text())
        root["timestampAuthorities"].append(
            json.loads((folder / "test/assets/tsa/ca.json").read_text())
        )
        path = tmp_path / "staging-with-test-tsa.json"
        path.write_text(json.dumps(root))
        return ["--trusted-root", str(path)]
    return ["--trusted-root", str(folder / description)]


@pytest.mark.parametrize("name", _cases(None))
def test_bundle_case(cli: CliRunner, tmp_path: Path, name: str) -> None:
    folder, case = _case(name)
    needs = case["needs"]
    artifact = case["artifact"]
    subject = artifact if artifact.startswith("sha256:") else str(folder / artifact)
    if "certificate_identity" in needs:
        signer = [
            "--certificate-identity",
            needs["certificate_identity"],
            "--certificate-oidc-issuer",
            needs["certificate_oidc_issuer"],
        ]
    else:
        # Upstream verifies these with a null policy: any identity from any issuer.
        signer = ["--certificate-identity-regexp", ".+", "--certificate-oidc-issuer-regexp", ".+"]
    result = cli(
        "verify",
        subject,
        "--bundle",
        folder / case["bundle"],
        *signer,
        *_trust_args(folder, needs["trusted_root"], tmp_path),
    )
    assert "Traceback" not in result.stderr
    expect = "fail" if name in SUBJECT_MISMATCH else case["expect"]
    if expect == "pass":
        assert result.code == 0, result.stderr
        assert result.stderr == f"OK: {subject}\n"
    else:
        assert result.code == 1, result.stderr
        assert result.stderr.startswith(f"FAIL: {subject}: ")
        assert FAILURE_REASONS[name] in result.stderr


def test_staging_dsse_bundle_verifies_for_its_real_subject(cli: CliRunner) -> None:
    """The bundle refused above is otherwise valid: given its statement's subject, it passes."""
    folder, case = _case("a.dsse.staging-rekor-v2.txt")
    subject = "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"
    result = cli(
        "verify",
        subject,
        "--bundle",
        folder / case["bundle"],
        "--staging",
        "--certificate-identity-regexp",
        ".+",
        "--certificate-oidc-issuer-regexp",
        ".+",
    )
    assert result.code == 0, result.stderr
    assert result.stderr == f"OK: {subject}\n"


@pytest.mark.parametrize("name", _cases("trust-material-parse"))
def test_trust_material_parses_as_expected(name: str) -> None:
    folder, case = _case(name)
    if case["expect"] == "unspecified":
        pytest.skip(f"{name}: upstream makes no assertion ({case['reason']})")
    path = folder / "test/assets" / name
    document = json.loads(path.read_text())
    if "certChain" in document:
        # A lone certificate authority: judge it as a TSA of an otherwise valid root.
        root = json.loads((folder / "embedded_trust_roots/staging/trusted_root.json").read_text())
        root["timestampAuthorities"] = [document]
        data, source = json.dumps(root).encode(), str(path)
    else:
        data, source = path.read_bytes(), str(path)
    if case["expect"] == "pass":
        loaded = parse_trust_root(data, source)
        assert loaded.tlogs
    else:
        with pytest.raises(TrustRootError, match=r"mediaType|certificate chain is empty"):
            parse_trust_root(data, source)


def test_embedded_roots_load_offline() -> None:
    production = load_trust_root("embedded:production")
    staging = load_trust_root("embedded:staging")
    assert {log.base_url for log in production.tlogs.values()} >= {"https://rekor.sigstore.dev"}
    assert any("sigstage" in log.base_url for log in staging.tlogs.values())
    with pytest.raises(TrustRootError, match="unknown embedded trust root"):
        load_trust_root("embedded:nightly")
