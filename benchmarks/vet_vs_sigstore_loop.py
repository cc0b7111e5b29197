"""Time `provenance vet` on a delivery of signed artifacts against a loop of
`sigstore verify identity --offline` calls, one per file, on the same files and trust root.

    python benchmarks/vet_vs_sigstore_loop.py [--artifacts 500] [--sigstore-calls N]

The delivery is generated here: artifacts signed by a private Sigstore instance
(`provenance.testing`), a `trusted_root.json` for it, and a policy trusting its identity.
Measured in one run:
- `provenance vet` as one command (process start included) vs the sigstore loop, the way
  an engineer would check a delivery without this tool (target: >= 20x faster);
- `vet()` in one process with 1 and with 2 worker processes (scaling across cores).
`--sigstore-calls N` times only the first N sigstore calls and scales the loop up to every
artifact (labelled as an estimate); by default every artifact is verified.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from verify_vs_sigstore import _tool, client_trust_config

from provenance.commands.vet import vet
from provenance.testing import PrivateSigstoreInstance

IDENTITY = "https://github.com/acme/plc-fw/.github/workflows/release.yml@refs/tags/v1.0.0"
ISSUER = "https://token.actions.githubusercontent.com"
SIGNED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NOW = datetime(2026, 7, 1, tzinfo=UTC)
ARTIFACT_BYTES = 64 * 1024


def write_delivery(folder: Path, count: int) -> tuple[Path, Path, Path]:
    """(delivery folder, policy, trusted_root.json) with `count` signed artifacts."""
    instance = PrivateSigstoreInstance.create(seed="benchmark: vet vs sigstore loop")
    delivery = folder / "delivery"
    delivery.mkdir()
    for index in range(count):
        artifact = delivery / f"module-{index:04}.bin"
        artifact.write_bytes(index.to_bytes(4, "big") * (ARTIFACT_BYTES // 4))
        bundle = instance.sign_artifact(
            artifact.read_bytes(), identity=IDENTITY, issuer=ISSUER, signed_at=SIGNED_AT
        )
        (delivery / f"{artifact.name}.sigstore.json").write_text(json.dumps(bundle))
    trusted_root = instance.write_trusted_root(folder / "trusted_root.json")
    policy = folder / "policy.yaml"
    policy.write_text(
        "version: 1\ntrust:\n  sigstore: [trusted_root.json]\nvendors:\n  acme:\n"
        f"    signers:\n      - sigstore: {{identity: '{IDENTITY}', issuer: '{ISSUER}'}}\n"
        "    products: ['pkg:generic/acme/module']\n"
        "segments:\n  bench:\n    require:\n      signed_by: [acme]\n"
    )
    return delivery, policy, trusted_root


def time_vet_command(delivery: Path, policy: Path) -> float:
    command = [_tool("provenance"), "vet", str(delivery), "--policy", str(policy)]
    command += ["--segment", "bench", "--format", "json", "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"provenance vet failed ({done.returncode}): {done.stderr.decode()[-400:]}")
    return elapsed


def time_vet_library(delivery: Path, policy: Path, workers: int) -> float:
    start = time.perf_counter()
    result = vet(delivery, policy_path=policy, segment="bench", workers=workers, clock=lambda: NOW)
    elapsed = time.perf_counter() - start
    if not result.allowed:
        sys.exit(f"vet denied the benchmark delivery: {result.artifacts[0]['reason']}")
    return elapsed


def time_sigstore_loop(delivery: Path, trust_config: Path, calls: int) -> float:
    sigstore = _tool("sigstore")
    artifacts = sorted(delivery.glob("*.bin"))[:calls]
    start = time.perf_counter()
    for artifact in artifacts:
        command = [sigstore, "--trust-config", str(trust_config), "verify", "identity"]
        command += ["--offline", "--bundle", f"{artifact}.sigstore.json"]
        command += ["--cert-identity", IDENTITY, "--cert-oidc-issuer", ISSUER, str(artifact)]
        done = subprocess.run(command, capture_output=True, check=False)
        if done.returncode != 0:
            sys.exit(f"sigstore failed on {artifact.name}: {done.stderr.decode()[-400:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=int, default=500, help="signed artifacts to vet")
    parser.add_argument(
        "--sigstore-calls", type=int, default=0, help="time only this many sigstore calls"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        start = time.perf_counter()
        delivery, policy, trusted_root = write_delivery(folder, args.artifacts)
        print(f"generated {args.artifacts} signed artifacts in {time.perf_counter() - start:.1f}s")
        trust_config = client_trust_config(trusted_root, folder / "trust_config.json")
        cpus = os.cpu_count() or 1

        ours = time_vet_command(delivery, policy)
        calls = args.sigstore_calls or args.artifacts
        theirs = time_sigstore_loop(delivery, trust_config, calls) * args.artifacts / calls
        label = "" if calls == args.artifacts else f" (estimate from {calls} calls)"
        print(f"{'what':<52} {'seconds':>8} {'per artifact':>13}")
        print(f"{'provenance vet (one command, ' + str(cpus) + ' CPUs)':<52} {ours:>8.2f} "
              f"{ours / args.artifacts * 1000:>10.2f}ms")  # fmt: skip
        print(f"{'sigstore verify identity loop' + label:<52} {theirs:>8.2f} "
              f"{theirs / args.artifacts * 1000:>10.2f}ms")  # fmt: skip
        print(f"ratio: provenance vet is {theirs / ours:.1f}x faster (target >= 20x)")

        one = time_vet_library(delivery, policy, workers=1)
        two = time_vet_library(delivery, policy, workers=2)
        print(f"vet() in one process, 1 worker: {one:.2f}s; 2 workers: {two:.2f}s "
              f"(speed-up {one / two:.2f}x on {cpus} CPUs)")  # fmt: skip


if __name__ == "__main__":
    main()
