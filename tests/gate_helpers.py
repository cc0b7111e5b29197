"""The gate's test site: a copy of the fixture delivery, a state directory with a site key."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from fixtures.generate import ISSUER, SEED, SIGNED_AT, VENDOR_WORKFLOW, slsa_statement
from provenance.signing.keys import generate_key
from provenance.testing import PrivateSigstoreInstance, bundle_json

REPO = Path(__file__).parents[1]
DELIVERY = REPO / "fixtures/acme-delivery"
L1, L3 = "level1-controllers", "level3-operations"


@dataclass(frozen=True)
class Site:
    delivery: Path  # a copy of the fixture delivery
    state: Path
    policy: Path

    def admit_args(self, artifact: str, segment: str, *extra: str) -> list[str | Path]:
        return ["admit", self.delivery / artifact, "--policy", self.policy, "--segment", segment,
                "--state-dir", self.state, *extra]  # fmt: skip


def make_site(tmp_path: Path) -> Site:
    delivery = tmp_path / "delivery"
    shutil.copytree(DELIVERY, delivery)
    state = tmp_path / "state"
    state.mkdir()
    generate_key(state / "site.key", "ed25519")
    return Site(delivery=delivery, state=state, policy=delivery / "policy.yaml")


def sign_release(site: Site, version: str) -> Path:
    """A further release signed by the fixtures' own test instance (same seed: same root)."""
    instance = PrivateSigstoreInstance.create(SEED, origin="log.fixtures.invalid")
    artifact = site.delivery / f"plc-firmware-{version}.bin"
    artifact.write_bytes(f"ACME-PLC-FW v{version}".encode())
    bundle = instance.sign_artifact(
        artifact.read_bytes(),
        identity=f"{VENDOR_WORKFLOW}@refs/tags/v{version}",
        issuer=ISSUER,
        signed_at=SIGNED_AT,
    )
    artifact.with_name(artifact.name + ".sigstore.json").write_text(bundle_json(bundle))
    provenance = instance.sign_dsse(
        slsa_statement(artifact.name, artifact.read_bytes(), f"v{version}"),
        identity=f"{VENDOR_WORKFLOW}@refs/tags/v{version}",
        issuer=ISSUER,
        signed_at=SIGNED_AT,
    )
    artifact.with_name(artifact.name + ".provenance.sigstore.json").write_text(
        bundle_json(provenance)
    )
    return artifact
