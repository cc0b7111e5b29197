"""Time `provenance verify` against `sigstore verify identity --offline` on the same bundles.

    python benchmarks/verify_vs_sigstore.py [--runs 15]

Both commands run in the same session, alternating, on the same artifact, bundle and trust
root; the ratio is provenance / sigstore (below 1.0: provenance is faster). Measured:
- the whole command, as a CI step or a workstation user runs it (process start included);
- the library call alone, repeated in one process (`provenance.verify` vs sigstore-python's
  `Verifier.verify_artifact`), which is the cost inside a long-running gate.
provenance does more per run (checkpoint size check, every timestamp, SCT key validity,
identity patterns, a result object with every check), so <= 1.0 is the target.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sigstore.models import Bundle, ClientTrustConfig, TrustedRoot
from sigstore.verify import Verifier, policy

import provenance

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "fixtures/acme-delivery"
CONFORMANCE = REPO.parent / "shared/corpora/sigstore-conformance/test/assets/bundle-verify"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
GITHUB = "https://token.actions.githubusercontent.com"


@dataclass(frozen=True)
class Case:
    name: str
    artifact: Path
    bundle: Path
    identity: str
    issuer: str
    trusted_root: Path | None  # None: the embedded production root

    def provenance_command(self) -> list[str]:
        command = [str(self.artifact), "--bundle", str(self.bundle)]
        command += [
            "--certificate-identity",
            self.identity,
            "--certificate-oidc-issuer",
            self.issuer,
        ]
        if self.trusted_root is not None:
            command += ["--trusted-root", str(self.trusted_root)]
        return [_tool("provenance"), "verify", *command]

    def sigstore_command(self, trust_config: Path | None) -> list[str]:
        command = [_tool("sigstore")]
        if trust_config is not None:
            command += ["--trust-config", str(trust_config)]
        return [
            *command,
            "verify",
            "identity",
            "--offline",
            "--bundle",
            str(self.bundle),
            "--cert-identity",
            self.identity,
            "--cert-oidc-issuer",
            self.issuer,
            str(self.artifact),
        ]


def _tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        sys.exit(f"{name}: not installed (pip install -e '.[test]')")
    return found


def client_trust_config(trusted_root: Path, target: Path) -> Path:
    """sigstore-python takes a private root only as a client trust config with signing URLs."""
    service = {
        "url": "https://unused.invalid",
        "majorApiVersion": 1,
        "validFor": {"start": "2020-01-01T00:00:00Z"},
        "operator": "benchmark",
    }
    config = {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": json.loads(trusted_root.read_text()),
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service],
            "oidcUrls": [service],
            "rekorTlogUrls": [service],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaUrls": [],
            "tsaConfig": {"selector": "ANY"},
        },
    }
    target.write_text(json.dumps(config))
    return target


def cases() -> list[Case]:
    found = [
        Case(
            "fixture bundle, private trust root",
            FIXTURE / "plc-firmware-4.2.1.bin",
            FIXTURE / "plc-firmware-4.2.1.bin.sigstore.json",
            "https://github.com/acme-automation/plc-firmware/.github/workflows/release.yml"
            "@refs/tags/v4.2.1",
            GITHUB,
            FIXTURE / "trusted_root.json",
        )
    ]
    if CONFORMANCE.is_dir():
        found.append(
            Case(
                "real production bundle (conformance happy-path-v0.3)",
                CONFORMANCE / "a.txt",
                CONFORMANCE / "happy-path-v0.3/bundle.sigstore.json",
                BEACON,
                GITHUB,
                None,
            )
        )
    return found


def time_command(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{command[0]} failed ({done.returncode}): {done.stderr.decode()[-400:]}")
    return elapsed


BATCHES = 7


def time_calls(
    ours: Callable[[], None], theirs: Callable[[], None], calls: int
) -> tuple[float, float]:
    """Per-call time of each, best of BATCHES alternating batches (the least disturbed run)."""
    ours()  # warm caches and imports
    theirs()
    best = [float("inf"), float("inf")]
    for _ in range(BATCHES):
        for index, call in enumerate((ours, theirs)):
            start = time.perf_counter()
            for _ in range(calls):
                call()
            best[index] = min(best[index], (time.perf_counter() - start) / calls)
    return best[0], best[1]


def library_calls(case: Case) -> tuple[Callable[[], None], Callable[[], None]]:
    ours_root = provenance.load_trust_root(
        str(case.trusted_root) if case.trusted_root else "embedded:production"
    )
    signer = provenance.NamedSigner(
        provenance.SigstoreIdentity(
            identity=provenance.Pattern.exact(case.identity),
            issuer=provenance.Pattern.exact(case.issuer),
        )
    )

    def ours() -> None:
        result = provenance.verify(
            str(case.artifact), signers=[signer], bundle=case.bundle, trust_roots=[ours_root]
        )
        assert result.decision == "verified", result.reason

    theirs_root = (
        TrustedRoot.from_file(str(case.trusted_root))
        if case.trusted_root
        else ClientTrustConfig.production(offline=True).trusted_root
    )
    verifier = Verifier(trusted_root=theirs_root)
    identity = policy.Identity(identity=case.identity, issuer=case.issuer)

    def theirs() -> None:
        # The same work a CLI run does: read and hash the file, parse the bundle, verify.
        bundle = Bundle.from_json(case.bundle.read_bytes())
        verifier.verify_artifact(case.artifact.read_bytes(), bundle, identity)

    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="command runs per tool and case")
    parser.add_argument("--calls", type=int, default=100, help="library calls per batch")
    args = parser.parse_args()
    print(f"{'case':<54} {'what':<9} {'provenance':>11} {'sigstore':>11} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as scratch:
        for case in cases():
            trust_config = (
                client_trust_config(case.trusted_root, Path(scratch) / "trust_config.json")
                if case.trusted_root
                else None
            )
            ours_cmd, theirs_cmd = case.provenance_command(), case.sigstore_command(trust_config)
            ours_times, theirs_times = [], []
            for _ in range(args.runs):  # alternate, so drift hits both alike
                ours_times.append(time_command(ours_cmd))
                theirs_times.append(time_command(theirs_cmd))
            ours_cli, theirs_cli = statistics.median(ours_times), statistics.median(theirs_times)
            print(
                f"{case.name:<54} {'command':<9} {ours_cli * 1000:>9.0f}ms "
                f"{theirs_cli * 1000:>9.0f}ms {ours_cli / theirs_cli:>6.2f}"
            )
            ours_call, theirs_call = library_calls(case)
            ours_lib, theirs_lib = time_calls(ours_call, theirs_call, args.calls)
            print(
                f"{'':<54} {'library':<9} {ours_lib * 1000:>9.2f}ms "
                f"{theirs_lib * 1000:>9.2f}ms {ours_lib / theirs_lib:>6.2f}"
            )


if __name__ == "__main__":
    main()
