"""Adversarial: evidence strength. `signed-identity` is "a signature over the artifact
itself"; a vendor statement listing several files says which files the vendor shipped, like a
signed checksum list (README, "Claims come from evidence about this file").

The test is an attack with genuinely signed vendor material that the gate allows today; it
asserts the denial, so it fails until the gate refuses it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from provenance.testing import PrivateSigstoreInstance
from tests.adversarial_support import binding_site
from tests.conftest import CliRunner
from tests.test_binding import NEW, OLD, POLICY, Site, failed, statement

# Level 1 style: "being listed in a signed SHA256SUMS is not enough".
STRICT = (
    "  strict:\n    require:\n      signed_by: [acme]\n      evidence: {minimum: signed-identity}\n"
)


@pytest.fixture
def site(tmp_path: Path, instance: PrivateSigstoreInstance) -> Site:
    return binding_site(tmp_path, instance, POLICY + STRICT)


def test_a_statement_listing_several_files_is_no_stronger_than_a_checksum_list(
    cli: CliRunner, site: Site
) -> None:
    site.write("plc-firmware-3.9.0.bin", OLD)
    # The vendor's v4.2.1 release signed a SHA256SUMS that also lists the old image: not
    # enough for this segment.
    listing = (
        f"{hashlib.sha256(NEW).hexdigest()}  plc-firmware-4.2.1.bin\n"
        f"{hashlib.sha256(OLD).hexdigest()}  plc-firmware-3.9.0.bin\n"
    )
    site.write("SHA256SUMS", listing)
    site.write("SHA256SUMS.sigstore.json", site.keyless(listing.encode(), "v4.2.1"))
    code, _, report = site.verify(cli, "plc-firmware-3.9.0.bin", segment="strict")
    assert code == 1
    assert failed(report)["evidence"] == (
        "expected signed-identity or stronger, got signed-checksum-list"
    )
    # The same release's manifest as an in-toto statement (not build provenance) with the
    # same two subjects, signed by the same workflow.
    (site.folder / "SHA256SUMS").unlink()
    (site.folder / "SHA256SUMS.sigstore.json").unlink()
    manifest = statement(
        [("plc-firmware-4.2.1.bin", NEW), ("plc-firmware-3.9.0.bin", OLD)],
        "https://example.com/release-manifest/v1",
        {"release": "4.2.1"},
    )
    site.write("plc-firmware-3.9.0.bin.manifest.sigstore.json", site.attested(manifest, "v4.2.1"))
    code, stderr, report = site.verify(cli, "plc-firmware-3.9.0.bin", segment="strict")
    # Today: exit 0, evidence_strength "signed-identity": any DSSE signature counts as a
    # signature over the artifact itself, however many other files its statement lists.
    assert code == 1, stderr
    assert report["evidence_strength"] == "signed-checksum-list"
