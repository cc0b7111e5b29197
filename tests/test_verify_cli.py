"""`provenance verify` end to end through the CLI entry point, with a private Sigstore instance."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from provenance.testing import (
    BUNDLE_MEDIA_TYPES,
    BundleMediaType,
    PrivateSigstoreInstance,
    derive_ec_key,
)
from tests.conftest import IDENTITY, ISSUER, SIGNED_AT, CliResult, CliRunner, Release

SCHEMA = json.loads(
    (
        Path(__file__).parents[1] / "provenance/report/schemas/verify-result.v1.schema.json"
    ).read_text()
)


def assert_ok(result: CliResult, artifact: str | Path) -> None:
    assert result.code == 0, result.stderr
    assert result.stderr == f"OK: {artifact}\n"


def assert_fails(result: CliResult, artifact: str | Path, *fragments: str) -> str:
    """Exit 1 and exactly one verdict line naming the artifact and the reason."""
    assert "Traceback" not in result.stderr + result.stdout
    assert result.code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"FAIL: {artifact}: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def assert_usage_error(result: CliResult, *fragments: str) -> None:
    assert "Traceback" not in result.stderr + result.stdout
    assert result.code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines
    for fragment in fragments:
        assert fragment in lines[0]


def flip_base64(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[len(raw) // 2] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


# -- what verifies -------------------------------------------------------------------------


def test_verifies_a_file_and_reports_who_signed_it(cli: CliRunner, release: Release) -> None:
    result = cli("verify", *release.identity_args())
    assert_ok(result, release.artifact)
    assert f"signer    {IDENTITY} ({ISSUER})" in result.stdout
    assert "ok   tlog             entry " in result.stdout
    assert "ok   identity         " in result.stdout
    assert "FAIL" not in result.stdout


def test_verifies_by_digest_when_the_artifact_is_not_at_hand(
    cli: CliRunner, release: Release
) -> None:
    digest = "sha256:" + hashlib.sha256(release.artifact.read_bytes()).hexdigest()
    args = release.identity_args()
    args[0] = digest
    assert_ok(cli("verify", *args), digest)


@pytest.mark.parametrize("media_type", BUNDLE_MEDIA_TYPES)
def test_every_bundle_version_verifies(
    cli: CliRunner, release: Release, instance: PrivateSigstoreInstance, media_type: BundleMediaType
) -> None:
    release.write_bundle(
        instance.sign_artifact(
            release.artifact.read_bytes(),
            identity=IDENTITY,
            issuer=ISSUER,
            signed_at=SIGNED_AT,
            media_type=media_type,
        )
    )
    assert_ok(cli("verify", *release.identity_args()), release.artifact)


def test_finds_the_bundle_beside_the_artifact(cli: CliRunner, release: Release) -> None:
    args = release.identity_args()
    del args[1:3]  # no --bundle
    assert_ok(cli("verify", *args), release.artifact)

    # `.sigstore.json` is preferred; `.sigstore` is the fallback.
    legacy = release.bundle.with_name(release.artifact.name + ".sigstore")
    release.bundle.rename(legacy)
    assert_ok(cli("verify", *args), release.artifact)
    release.bundle.write_text("{}")
    assert_fails(cli("verify", *args), release.artifact, "bundle is malformed")

    release.bundle.unlink()
    legacy.unlink()
    assert_usage_error(
        cli("verify", *args),
        "no bundle given and no plc-firmware-4.2.1.bin.sigstore.json or "
        "plc-firmware-4.2.1.bin.sigstore beside it",
    )


def test_identity_regexp_is_anchored(cli: CliRunner, release: Release) -> None:
    args = release.identity_args()
    args[args.index("--certificate-identity")] = "--certificate-identity-regexp"
    args[args.index("--certificate-identity-regexp") + 1] = r"https://github\.com/acme/.+"
    assert_ok(cli("verify", *args), release.artifact)

    # Matches the identity only as a substring: an unanchored search would accept it.
    args[args.index("--certificate-identity-regexp") + 1] = r"acme/plc-fw"
    assert_fails(cli("verify", *args), release.artifact, "regex 'acme/plc-fw'", IDENTITY)


def test_issuer_regexp(cli: CliRunner, release: Release) -> None:
    args = release.identity_args()
    args[args.index("--certificate-oidc-issuer")] = "--certificate-oidc-issuer-regexp"
    args[args.index("--certificate-oidc-issuer-regexp") + 1] = r"https://token\.actions\..*"
    assert_ok(cli("verify", *args), release.artifact)
    args[args.index("--certificate-oidc-issuer-regexp") + 1] = r"token\.actions"
    assert_fails(cli("verify", *args), release.artifact, "got identity")


def statement_about(
    *digests: str, predicate_type: str = "https://slsa.dev/provenance/v1"
) -> dict[str, Any]:
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": f"file{i}", "digest": {"sha256": d}} for i, d in enumerate(digests)],
        "predicateType": predicate_type,
        "predicate": {"buildDefinition": {"buildType": "https://example.invalid/build"}},
    }


def test_dsse_attestation_must_name_the_artifact(
    cli: CliRunner, release: Release, instance: PrivateSigstoreInstance
) -> None:
    digest = hashlib.sha256(release.artifact.read_bytes()).hexdigest()
    release.write_bundle(
        instance.sign_dsse(
            statement_about("00" * 32, digest),
            identity=IDENTITY,
            issuer=ISSUER,
            signed_at=SIGNED_AT,
        )
    )
    result = cli("verify", *release.identity_args(), "--format", "json")
    assert_ok(result, release.artifact)
    report = json.loads(result.stdout)
    assert report["signature"]["bundle"]["content"] == "dsse"
    assert report["signature"]["bundle"]["predicate_type"] == "https://slsa.dev/provenance/v1"

    release.write_bundle(
        instance.sign_dsse(
            statement_about("ab" * 32), identity=IDENTITY, issuer=ISSUER, signed_at=SIGNED_AT
        )
    )
    assert_fails(
        cli("verify", *release.identity_args()),
        release.artifact,
        f"attestation subject: expected sha256:{digest}, got file0 sha256:{'ab' * 32}",
    )


def test_dsse_payload_must_be_an_in_toto_statement(
    cli: CliRunner, release: Release, instance: PrivateSigstoreInstance
) -> None:
    digest = hashlib.sha256(release.artifact.read_bytes()).hexdigest()
    release.write_bundle(
        instance.sign_dsse(
            statement_about(digest),
            identity=IDENTITY,
            issuer=ISSUER,
            signed_at=SIGNED_AT,
            payload_type="application/json",
        )
    )
    assert_fails(
        cli("verify", *release.identity_args()),
        release.artifact,
        "DSSE payload type: expected application/vnd.in-toto+json, got application/json",
    )
    statement = statement_about(digest)
    statement["_type"] = "https://in-toto.io/Statement/v9"
    release.write_bundle(
        instance.sign_dsse(statement, identity=IDENTITY, issuer=ISSUER, signed_at=SIGNED_AT)
    )
    assert_fails(cli("verify", *release.identity_args()), release.artifact, "expected _type one of")


def vendor_key(name: str) -> ec.EllipticCurvePrivateKey:
    return derive_ec_key(name, "managed key")


def write_public_key(path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def test_managed_key_bundles_verify_against_the_given_key(
    cli: CliRunner, release: Release, instance: PrivateSigstoreInstance, tmp_path: Path
) -> None:
    key = vendor_key("acme release 2026")
    release.write_bundle(
        instance.sign_with_key(release.artifact.read_bytes(), key, signed_at=SIGNED_AT)
    )
    base = [release.artifact, "--bundle", release.bundle, "--trusted-root", release.trusted_root]
    good = write_public_key(tmp_path / "acme.pub", key)
    result = cli("verify", *base, "--key", good, "--format", "json")
    assert_ok(result, release.artifact)
    signer = json.loads(result.stdout)["signature"]["signer"]
    assert signer["kind"] == "key"
    assert signer["key_id"].startswith("sha256:")

    wrong = write_public_key(tmp_path / "other.pub", vendor_key("someone else"))
    assert_fails(
        cli("verify", *base, "--key", wrong),
        release.artifact,
        "got one that verifies under none of them",
    )
    assert_fails(
        cli(
            "verify", *base, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER
        ),
        release.artifact,
        "signed by a managed key, but no public key was given",
    )


def test_json_output_matches_the_published_schema(cli: CliRunner, release: Release) -> None:
    ok = cli("verify", *release.identity_args(), "--format", "json")
    report = json.loads(ok.stdout)
    jsonschema.validate(report, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert report["decision"] == "verified"
    assert report["reason"] is None
    signature = report["signature"]
    assert signature["signer"]["identity"] == IDENTITY
    assert signature["signer"]["issuer"] == ISSUER
    assert signature["signed_at"] == "2026-03-02T09:30:00Z"
    assert signature["integrated_time"] == "2026-03-02T09:30:00Z"
    assert signature["log"]["index"] >= 0
    assert report["artifact"]["sha256"] == hashlib.sha256(release.artifact.read_bytes()).hexdigest()
    assert [c["name"] for c in report["attempts"][0]["checks"]] == [
        "bundle",
        "tlog",
        "time",
        "certificate",
        "sct",
        "signature",
        "tlog-consistency",
        "identity",
    ]

    failed = cli(
        "verify", *release.identity_args(identity="https://evil.invalid"), "--format", "json"
    )
    report = json.loads(failed.stdout)
    jsonschema.validate(report, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert report["decision"] == "failed"
    assert report["signature"] is None
    assert report["reason"].startswith("signer: expected identity 'https://evil.invalid'")

    release.write_bundle("not json")
    broken = json.loads(cli("verify", *release.identity_args(), "--format", "json").stdout)
    jsonschema.validate(broken, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert broken["attempts"] == [
        {
            "trust_root": None,
            "passed": False,
            "checks": [
                {
                    "name": "bundle",
                    "passed": False,
                    "detail": "bundle is not valid JSON: expected ident at line 1 column 2",
                }
            ],
        }
    ]


# -- what fails: exit 1, one line, no traceback ----------------------------------------------


def test_wrong_identity(cli: CliRunner, release: Release) -> None:
    other = IDENTITY.replace("v4.2.1", "v4.2.2")
    assert_fails(
        cli("verify", *release.identity_args(identity=other)),
        release.artifact,
        f"signer: expected identity {other!r} from issuer {ISSUER!r}, "
        f"got identity {IDENTITY!r} from issuer {ISSUER!r}",
    )


def test_wrong_issuer(cli: CliRunner, release: Release) -> None:
    assert_fails(
        cli("verify", *release.identity_args(issuer="https://accounts.google.com")),
        release.artifact,
        f"got identity {IDENTITY!r} from issuer {ISSUER!r}",
    )


def test_leaf_expired_when_the_log_integrated_the_entry(
    cli: CliRunner, release: Release, instance: PrivateSigstoreInstance
) -> None:
    release.write_bundle(
        instance.sign_artifact(
            release.artifact.read_bytes(),
            identity=IDENTITY,
            issuer=ISSUER,
            signed_at=SIGNED_AT,
            integrated_time=SIGNED_AT + timedelta(minutes=30),
        )
    )
    assert_fails(
        cli("verify", *release.identity_args()),
        release.artifact,
        "signing certificate valid [2026-03-02T09:29:00+00:00, 2026-03-02T09:40:00+00:00], "
        "but signature time from tlog is 2026-03-02T10:00:00+00:00",
    )


def test_bundle_from_another_instance(
    cli: CliRunner, release: Release, other_instance: PrivateSigstoreInstance
) -> None:
    release.write_bundle(
        other_instance.sign_artifact(
            release.artifact.read_bytes(), identity=IDENTITY, issuer=ISSUER, signed_at=SIGNED_AT
        )
    )
    assert_fails(
        cli("verify", *release.identity_args()),
        release.artifact,
        f"log entry is from log {other_instance.log_id.hex()}, which trust root "
        f"{release.trusted_root} does not name",
    )


def test_bundle_from_another_instance_is_refused_under_production(
    cli: CliRunner, release: Release
) -> None:
    args = release.identity_args()
    del args[3:5]  # no --trusted-root: the embedded production root
    assert_fails(cli("verify", *args), release.artifact, "which trust root embedded:production")


def test_tampered_artifact(cli: CliRunner, release: Release) -> None:
    data = bytearray(release.artifact.read_bytes())
    data[100] ^= 0x01
    release.artifact.write_bytes(bytes(data))
    assert_fails(cli("verify", *release.identity_args()), release.artifact, "bundle message digest")
    # Without the (unauthenticated) messageDigest hint, the signature itself fails.
    document = copy.deepcopy(release.bundle_json)
    del document["messageSignature"]["messageDigest"]
    release.write_bundle(document)
    assert_fails(
        cli("verify", *release.identity_args()),
        release.artifact,
        "signature does not verify over the artifact sha256:",
    )


def test_tampered_signature(cli: CliRunner, release: Release) -> None:
    document = copy.deepcopy(release.bundle_json)
    signature = document["messageSignature"]
    signature["signature"] = flip_base64(signature["signature"])
    release.write_bundle(document)
    assert_fails(cli("verify", *release.identity_args()), release.artifact, "signature")


@pytest.mark.parametrize(
    ("field", "mutate", "reason"),
    [
        ("canonicalizedBody", flip_base64, "inclusion proof does not lead to its root hash"),
        ("logIndex", lambda v: str(int(v) + 1), "inclusion promise (SET) does not verify"),
        ("integratedTime", lambda v: str(int(v) - 60), "inclusion promise (SET) does not verify"),
        ("logIndex", lambda v: "9007199254740993", "logIndex 9007199254740993 is beyond any"),
        ("integratedTime", lambda v: str(2**63), "integratedTime 9223372036854775808 is beyond"),
    ],
)
def test_tampered_log_entry(
    cli: CliRunner, release: Release, field: str, mutate: Any, reason: str
) -> None:
    document = copy.deepcopy(release.bundle_json)
    entry = document["verificationMaterial"]["tlogEntries"][0]
    entry[field] = mutate(entry[field])
    release.write_bundle(document)
    assert_fails(cli("verify", *release.identity_args()), release.artifact, reason)


def test_log_entry_for_another_signature(
    cli: CliRunner, release: Release, instance: PrivateSigstoreInstance
) -> None:
    # CVE-2022-36056: a genuine, included entry that is about something else.
    other = instance.sign_artifact(
        b"another artifact", identity=IDENTITY, issuer=ISSUER, signed_at=SIGNED_AT
    )
    document = copy.deepcopy(release.bundle_json)
    document["verificationMaterial"]["tlogEntries"] = other["verificationMaterial"]["tlogEntries"]
    release.write_bundle(document)
    assert_fails(cli("verify", *release.identity_args()), release.artifact, "log entry ")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",',
            "bundle is not valid JSON",
        ),
        (b"", "bundle is empty"),
        (b"  \n", "bundle is empty"),
        (b"[1, 2, 3]", "bundle is malformed"),
        (b"\xff\xfe\x00junk", "bundle is not valid JSON"),
    ],
)
def test_malformed_bundles(cli: CliRunner, release: Release, content: bytes, reason: str) -> None:
    release.write_bundle(content)
    assert_fails(cli("verify", *release.identity_args()), release.artifact, reason)


def test_truncated_bundle(cli: CliRunner, release: Release) -> None:
    release.write_bundle(json.dumps(release.bundle_json)[:-40])
    assert_fails(
        cli("verify", *release.identity_args()), release.artifact, "bundle is not valid JSON"
    )


def test_fifty_megabytes_of_junk(cli: CliRunner, release: Release) -> None:
    with release.bundle.open("wb") as junk:
        block = hashlib.sha512(b"junk").digest() * 16384  # 1 MiB
        for _ in range(50):
            junk.write(block)
    assert_fails(
        cli("verify", *release.identity_args()),
        release.artifact,
        "bundle is larger than the 33554432-byte limit",
    )


def test_unknown_fields_are_rejected(cli: CliRunner, release: Release) -> None:
    document = copy.deepcopy(release.bundle_json)
    document["verificationMaterial"]["extra"] = True
    release.write_bundle(document)
    assert_fails(cli("verify", *release.identity_args()), release.artifact, "Extra inputs")


# -- what cannot run: exit 2 --------------------------------------------------------------


def test_usage_errors(cli: CliRunner, release: Release, tmp_path: Path) -> None:
    args = release.identity_args()
    assert_usage_error(
        cli("verify", tmp_path / "missing.bin", *args[1:]), "missing.bin: no such file"
    )
    assert_usage_error(cli("verify", "sha256:abc", *args[1:]), "expected 'sha256:' followed by 64")
    assert_usage_error(cli("verify", tmp_path, *args[1:]), "is a directory, expected a file")
    assert_usage_error(cli("verify", "/dev/zero", *args[1:]), "/dev/zero: not a regular file")
    assert_usage_error(
        cli("verify", *args[:2], str(tmp_path / "none.json"), *args[3:]),
        "none.json: cannot read bundle",
    )
    assert_usage_error(
        cli("verify", release.artifact, "--certificate-identity", IDENTITY),
        "a certificate identity needs its OIDC issuer",
    )
    assert_usage_error(cli("verify", release.artifact), "no signer to verify against")
    assert_usage_error(
        cli(
            "verify",
            release.artifact,
            "--certificate-identity-regexp",
            "(",
            "--certificate-oidc-issuer",
            ISSUER,
        ),
        "invalid regular expression",
    )
    assert_usage_error(
        cli("verify", *args[:3], "--trusted-root", tmp_path / "nope.json", *args[5:]),
        "nope.json: cannot read trust root",
    )
    (tmp_path / "bad_root.json").write_text('{"mediaType": "application/json"}')
    assert_usage_error(
        cli("verify", *args[:3], "--trusted-root", tmp_path / "bad_root.json", *args[5:]),
        "bad_root.json: invalid trusted root at mediaType",
    )
    assert_usage_error(cli("verify", *args, "--staging"), "--trusted-root or --staging, not both")
    assert_usage_error(cli("verify", *args, "--no-such-flag"), "No such option")
    assert_usage_error(
        cli("verify", *args[:5], "--key", tmp_path / "absent.pub"), "absent.pub: cannot read key"
    )
