"""in-toto metadata parsing, canonical JSON and keys: malformed input fails with its reason."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from provenance.errors import EvidenceError, InputError
from provenance.evidence import in_toto_metadata
from provenance.evidence.canonical_json import NotCanonicalizable, encode_canonical
from provenance.evidence.in_toto_metadata import (
    SignedMetadata,
    parse_layout,
    parse_link,
    parse_metadata,
)
from provenance.testing.in_toto import (
    derive_signer,
    dump,
    layout_dict,
    link_dict,
    metablock,
    step_dict,
)
from provenance.verification.in_toto_keys import (
    compute_keyid,
    key_from_public,
    load_layout_key,
    parse_key_dict,
)
from provenance.verification.in_toto_layout import verify_layout
from tests.conftest import corpus

SEED = "in-toto-metadata-tests"
OWNER = derive_signer(SEED, "owner")
WORKER = derive_signer(SEED, "worker", kind="p256")


def parse_error(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(EvidenceError) as raised:
        parse_metadata(raw, "m.link")
    return str(raised.value)


def layout_error(signed: dict[str, Any]) -> str:
    metadata = parse_metadata(json.dumps({"signed": signed, "signatures": []}).encode(), "l")
    with pytest.raises(EvidenceError) as raised:
        parse_layout(metadata)
    return str(raised.value)


def good_layout() -> dict[str, Any]:
    return layout_dict(keys=[WORKER.key], steps=[step_dict("build", [WORKER.key])])


# -- canonical JSON ---------------------------------------------------------------------------


def test_canonical_json_matches_securesystemslib() -> None:
    formats = pytest.importorskip(
        "securesystemslib.formats",
        reason="securesystemslib (installed with sigstore's tuf) is absent: no reference "
        "canonical JSON encoder to compare with",
    )
    values: list[Any] = [
        {"b": [1, True, None, 'q"uote\\back\nnew\x01ctl'], "a": {"é": "\u2028", "z": -3}},
        {"": "", "A": "\x7f", "a": [], "b": {}},
        2**70,
    ]
    template = corpus("in-toto") / "tests" / "demo_files" / "demo.layout.template"
    values.append(json.loads(template.read_text())["signed"])
    for value in values:
        assert encode_canonical(value) == formats.encode_canonical(value).encode()


def test_canonical_json_refuses_floats_and_lone_surrogates() -> None:
    with pytest.raises(NotCanonicalizable, match="cannot encode float"):
        encode_canonical({"x": 1.5})
    with pytest.raises(NotCanonicalizable, match="lone surrogate"):
        encode_canonical(json.loads('"\\ud800"'))


# -- envelopes --------------------------------------------------------------------------------


def test_metablock_keeps_signed_as_received() -> None:
    signed = {"_type": "link", "name": "x", "z-unknown": {"nested": [1, 2]}}
    metadata = parse_metadata(json.dumps({"signatures": [], "signed": signed}).encode(), "x")
    assert metadata.signed == signed
    assert metadata.payload == encode_canonical(signed)
    assert metadata.envelope == "metablock"
    assert metadata.kind == "link"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("not json", "m.link: metadata is not JSON (expected ident at line 1 column 2)"),
        ("[]", "m.link: expected metadata to be a JSON object, got list"),
        (
            '{"signed": {"_type": "link", "name": "a", "name": "b"}, "signatures": []}',
            'm.link: metadata is not JSON (duplicate key "name" at line 1 column 50)',
        ),
        (
            '{"signed": {"_type": "link"}, "signatures": [], "extra": 1}',
            "m.link: expected a metablock with exactly 'signed' and 'signatures', or a DSSE "
            "envelope, got keys ['extra', 'signatures', 'signed']",
        ),
        ('{"signed": [], "signatures": []}', "m.link: expected 'signed' to be a JSON object"),
        (
            '{"signed": {"_type": "statement"}, "signatures": []}',
            "m.link: expected _type 'layout' or 'link', got 'statement'",
        ),
        (
            '{"signed": {"_type": "link", "x": 1.0}, "signatures": []}',
            "m.link: signed metadata is not canonical JSON (cannot encode float in canonical JSON)",
        ),
        (
            '{"signed": {"_type": "link"}, "signatures": {}}',
            "m.link: expected 'signatures' to be a list",
        ),
        (
            '{"signed": {"_type": "link"}, "signatures": '
            '[{"keyid": "k", "signature": "00", "other_headers": "x"}]}',
            "m.link: signatures[0]: a GPG signature (other_headers, signature) is not supported",
        ),
        (
            '{"signed": {"_type": "link"}, "signatures": [{"keyid": "k", "sig": "00", "x": 1}]}',
            "m.link: signatures[0]: expected keyid and sig, and optionally cert (in-toto-golang), "
            "got ['keyid', 'sig', 'x']",
        ),
        (
            '{"signed": {"_type": "link"}, "signatures": [{"keyid": "k", "cert": ""}]}',
            "m.link: signatures[0]: expected keyid and sig, and optionally cert (in-toto-golang), "
            "got ['cert', 'keyid']",
        ),
        (
            '{"signed": {"_type": "link"}, "signatures": '
            '[{"keyid": "k", "sig": "00", "cert": "-----BEGIN CERTIFICATE-----\\nAAAA\\n"}]}',
            "m.link: signatures[0].cert: expected exactly one PEM CERTIFICATE block",
        ),
        (
            '{"signed": {"_type": "link"}, "signatures": [{"keyid": "k", "sig": "00", "cert": 7}]}',
            "m.link: signatures[0].cert: expected a PEM certificate of at most 32768 chars",
        ),
        (
            '{"signed": {"_type": "link"}, "signatures": [{"keyid": "k", "sig": "xyz"}]}',
            "m.link: signatures[0]: expected sig as hexadecimal",
        ),
    ],
)
def test_malformed_metablocks(document: str, reason: str) -> None:
    assert parse_error(document) == reason


def test_too_many_signatures() -> None:
    signatures = [{"keyid": "k", "sig": "00"}] * (in_toto_metadata.MAX_SIGNATURES + 1)
    document = json.dumps({"signed": {"_type": "link"}, "signatures": signatures})
    assert parse_error(document) == "m.link: expected at most 64 signatures, got 65"


def test_deeply_nested_metadata() -> None:
    deep = '{"signed": {"_type": "link", "x": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    assert parse_error(deep).startswith("m.link: metadata is not JSON (")
    assert "nested too deeply" in parse_error(deep)


def dsse(payload: bytes, payload_type: str = "application/vnd.in-toto+json") -> str:
    return json.dumps(
        {
            "payloadType": payload_type,
            "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": "", "sig": base64.b64encode(b"sig").decode()}],
        }
    )


def test_dsse_metadata() -> None:
    metadata = parse_metadata(dsse(b'{"_type": "link", "name": "x"}').encode(), "d")
    assert metadata.envelope == "dsse"
    assert metadata.payload == b'{"_type": "link", "name": "x"}'
    assert metadata.payload_type == "application/vnd.in-toto+json"
    assert metadata.signatures[0].sig == b"sig"


def test_malformed_dsse() -> None:
    assert parse_error(dsse(b"{}", "application/json")) == (
        "m.link: expected DSSE payloadType application/vnd.in-toto+json, got 'application/json'"
    )
    assert parse_error(dsse(b"nope")).startswith("m.link: DSSE payload is not JSON (")
    assert parse_error(dsse(b'{"_type": "layout", "_type": "link"}')) == (
        'm.link: DSSE payload is not JSON (duplicate key "_type" at line 1 column 29)'
    )
    assert parse_error('{"payloadType": "x", "payload": "!!", "signatures": []}') == (
        "m.link: DSSE envelope has no signatures"
    )


def test_oversized_metadata_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(in_toto_metadata, "MAX_METADATA_BYTES", 100)
    path = tmp_path / "big.link"
    path.write_bytes(b" " * 101)
    with pytest.raises(EvidenceError, match="larger than 100 bytes; not in-toto metadata"):
        in_toto_metadata.read_metadata(path)


# -- layouts and links ------------------------------------------------------------------------


def test_layout_fields() -> None:
    signed = good_layout()
    signed["steps"][0]["expected_materials"] = [
        ["MATCH", "src/*", "IN", "a", "WITH", "MATERIALS", "IN", "b", "FROM", "fetch"]
    ]
    metadata = parse_metadata(json.dumps({"signed": signed, "signatures": []}).encode(), "l")
    layout = parse_layout(metadata)
    assert layout.expires == datetime(2030, 1, 1, tzinfo=UTC)
    step = layout.steps[0]
    assert (step.name, step.pubkeys, step.threshold) == ("build", (WORKER.keyid,), 1)
    rule = step.expected_materials[0]
    assert (rule.kind, rule.pattern, rule.source_prefix, rule.dest_type) == (
        "MATCH",
        "src/*",
        "a",
        "materials",
    )
    assert (rule.dest_prefix, rule.dest_name) == ("b", "fetch")


def _without(field: str) -> dict[str, Any]:
    signed = good_layout()
    del signed[field]
    return signed


def _with_step(**changes: Any) -> dict[str, Any]:
    signed = good_layout()
    signed["steps"][0].update(changes)
    return signed


@pytest.mark.parametrize(
    ("signed", "reason"),
    [
        (_without("expires"), "l: layout has no 'expires'"),
        (_without("steps"), "l: layout has no 'steps'"),
        (
            {**good_layout(), "expires": "2030-01-01 00:00:00"},
            "l: expires: expected an RFC 3339 time with an offset, got '2030-01-01 00:00:00'",
        ),
        (
            {**good_layout(), "expires": "2030-02-30T00:00:00Z"},
            "l: expires: not a valid time ('2030-02-30T00:00:00Z')",
        ),
        (
            _with_step(name="../../etc/passwd"),
            "l: steps[0].name: expected a name of 1 to 200 UTF-8 bytes without path separators "
            "or control characters, got '../../etc/passwd'",
        ),
        (
            _with_step(name="é" * 101),
            "l: steps[0].name: expected a name of 1 to 200 UTF-8 bytes without path separators "
            f"or control characters, got '{'é' * 101}'",
        ),
        (
            _with_step(name=".."),
            "l: steps[0].name: expected a name of 1 to 200 UTF-8 bytes without path separators "
            "or control characters, got '..'",
        ),
        (
            _with_step(pubkeys=["ab" * 32]),
            f"l: step 'build': functionary key {'ab' * 32} is not in the layout's keys",
        ),
        (_with_step(threshold=0), "l: step 'build': expected threshold >= 1, got 0"),
        (_with_step(threshold=True), "l: step 'build': expected threshold >= 1, got True"),
        (
            _with_step(expected_products=[["MATCH", "foo", "FROM", "x"]]),
            "l: step 'build'.expected_products[0]: expected MATCH <pattern> [IN <prefix>] WITH "
            "(MATERIALS|PRODUCTS) [IN <prefix>] FROM <step>, got 'MATCH foo FROM x'",
        ),
        (
            _with_step(expected_products=[["MATCH", "f", "WITH", "BOTH", "FROM", "x"]]),
            "l: step 'build'.expected_products[0]: expected MATCH <pattern> [IN <prefix>] WITH "
            "(MATERIALS|PRODUCTS) [IN <prefix>] FROM <step>, got 'MATCH f WITH BOTH FROM x'",
        ),
        (
            _with_step(expected_products=[["CREATE", "a", "b"]]),
            "l: step 'build'.expected_products[0]: expected CREATE <pattern>, got 'CREATE a b'",
        ),
        (
            _with_step(expected_products=[["RENAME", "a"]]),
            "l: step 'build'.expected_products[0]: expected a rule of MATCH, CREATE, DELETE, "
            "MODIFY, ALLOW, DISALLOW, REQUIRE, got 'RENAME a'",
        ),
        (
            _with_step(expected_materials=[[]]),
            "l: step 'build'.expected_materials[0]: expected a rule as a non-empty list of strings",
        ),
        (
            {**good_layout(), "keys": {"ABC": {}}},
            "l: keys: expected key IDs as 64 lowercase hex digits, got 'ABC'",
        ),
        (
            {**good_layout(), "inspect": [{"name": "build", "run": ["true"]}]},
            "l: expected unique step and inspection names, got ['build']",
        ),
        (
            {**good_layout(), "inspect": [{"name": "check", "run": []}]},
            "l: inspection 'check': expected a non-empty command in 'run'",
        ),
    ],
)
def test_malformed_layouts(signed: dict[str, Any], reason: str) -> None:
    assert layout_error(signed) == reason


def test_too_many_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(in_toto_metadata, "MAX_RULES", 2)
    signed = _with_step(expected_products=[["ALLOW", "*"]] * 3)
    assert layout_error(signed) == (
        "l: step 'build'.expected_products: expected at most 2 entries, got 3"
    )


def test_link_fields_and_errors() -> None:
    signed = link_dict("build", materials={"a": b"1"}, products={"b": b"2"}, command=["make"])
    link = parse_link(
        parse_metadata(json.dumps({"signed": signed, "signatures": []}).encode(), "k")
    )
    assert link.name == "build"
    assert link.command == ("make",)
    assert link.products == {"b": {"sha256": hashlib.sha256(b"2").hexdigest()}}
    for products, reason in [
        ({"b": {}}, "k: products['b']: expected a non-empty object of algorithm -> hex"),
        (
            {"b": {"sha256": "zz"}},
            "k: products['b']: expected a non-empty object of algorithm -> hex",
        ),
        ({"": {"sha256": "00"}}, "k: products: empty artifact path"),
        ([], "k: products: expected an object of path -> hashes"),
    ]:
        broken = {**signed, "products": products}
        metadata = parse_metadata(json.dumps({"signed": broken, "signatures": []}).encode(), "k")
        with pytest.raises(EvidenceError) as raised:
            parse_link(metadata)
        assert str(raised.value) == reason


def test_malformed_layout_after_a_valid_signature_fails_verification(tmp_path: Path) -> None:
    signed = _with_step(expected_products=[["RENAME", "a"]])
    layout = tmp_path / "root.layout"
    layout.write_bytes(dump(metablock(signed, [OWNER])))
    result = verify_layout(
        layout,
        layout_keys=[OWNER.key],
        link_dir=tmp_path,
        artifact_sha256=bytes(32),
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert result.failure is not None
    assert result.failure.stage == "metadata"
    assert result.failure.reason.endswith("got 'RENAME a'")
    assert result.signed_by == (OWNER.keyid,)


def test_malformed_link_fails_verification_naming_the_link(tmp_path: Path) -> None:
    layout = tmp_path / "root.layout"
    layout.write_bytes(dump(metablock(good_layout(), [OWNER])))
    link = tmp_path / f"build.{WORKER.keyid[:8]}.link"
    link.write_text("{")
    result = verify_layout(
        layout,
        layout_keys=[OWNER.key],
        link_dir=tmp_path,
        artifact_sha256=bytes(32),
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert result.failure is not None
    assert (result.failure.stage, result.failure.step, result.failure.link) == (
        "metadata",
        "build",
        link.name,
    )
    assert result.failure.reason.startswith(f"{link}: metadata is not JSON (")


def test_layout_key_whose_id_does_not_match_fails(tmp_path: Path) -> None:
    signed = good_layout()
    signed["keys"][WORKER.keyid]["keyid_hash_algorithms"] = ["sha256"]  # changes the key ID
    layout = tmp_path / "root.layout"
    layout.write_bytes(dump(metablock(signed, [OWNER])))
    result = verify_layout(
        layout,
        layout_keys=[OWNER.key],
        link_dir=tmp_path,
        artifact_sha256=bytes(32),
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert result.failure is not None
    assert result.failure.reason == (
        f"{layout}: keys[{WORKER.keyid[:8]}]: key ID {WORKER.keyid!r} does not match the key "
        f"(computed {compute_keyid(signed['keys'][WORKER.keyid])})"
    )


# -- keys -------------------------------------------------------------------------------------


def test_key_ids_follow_securesystemslib() -> None:
    demo = corpus("in-toto") / "tests" / "demo_files"
    # PEM: securesystemslib 1.x's ID over {keytype, scheme, keyval}; a legacy key file: its own.
    assert load_layout_key(demo / "alice.pub").keyid == (
        "c8ef46bd3ccb95e2617a80e447d0c8c6338f85334c2f6c6cb640e140fc183763"
    )
    danny = load_layout_key(demo / "danny.pub")
    assert (danny.keyid, danny.scheme) == (
        "36a5529f72cf3b1cc096a28887350969212f9d6c46529658ab186fc0cb781699",
        "ed25519",
    )
    template = json.loads((demo / "demo.layout.template").read_text())["signed"]
    for keyid, raw in template["keys"].items():
        assert parse_key_dict(raw, "layout", keyid=keyid).keyid == keyid


def test_pem_keys_get_the_default_scheme_for_their_type(tmp_path: Path) -> None:
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    path = tmp_path / "p384.pub"
    path.write_bytes(
        p384.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert load_layout_key(path).scheme == "ecdsa-sha2-nistp384"
    with pytest.raises(
        InputError, match="scheme ecdsa-sha2-nistp256 does not fit a ECDSA secp384r1"
    ):
        load_layout_key(path, scheme="ecdsa-sha2-nistp256")


def test_key_files_that_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "key"
    cases: list[tuple[str, str]] = [
        ("nonsense", "expected a PEM or securesystemslib public key"),
        ("[]", "expected a securesystemslib key object"),
        (
            json.dumps({"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": "00"}}),
            "expected an Ed25519 public value of 64 lowercase hex digits",
        ),
        (
            json.dumps(
                {
                    "keytype": "ed25519",
                    "scheme": "ed25519",
                    "keyval": {"public": "00" * 32, "private": "11" * 32},
                }
            ),
            "holds a private key; give the public key",
        ),
        (
            json.dumps({"keytype": "rsa", "scheme": "ed25519", "keyval": {"public": "x"}}),
            "keytype 'rsa' does not fit scheme ed25519",
        ),
        (
            json.dumps({"keytype": "dsa", "scheme": "dsa-sha1", "keyval": {"public": "x"}}),
            "expected scheme one of rsassa-pss-sha256, rsa-pkcs1v15-sha256",
        ),
        (
            json.dumps({"keytype": "rsa", "scheme": "rsassa-pss-sha256", "keyval": {}}),
            "expected keyval.public as a string",
        ),
    ]
    for content, message in cases:
        path.write_text(content)
        with pytest.raises(InputError, match=message.replace("(", r"\(")):
            load_layout_key(path)


def test_small_rsa_keys_are_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    with pytest.raises(InputError, match="expected an RSA key of at least 2048 bits, got 1024"):
        key_from_public(small, "small")


def test_key_dict_round_trip() -> None:
    for signer in (OWNER, WORKER, derive_signer(SEED, "p384", kind="p384")):
        key = signer.key
        parsed = parse_key_dict(key.to_dict(), "k", keyid=key.keyid)
        assert (parsed.keyid, parsed.keytype, parsed.scheme) == (key.keyid, key.keytype, key.scheme)
        assert parsed.public == key.public


def test_step_name_with_a_lone_surrogate_is_refused() -> None:
    # DSSE payloads are not canonicalized, so a surrogate escape can reach the name check.
    signed = _with_step(name=json.loads('"build\\ud800"'))
    metadata = SignedMetadata("d", "dsse", signed, b"", "application/vnd.in-toto+json", ())
    with pytest.raises(EvidenceError, match="expected a name of 1 to 200 UTF-8 bytes"):
        parse_layout(metadata)
