"""sigstore-python's `Verifier` (the installed `sigstore` package) as a test oracle for ours, on
the sigstore-python corpus's bundles: each case is verified live by both (offline, the trust
root from the corpus), and the verdicts must agree except where DIFFERENCES says why not.

(`tests/test_corpus_sigstore_python.py` checks our verdicts against the corpus's expectations;
`expected.json`'s `reference_result` was recorded once. This runs the reference itself.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sigstore.errors
import sigstore.verify.verifier
from sigstore.hashes import Hashed
from sigstore.models import Bundle, ClientTrustConfig, TrustedRoot
from sigstore.verify import Verifier, policy
from sigstore_models.common.v1 import HashAlgorithm

from tests.conftest import CliRunner
from tests.test_corpus_sigstore_python import _case, _cases, _trust_args

# case -> (our verdict, sigstore-python's, why they differ)
DIFFERENCES = {
    "a.dsse.staging-rekor-v2.txt": (
        "fail",
        "pass",
        "sigstore-python's verify_dsse checks the envelope and returns the statement; it does "
        "not compare the statement's subject with the file. Its subject is the conformance "
        "suite's a.txt, not the file shipped beside it, so a gate must refuse it for that file.",
    ),
}


def _trusted_root(folder: Path, description: str, tmp_path: Path) -> TrustedRoot:
    """The trust material `_trust_args` hands our CLI, loaded by sigstore-python."""
    if description.startswith("sigstore STAGING"):
        return TrustedRoot.from_file(str(folder / "embedded_trust_roots/staging/trusted_root.json"))
    if description.startswith("sigstore PRODUCTION"):
        return TrustedRoot.from_file(
            str(folder / "embedded_trust_roots/production/trusted_root.json")
        )
    [flag, path] = _trust_args(folder, description, tmp_path)
    assert flag == "--trusted-root"
    text = Path(path).read_text()
    if json.loads(text)["mediaType"].startswith("application/vnd.dev.sigstore.clienttrustconfig"):
        return ClientTrustConfig.from_json(text).trusted_root
    return TrustedRoot.from_file(path)


def sigstore_verdict(
    folder: Path, case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    needs = case["needs"]
    # As upstream's tests set it for the TSA cases that need two verified times.
    threshold = needs.get("verified_time_threshold", 1)
    monkeypatch.setattr(sigstore.verify.verifier, "VERIFIED_TIME_THRESHOLD", threshold)
    verifier = Verifier(trusted_root=_trusted_root(folder, needs["trusted_root"], tmp_path))
    if "certificate_identity" in needs:
        rule: policy.VerificationPolicy = policy.Identity(
            identity=needs["certificate_identity"], issuer=needs["certificate_oidc_issuer"]
        )
    else:
        rule = policy.UnsafeNoOp()  # upstream's null policy, as ours gets any-identity regexps
    artifact = case["artifact"]
    subject = (
        Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(artifact[7:]))
        if artifact.startswith("sha256:")
        else (folder / artifact).read_bytes()
    )
    try:
        bundle = Bundle.from_json((folder / case["bundle"]).read_bytes())
        if bundle._dsse_envelope is not None:  # sigstore-python has no public DSSE marker
            verifier.verify_dsse(bundle, rule)
        else:
            verifier.verify_artifact(subject, bundle, rule)
    except sigstore.errors.Error:
        return "fail"
    return "pass"


def our_verdict(cli: CliRunner, folder: Path, case: dict[str, Any], tmp_path: Path) -> str:
    needs = case["needs"]
    artifact = case["artifact"]
    subject = artifact if artifact.startswith("sha256:") else str(folder / artifact)
    signer = (
        ["--certificate-identity", needs["certificate_identity"],
         "--certificate-oidc-issuer", needs["certificate_oidc_issuer"]]
        if "certificate_identity" in needs
        else ["--certificate-identity-regexp", ".+", "--certificate-oidc-issuer-regexp", ".+"]
    )  # fmt: skip
    result = cli(
        "verify", subject, "--bundle", folder / case["bundle"], *signer,
        *_trust_args(folder, needs["trusted_root"], tmp_path),
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    assert result.code in (0, 1), result.stderr
    return "pass" if result.code == 0 else "fail"


@pytest.mark.parametrize("name", _cases(None))
def test_sigstore_python_and_we_agree(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    folder, case = _case(name)
    ours = our_verdict(cli, folder, case, tmp_path)
    theirs = sigstore_verdict(folder, case, tmp_path, monkeypatch)
    if name in DIFFERENCES:
        assert (ours, theirs) == DIFFERENCES[name][:2]
    else:
        assert ours == theirs
        assert theirs == case["expect"]
