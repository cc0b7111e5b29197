"""Adversarial: `freshness` must say how old the release is, and a fresh vendor statement
*about* an old release (a VEX saying it is affected) must not make the release look current
(freshness.py: "a checksum list signed today that lists an old image ... does not make an old
release look current").

The test is an attack with genuinely signed vendor material that the gate allows today; it
asserts the denial, so it fails until the gate refuses it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from provenance.testing import PrivateSigstoreInstance
from tests.adversarial_support import binding_site
from tests.conftest import ISSUER, CliRunner
from tests.test_binding import (
    OLD,
    POLICY,
    WORKFLOW,
    Site,
    failed,
    statement,
)


@pytest.fixture
def site(tmp_path: Path, instance: PrivateSigstoreInstance) -> Site:
    return binding_site(tmp_path, instance)


PSIRT = "https://github.com/acme/psirt/.github/workflows/vex.yml@refs/heads/main"
OPENVEX = "https://openvex.dev/ns/v0.2.0"


def policy() -> str:
    """The vendor also signs VEX from its PSIRT workflow; controllers take any firmware 3 or
    newer, as long as it was released within the last year."""
    text = POLICY.replace(
        "      - key: keys/acme-release.pub\n",
        "      - key: keys/acme-release.pub\n"
        f'      - sigstore: {{identity: "{PSIRT}", issuer: "{ISSUER}"}}\n',
    )
    text = text.replace('freshness: {not_before: "2026-01-01"}', "freshness: {max_age_days: 365}")
    return text.replace('plc-firmware: ">=4.0,<5"', 'plc-firmware: ">=3"')


def test_a_fresh_vex_about_an_old_release_does_not_make_it_fresh(
    cli: CliRunner, site: Site
) -> None:
    site.write("policy.yaml", policy())
    site.write("plc-firmware-3.9.0.bin", OLD)
    now = datetime.now(UTC)  # the CLI reads the real clock
    released = now - timedelta(days=900)
    site.write(
        "plc-firmware-3.9.0.bin.sigstore.json",
        site.instance.sign_artifact(
            OLD, identity=f"{WORKFLOW}@refs/tags/v3.9.0", issuer=ISSUER, signed_at=released
        ),
    )
    code, _, report = site.verify(cli, "plc-firmware-3.9.0.bin")
    assert code == 1
    assert set(failed(report)) == {"freshness"}
    assert failed(report)["freshness"].startswith("expected a signature at most 365 days old")
    # The vendor's PSIRT later publishes a VEX attestation about the old image: it is
    # *affected* by a new CVE, upgrade. The attacker ships it beside the old image.
    vex = {
        "@context": OPENVEX,
        "@id": "https://acme.example/vex/plc-firmware-3.9.0",
        "author": "ACME PSIRT",
        "timestamp": "2026-06-01T08:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": "CVE-2026-0001"},
                "products": [{"@id": "pkg:generic/acme/plc-firmware@3.9.0"}],
                "status": "affected",
                "action_statement": "upgrade to 4.2.1",
            }
        ],
    }
    about = statement([("plc-firmware-3.9.0.bin", OLD)], OPENVEX, vex)
    site.write(
        "plc-firmware-3.9.0.bin.openvex.sigstore.json",
        site.instance.sign_dsse(
            about, identity=PSIRT, issuer=ISSUER, signed_at=now - timedelta(days=30)
        ),
    )
    code, stderr, report = site.verify(cli, "plc-firmware-3.9.0.bin")
    # Today: exit 0, "freshness: newest signature ... 30 days old": the VEX attestation's signing
    # time is taken as the release's.
    assert code == 1, stderr
    assert failed(report)["freshness"].startswith("expected a signature at most 365 days old")
