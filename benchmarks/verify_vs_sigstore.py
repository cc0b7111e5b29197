"""`provenance verify` against `sigstore verify identity --offline`, on the same artifact,
bundle and trust root: a real production bundle (the conformance suite's happy-path-v0.3,
under the embedded production root) and the sample delivery (a private trust root).

- Whole process, as a CI step or a workstation user runs it: the two commands alternate, each
  with the private bytecode cache warmed; CPU (user + system) and wall time per run, and the
  ratio provenance / sigstore pair by pair (below 1.0: provenance is faster). Target <= 0.6
  on the production bundle: what is left is Python's start-up, the bundle's models and a
  handful of signature checks (`tests/test_import_budgets.py` keeps the rest out).
- The library call alone, in one process (`provenance.verify` against sigstore-python's
  `Verifier.verify_artifact`, each reading and parsing the bundle): the cost inside a
  long-running gate. Per call, over alternating batches.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sigstore.models import Bundle, ClientTrustConfig, TrustedRoot
from sigstore.verify import Verifier, policy

import provenance
from benchmarks.harness import Context, Row, Stat, alternate, ratio_text, run_process, tool

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
        return [tool("provenance"), "verify", *command]

    def sigstore_command(self, trust_config: Path | None) -> list[str]:
        command = [tool("sigstore")]
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
            "sample delivery (private trust root)",
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


BATCHES = 7


def time_calls(
    ours: Callable[[], None], theirs: Callable[[], None], calls: int
) -> tuple[list[float], list[float]]:
    """Per-call times of each, one per batch, over BATCHES alternating batches."""
    ours()  # warm caches and imports
    theirs()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(BATCHES):
        for index, call in enumerate((ours, theirs)):
            start = time.perf_counter()
            for _ in range(calls):
                call()
            times[index].append((time.perf_counter() - start) / calls)
    return times


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


TARGET = 0.6  # whole process, production bundle, CPU


def benchmark(context: Context) -> list[Row]:
    rows = []
    for case in cases():
        trust_config = (
            client_trust_config(case.trusted_root, context.folder("verify") / "trust.json")
            if case.trusted_root
            else None
        )
        ours_command = case.provenance_command()
        theirs_command = case.sigstore_command(trust_config)
        pairs = alternate(
            partial(run_process, ours_command, context),
            partial(run_process, theirs_command, context),
            context.runs,
        )
        production = case.trusted_root is None
        for measure, (ours, theirs, ratios) in (("CPU", pairs.cpu()), ("wall", pairs.wall())):
            judged = production and measure == "CPU"
            met = statistics.median(ratios) <= TARGET if judged else None
            rows.append(
                Row(
                    f"`verify` / `sigstore verify identity --offline`, {case.name}, whole "
                    f"process, {measure}",
                    ours.seconds(),
                    theirs.seconds(),
                    ratio_text(ratios),
                    f"<= {TARGET}" if judged else "",
                    met,
                )
            )
        ours_calls, theirs_calls = time_calls(*library_calls(case), 100)
        ratios = [a / b for a, b in zip(ours_calls, theirs_calls, strict=True)]
        rows.append(
            Row(
                f"`provenance.verify` / `Verifier.verify_artifact`, {case.name}, library call "
                f"(per call, {BATCHES} alternating batches of 100)",
                Stat.of(ours_calls).seconds(),
                Stat.of(theirs_calls).seconds(),
                ratio_text(ratios),
                "",
                None,
            )
        )
    return rows
