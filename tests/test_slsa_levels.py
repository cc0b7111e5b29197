"""SLSA build levels come from how the provenance was signed, not from what it claims:
Sigstore-signed provenance from the private test instance, through `verify --segment`."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from provenance.errors import EvidenceError
from provenance.evidence.in_toto import parse_statement
from provenance.evidence.slsa import BuildProvenance, parse_predicate
from provenance.testing import PrivateSigstoreInstance
from tests.conftest import CORPORA, CliRunner, corpus
from tests.test_attestations import provenance_v1

SIGNED_AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
GITHUB = "https://token.actions.githubusercontent.com"
GENERATOR = (
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
    "generator_generic_slsa3.yml@refs/tags/v2.1.0"
)
VENDOR_WORKFLOW = "https://github.com/acme/fw/.github/workflows/release.yml@refs/tags/v4.2.1"


def decide(
    cli: CliRunner,
    tmp_path: Path,
    instance: PrivateSigstoreInstance,
    *,
    identity: str,
    issuer: str,
    builder: str,
    requirement: str,
) -> dict[str, Any]:
    artifact = tmp_path / "fw.bin"
    artifact.write_bytes(b"firmware")
    statement = provenance_v1(hashlib.sha256(b"firmware").hexdigest())
    statement["predicate"]["runDetails"]["builder"]["id"] = builder
    bundle = instance.sign_dsse(statement, identity=identity, issuer=issuer, signed_at=SIGNED_AT)
    (tmp_path / "fw.bin.provenance.sigstore.json").write_text(json.dumps(bundle))
    instance.write_trusted_root(tmp_path / "trusted_root.json")
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\ntrust: {sigstore: [trusted_root.json]}\nvendors:\n  acme:\n    signers:\n"
        f'      - sigstore: {{identity: "{identity}", issuer: "{issuer}"}}\n'
        '    products: ["pkg:generic/acme/fw"]\n'
        f"segments:\n  ops:\n    require:\n      provenance: {requirement}\n"
    )
    result = cli(
        "verify", artifact, "--policy", policy, "--segment", "ops", "--format", "json"
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    found: dict[str, Any] = next(
        f for f in json.loads(result.stdout)["findings"] if f["rule"] == "provenance"
    )
    return found


GENERATORS = GENERATOR.split("@", maxsplit=1)[0] + "@refs/tags/v*"
ISOLATED = f'{{slsa_build_level: 3, isolated_builders: ["{GENERATORS}"]}}'


def test_hosted_ci_identity_is_level_2(
    cli: CliRunner, tmp_path: Path, instance: PrivateSigstoreInstance
) -> None:
    found = decide(
        cli, tmp_path, instance, identity=VENDOR_WORKFLOW, issuer=GITHUB,
        builder=VENDOR_WORKFLOW, requirement=ISOLATED,
    )  # fmt: skip
    assert found["passed"] is False
    assert found["reason"] == (
        "slsa_build_level: expected 3, got 2 (the signer is not one of the policy's isolated "
        "builders, or is not the builder.id)"
    )


def test_isolated_builder_signing_its_own_provenance_is_level_3(
    cli: CliRunner, tmp_path: Path, instance: PrivateSigstoreInstance
) -> None:
    found = decide(
        cli, tmp_path, instance, identity=GENERATOR, issuer=GITHUB, builder=GENERATOR,
        requirement=ISOLATED,
    )  # fmt: skip
    assert found["passed"] is True
    assert found["evidence"]["slsa_build_level"] == 3


def test_isolated_builder_claiming_another_builder_id_is_not_level_3(
    cli: CliRunner, tmp_path: Path, instance: PrivateSigstoreInstance
) -> None:
    found = decide(
        cli, tmp_path, instance, identity=GENERATOR, issuer=GITHUB, builder=VENDOR_WORKFLOW,
        requirement=ISOLATED,
    )  # fmt: skip
    assert found["passed"] is False
    assert "slsa_build_level: expected 3, got 2" in found["reason"]


def test_a_person_signing_with_an_email_identity_is_level_1(
    cli: CliRunner, tmp_path: Path, instance: PrivateSigstoreInstance
) -> None:
    found = decide(
        cli, tmp_path, instance, identity="release@acme.example",
        issuer="https://accounts.google.com", builder=VENDOR_WORKFLOW,
        requirement="{slsa_build_level: 2}",
    )  # fmt: skip
    assert found["reason"] == (
        "slsa_build_level: expected 2, got 1 (signing identity issued by "
        "https://accounts.google.com, not a hosted CI platform)"
    )


# -- the in-toto attestation spec's own examples --------------------------------------------


def _statement_examples() -> list[str]:
    """Names of the spec's statement examples (empty, and the test skips, without the corpus)."""
    expected = CORPORA / "in-toto-attestation" / "expected.json"
    if not expected.is_file():
        return []
    cases = json.loads(expected.read_text())
    return sorted(n for n, c in cases.items() if c.get("kind") == "statement" and "file" in c)


def _example(name: str) -> tuple[bytes, bool]:
    folder = corpus("in-toto-attestation")
    case = json.loads((folder / "expected.json").read_text())[name]
    return (folder / case["file"]).read_bytes(), case["statement_v1_structural_check"] == "ok"


def _parse(data: bytes) -> None:
    statement = parse_statement(data)
    parse_predicate(statement.predicate_type, statement.predicate)


@pytest.mark.parametrize("name", _statement_examples() or ["(corpus absent)"])
def test_spec_examples_parse_exactly_when_they_are_well_formed(name: str) -> None:
    data, well_formed = _example(name)
    if well_formed:
        _parse(data)
    else:
        with pytest.raises(EvidenceError, match="lowercase hex digits"):
            _parse(data)


@pytest.mark.parametrize("version", ["v0.2", "v1"])
def test_slsa_provenance_versions_are_read(version: str) -> None:
    predicate: dict[str, Any]
    if version == "v1":
        predicate = provenance_v1("0" * 64)["predicate"]
    else:
        predicate = {"builder": {"id": "https://b.example"}, "buildType": "https://t.example"}
    claims = parse_predicate(f"https://slsa.dev/provenance/{version}", predicate)
    assert isinstance(claims, BuildProvenance)
    assert claims.predicate_version == version
