"""Key-signed in-toto attestations and the `provenance` requirement, through
`provenance verify --segment` (the real CLI) and the library.

Each bad-input case ends in exit 1 with its specific reason in the report, and the verdict
line names the requirement that failed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from provenance.commands.evaluate import evaluate
from provenance.evidence.in_toto import IN_TOTO_PAYLOAD_TYPE
from provenance.testing import derive_ec_key
from provenance.verification.dsse import pae
from provenance.verification.in_toto_keys import key_from_public
from tests.conftest import CliRunner

NOW = "2026-06-10T00:00:00Z"
BUILDER = "https://builds.acme.example/runner/v2"
SOURCE = "https://git.acme.example/plc/firmware"
BUILD_TYPE = "https://builds.acme.example/buildtypes/firmware/v1"

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


def _ed25519(label: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


def _sign(key: PrivateKey, data: bytes, *, pss: bool = False) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = hashes.SHA384() if key.curve.key_size == 384 else hashes.SHA256()
        return key.sign(data, ec.ECDSA(algorithm))
    scheme = (
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
        if pss
        else padding.PKCS1v15()
    )
    return key.sign(data, scheme, hashes.SHA256())


def envelope(
    statement: dict[str, Any] | bytes,
    *keys: PrivateKey,
    payload_type: str = IN_TOTO_PAYLOAD_TYPE,
    pss: bool = False,
) -> dict[str, Any]:
    payload = statement if isinstance(statement, bytes) else json.dumps(statement).encode()
    signed = pae(payload_type, payload)
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [
            {"keyid": "", "sig": base64.b64encode(_sign(key, signed, pss=pss)).decode()}
            for key in keys
        ],
    }


def provenance_v1(subject_sha256: str, *, ref: str = "refs/tags/v4.2.1") -> dict[str, Any]:
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "fw.bin", "digest": {"sha256": subject_sha256}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {"source": f"git+{SOURCE}@{ref}", "target": "release"},
                "resolvedDependencies": [
                    {"uri": f"git+{SOURCE}@{ref}", "digest": {"gitCommit": "a" * 40}}
                ],
            },
            "runDetails": {"builder": {"id": BUILDER}},
        },
    }


def public_pem(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class Delivery:
    """A firmware file, vendor keys and a policy, in a temporary folder."""

    def __init__(self, folder: Path, keys: dict[str, PrivateKey], signer: str) -> None:
        self.folder = folder
        self.artifact = folder / "fw.bin"
        self.artifact.write_bytes(b"ACME firmware 4.2.1 " * 100)
        self.sha256 = hashlib.sha256(self.artifact.read_bytes()).hexdigest()
        (folder / "keys").mkdir()
        for name, key in keys.items():
            (folder / "keys" / f"{name}.pub").write_bytes(public_pem(key))
        self.signer = signer
        self.requirement = (
            f'{{source: "{SOURCE}", ref: "refs/tags/v*", builder_id: "{BUILDER}", '
            'tag_version: ">=4.0,<5", external_parameters: {target: release}}'
        )

    def policy(self, requirement: str | None = None) -> Path:
        path = self.folder / "policy.yaml"
        path.write_text(
            "version: 1\n"
            "vendors:\n"
            "  acme:\n"
            f"    signers: [{self.signer}]\n"
            '    products: ["pkg:generic/acme/fw"]\n'
            "segments:\n"
            "  ops:\n"
            "    require:\n"
            f"      provenance: {requirement or self.requirement}\n"
        )
        return path

    def write(self, name: str, document: dict[str, Any] | str) -> Path:
        path = self.folder / name
        text = document if isinstance(document, str) else json.dumps(document)
        path.write_text(text)
        return path

    def verify(self, cli: CliRunner, *extra: str | Path, requirement: str | None = None) -> Any:
        return cli(
            "verify", self.artifact, "--policy", self.policy(requirement), "--segment", "ops",
            "--format", "json", *extra,
        )  # fmt: skip


@pytest.fixture
def vendor_key() -> ed25519.Ed25519PrivateKey:
    return _ed25519("acme release key")


@pytest.fixture
def delivery(tmp_path: Path, vendor_key: ed25519.Ed25519PrivateKey) -> Delivery:
    return Delivery(tmp_path, {"release": vendor_key}, "key: keys/release.pub")


def report_of(result: Any) -> dict[str, Any]:
    assert "Traceback" not in result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def finding(report: dict[str, Any], rule: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in report["findings"] if f["rule"] == rule)
    return found


def problems(report: dict[str, Any]) -> list[str]:
    return [p["reason"] for p in report["evidence"]["problems"]]


# -- keys and signatures --------------------------------------------------------------------


KEYS: dict[str, Callable[[], PrivateKey]] = {
    "ed25519": lambda: _ed25519("k"),
    "p256": lambda: derive_ec_key("attestation tests", "p256"),
    "p384": lambda: ec.derive_private_key(12345678901234567890, ec.SECP384R1()),
    "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
}


@pytest.mark.parametrize(
    ("kind", "pss"), [*((kind, False) for kind in sorted(KEYS)), ("rsa", True)]
)
def test_key_signed_slsa_provenance_meets_the_requirement(
    cli: CliRunner, tmp_path: Path, kind: str, pss: bool
) -> None:
    key = KEYS[kind]()
    delivery = Delivery(tmp_path, {"release": key}, "key: keys/release.pub")
    delivery.write("fw.bin.intoto.json", envelope(provenance_v1(delivery.sha256), key, pss=pss))
    result = delivery.verify(cli)
    assert result.code == 0, result.stderr
    assert result.stderr == f"OK: {delivery.artifact}: allowed for ops\n"
    found = finding(report_of(result), "provenance")
    assert found["reason"] == (
        f"SLSA provenance by acme: builder {BUILDER}, source {SOURCE}@refs/tags/v4.2.1, "
        "build level 1"
    )
    attestation = report_of(result)["evidence"]["attestations"][0]
    assert attestation["claims"]["source"] == SOURCE
    assert attestation["vendor"] == "acme"


def test_jsonl_lines_are_verified_one_by_one(
    cli: CliRunner, delivery: Delivery, vendor_key: ed25519.Ed25519PrivateKey
) -> None:
    good = json.dumps(envelope(provenance_v1(delivery.sha256), vendor_key))
    delivery.write("fw.bin.intoto.jsonl", f"{{not json\n\n{good}\n")
    result = delivery.verify(cli)
    assert result.code == 0, result.stderr
    assert problems(report_of(result)) == [
        "not a Sigstore bundle or a DSSE envelope (one per line)"
    ]
    assert report_of(result)["evidence"]["problems"][0]["source"].endswith("fw.bin.intoto.jsonl:1")


def test_threshold_counts_each_key_once(cli: CliRunner, tmp_path: Path) -> None:
    a, b, c = (_ed25519(f"builder {n}") for n in "abc")
    delivery = Delivery(
        tmp_path,
        {"a": a, "b": b, "c": c},
        "keys: {files: [keys/a.pub, keys/b.pub, keys/c.pub], threshold: 2}",
    )
    statement = provenance_v1(delivery.sha256)
    # Two signatures by the same key are one signer, not two.
    delivery.write("fw.bin.intoto.json", envelope(statement, a, a))
    result = delivery.verify(cli)
    assert result.code == 1
    keys = ", ".join(str(delivery.folder / "keys" / f"{n}.pub") for n in "abc")
    assert problems(report_of(result)) == [
        f"{delivery.folder / 'fw.bin.intoto.json'}: expected a signature by a vendor key of the "
        f"policy, got vendor acme: 2 of 3 keys ({keys}): only 1 signed"
    ]
    delivery.write("fw.bin.intoto.json", envelope(statement, a, c))
    assert delivery.verify(cli).code == 0


def test_threshold_larger_than_the_keys_is_a_policy_error(cli: CliRunner, tmp_path: Path) -> None:
    delivery = Delivery(tmp_path, {"a": _ed25519("a")}, "keys: {files: [keys/a.pub], threshold: 2}")
    result = delivery.verify(cli)
    assert result.code == 2
    assert "threshold: expected at most 1 (the keys listed), got 2" in result.stderr


# -- bad input: exit 1, each with its reason --------------------------------------------------


def _bad_cases(
    sha256: str, key: ed25519.Ed25519PrivateKey
) -> dict[str, tuple[dict[str, Any] | str, str]]:
    statement = provenance_v1(sha256)
    no_signatures = envelope(statement, key) | {"signatures": []}
    not_base64 = envelope(statement, key) | {"payload": "%%% not base64 %%%"}
    upper = provenance_v1(sha256.upper())
    short = provenance_v1(sha256[:40])
    wrong_shape = provenance_v1(sha256)
    wrong_shape["predicate"]["buildDefinition"] = ["not", "an", "object"]
    other = provenance_v1("b" * 64)
    many = provenance_v1(sha256)
    many["subject"] = [{"name": f"f{i}", "digest": {"sha256": sha256}} for i in range(10_000)]
    deep = b'{"_type": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    return {
        "zero signatures": (no_signatures, "DSSE envelope has no signatures"),
        "payload not base64": (not_base64, "DSSE payload is not base64"),
        "payloadType mismatch": (
            envelope(statement, key, payload_type="application/json"),
            "DSSE payload type: expected application/vnd.in-toto+json, got 'application/json'",
        ),
        "uppercase digest": (
            envelope(upper, key),
            "subject[0] digest 'sha256': expected 64 lowercase hex digits",
        ),
        "short digest": (
            envelope(short, key),
            "subject[0] digest 'sha256': expected 64 lowercase hex digits",
        ),
        "10,000 subjects": (envelope(many, key), "expected at most 1024 subjects, got 10000"),
        "deeply nested JSON": (envelope(deep, key), "nested"),
        "predicate of the wrong shape": (
            envelope(wrong_shape, key),
            "predicate https://slsa.dev/provenance/v1: buildDefinition: expected an object, "
            "got a list",
        ),
        "subject is another artifact": (
            envelope(other, key),
            f"attestation subject: expected sha256:{sha256}, got fw.bin sha256:{'b' * 64}",
        ),
        "unsigned by the vendor": (
            envelope(statement, _ed25519("someone else")),
            "expected a signature by a vendor key of the policy, got 1 signature(s), none valid",
        ),
        "not JSON at all": ("{{{", "not recognised as evidence"),
    }


@pytest.mark.parametrize(
    "case", list(_bad_cases("0" * 64, _ed25519("x"))), ids=lambda case: case.replace(" ", "-")
)
def test_bad_attestations_fail_with_their_reason(
    cli: CliRunner, delivery: Delivery, vendor_key: ed25519.Ed25519PrivateKey, case: str
) -> None:
    document, reason = _bad_cases(delivery.sha256, vendor_key)[case]
    delivery.write("fw.bin.intoto.json", document)
    result = delivery.verify(cli)
    assert result.code == 1, result.stderr
    report = report_of(result)
    assert any(reason in problem for problem in problems(report)), problems(report)
    assert finding(report, "provenance")["passed"] is False
    # The verdict names the failed requirement and the evidence that did not verify.
    assert result.stderr.startswith(f"FAIL: {delivery.artifact}: denied for ops: ")
    assert "provenance: expected SLSA provenance about this artifact" in result.stderr
    assert f"(evidence that did not verify: {delivery.folder / 'fw.bin.intoto.json'}" in (
        result.stderr
    )
    assert reason[:40] in result.stderr


def test_a_100_mb_jsonl_line_is_refused_without_reading_it_all(
    cli: CliRunner, delivery: Delivery
) -> None:
    with (delivery.folder / "fw.bin.intoto.jsonl").open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB of one line, no disk used
    result = delivery.verify(cli)
    assert result.code == 1
    assert problems(report_of(result)) == ["larger than the evidence size limit (64 MiB)"]


def test_legacy_envelope_with_an_embedded_certificate_is_explained(
    cli: CliRunner, delivery: Delivery, vendor_key: ed25519.Ed25519PrivateKey
) -> None:
    legacy = envelope(provenance_v1(delivery.sha256), vendor_key)
    legacy["signatures"][0]["cert"] = "-----BEGIN CERTIFICATE-----\n..."
    delivery.write("fw.bin.intoto.json", legacy)
    result = delivery.verify(cli)
    assert result.code == 1
    assert problems(report_of(result)) == [
        f"{delivery.folder / 'fw.bin.intoto.json'}: a DSSE signature with an embedded certificate "
        "and no transparency log entry cannot be verified offline; ask the vendor for the Sigstore "
        "bundle (.sigstore.json)"
    ]


# -- the provenance requirement's claims --------------------------------------------------------


@pytest.mark.parametrize(
    ("requirement", "reason"),
    [
        (
            '{builder_id: "https://builds.acme.example/runner/v3"}',
            f"builder_id: expected 'https://builds.acme.example/runner/v3', got '{BUILDER}'",
        ),
        (
            '{source_regex: "https://github\\\\.com/acme/.*"}',
            f"source: expected regex 'https://github\\\\.com/acme/.*', got '{SOURCE}'",
        ),
        ('{ref: "refs/heads/main"}', "ref: expected 'refs/heads/main', got 'refs/tags/v4.2.1'"),
        (
            '{tag_version: ">=5"}',
            "tag_version: expected a tag matching >=5, got tag 'v4.2.1'",
        ),
        (
            "{external_parameters: {target: debug}}",
            "external_parameters.target: expected 'debug', got 'release'",
        ),
        (
            "{external_parameters: {workflow.path: x}}",
            "external_parameters.workflow.path: expected 'x', got nothing",
        ),
        (
            "{slsa_build_level: 2}",
            "slsa_build_level: expected 2, got 1 (signed with a key, which cannot show a hosted "
            "build platform signed it)",
        ),
        ("{build_type: other}", f"build_type: expected 'other', got '{BUILD_TYPE}'"),
    ],
)
def test_each_failed_claim_says_expected_and_got(
    cli: CliRunner,
    delivery: Delivery,
    vendor_key: ed25519.Ed25519PrivateKey,
    requirement: str,
    reason: str,
) -> None:
    delivery.write("fw.bin.intoto.json", envelope(provenance_v1(delivery.sha256), vendor_key))
    result = delivery.verify(cli, requirement=requirement)
    assert result.code == 1, result.stderr
    assert finding(report_of(result), "provenance")["reason"] == reason
    assert result.stderr == f"FAIL: {delivery.artifact}: denied for ops: provenance: {reason}\n"


def test_no_evidence_at_all_is_one_finding(cli: CliRunner, delivery: Delivery) -> None:
    result = delivery.verify(cli)
    assert result.code == 1
    report = report_of(result)
    assert [f["rule"] for f in report["findings"]] == ["no_evidence"]
    assert finding(report, "no_evidence")["reason"].startswith(
        "no evidence found (looked for: fw.bin.sigstore[.json], fw.bin.*.sigstore.json, "
        "fw.bin.intoto.json[l], "
    )


def test_v02_provenance_is_read_too(
    cli: CliRunner, delivery: Delivery, vendor_key: ed25519.Ed25519PrivateKey
) -> None:
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "subject": [{"name": "fw.bin", "digest": {"sha256": delivery.sha256}}],
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "predicate": {
            "builder": {"id": BUILDER},
            "buildType": BUILD_TYPE,
            "invocation": {
                "configSource": {
                    "uri": f"git+{SOURCE}@refs/tags/v4.2.1",
                    "digest": {"sha1": "a" * 40},
                    "entryPoint": "release",
                },
                "parameters": {"target": "release"},
            },
        },
    }
    delivery.write("fw.bin.intoto.json", envelope(statement, vendor_key))
    result = delivery.verify(cli)
    assert result.code == 0, result.stderr


def _vsa(sha256: str, *, result: str = "PASSED", level: str = "SLSA_BUILD_LEVEL_3") -> Any:
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "fw.bin", "digest": {"sha256": sha256}}],
        "predicateType": "https://slsa.dev/verification_summary/v1",
        "predicate": {
            "verifier": {"id": "https://integrator.example/verifier"},
            "timeVerified": "2026-06-02T00:00:00Z",
            "resourceUri": "pkg:generic/acme/fw@4.2.1",
            "policy": {"uri": "https://integrator.example/policies/ot-l1"},
            "verificationResult": result,
            "verifiedLevels": [level],
        },
    }


@pytest.mark.parametrize(
    ("vsa", "passes"),
    [
        ({}, True),
        ({"result": "FAILED"}, False),
        ({"level": "SLSA_BUILD_LEVEL_1"}, False),
    ],
)
def test_an_upstream_vsa_replaces_the_provenance(
    cli: CliRunner, tmp_path: Path, vsa: dict[str, str], passes: bool
) -> None:
    integrator = _ed25519("integrator")
    delivery = Delivery(tmp_path, {"integrator": integrator}, "key: keys/integrator.pub")
    delivery.write("fw.bin.intoto.json", envelope(_vsa(delivery.sha256, **vsa), integrator))
    requirement = (
        '{slsa_build_level: 3, isolated_builders: ["https://x.example/*"], '
        'vsa: {from: [acme], policy: "https://integrator.example/policies/ot-*"}}'
    )
    result = delivery.verify(cli, requirement=requirement)
    found = finding(report_of(result), "provenance")
    assert found["passed"] is passes
    if passes:
        assert found["reason"] == (
            "upstream VSA by acme (verifier https://integrator.example/verifier): PASSED at SLSA "
            "build level 3 under https://integrator.example/policies/ot-l1"
        )
    else:
        assert found["reason"] == (
            "expected SLSA provenance about this artifact signed by a vendor, got only "
            "attestations of type https://slsa.dev/verification_summary/v1, and no passing VSA by "
            "acme"
        )


def test_level_3_without_isolated_builders_is_a_policy_error(
    cli: CliRunner, delivery: Delivery
) -> None:
    result = delivery.verify(cli, requirement="{slsa_build_level: 3}")
    assert result.code == 2
    assert "expected isolated_builders with slsa_build_level 3" in result.stderr


def test_glob_and_regex_for_one_claim_is_a_policy_error(cli: CliRunner, delivery: Delivery) -> None:
    result = delivery.verify(cli, requirement='{source: "a", source_regex: "b"}')
    assert result.code == 2
    assert "give a claim as a glob or as a regex, not both" in result.stderr


def test_a_securesystemslib_key_file_is_a_vendor_key(cli: CliRunner, tmp_path: Path) -> None:
    key = derive_ec_key("attestation tests", "sslib")
    delivery = Delivery(tmp_path, {}, "key: keys/release.json")
    (delivery.folder / "keys" / "release.json").write_text(
        json.dumps(key_from_public(key.public_key(), "release").to_dict())
    )
    delivery.write("fw.bin.intoto.json", envelope(provenance_v1(delivery.sha256), key))
    result = delivery.verify(cli)
    assert result.code == 0, result.stderr


# -- a checksum list signed with a plain vendor key (cosign sign-blob --key style) ----------


@pytest.mark.parametrize("encoding", ["base64", "raw"])
def test_a_key_signed_checksum_list_lists_the_artifact(
    cli: CliRunner, delivery: Delivery, vendor_key: ed25519.Ed25519PrivateKey, encoding: str
) -> None:
    sums = f"{delivery.sha256}  fw.bin\n".encode()
    (delivery.folder / "SHA256SUMS").write_bytes(sums)
    signature = vendor_key.sign(sums)
    (delivery.folder / "SHA256SUMS.sig").write_bytes(
        base64.b64encode(signature) if encoding == "base64" else signature
    )
    result = delivery.verify(cli, requirement="{slsa_build_level: 1}")
    report = report_of(result)
    assert report["evidence_strength"] == "signed-checksum-list"
    assert finding(report, "vendor_signature")["passed"] is True
    evaluation = evaluate(
        str(delivery.artifact), policy_path=delivery.folder / "policy.yaml", segment="ops"
    )
    [fact] = evaluation.examination.assessment.signatures
    assert (fact.signer_kind, fact.content, fact.signed_at) == ("key", "checksum-list", None)


def test_a_checksum_list_signed_by_another_key_is_refused(
    cli: CliRunner, delivery: Delivery
) -> None:
    sums = f"{delivery.sha256}  fw.bin\n".encode()
    (delivery.folder / "SHA256SUMS").write_bytes(sums)
    (delivery.folder / "SHA256SUMS.sig").write_bytes(_ed25519("not the vendor").sign(sums))
    result = delivery.verify(cli)
    assert result.code == 1
    assert problems(report_of(result)) == [
        f"{delivery.folder / 'SHA256SUMS.sig'}: signature over SHA256SUMS verifies under none of "
        "the policy's vendor keys (1 tried)"
    ]
