"""Adversarial: which product a file is, when the vendor's signed evidence names it as
something the site does not recognise (DESIGN.md rule 1; README "Which product, which
version": "Sources that disagree (a renamed file whose signed name is another product's)
leave it not identified").

Each test is an attack with genuinely signed vendor material that the gate allows today.
They assert what the gate must do (deny), so they fail until it does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from provenance.testing import PrivateSigstoreInstance
from tests.adversarial_support import binding_site
from tests.conftest import CliRunner
from tests.test_binding import (
    INSTALLER,
    POLICY,
    WORKFLOW,
    Site,
    failed,
    sbom,
    statement,
)


@pytest.fixture
def site(tmp_path: Path, instance: PrivateSigstoreInstance) -> Site:
    return binding_site(tmp_path, instance)


HMI_LINES = (
    "      hmi-setup:\n"
    '        purl: "pkg:generic/acme/hmi-setup"\n'
    '        source: "https://github.com/acme/hmi-setup"\n'
    '        files: ["hmi-setup-*.exe"]\n'
)
# The site only runs ACME's PLC firmware: it declares that one product and its range.
FIRMWARE_ONLY = POLICY.replace(HMI_LINES, "").replace(', hmi-setup: ">=2.0,<3"', "")


def test_a_signed_name_of_a_product_the_site_does_not_declare_is_not_ignored(
    cli: CliRunner, site: Site
) -> None:
    # ACME's HMI installer 4.3.0 with ACME's genuine SBOM attestation, signed by ACME's release
    # workflow at v4.3.0, whose only subject is named "hmi-setup-4.3.0.exe". The attacker
    # renames the installer (and the attestation) as firmware.
    assert HMI_LINES in POLICY
    site.write("policy.yaml", FIRMWARE_ONLY)
    about = statement(
        [("hmi-setup-4.3.0.exe", INSTALLER)],
        "https://cyclonedx.org/bom",
        sbom("4.3.0", INSTALLER, "hmi-setup"),
    )
    site.write("plc-firmware-4.3.0.bin", INSTALLER)
    site.write("plc-firmware-4.3.0.bin.sbom.sigstore.json", site.attested(about, "v4.3.0"))
    code, stderr, report = site.verify(cli, "plc-firmware-4.3.0.bin")
    # Today: exit 0, product plc-firmware ("its file name"), version 4.3.0 (signed-identity):
    # the signed name hmi-setup-4.3.0.exe and the SBOM's purl pkg:generic/acme/hmi-setup name
    # no declared product, so they count as silence and the file name alone decides.
    assert code == 1, stderr
    assert report["product"] is None
    assert "version" in failed(report)


def test_an_sbom_naming_another_product_by_name_only_is_not_ignored(
    cli: CliRunner, site: Site
) -> None:
    # The vendor's SBOM attestation for the HMI installer: its subject carries a build path
    # that matches no `files` glob, and its described component names "hmi-setup" (no purl).
    document = sbom("4.3.0", INSTALLER, "hmi-setup")
    del document["metadata"]["component"]["purl"]
    about = statement(
        [("dist/HMI_Setup_x64.exe", INSTALLER)], "https://cyclonedx.org/bom", document
    )
    site.write("plc-firmware-4.3.0.bin", INSTALLER)
    site.write("plc-firmware-4.3.0.bin.sbom.sigstore.json", site.attested(about, "v4.3.0"))
    code, stderr, report = site.verify(cli, "plc-firmware-4.3.0.bin")
    # Today: exit 0, the HMI installer is admitted as plc-firmware 4.3.0 (its file name).
    assert code == 1, stderr
    assert report["product"] is None


def test_a_tag_from_another_products_release_workflow_is_not_this_products_version(
    cli: CliRunner, site: Site
) -> None:
    # ACME signs each product from its own repository's release workflow; the site pins them
    # all with one glob. The HMI installer 4.3.0 is signed (hashedrekord: no name at all) by
    # the hmi-setup repository's workflow at v4.3.0. As itself it is denied (HMI >=2.0,<3);
    # renamed as firmware it is the firmware 4.3.0 and allowed into the controllers segment.
    hmi_workflow = "https://github.com/acme/hmi-setup/.github/workflows/release.yml"
    site.write(
        "policy.yaml",
        POLICY.replace(
            f"{WORKFLOW}@refs/tags/v*",
            "https://github.com/acme/*/.github/workflows/release.yml@refs/tags/v*",
        ),
    )
    bundle = site.keyless(INSTALLER, "v4.3.0", workflow=hmi_workflow)
    site.write("hmi-setup-4.3.0.exe", INSTALLER)
    site.write("hmi-setup-4.3.0.exe.sigstore.json", bundle)
    code, _, report = site.verify(cli, "hmi-setup-4.3.0.exe")
    assert code == 1
    assert failed(report)["version"] == (
        "expected a version matching >=2.0,<3, got 4.3.0 (signed-identity)"
    )
    site.write("plc-firmware-4.3.0.bin", INSTALLER)
    site.write("plc-firmware-4.3.0.bin.sigstore.json", bundle)
    code, stderr, report = site.verify(cli, "plc-firmware-4.3.0.bin")
    # Today: exit 0, product pkg:generic/acme/plc-firmware (its file name), version 4.3.0
    # (signed-identity, from the hmi-setup repository's tag).
    assert code == 1, stderr
    assert report["product"] != "pkg:generic/acme/plc-firmware" or report["version"] is None
