"""`provenance sbom check` through the CLI and the library: verdicts, bad input, exit codes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from provenance.commands.sbom_check import check_sbom
from provenance.errors import EvidenceError, InputError, PolicyError, UsageError
from provenance.evidence.sbom import read_sbom
from tests.conftest import CliRunner

ARTIFACT = b"ACME PLC firmware 4.2.1\n"
DIGEST = hashlib.sha256(ARTIFACT).hexdigest()

POLICY = """\
version: 1
vendors:
  acme-automation:
    signers: [{key: acme.pub}]
    products: ["pkg:generic/acme/plc-firmware"]
segments:
  level3:
    require:
      sbom: {bound: named, minimum_elements: ntia-2021}
      components:
        deny: ["pkg:npm/event-stream@3.3.6", {supplier: "Blocked Corp"}]
      licenses: {deny: [AGPL-3.0-only]}
  signed-only:
    require:
      sbom: {bound: signed}
  no-sbom-rules:
    require:
      rollback: deny
"""


def component(index: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "library",
        "bom-ref": f"c{index}",
        "name": f"lib{index}",
        "version": "1.0.0",
        "supplier": {"name": "Good Corp"},
        "purl": f"pkg:npm/lib{index}@1.0.0",
        "licenses": [{"license": {"id": "MIT"}}],
        **extra,
    }


def bom(components: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    parts = components if components is not None else [component(1), component(2)]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "timestamp": "2026-03-01T10:00:00Z",
            "authors": [{"name": "ACME build"}],
            "component": {
                "type": "firmware",
                "name": "plc-firmware",
                "version": "4.2.1",
                "hashes": [{"alg": "SHA-256", "content": DIGEST}],
            },
        },
        "components": parts,
        "dependencies": [{"ref": p["bom-ref"], "dependsOn": []} for p in parts if "bom-ref" in p],
        **extra,
    }


@pytest.fixture
def site(tmp_path: Path) -> Path:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()
    (tmp_path / "acme.pub").write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "plc.bin").write_bytes(ARTIFACT)
    return tmp_path


def write(site: Path, document: dict[str, Any] | bytes | str, name: str = "sbom.json") -> Path:
    path = site / name
    if isinstance(document, dict):
        document = json.dumps(document)
    path.write_bytes(document.encode() if isinstance(document, str) else document)
    return path


def run(cli: CliRunner, site: Path, sbom: Path, *extra: str, segment: str = "level3") -> Any:
    return cli(
        "sbom", "check", sbom, "--policy", site / "policy.yaml", "--segment", segment,
        "--artifact", site / "plc.bin", *extra,
    )  # fmt: skip


def test_pass_text_and_json(cli: CliRunner, site: Path) -> None:
    sbom = write(site, bom())
    result = run(cli, site, sbom)
    assert result.code == 0, result.stderr
    assert result.stderr.strip() == f"OK: {sbom}: meets the SBOM requirements of level3"
    assert "binding: named (metadata.component hashes hold sha256:" in result.stdout
    assert "ok   components 2 components, none denied" in result.stdout
    result = run(cli, site, sbom, "--format", "json")
    assert result.code == 0
    report = json.loads(result.stdout)
    schema_path = Path(__file__).parents[1] / "provenance/report/schemas/sbom-check.v1.schema.json"
    jsonschema.validate(report, json.loads(schema_path.read_text()))
    assert report["decision"] == "pass"
    assert report["binding"] == "named"
    assert report["document"]["format"] == "CycloneDX"
    coverage = report["findings"][0]["evidence"]["coverage"]
    assert coverage == {
        "supplier": 100.0, "name": 100.0, "version": 100.0, "identifiers": 100.0,
        "dependencies": 100.0, "author": 100.0, "timestamp": 100.0,
    }  # fmt: skip


def test_denied_component_and_licence(cli: CliRunner, site: Path) -> None:
    parts = [
        component(1, purl="pkg:npm/event-stream@3.3.6"),
        component(2, licenses=[{"expression": "MIT AND AGPL-3.0-only"}]),
    ]
    result = run(cli, site, write(site, bom(parts)))
    assert result.code == 1
    assert "components: expected no denied component, got 1: pkg:npm/event-stream@3.3.6 " in (
        result.stderr
    )
    assert "licenses: expected licences the policy allows, got 1 denied" in result.stderr
    assert "MIT AND AGPL-3.0-only" in result.stderr


def test_sbom_for_another_artifact(cli: CliRunner, site: Path) -> None:
    other = bom()
    other["metadata"]["component"]["hashes"][0]["content"] = "ab" * 32
    result = run(cli, site, write(site, other))
    assert result.code == 1
    assert (
        "sbom: expected an SBOM naming the artifact's digest, got binding none (the SBOM "
        f"describes sha256:{'ab' * 32}, not the artifact sha256:{DIGEST})"
    ) in result.stderr


def test_signed_binding_cannot_come_from_a_file(cli: CliRunner, site: Path) -> None:
    result = run(cli, site, write(site, bom()), segment="signed-only")
    assert result.code == 1
    assert "expected a signed SBOM attestation or signed SBOM file about the artifact, got " in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b'{"bomFormat": "CycloneDX", "bomFormat": "CycloneDX"}', 'duplicate key "bomFormat"'),
        (b'{"a": ' * 5000, "nested too deeply"),
        ({**bom(), "specVersion": "9.9"}, "expected CycloneDX specVersion one of 1.2, 1.3"),
        (b"not an sbom", "expected a CycloneDX (JSON or XML) or SPDX JSON document"),
        ({"bomFormat": "SPDX"}, "expected bomFormat 'CycloneDX', got 'SPDX'"),
        (
            bom([component(1, licenses=[{"expression": "MIT AND ("}])]),
            "licenses: expected licences the policy allows, got 1 invalid",
        ),
        (
            {
                **bom(),
                "dependencies": [
                    {"ref": "c1", "dependsOn": ["c2"]},
                    {"ref": "c2", "dependsOn": ["c1"]},
                ],
            },
            None,  # cycles are data, not an error: the check passes
        ),
        (
            bom([component(1), component(1, name="other")], dependencies=[]),
            "expected unique bom-refs, got 'c1' twice",
        ),
    ],
)
def test_bad_json_input(cli: CliRunner, site: Path, document: Any, reason: str | None) -> None:
    result = run(cli, site, write(site, document))
    if reason is None:
        assert result.code == 0, result.stderr
        return
    assert result.code == 1, result.stderr
    assert result.stderr.startswith("FAIL: ")
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _nested(depth: int) -> dict[str, Any]:
    inner: dict[str, Any] = {"type": "library", "name": "leaf"}
    for level in range(depth):
        inner = {"type": "library", "name": f"level{level}", "components": [inner]}
    return inner


def test_deeply_nested_components(cli: CliRunner, site: Path) -> None:
    result = run(cli, site, write(site, bom([_nested(40)])))
    assert result.code == 1
    assert "expected components nested at most 32 levels deep, got deeper nesting" in result.stderr
    result = run(cli, site, write(site, bom([_nested(150)])))
    assert result.code == 1
    assert "nested too deeply" in result.stderr


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components><component
 type="library"><name>&lol3;</name></component></components></bom>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE bom [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components><component
 type="library"><name>&xxe;</name></component></components></bom>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE])
def test_entity_attacks_refused(cli: CliRunner, site: Path, document: bytes) -> None:
    result = run(cli, site, write(site, document, "sbom.xml"))
    assert result.code == 1
    assert "expected XML without a DOCTYPE, got a document type declaration" in result.stderr
    assert "root:" not in result.stdout + result.stderr


def test_xml_sbom_passes(cli: CliRunner, site: Path) -> None:
    xml = f"""<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
  <metadata><timestamp>2026-03-01T10:00:00Z</timestamp>
    <authors><author><name>ACME build</name></author></authors>
    <component type="firmware"><name>plc</name><version>4.2.1</version>
      <hashes><hash alg="SHA-256">{DIGEST}</hash></hashes></component></metadata>
  <components><component type="library" bom-ref="c1"><supplier><name>Good</name></supplier>
    <name>lib</name><version>1.0</version><licenses><license><id>MIT</id></license></licenses>
    <purl>pkg:npm/lib@1.0</purl></component></components>
  <dependencies><dependency ref="c1"/></dependencies>
</bom>"""
    result = run(cli, site, write(site, xml, "sbom.xml"))
    assert result.code == 0, result.stderr
    assert "sbom: CycloneDX 1.6 (xml), 1 components" in result.stdout


def test_size_limit_before_reading(site: Path) -> None:
    huge = site / "huge.json"
    with huge.open("wb") as handle:  # sparse: 1 GiB of size, no data written
        handle.truncate(1024**3)
    with pytest.raises(
        EvidenceError, match=r"expected an SBOM of at most 268435456 bytes, got a larger file"
    ):
        read_sbom(huge)
    result = check_sbom(huge, policy=site / "policy.yaml", segment="level3")
    assert not result.passed
    assert "got a larger file" in result.reason


def test_size_limit_through_cli(cli: CliRunner, site: Path) -> None:
    huge = site / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(1024**3)
    result = run(cli, site, huge)
    assert result.code == 1
    assert "expected an SBOM of at most 268435456 bytes, got a larger file" in result.stderr


def test_unusable_inputs_exit_2(cli: CliRunner, site: Path) -> None:
    sbom = write(site, bom())
    missing = run(cli, site, site / "absent.json")
    assert missing.code == 2
    assert "cannot read an SBOM" in missing.stderr
    no_rules = run(cli, site, sbom, segment="no-sbom-rules")
    assert no_rules.code == 2
    assert (
        "segment 'no-sbom-rules' has no sbom, components, licenses requirement" in no_rules.stderr
    )
    unknown = run(cli, site, sbom, segment="nowhere")
    assert unknown.code == 2
    assert "unknown segment 'nowhere'" in unknown.stderr


def test_library_errors(site: Path) -> None:
    with pytest.raises(InputError, match="cannot read an SBOM"):
        check_sbom(site / "absent.json", policy=site / "policy.yaml", segment="level3")
    with pytest.raises(UsageError, match="nothing to check"):
        check_sbom(write(site, bom()), policy=site / "policy.yaml", segment="no-sbom-rules")


@pytest.mark.parametrize(
    ("requirement", "problem"),
    [
        ("licenses: {deny: [MIT OR Apache-2.0]}", "expected one licence identifier"),
        ("licenses: {deny: ['MIT AND (']}", "expected an SPDX licence identifier, got 'MIT AND ('"),
        (
            "components: {deny: [{purl: 'pkg:npm/x', versions: '>=1'}]}",
            "expected a vers: range for npm",
        ),
        (
            "components: {deny: [{purl: 'pkg:npm/x', versions: 'vers:npm/<<1'}]}",
            "Unknown comparator",
        ),
        (
            "components: {deny: [{purl: 'pkg:pypi/x', versions: '=>1'}]}",
            "expected a PEP 440 specifier",
        ),
        ("sbom: {min_coverage: 50}", "expected minimum_elements beside min_coverage"),
        ("sbom: {bound: maybe}", "bound"),
        ("licenses: {}", "omit licenses"),
    ],
)
def test_policy_errors(site: Path, requirement: str, problem: str) -> None:
    policy = site / "bad.yaml"
    policy.write_text(
        POLICY.split("segments:", maxsplit=1)[0]
        + f"segments:\n  s:\n    require:\n      {requirement}\n"
    )
    with pytest.raises(PolicyError, match=r"bad\.yaml:") as raised:
        check_sbom(write(site, bom()), policy=policy, segment="s")
    assert problem in str(raised.value)
