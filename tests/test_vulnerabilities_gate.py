"""The `vulnerabilities` requirement end to end: real OSV, KEV and CISA CSAF data from
../shared/vulndata imported offline, SBOM attestations signed by the fixture vendor, VEX.

The fixture's HMI installer ships asyncua 0.9.95 (three high-severity PYSEC records) and a
signed OpenVEX attestation saying the installer is not affected by any of them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fixtures.generate import (
    INSTALLER,
    ISSUER,
    OPENVEX,
    SEED,
    SIGNED_AT,
    VENDOR_WORKFLOW,
    hmi_openvex,
    statement_about,
)
from provenance.commands.vulndb import vulndb_import
from provenance.testing import PrivateSigstoreInstance, bundle_json
from provenance.vulnerabilities.csaf_matching import ComponentQuery, CsafIndex, component_keys
from provenance.vulnerabilities.csaf_products import parse_csaf
from provenance.vulnerabilities.database import open_database
from tests.conftest import CliRunner, vulndata

DELIVERY = Path(__file__).parents[1] / "fixtures/acme-delivery"
SEGMENT = "engineering-workstations"
ASYNCUA_CVES = ["CVE-2022-25304", "CVE-2023-26150", "CVE-2023-26151"]


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state directory with the PyPI OSV subset, KEV and the CISA ICS advisories."""
    paths = [
        vulndata("osv/pypi-subset"),
        vulndata("kev") / "known_exploited_vulnerabilities.json",
        vulndata("csaf/cisa-ot"),
    ]
    folder = tmp_path_factory.mktemp("state")
    result = vulndb_import(paths, state_dir=folder)
    assert not result.refused, result.refused
    return folder


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    folder = tmp_path / "delivery"
    shutil.copytree(DELIVERY, folder)
    return folder


def sign_statement(predicate_type: str, predicate: Any, data: bytes) -> str:
    instance = PrivateSigstoreInstance.create(SEED, origin="log.fixtures.invalid")
    return bundle_json(
        instance.sign_dsse(
            statement_about(INSTALLER, data, predicate_type, predicate),
            identity=f"{VENDOR_WORKFLOW}@refs/tags/v2.0",
            issuer=ISSUER,
            signed_at=SIGNED_AT,
        )
    )


def with_components(delivery: Path, *components: tuple[str, str] | dict[str, Any]) -> None:
    """Replace the installer's SBOM attestation by one listing these components: (name, purl)
    pairs, or CycloneDX component objects."""
    data = (delivery / INSTALLER).read_bytes()
    sbom: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "component": {
                "type": "application",
                "name": "hmi-setup",
                "version": "2.0",
                "purl": "pkg:generic/acme-automation/hmi-setup@2.0",
                "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()}],
            }
        },
        "components": [
            component
            if isinstance(component, dict)
            else {
                "type": "library",
                "name": component[0],
                "version": component[1].rpartition("@")[2],
                "purl": component[1],
            }
            for component in components
        ],
    }
    (delivery / f"{INSTALLER}.sbom.sigstore.json").write_text(
        sign_statement("https://cyclonedx.org/bom", sbom, data)
    )


def with_policy(delivery: Path, rule: str) -> None:
    """Give the engineering-workstations segment this `vulnerabilities` rule (YAML flow)."""
    policy = delivery / "policy.yaml"
    text = policy.read_text()
    start = text.index("  engineering-workstations:")
    policy.write_text(
        text[:start]
        + "  engineering-workstations:\n    require:\n      signed_by: [acme-automation]\n"
        + f"      sbom: {{bound: signed}}\n      vulnerabilities: {rule}\n"
    )


def decide(cli: CliRunner, delivery: Path, state: Path) -> tuple[int, dict[str, Any]]:
    result = cli(
        "verify", delivery / INSTALLER, "--policy", delivery / "policy.yaml",
        "--segment", SEGMENT, "--state-dir", state, "--format", "json",
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    return result.code, json.loads(result.stdout)


def rule(report: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in report["findings"] if f["rule"] == "vulnerabilities")
    return found


def test_the_signed_vex_sets_the_known_vulnerabilities_aside(
    cli: CliRunner, delivery: Path, state: Path
) -> None:
    code, report = decide(cli, delivery, state)
    assert code == 0, report["reason"]
    finding = rule(report)
    assert finding["reason"] == (
        "2 components looked up, none above medium; 3 set aside by VEX; 1 without an OSV "
        "ecosystem (matched against ICS advisories only)"
    )
    suppressed = finding["evidence"]["suppressed"]
    assert sorted(cve for s in suppressed for cve in s["aliases"] if cve.startswith("CVE")) == (
        ASYNCUA_CVES
    )
    assert all(
        s["by"].startswith("not_affected (vulnerable_code_not_in_execute_path) per ")
        and s["by"].endswith("bound: signed-attestation")
        for s in suppressed
    )


def test_without_the_vex_the_vulnerable_component_denies(
    cli: CliRunner, delivery: Path, state: Path
) -> None:
    (delivery / f"{INSTALLER}.openvex.sigstore.json").unlink()
    code, report = decide(cli, delivery, state)
    assert code == 1
    reason = rule(report)["reason"]
    assert reason.startswith("expected no known vulnerability above medium, got 3: ")
    assert (
        "PYSEC-2023-189 (CVE-2023-26150) [high 7.5] in pkg:pypi/asyncua@0.9.95, fixed in "
        "0.9.96 (above max_severity medium)" in reason
    )
    assert report["reason"].startswith("vulnerabilities: expected no known vulnerability")


def test_an_unsigned_vex_counts_only_when_the_policy_says_any(
    cli: CliRunner, delivery: Path, state: Path
) -> None:
    (delivery / f"{INSTALLER}.openvex.sigstore.json").unlink()
    vex = hmi_openvex("2.0", "0.9.95")
    (delivery / f"{INSTALLER}.vex.json").write_text(json.dumps(vex))
    with_policy(delivery, "{max_severity: medium}")
    code, report = decide(cli, delivery, state)
    assert code == 1
    unused = rule(report)["evidence"]["unused_vex"]
    assert len(unused) == 3
    assert unused[0].endswith("expected VEX bound at least signed-file, got unbound")
    with_policy(delivery, "{max_severity: medium, vex: any}")
    code, report = decide(cli, delivery, state)
    assert code == 0, report["reason"]


def product_vex(product: str, version: str) -> dict[str, Any]:
    """A CycloneDX VEX document for `product`, whose statements name only the component."""
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "component": {
                "type": "application",
                "name": product,
                "version": version,
                "purl": f"pkg:generic/acme-automation/{product}@{version}",
            }
        },
        "vulnerabilities": [
            {
                "id": cve,
                "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
                "affects": [{"ref": "pkg:pypi/asyncua@0.9.95"}],
            }
            for cve in ASYNCUA_CVES
        ],
    }


def with_signed_vex_file(delivery: Path, document: dict[str, Any]) -> None:
    """The vendor's VEX as a file beside the installer, with the vendor's bundle over it."""
    (delivery / f"{INSTALLER}.openvex.sigstore.json").unlink(missing_ok=True)
    data = json.dumps(document).encode()
    (delivery / f"{INSTALLER}.vex.json").write_bytes(data)
    instance = PrivateSigstoreInstance.create(SEED, origin="log.fixtures.invalid")
    bundle = instance.sign_artifact(
        data, identity=f"{VENDOR_WORKFLOW}@refs/tags/v2.0", issuer=ISSUER, signed_at=SIGNED_AT
    )
    (delivery / f"{INSTALLER}.vex.json.sigstore.json").write_text(bundle_json(bundle))


def test_a_vex_written_for_another_product_sets_nothing_aside(
    cli: CliRunner, delivery: Path, state: Path
) -> None:
    # Genuinely signed by the vendor, but about the firmware: renamed beside the installer,
    # its component-only statements say nothing about the installer.
    with_signed_vex_file(delivery, product_vex("plc-firmware", "4.2.1"))
    code, report = decide(cli, delivery, state)
    assert code == 1
    unused = rule(report)["evidence"]["unused_vex"]
    assert sorted(unused) == [
        f"{delivery / INSTALLER}.vex.json vulnerabilities[{index}]: names only components, and "
        "its document is not about this artifact (it names no product of it and is no "
        "attestation about its digest by its vendor)"
        for index in range(3)
    ]
    # The same statements in a document for the installer set the findings aside.
    with_signed_vex_file(delivery, product_vex("hmi-setup", "2.0"))
    code, report = decide(cli, delivery, state)
    assert code == 0, report["reason"]
    assert all(
        s["by"].endswith("bound: signed-file") for s in rule(report)["evidence"]["suppressed"]
    )


def test_an_affected_statement_is_never_outvoted(
    cli: CliRunner, delivery: Path, state: Path
) -> None:
    vex = hmi_openvex("2.0", "0.9.95")
    vex["statements"][1] = {**vex["statements"][1], "status": "affected"}
    del vex["statements"][1]["justification"], vex["statements"][1]["impact_statement"]
    data = (delivery / INSTALLER).read_bytes()
    (delivery / f"{INSTALLER}.openvex.sigstore.json").write_text(sign_statement(OPENVEX, vex, data))
    code, report = decide(cli, delivery, state)
    assert code == 1
    assert "got 1: PYSEC-2023-189 (CVE-2023-26150)" in rule(report)["reason"]


def test_ignore_entries_hold_until_they_expire(cli: CliRunner, delivery: Path, state: Path) -> None:
    (delivery / f"{INSTALLER}.openvex.sigstore.json").unlink()
    entries = ", ".join(
        f'{{id: {cve}, reason: "server code unused, CHG-1", expires: "{expires}"}}'
        for cve, expires in zip(
            ASYNCUA_CVES, ["2999-01-01", "2999-01-01", "2020-01-01"], strict=True
        )
    )
    with_policy(delivery, f"{{ignore: [{entries}]}}")
    code, report = decide(cli, delivery, state)
    assert code == 1
    finding = rule(report)
    assert finding["reason"] == (
        "expected no known vulnerability left unaddressed, got 1: PYSEC-2023-190 "
        "(CVE-2023-26151) [high 7.5] in pkg:pypi/asyncua@0.9.95, fixed in 0.9.96 (above "
        "max_severity none); "
        "ignore entry for CVE-2023-26151 expired on 2020-01-01"
    )
    assert [entry["until"] for entry in finding["evidence"]["ignored"]] == ["2999-01-01"] * 2


def test_known_exploited_denies_whatever_the_severity_bar(
    cli: CliRunner, delivery: Path, state: Path
) -> None:
    with_components(delivery, ("pillow", "pkg:pypi/pillow@9.5.0"))
    with_policy(delivery, "{max_severity: critical, unscored: allow}")
    code, report = decide(cli, delivery, state)
    assert code == 1
    reason = rule(report)["reason"]
    assert (
        "PYSEC-2026-1794 (CVE-2023-4863) [high 8.8, known exploited] in pkg:pypi/pillow@9.5.0"
        in (reason)
    )
    assert "(in CISA's Known Exploited Vulnerabilities catalog)" in reason
    with_policy(delivery, "{max_severity: critical, unscored: allow, known_exploited: allow}")
    code, report = decide(cli, delivery, state)
    assert code == 0, report["reason"]


def test_an_uncomparable_version_is_a_finding(cli: CliRunner, delivery: Path, state: Path) -> None:
    with_components(delivery, ("asyncua", "pkg:pypi/asyncua@not.a.version"))
    with_policy(delivery, "{max_severity: critical, unscored: allow}")
    code, report = decide(cli, delivery, state)
    assert code == 1
    assert "version could not be compared" in rule(report)["reason"]


def test_stale_data_and_a_missing_database_deny(
    cli: CliRunner, delivery: Path, state: Path, tmp_path: Path
) -> None:
    with_policy(delivery, "{max_db_age_days: 1}")
    code, report = decide(cli, delivery, state)
    assert code == 1
    assert rule(report)["reason"].startswith("expected vulnerability data at most 1 days old, got")
    code, report = decide(cli, delivery, tmp_path / "empty-state")
    assert code == 1
    assert "vulndb.sqlite: does not exist" in rule(report)["reason"]


def test_unchecked_components_deny_when_the_policy_says_so(
    cli: CliRunner, delivery: Path, state: Path
) -> None:
    with_policy(delivery, "{unchecked: deny, vex: any}")
    code, report = decide(cli, delivery, state)
    assert code == 1
    assert (
        "expected every component looked up, got 1 that could not be: "
        "pkg:generic/python.org/cpython@3.11.9: purl pkg:generic/python.org/cpython@3.11.9: "
        "not a purl of a type with an OSV ecosystem" in rule(report)["reason"]
    )


def test_vet_with_the_state_directory(cli: CliRunner, state: Path) -> None:
    result = cli(
        "vet", DELIVERY, "--policy", DELIVERY / "policy.yaml", "--segment", SEGMENT,
        "--state-dir", state, "--format", "json",
    )  # fmt: skip
    report = json.loads(result.stdout)
    decisions = {a["artifact"]["name"]: a["decision"] for a in report["artifacts"]}
    assert decisions[INSTALLER] == "allow"


def test_ics_advisories_match_by_vendor_and_product_name(state: Path) -> None:
    # A Siemens device named in the CISA advisories: the keys the database files advisories
    # under find exactly the advisories a full index would match.
    query = ComponentQuery(name="SCALANCE X-200", version="V5.2.5", supplier="Siemens AG")
    with open_database(state, now=datetime(2026, 11, 29, tzinfo=UTC)) as db:
        filed = [parse_csaf(doc, tracking) for tracking, doc in db.csaf_filed_under(
            component_keys(query))]  # fmt: skip
        every = [parse_csaf(doc, "stored") for doc in db.all_csaf()]
    assert "vendor:siemens" in component_keys(query)
    found = CsafIndex(filed).match(query)
    assert found
    assert {f.advisory for f in found} == {f.advisory for f in CsafIndex(every).match(query)}
    assert {f.match for f in found} == {"product-name"}
    assert all(f.verdict in ("possible", "fixed", "not-affected") for f in found)


def test_an_ics_advisory_matches_a_device_by_its_order_number(
    cli: CliRunner, delivery: Path, state: Path
) -> None:
    # The installer bundles firmware for a Siemens ET 200pro CPU, named by its order number
    # (a component property); CISA's advisory lists that order number as known affected
    # below V3.2.16.
    with_components(
        delivery,
        {
            "type": "firmware",
            "name": "ET 200pro CPU firmware",
            "version": "V3.2.10",
            "supplier": {"name": "Siemens AG"},
            "properties": [{"name": "siemens:orderNumber", "value": "6ES7 154-8AB01-0AB0"}],
        },
    )
    with_policy(delivery, "{}")
    code, report = decide(cli, delivery, state)
    assert code == 1
    denied = rule(report)["evidence"]["denied"]
    assert denied
    assert {d["source"] for d in denied} == {"csaf"}
    assert {d["match"] for d in denied} == {"model-number"}
    assert all(d["record"].startswith("ICSA-") for d in denied)
    assert "model number 6ES7 154-8AB01-0AB0" in denied[0]["detail"]


def test_admit_reads_the_database_of_its_state_directory(
    cli: CliRunner, delivery: Path, state: Path, tmp_path: Path
) -> None:
    own = tmp_path / "state"
    shutil.copytree(state, own)
    assert cli("keys", "generate", own / "site.key").code == 0
    admitted = cli(
        "admit", delivery / INSTALLER, "--policy", delivery / "policy.yaml",
        "--segment", SEGMENT, "--state-dir", own,
    )  # fmt: skip
    assert admitted.code == 0, admitted.stderr
    assert "3 set aside by VEX" in admitted.stdout
    (delivery / f"{INSTALLER}.openvex.sigstore.json").unlink()
    denied = cli(
        "admit", delivery / INSTALLER, "--policy", delivery / "policy.yaml",
        "--segment", SEGMENT, "--state-dir", own,
    )  # fmt: skip
    assert denied.code == 1
    assert "vulnerabilities: expected no known vulnerability above medium" in denied.stderr


def test_a_tampered_stored_advisory_denies_with_the_reason(
    cli: CliRunner, delivery: Path, state: Path, tmp_path: Path
) -> None:
    own = tmp_path / "state"
    shutil.copytree(state, own)
    with sqlite3.connect(own / "vulndb.sqlite") as connection:
        connection.execute("UPDATE csaf SET document = '{}'")
    with_components(
        delivery,
        {"type": "firmware", "name": "SCALANCE X-200", "version": "V5.2.5",
         "supplier": {"name": "Siemens AG"}},
    )  # fmt: skip
    code, report = decide(cli, delivery, own)
    assert code == 1
    assert "a stored advisory does not parse" in rule(report)["reason"]
