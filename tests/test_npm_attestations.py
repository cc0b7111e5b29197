"""npm registry attestations through `provenance verify --npm-package`, decided as
`npm audit signatures` decides them: the registry's publish attestation under its injected
key, SLSA provenance under the builder's identity, both about `pkg:npm/NAME@VERSION` with the
tarball's SHA-512.

Minted by the private instance in the registry's format (bundle v0.2, intoto 0.0.2 entries,
keyid hints), and a real attestations file from slsa-verifier's test data
(tests/data/npm/slsa-verifier) whose tarball is not at hand: its cryptography is checked up
to the subject.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from provenance.errors import InputError
from provenance.evidence.npm_attestations import NpmPackage, parse_npm_attestations
from provenance.inputs.artifact import Artifact
from provenance.testing import PrivateSigstoreInstance
from provenance.testing.npm import NpmRegistry, attestations_json, mint_npm_attestations
from provenance.testing.pep740 import GitHubWorkflowRun
from provenance.verification.matching import Pattern
from provenance.verification.npm_registry_keys import parse_registry_keys
from provenance.verification.signers import SigstoreIdentity
from provenance.verification.sigstore.trust_root import load_trust_root
from provenance.verification.sigstore.verifier import NamedSigner, verify_bundle
from tests.conftest import CliResult, CliRunner

SIGNED_AT = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
PACKAGE = "@acme/hmi-widgets"
VERSION = "3.0.1"
BUILDER = GitHubWorkflowRun("acme-automation/hmi-widgets", "publish.yml", ref="refs/tags/v3.0.1")
REAL = Path(__file__).parent / "data" / "npm" / "slsa-verifier"
SCHEMA = json.loads(
    (
        Path(__file__).parents[1] / "provenance/report/schemas/npm-verify-result.v1.schema.json"
    ).read_text()
)


@pytest.fixture(scope="module")
def npm_instance() -> PrivateSigstoreInstance:
    return PrivateSigstoreInstance.create(seed="npm tests: public good stand-in")


@dataclass(frozen=True)
class Published:
    """A package version as the registry serves it, in a folder."""

    folder: Path
    tarball: Path
    attestations: Path
    keys: Path
    trusted_root: Path
    registry: NpmRegistry

    def args(self, *extra: str | Path, package: str = f"{PACKAGE}@{VERSION}") -> list[str | Path]:
        return [
            "verify",
            self.tarball,
            "--bundle",
            self.attestations,
            "--npm-package",
            package,
            "--npm-registry-keys",
            self.keys,
            "--trusted-root",
            self.trusted_root,
            *extra,
        ]

    def write(self, document: dict[str, Any]) -> Path:
        self.attestations.write_text(attestations_json(document))
        return self.attestations


IDENTITY = ["--certificate-identity", BUILDER.identity, "--certificate-oidc-issuer", BUILDER.issuer]


def publish(
    folder: Path,
    instance: PrivateSigstoreInstance,
    *,
    builder: GitHubWorkflowRun | None = BUILDER,
    subject_name: str | None = None,
    expires: str | None = None,
) -> Published:
    tarball = folder / "hmi-widgets-3.0.1.tgz"
    tarball.write_bytes(b"\x1f\x8b npm tarball of @acme/hmi-widgets 3.0.1\n" * 40)
    registry = NpmRegistry("npm tests: registry.npmjs.org stand-in")
    document = mint_npm_attestations(
        instance,
        tarball.read_bytes(),
        name=PACKAGE,
        version=VERSION,
        registry=registry,
        builder=builder,
        signed_at=SIGNED_AT,
        subject_name=subject_name,
    )
    attestations = folder / "attestations.json"
    attestations.write_text(attestations_json(document))
    keys = folder / "keys.json"
    keys.write_text(json.dumps(registry.keys_document(expires=expires)))
    root = instance.write_trusted_root(folder / "trusted_root.json")
    return Published(folder, tarball, attestations, keys, root, registry)


@pytest.fixture
def published(tmp_path: Path, npm_instance: PrivateSigstoreInstance) -> Published:
    return publish(tmp_path, npm_instance)


def assert_ok(result: CliResult, artifact: Path) -> None:
    assert "Traceback" not in result.stderr + result.stdout
    assert result.code == 0, result.stderr
    assert result.stderr == f"OK: {artifact}\n"


def assert_fails(result: CliResult, artifact: Path | str, *fragments: str) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    assert result.code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"FAIL: {artifact}: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def assert_usage(result: CliResult, *fragments: str) -> None:
    assert "Traceback" not in result.stderr + result.stdout
    assert result.code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


# -- what npm audit signatures accepts ------------------------------------------------------


def test_publish_and_provenance_attestations_verify(cli: CliRunner, published: Published) -> None:
    result = cli(*published.args(*IDENTITY))
    assert_ok(result, published.tarball)
    out = result.stdout
    assert "package   @acme/hmi-widgets@3.0.1 (pkg:npm/%40acme/hmi-widgets@3.0.1)" in out
    assert "attestation https://github.com/npm/attestation/tree/main/specs/publish/v0.1:" in out
    assert f"signer  key npm registry key {published.registry.keyid} (sha256:" in out
    assert "ok   signature        valid under key npm registry key SHA256:" in out
    assert "attestation https://slsa.dev/provenance/v1:" in out
    assert f"signer  {BUILDER.identity} ({BUILDER.issuer})" in out
    assert out.count("ok   npm-subject      one subject, pkg:npm/%40acme/hmi-widgets@3.0.1") == 2
    assert "intoto/0.0.2 log entry" in out


def test_the_registry_integrity_must_be_the_tarballs(cli: CliRunner, published: Published) -> None:
    good = integrity_of(published.tarball.read_bytes())
    assert_ok(cli(*published.args(*IDENTITY, "--npm-integrity", good)), published.tarball)
    other = integrity_of(b"another tarball")
    assert_fails(
        cli(*published.args(*IDENTITY, "--npm-integrity", other)),
        published.tarball,
        "integrity: the registry says sha512",
        "not the tarball npm would install",
    )


def test_a_tampered_tarball_fails(cli: CliRunner, published: Published) -> None:
    published.tarball.write_bytes(published.tarball.read_bytes() + b"\n// injected")
    assert_fails(
        cli(*published.args(*IDENTITY)),
        published.tarball,
        "publish attestation: attestation subject: expected sha256:",
        "pkg:npm/%40acme/hmi-widgets@3.0.1 sha512:",
    )


@pytest.mark.parametrize(
    "package",
    [
        "@acme/hmi-widget@3.0.1",
        "@acme/hmi-widgets@3.0.2",
        "hmi-widgets@3.0.1",
        "@evil/hmi-widgets@3.0.1",
    ],
)
def test_another_package_name_or_version_fails(
    cli: CliRunner, published: Published, package: str
) -> None:
    expected = NpmPackage.parse(package).purl
    assert_fails(
        cli(*published.args(*IDENTITY, package=package)),
        published.tarball,
        f"package: expected {expected}, got 'pkg:npm/%40acme/hmi-widgets@3.0.1'",
    )


def test_genuine_attestations_of_another_package_for_these_bytes_fail(
    cli: CliRunner, tmp_path: Path, npm_instance: PrivateSigstoreInstance
) -> None:
    """The registry and the builder signed these bytes as evil-widgets: not as ours."""
    other = publish(tmp_path, npm_instance, subject_name="pkg:npm/evil-widgets@3.0.1")
    assert_fails(
        cli(*other.args(*IDENTITY)),
        other.tarball,
        "package: expected pkg:npm/%40acme/hmi-widgets@3.0.1, got 'pkg:npm/evil-widgets@3.0.1'",
    )


def test_another_registry_key_fails(cli: CliRunner, published: Published, tmp_path: Path) -> None:
    stranger = NpmRegistry("somebody else's registry")
    keys = tmp_path / "other-keys.json"
    keys.write_text(json.dumps(stranger.keys_document()))
    args = published.args(*IDENTITY)
    args[args.index("--npm-registry-keys") + 1] = keys
    assert_fails(
        cli(*args),
        published.tarball,
        f"signed by registry key {published.registry.keyid}, which is not among the npm "
        f"registry keys given ({stranger.keyid})",
    )


def test_a_key_is_refused_when_its_keyid_names_another_key(
    cli: CliRunner, published: Published
) -> None:
    document = published.registry.keys_document()
    document["keys"][0]["key"] = NpmRegistry("impostor").keys_document()["keys"][0]["key"]
    published.keys.write_text(json.dumps(document))
    assert_usage(cli(*published.args(*IDENTITY)), "keyid: expected SHA256:", "fingerprint")


def test_a_key_counts_only_before_it_expired(
    cli: CliRunner, tmp_path: Path, npm_instance: PrivateSigstoreInstance
) -> None:
    later = publish(tmp_path, npm_instance, expires="2026-03-10T08:00:01.000Z")
    assert_ok(cli(*later.args(*IDENTITY)), later.tarball)
    expired = publish(tmp_path, npm_instance, expires="2025-01-29T00:00:00.000Z")
    assert_fails(
        cli(*expired.args(*IDENTITY)),
        expired.tarball,
        "expires 2025-01-29T00:00:00+00:00: the attestation was logged at "
        "2026-03-10T08:00:00+00:00, after that",
    )


def test_provenance_by_another_builder_fails(cli: CliRunner, published: Published) -> None:
    other = BUILDER.identity.replace("hmi-widgets", "hmi-gadgets")
    identity = ["--certificate-identity", other, "--certificate-oidc-issuer", BUILDER.issuer]
    assert_fails(
        cli(*published.args(*identity)),
        published.tarball,
        f"provenance attestation: signer: expected identity {other!r}",
    )


def test_provenance_without_an_expected_builder_fails(cli: CliRunner, published: Published) -> None:
    """npm takes any Fulcio identity; a gate names the builder it trusts."""
    assert_fails(
        cli(*published.args()),
        published.tarball,
        "provenance attestation: bundle is signed with a certificate (keyless), but no "
        "certificate identity and issuer were given",
    )


def test_a_publish_attestation_alone_needs_only_the_registry_key(
    cli: CliRunner, tmp_path: Path, npm_instance: PrivateSigstoreInstance
) -> None:
    bare = publish(tmp_path, npm_instance, builder=None)
    assert_ok(cli(*bare.args()), bare.tarball)


def test_another_instance_does_not_vouch(
    cli: CliRunner, published: Published, other_instance: PrivateSigstoreInstance
) -> None:
    args = published.args(*IDENTITY)
    args[args.index("--trusted-root") + 1] = other_instance.write_trusted_root(
        published.folder / "other_root.json"
    )
    assert_fails(cli(*args), published.tarball, "which trust root", "does not name")


def test_a_relabelled_attestation_fails(cli: CliRunner, published: Published) -> None:
    document = json.loads(published.attestations.read_text())
    first, second = document["attestations"]
    first["predicateType"], second["predicateType"] = (
        second["predicateType"],
        first["predicateType"],
    )
    published.write(document)
    assert_fails(
        cli(*published.args(*IDENTITY)),
        published.tarball,
        "predicate type: the registry labels it https://slsa.dev/provenance/v1, the signed "
        "statement says https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
    )


def test_the_registry_key_cannot_sign_provenance(
    cli: CliRunner, published: Published, npm_instance: PrivateSigstoreInstance
) -> None:
    """A key that may speak for the registry's acceptance does not speak for a build."""
    document = json.loads(published.attestations.read_text())
    statement = json.loads(
        base64.b64decode(document["attestations"][1]["bundle"]["dsseEnvelope"]["payload"])
    )
    forged = npm_instance.sign_dsse_with_key(
        statement,
        published.registry.key,
        signed_at=SIGNED_AT,
        keyid=published.registry.keyid,
        media_type="application/vnd.dev.sigstore.bundle+json;version=0.2",
        entry_kind="intoto",
    )
    document["attestations"][1]["bundle"] = forged
    published.write(document)
    assert_fails(
        cli(*published.args(*IDENTITY)),
        published.tarball,
        "predicate type: an npm registry key may sign "
        "https://github.com/npm/attestation/tree/main/specs/publish/v0.1, got "
        "https://slsa.dev/provenance/v1",
    )


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d.update(extra=1), 'expected an object with exactly one key, "attestations"'),
        (lambda d: d.update(attestations=[]), "expected a non-empty list of attestations"),
        (
            lambda d: d["attestations"][0]["bundle"].pop("mediaType"),
            "npm attestations[0] (https://github.com/npm/attestation/tree/main/specs/publish/"
            "v0.1): bundle is malformed: mediaType",
        ),
        (
            lambda d: d["attestations"][0]["bundle"]["verificationMaterial"].update(
                publicKey={"hint": "SHA256:other"}
            ),
            "the bundle's key hint 'SHA256:other' and the signature's keyid",
        ),
        (
            lambda d: d["attestations"].append(copy.deepcopy(d["attestations"][0])),
            "a predicate type is listed twice",
        ),
    ],
)
def test_malformed_attestations_fail_with_one_line(
    cli: CliRunner, published: Published, change: Any, fragment: str
) -> None:
    document = json.loads(published.attestations.read_text())
    change(document)
    published.write(document)
    assert_fails(cli(*published.args(*IDENTITY)), published.tarball, fragment)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--npm-package", "x@1.0.0"], "need --npm-package NAME@VERSION, --npm-registry-keys"),
        (
            ["--npm-package", "x@latest", "--npm-registry-keys", "{keys}", "--bundle", "{att}"],
            "expected an exact version (such as 1.2.3), got 'latest'",
        ),
        (
            [
                "--npm-package",
                "Not A Name@1.0.0",
                "--npm-registry-keys",
                "{keys}",
                "--bundle",
                "{att}",
            ],
            "expected an npm package as NAME@VERSION",
        ),
        (
            [
                "--npm-package",
                "x@1.0.0",
                "--npm-registry-keys",
                "{keys}",
                "--bundle",
                "{att}",
                "--npm-integrity",
                "sha1-abc",
            ],
            "expected an npm integrity with one SHA-512",
        ),
        (
            ["--npm-package", "x@1.0.0", "--segment", "lab", "--policy", "{keys}"],
            "not --bundle, --vendor or --npm-* flags",
        ),
    ],
)
def test_what_cannot_run_is_a_usage_error(
    cli: CliRunner, published: Published, args: list[str], fragment: str
) -> None:
    filled = [a.format(keys=published.keys, att=published.attestations) for a in args]
    assert_usage(cli("verify", published.tarball, *filled), fragment)


def test_a_digest_is_not_a_tarball(cli: CliRunner, published: Published) -> None:
    args = published.args(*IDENTITY)
    args[1] = "sha256:" + hashlib.sha256(published.tarball.read_bytes()).hexdigest()
    assert_usage(cli(*args), "give the tarball, not a digest")


def test_json_output_follows_its_schema(cli: CliRunner, published: Published) -> None:
    result = cli(*published.args(*IDENTITY, "--format", "json"))
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert document["decision"] == "verified"
    assert [a["predicate_type"] for a in document["attestations"]] == [
        "https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
        "https://slsa.dev/provenance/v1",
    ]
    assert document["attestations"][1]["signature"]["signer"]["identity"] == BUILDER.identity
    failed = cli(*published.args("--format", "json"))
    document = json.loads(failed.stdout)
    jsonschema.validate(document, SCHEMA)
    assert document["decision"] == "failed"


def test_the_npm_schema_shares_the_verify_schemas_definitions() -> None:
    verify_schema = json.loads(
        (SCHEMA_PATH := Path(__file__).parents[1] / "provenance/report/schemas")
        .joinpath("verify-result.v1.schema.json")
        .read_text()
    )
    assert SCHEMA["$defs"] == verify_schema["$defs"], SCHEMA_PATH


def test_policy_signers_judge_the_provenance(cli: CliRunner, published: Published) -> None:
    policy = published.folder / "policy.yaml"
    policy.write_text(
        f"version: 1\ntrust:\n  sigstore: [{published.trusted_root}]\nvendors:\n  acme:\n"
        f"    signers:\n      - sigstore: {{identity: '{BUILDER.identity}', issuer: "
        f"'{BUILDER.issuer}'}}\nsegments:\n  lab:\n    require: {{signed_by: [acme]}}\n"
    )
    args = [a for a in published.args() if a not in ("--trusted-root", published.trusted_root)]
    result = cli(*args, "--policy", policy)
    assert_ok(result, published.tarball)
    assert "matches vendor acme" in result.stdout


def test_package_purls_are_npms() -> None:
    assert NpmPackage.parse("@acme/x@1.0.0").purl == "pkg:npm/%40acme/x@1.0.0"
    assert NpmPackage.parse("left-pad@1.3.0").purl == "pkg:npm/left-pad@1.3.0"
    assert NpmPackage.parse("x@1.0.0-rc.1+build.5").version == "1.0.0-rc.1+build.5"
    with pytest.raises(InputError):
        NpmPackage.parse("@acme@1.0.0")


# -- a real attestations file from the registry (slsa-verifier's test data) ----------------

REAL_KEYS = json.dumps(
    {
        "keys": [
            {
                "expires": "2025-01-29T00:00:00.000Z",
                "keyid": "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA",
                "keytype": "ecdsa-sha2-nistp256",
                "scheme": "ecdsa-sha2-nistp256",
                "key": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i6UPp+Ihu"
                "teBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg==",
            }
        ]
    }
).encode()
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GUNDAM_IDENTITY = (
    "https://github.com/ramonpetgrave64/gundam-visor/.github/workflows/npm-publish.yml"
    "@refs/tags/v1.0.1"
)


def test_real_registry_attestations_verify_up_to_the_tarball() -> None:
    """Every check but the subject's digest holds on the registry's own bundles (npm's key,
    Rekor production, Fulcio): the tarball is not at hand, so the subject cannot bind."""
    path = REAL / "gundam-visor-cli-v1-tag.tgz.json"
    publish_bundle, provenance_bundle = parse_npm_attestations(path.read_bytes(), str(path))
    (key,) = parse_registry_keys(REAL_KEYS, "npm keys")
    root = load_trust_root("embedded:production")
    absent = Artifact(name="gundam-visor-1.0.1.tgz", sha256=bytes(32))
    identity = SigstoreIdentity(Pattern.exact(GUNDAM_IDENTITY), Pattern.exact(GITHUB_ISSUER))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for bundle, signer in ((publish_bundle, key.signer), (provenance_bundle, identity)):
        run = verify_bundle(bundle, absent, trust_root=root, signers=[NamedSigner(signer)], now=now)
        held = [c.name for c in run.checks if c.passed]
        assert {"tlog", "time", "signature", "tlog-consistency"} <= set(held), run.checks
        assert [c.name for c in run.checks if not c.passed] == ["subject"]
        assert "names only SHA-512 digests" in run.reason
    assert publish_bundle.keyid == key.keyid
    assert "identity" in [c.name for c in run.checks if c.passed]


def test_npm_attestations_as_a_plain_bundle_say_how_to_check_them(
    cli: CliRunner, published: Published
) -> None:
    result = cli("verify", published.tarball, "--bundle", published.attestations, *IDENTITY,
                 "--trusted-root", published.trusted_root)  # fmt: skip
    assert_fails(
        result,
        published.tarball,
        "an npm attestations document (2: publish, SLSA provenance), not one Sigstore bundle: "
        "check it with --npm-package NAME@VERSION and --npm-registry-keys FILE",
    )
