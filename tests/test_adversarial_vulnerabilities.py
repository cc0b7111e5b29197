"""Adversarial: which SBOM the vulnerability gate looks up, and VEX documents that crash it.

Each test is an attack that the gate allows (or crashes on) today; they assert what the gate
must do, so they fail until it does. Real OSV, KEV and CSAF data from ../shared/vulndata (the
tests skip without it); the fixture HMI installer ships asyncua 0.9.95 (three high PYSEC
records) and ACME's signed OpenVEX attestation that sets them aside.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from fixtures.generate import FIRMWARE, INSTALLER, ISSUER, SEED, SIGNED_AT, VENDOR_WORKFLOW
from provenance.testing import PrivateSigstoreInstance, bundle_json
from tests.adversarial_support import binding_site, fixture_delivery, vulnerability_state
from tests.conftest import CliRunner
from tests.test_binding import NEW, Site
from tests.test_vulnerabilities_gate import decide, rule


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return vulnerability_state(tmp_path_factory.mktemp("state"))


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    return fixture_delivery(tmp_path)


@pytest.fixture
def site(tmp_path: Path, instance: PrivateSigstoreInstance) -> Site:
    return binding_site(tmp_path, instance)


def test_an_unsigned_sbom_that_names_nothing_does_not_pass_the_vulnerability_gate(
    cli: CliRunner, delivery: Path, state: Path
) -> None:
    # A segment that looks components up (and accepts only signed VEX, the default) but has
    # no `sbom` rule of its own. The attacker drops the vendor's SBOM attestation and VEX and
    # ships an SBOM of their own: no components, not even naming the installer's digest.
    (delivery / f"{INSTALLER}.openvex.sigstore.json").unlink()
    (delivery / f"{INSTALLER}.sbom.sigstore.json").unlink()
    (delivery / f"{INSTALLER}.cdx.json").write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1})
    )
    policy = delivery / "policy.yaml"
    text = policy.read_text()
    start = text.index("  engineering-workstations:")
    policy.write_text(
        text[:start]
        + "  engineering-workstations:\n    require:\n      signed_by: [acme-automation]\n"
        + "      vulnerabilities: {max_severity: medium}\n"
    )
    code, report = decide(cli, delivery, state)
    # Today: exit 0, "0 components looked up, none above medium". An unsigned VEX could not
    # have set one finding aside (vex: signed), but an unsigned, unbound SBOM removes them all.
    assert code == 1, rule(report)["reason"]
    assert not rule(report)["passed"]


def test_an_sbom_describing_another_file_does_not_replace_the_artifacts_own(
    cli: CliRunner, delivery: Path, state: Path
) -> None:
    # ACME signed one release-wide SBOM attestation whose subjects are the firmware and the
    # installer, and whose described component is the firmware (no asyncua in it). Shipped
    # beside the installer under a name that sorts before the installer's own SBOM
    # attestation, it is the SBOM the gate reads; the installer's VEX is left out.
    (delivery / f"{INSTALLER}.openvex.sigstore.json").unlink()
    firmware, installer = (delivery / FIRMWARE).read_bytes(), (delivery / INSTALLER).read_bytes()
    sbom: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "timestamp": "2026-06-01T08:00:00Z",
            "authors": [{"name": "ACME Automation"}],
            "component": {
                "type": "firmware",
                "name": "plc-firmware",
                "version": "4.2.1",
                "purl": "pkg:generic/acme-automation/plc-firmware@4.2.1",
                "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(firmware).hexdigest()}],
            },
        },
        "components": [],
    }
    release = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {"name": FIRMWARE, "digest": {"sha256": hashlib.sha256(firmware).hexdigest()}},
            {"name": INSTALLER, "digest": {"sha256": hashlib.sha256(installer).hexdigest()}},
        ],
        "predicateType": "https://cyclonedx.org/bom",
        "predicate": sbom,
    }
    instance = PrivateSigstoreInstance.create(SEED, origin="log.fixtures.invalid")
    bundle = instance.sign_dsse(
        release, identity=f"{VENDOR_WORKFLOW}@refs/tags/v4.2.1", issuer=ISSUER, signed_at=SIGNED_AT
    )
    (delivery / f"{INSTALLER}.a-release-sbom.sigstore.json").write_text(bundle_json(bundle))
    code, report = decide(cli, delivery, state)
    # Today: exit 0. sbom: "CycloneDX 1.6 (json), 0 components, bound: signed-attestation";
    # vulnerabilities: "0 components looked up": the installer's own signed SBOM (asyncua
    # 0.9.95, three high findings) is passed over for one that describes the firmware.
    assert code == 1, report["reason"]
    assert "asyncua" in rule(report)["reason"]


def test_a_malformed_openvex_document_is_malformed_evidence_not_a_crash(
    cli: CliRunner, site: Site
) -> None:
    # Anybody can put a VEX file beside an artifact; this one's aliases are a number.
    site.write("plc-firmware-4.2.1.bin", NEW)
    site.write("plc-firmware-4.2.1.bin.sigstore.json", site.keyless(NEW, "v4.2.1"))
    vex = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "statements": [
            {
                "vulnerability": {"name": "CVE-2026-0001", "aliases": 5},
                "products": ["pkg:generic/acme/plc-firmware"],
                "status": "fixed",
            }
        ],
    }
    site.write("plc-firmware-4.2.1.bin.vex.json", vex)
    # Today: TypeError: 'int' object is not iterable (provenance/evidence/sbom/vex.py,
    # _openvex_statement), a traceback out of `provenance verify` (and `vet`, `admit`).
    code, stderr, _ = site.verify(cli, "plc-firmware-4.2.1.bin")
    assert "Traceback" not in stderr
    assert code in (0, 1), stderr
