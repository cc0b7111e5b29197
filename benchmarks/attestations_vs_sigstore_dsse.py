"""Per-attestation verification cost: provenance vs sigstore-python's `Verifier.verify_dsse`.

The same DSSE bundles (SLSA provenance v1), the same trust roots, in one process, alternating
batches (min / median of 7). Per call:
- provenance: read and parse the bundle, verify it (log proof, checkpoint, certificate chain,
  SCT, signature, entry body, identity), then the in-toto statement, the subject against the
  artifact and the SLSA predicate, ending in an `AttestationFact` (`assess`);
- sigstore-python: `Bundle.from_json` and `verify_dsse` with an identity policy, then
  `json.loads` of the payload. It checks neither the subject nor the predicate, so provenance
  does more per call. Ratio = provenance / sigstore (below 1.0: provenance is faster).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sigstore.models import Bundle, ClientTrustConfig, TrustedRoot
from sigstore.verify import Verifier, policy

from benchmarks.harness import Context, Row, Stat, ratio_text
from benchmarks.verify_vs_sigstore import BATCHES, BEACON, CONFORMANCE, FIXTURE, GITHUB, time_calls
from provenance.inputs.artifact import artifact_from_argument
from provenance.verification.evidence_set import assess
from provenance.verification.matching import Pattern
from provenance.verification.signers import SigstoreIdentity
from provenance.verification.sigstore.trust_root import load_trust_root
from provenance.verification.sigstore.verifier import NamedSigner


@dataclass(frozen=True)
class Case:
    name: str
    artifact: Path
    bundle: Path
    identity: str
    trusted_root: Path | None  # None: the embedded production root


def cases() -> list[Case]:
    found = [
        Case(
            "fixture SLSA v1 provenance, private root",
            FIXTURE / "plc-firmware-4.2.1.bin",
            FIXTURE / "plc-firmware-4.2.1.bin.provenance.sigstore.json",
            "https://github.com/acme-automation/plc-firmware/.github/workflows/release.yml"
            "@refs/tags/v4.2.1",
            FIXTURE / "trusted_root.json",
        )
    ]
    if CONFORMANCE.is_dir():
        # (rekor2-dsse-happy-path is left out: its SLSA v1 predicate lacks the required
        # externalParameters, so provenance refuses it as an attestation.)
        found.append(
            Case(
                "conformance intoto-in-dsse-v3 (production)",
                CONFORMANCE / "a.txt",
                CONFORMANCE / "happy-path-intoto-in-dsse-v3/bundle.sigstore.json",
                BEACON,
                None,
            )
        )
    return found


def calls_for(case: Case) -> tuple[Callable[[], None], Callable[[], None]]:
    root = load_trust_root(str(case.trusted_root) if case.trusted_root else "embedded:production")
    signer = NamedSigner(
        SigstoreIdentity(identity=Pattern.exact(case.identity), issuer=Pattern.exact(GITHUB)),
        vendor="vendor",
    )
    artifact = artifact_from_argument(str(case.artifact))
    now = datetime.now(UTC)

    def ours() -> None:
        found = assess(
            artifact, [case.bundle], signers=[signer], trust_roots=[root], group_members={},
            now=now,
        )  # fmt: skip
        assert len(found.attestations) == 1, found.problems

    theirs_root = (
        TrustedRoot.from_file(str(case.trusted_root))
        if case.trusted_root
        else ClientTrustConfig.production(offline=True).trusted_root
    )
    verifier = Verifier(trusted_root=theirs_root)
    identity = policy.Identity(identity=case.identity, issuer=GITHUB)

    def theirs() -> None:
        bundle = Bundle.from_json(case.bundle.read_bytes())
        _, payload = verifier.verify_dsse(bundle, identity)
        json.loads(payload)

    return ours, theirs


CALLS = 50


def benchmark(context: Context) -> list[Row]:
    rows = []
    for case in cases():
        ours, theirs = time_calls(*calls_for(case), CALLS)
        rows.append(
            Row(
                f"attestation (SLSA v1 in DSSE): `assess` / `Verifier.verify_dsse`, {case.name}"
                f", library call (per call, {BATCHES} alternating batches of {CALLS})",
                Stat.of(ours).seconds(),
                Stat.of(theirs).seconds(),
                ratio_text([a / b for a, b in zip(ours, theirs, strict=True)]),
                "",
                None,
            )
        )
    return rows
