"""The Sigstore client conformance suite's bundle-verify cases, through the CLI.

70 cases, each run with the artifact as a path and as a `sha256:` digest: 140 runs. Every
`_fail` case must fail in both modes (a false accept is a release blocker); every other case
must pass. sigstore-python 4.5.1 reaches 132/140 on the same data.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPORA, CliRunner, corpus

CASES_FILE = "sigstore-conformance"
DEFAULT_IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
DEFAULT_ISSUER = "https://token.actions.githubusercontent.com"

# Why each `_fail` case must fail: failing for another reason could hide a missing check.
FAILURE_REASONS = {
    "bundle-empty-certificate-chain_fail": "certificate chain is empty",
    "bundle-from-wrong-instance_fail": "which trust root embedded:production does not name",
    "bundle-invalid-base64-signature_fail": "signature: Value error, Invalid base64",
    "bundle-malformed-json_fail": "bundle is not valid JSON",
    "bundle-negative-log-index_fail": "logIndex: Value error, Value exceeds uint64 domain: -1",
    "bundle-unknown-version_fail": "bundle is malformed: mediaType",
    "bundle-with-root-cert_fail": "chain carries a root CA",
    "checkpoint-bad-keyhint_fail": "checkpoint has no signature from the log",
    "checkpoint-wrong-roothash_fail": "checkpoint tree size: expected 23083062",
    "dsse-invalid-sig_fail": "signature does not verify over the DSSE envelope",
    "dsse-mismatch-envelope_fail": "log entry payload hash",
    "dsse-mismatch-sig_fail": "log entry signature",
    "inclusion-proof-corrupted-hash_fail": "inclusion proof does not lead to its root hash",
    "incorrect-public-key_fail": "inclusion proof does not lead to its root hash",
    "integrated-time-in-future_fail": "but signature time from tlog is 2026-05-07T15:34:11",
    "intoto-expired-certificate_fail": "but signature time from tlog is 2023-02-01",
    "intoto-log-entry-mismatch_fail": "log entry body: sig is not base64",
    "intoto-missing-inclusion-proof_fail": "inclusionProof: Field required",
    "intoto-set-outside-signing-cert-validity_fail": "signature time from tlog is 2023-02-02",
    "intoto-tsa-timestamp-outside-cert-validity_fail": "signature time from rfc3161 is 2023-02-02",
    "invalid-checkpoint-signature_fail": "checkpoint signature does not verify",
    "invalid-ct-key_fail": "is not a CT log of trust root",
    "invalid-inclusion-proof_fail": "expected an inclusion proof with a checkpoint",
    "managed-key-no-key_fail": "signed by a managed key, but no public key was given",
    "message-digest-mismatch_fail": "bundle message digest: expected sha256",
    "rekor2-checkpoint-missing-log-signature_fail": "checkpoint carries no signature",
    "rekor2-checkpoint-missing-origin_fail": "must start with origin, tree size and root hash",
    "rekor2-checkpoint-missing-root-hash_fail": "must start with origin, tree size and root hash",
    "rekor2-checkpoint-missing-size_fail": "must start with origin, tree size and root hash",
    "rekor2-checkpoint-no-matching-signature_fail": "checkpoint signature does not verify",
    "rekor2-dsse-invalid-sig_fail": "signature does not verify over the DSSE envelope",
    "rekor2-dsse-mismatch-envelope_fail": "log entry DSSE PAE digest",
    "rekor2-dsse-mismatch-sig_fail": "log entry signature",
    "rekor2-no-inclusion-proof_fail": "inclusionProof: Field required",
    "rekor2-no-timestamp_fail": "expected an inclusion promise or an RFC 3161 timestamp",
    "rekor2-timestamp-outside-trust-root-tsa-validity_fail": "trusted during [2025-04-09",
    "rekor2-timestamp-outside-tsa-cert-validity_fail": "Unable to verify pkcs7 signature",
    "rekor2-timestamp-payload-mismatch_fail": "Mismatch between messages",
    "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": "is not a DER TimeStampResponse",
    "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail": "Unable to verify pkcs7",
    "rekor2-timestamp-with-incorrect-time_fail": "signature time from rfc3161 is 2025-07-15",
    "set-invalid-signature_fail": "inclusion promise (SET) does not verify",
    "signature-mismatch_fail": "signature does not verify over the artifact",
    "wrong-hashedrekord-artifact_fail": "log entry artifact digest",
    "wrong-hashedrekord-cert-and-sig_fail": "log entry signature",
    "wrong-hashedrekord-entry_fail": "log entry artifact digest",
    "wrong-material_fail": "bundle message digest: expected sha256 1fa70528",
}

# Where a failure is a usage error (exit 2) rather than a failed verification (exit 1):
# the operator supplied a broken trust root or key, not the vendor a broken bundle.
USAGE_ERROR_CASES = {
    "trust-root-tlog-missing-validity-start_fail": "validFor.start: Field required",
    "managed-key-wrong-key_fail": "key.pub: not a PEM public key",
}


def _case_names() -> list[str]:
    expected = CORPORA / CASES_FILE / "expected.json"
    if not expected.is_file():
        return ["corpus-absent"]
    return sorted(json.loads(expected.read_text()))


def _arguments(case_dir: Path, mode: str) -> tuple[str, list[str]]:
    assets = case_dir.parent
    artifact = case_dir / "artifact" if (case_dir / "artifact").exists() else assets / "a.txt"
    subject = (
        str(artifact)
        if mode == "path"
        else "sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest()
    )
    args = [subject, "--bundle", str(case_dir / "bundle.sigstore.json")]
    if (case_dir / "trusted_root.json").exists():
        args += ["--trusted-root", str(case_dir / "trusted_root.json")]
    if (case_dir / "key.pub").exists():
        args += ["--key", str(case_dir / "key.pub")]
    else:
        identity = case_dir / "identity"
        issuer = case_dir / "issuer"
        args += [
            "--certificate-identity",
            identity.read_text().strip() if identity.exists() else DEFAULT_IDENTITY,
            "--certificate-oidc-issuer",
            issuer.read_text().strip() if issuer.exists() else DEFAULT_ISSUER,
        ]
    return subject, args


@pytest.mark.parametrize("mode", ["path", "digest"])
@pytest.mark.parametrize("name", _case_names())
def test_conformance_case(cli: CliRunner, name: str, mode: str) -> None:
    folder = corpus(CASES_FILE)
    case: dict[str, Any] = json.loads((folder / "expected.json").read_text())[name]
    subject, args = _arguments(folder / "test/assets/bundle-verify" / name, mode)
    result = cli("verify", *args)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    if case["expect"] == "pass":
        assert result.code == 0, lines[0]
        assert lines[0] == f"OK: {subject}"
    elif name in USAGE_ERROR_CASES:
        assert result.code == 2, lines[0]
        assert USAGE_ERROR_CASES[name] in lines[0]
    else:
        assert case["expect"] == "fail"
        assert result.code == 1, lines[0]
        assert lines[0].startswith(f"FAIL: {subject}: ")
        assert FAILURE_REASONS[name] in lines[0]
