"""The policy file, version 1: loading into the model, and a positioned message for each problem."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jsonschema import Draft202012Validator

from provenance.errors import PolicyError, UsageError
from provenance.policy import Policy, Product, Vendor, load_policy
from provenance.policy._loader import MAX_POLICY_BYTES
from provenance.policy._yaml import MAX_NESTING_DEPTH, Mark, format_path, load_yaml_file
from provenance.verification.matching import Pattern
from provenance.verification.signers import PublicKeySigner, SigstoreIdentity, key_id_of
from provenance.verification.sigstore.trust_root import EMBEDDED_ROOTS

_SCHEMA = json.loads(
    (Path(__file__).parents[1] / "provenance/policy/schema/policy-v1.schema.json").read_text()
)
# Every signer kind, as the schema's messages list them.
SIGNER_KINDS = ", ".join(sorted(_SCHEMA["$defs"]["signer"]["properties"]))

EXAMPLE = """\
version: 1
trust:
  sigstore: [embedded:production]
vendors:
  acme-automation:
    signers:
      - sigstore: {identity: "https://github.com/acme/plc-fw/.github/workflows/release.yml@refs/tags/v*",
                   issuer: "https://token.actions.githubusercontent.com"}
      - sigstore: {identity_regex: "https://github\\\\.com/acme/.+", issuer: "https://accounts.google.com"}
      - key: keys/acme-release-2026.pub
    products: ["pkg:generic/acme/plc-firmware"]
  beta-controls:
    signers:
      - sigstore:
          identity: "**@beta.example"
          issuer_regex: "https://login\\\\.beta\\\\.example/(eu|us)"
    products:
      - pkg:generic/beta/hmi
      - pkg:npm/%40beta/scada-ui
"""

# The smallest valid policy; error cases below append to it or replace parts of it.
MINIMAL = """\
version: 1
vendors:
  acme:
    signers:
      - sigstore: {identity: "a@acme.example", issuer: "https://issuer.example"}
    products: [pkg:generic/acme/fw]
"""


def _public_pem(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def acme_key(tmp_path: Path) -> ec.EllipticCurvePublicKey:
    """A fresh P-256 public key at keys/acme-release-2026.pub (no private key is kept)."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    (tmp_path / "keys").mkdir(exist_ok=True)
    (tmp_path / "keys" / "acme-release-2026.pub").write_bytes(_public_pem(key))
    return key


def _write(tmp_path: Path, text: str | bytes, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def _error(path: Path) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return info.value


# --- a valid policy ---------------------------------------------------------------------------


def test_example_loads_into_the_model(tmp_path: Path, acme_key: ec.EllipticCurvePublicKey) -> None:
    path = _write(tmp_path, EXAMPLE)

    policy = load_policy(path)

    assert isinstance(policy, Policy)
    assert policy.path == str(path)
    assert policy.sigstore_trust == ("embedded:production",)
    assert list(policy.vendors) == ["acme-automation", "beta-controls"]
    acme = policy.vendors["acme-automation"]
    assert isinstance(acme, Vendor)
    assert acme.products == (
        Product("plc-firmware", "pkg:generic/acme/plc-firmware", "acme-automation", shorthand=True),
    )
    first, second, third = acme.signers
    assert first == SigstoreIdentity(
        identity=Pattern.glob(
            "https://github.com/acme/plc-fw/.github/workflows/release.yml@refs/tags/v*"
        ),
        issuer=Pattern.exact("https://token.actions.githubusercontent.com"),
        trust_root="embedded:production",
    )
    assert second == SigstoreIdentity(
        identity=Pattern.regex(r"https://github\.com/acme/.+"),
        issuer=Pattern.exact("https://accounts.google.com"),
        trust_root="embedded:production",
    )
    assert isinstance(third, PublicKeySigner)
    assert third.key == acme_key
    assert third.key_id == key_id_of(acme_key)
    assert third.source == str(tmp_path / "keys" / "acme-release-2026.pub")
    assert [p.purl for p in policy.vendors["beta-controls"].products] == [
        "pkg:generic/beta/hmi",
        "pkg:npm/%40beta/scada-ui",
    ]


def test_model_is_read_only(tmp_path: Path, acme_key: ec.EllipticCurvePublicKey) -> None:
    policy = load_policy(_write(tmp_path, EXAMPLE))

    with pytest.raises(TypeError):
        policy.vendors["evil"] = policy.vendors["acme-automation"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        policy.path = "other.yaml"  # type: ignore[misc]


def test_glob_star_does_not_cross_a_slash(
    tmp_path: Path, acme_key: ec.EllipticCurvePublicKey
) -> None:
    rule = load_policy(_write(tmp_path, EXAMPLE)).vendors["acme-automation"].signers[0]
    assert isinstance(rule, SigstoreIdentity)
    base = "https://github.com/acme/plc-fw/.github/workflows/release.yml@refs/tags/"

    assert rule.identity.matches(base + "v1.2.3")
    assert not rule.identity.matches(base + "v1/../../evil")
    assert not rule.identity.matches(base + "x1.2.3")
    assert not rule.identity.matches("evil" + base + "v1")
    assert rule.issuer.matches("https://token.actions.githubusercontent.com")
    assert not rule.issuer.matches("https://token.actions.githubusercontent.com.evil")


def test_glob_double_star_crosses_slashes_and_nothing_else_is_special(
    tmp_path: Path, acme_key: ec.EllipticCurvePublicKey
) -> None:
    rule = load_policy(_write(tmp_path, EXAMPLE)).vendors["beta-controls"].signers[0]
    assert isinstance(rule, SigstoreIdentity)

    assert rule.identity.matches("ops/release@beta.example")
    assert not rule.identity.matches("ops@beta.example.evil")
    assert rule.issuer.matches("https://login.beta.example/eu")
    assert not rule.issuer.matches("https://loginxbeta.example/eu")


def test_regex_is_anchored_at_both_ends(
    tmp_path: Path, acme_key: ec.EllipticCurvePublicKey
) -> None:
    rule = load_policy(_write(tmp_path, EXAMPLE)).vendors["acme-automation"].signers[1]
    assert isinstance(rule, SigstoreIdentity)

    assert rule.identity.matches("https://github.com/acme/x")
    assert not rule.identity.matches("evilhttps://github.com/acme/x")
    assert not rule.identity.matches("https://github.com/acme/")
    assert not rule.identity.matches("https://github.com/acme/x\nhttps://evil")
    assert not rule.identity.matches("https://githubXcom/acme/x")


def test_signer_rules_in_file_order(tmp_path: Path, acme_key: ec.EllipticCurvePublicKey) -> None:
    policy = load_policy(_write(tmp_path, EXAMPLE))

    every = policy.signer_rules()
    assert [name for name, _ in every] == ["acme-automation"] * 3 + ["beta-controls"]
    assert [rule for _, rule in every][:3] == list(policy.vendors["acme-automation"].signers)
    assert policy.signer_rules("beta-controls") == [
        ("beta-controls", policy.vendors["beta-controls"].signers[0])
    ]


def test_signer_rules_for_an_unknown_vendor_is_a_usage_error(
    tmp_path: Path, acme_key: ec.EllipticCurvePublicKey
) -> None:
    path = _write(tmp_path, EXAMPLE)
    policy = load_policy(path)

    with pytest.raises(PolicyError) as info:
        policy.signer_rules("acme")

    assert isinstance(info.value, UsageError)
    assert str(info.value) == (
        f"{path}: unknown vendor 'acme' (expected one of: acme-automation, beta-controls)"
    )


def test_trust_defaults_to_embedded_production(tmp_path: Path) -> None:
    assert load_policy(_write(tmp_path, MINIMAL)).sigstore_trust == ("embedded:production",)


def test_trust_paths_are_relative_to_the_policy_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "policies" / "private").mkdir(parents=True)
    (tmp_path / "policies" / "private" / "trusted_root.json").write_text("{}")
    text = MINIMAL.replace(
        "vendors:", "trust:\n  sigstore: [embedded:staging, private/trusted_root.json]\nvendors:"
    ).replace('issuer: "https://issuer.example"}', 'issuer: "https://issuer.example", '
              "trust_root: private/trusted_root.json}")  # fmt: skip
    _write(tmp_path / "policies", text)
    monkeypatch.chdir(tmp_path)

    policy = load_policy(Path("policies/site.yaml"))

    private = str(tmp_path / "policies" / "private" / "trusted_root.json")
    assert policy.sigstore_trust == ("embedded:staging", private)
    assert os.path.isabs(policy.sigstore_trust[1])
    (rule,) = policy.vendors["acme"].signers
    assert isinstance(rule, SigstoreIdentity)
    assert rule.trust_root == private


def test_keyless_signers_name_their_trust_root_when_several_are_trusted(tmp_path: Path) -> None:
    """Otherwise one instance's CA could certify the identities expected from another."""
    two_roots = MINIMAL.replace(
        "vendors:", "trust:\n  sigstore: [embedded:staging, embedded:production]\nvendors:"
    )
    path = _write(tmp_path, two_roots)
    with pytest.raises(PolicyError) as missing:
        load_policy(path)
    assert str(missing.value) == (
        f"{path}:7:19: vendors.acme.signers[0].sigstore: expected trust_root naming which of "
        "trust.sigstore vouches for this identity (the policy trusts several instances), got none"
    )
    other = _write(
        tmp_path,
        MINIMAL.replace('issuer: "https://issuer.example"}',
                        'issuer: "https://issuer.example", trust_root: embedded:staging}'),
    )  # fmt: skip
    with pytest.raises(PolicyError) as unknown:
        load_policy(other)
    assert "sigstore.trust_root: expected one of trust.sigstore (embedded:production), got " in (
        str(unknown.value)
    )


def test_key_paths_are_relative_to_the_policy_file_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "policies" / "keys").mkdir(parents=True)
    key = ec.generate_private_key(ec.SECP384R1()).public_key()
    (tmp_path / "policies" / "keys" / "acme.pub").write_bytes(_public_pem(key))
    _write(
        tmp_path / "policies",
        MINIMAL.replace(
            'sigstore: {identity: "a@acme.example", issuer: "https://issuer.example"}',
            "key: keys/acme.pub",
        ),
    )
    monkeypatch.chdir(tmp_path)

    (rule,) = load_policy(Path("policies/site.yaml")).vendors["acme"].signers

    assert isinstance(rule, PublicKeySigner)
    assert rule.key == key
    assert rule.source == os.path.join("policies", "keys", "acme.pub")


# --- every problem names file:line:column and says what was expected --------------------------

# (name, policy text, line, column, problem)
SCHEMA_CASES: list[tuple[str, str, int, int, str]] = [
    (
        "misspelt key in a block mapping",
        """\
        version: 1
        vendors:
          acme-automation:
            signers:
              - sigstore:
                  identiy: "https://github.com/acme/plc-fw/.github/workflows/release.yml@refs/tags/v*"
                  issuer: https://token.actions.githubusercontent.com
            products: [pkg:generic/acme/fw]
        """,
        6,
        11,
        "vendors.acme-automation.signers[0].sigstore: unknown key 'identiy' "
        "(expected one of: identity, identity_regex, issuer, issuer_regex, trust_root)",
    ),
    (
        "unknown top-level key",
        MINIMAL + "zones: {}\n",
        7,
        1,
        "unknown key 'zones' (expected one of: delivery, groups, segments, site, trust, vendors, "
        "version)",
    ),
    (
        "unknown vendor key",
        MINIMAL + "    owner: ops\n",
        7,
        5,
        "vendors.acme: unknown key 'owner' (expected one of: in_toto, products, signers)",
    ),
    (
        "unknown signer kind",
        MINIMAL.replace("- sigstore:", "- fulcio:"),
        5,
        9,
        f"vendors.acme.signers[0]: unknown key 'fulcio' (expected one of: {SIGNER_KINDS})",
    ),
    (
        "two signer kinds in one entry",
        MINIMAL.replace("- sigstore:", "- key: k.pub\n        sigstore:"),
        5,
        9,
        f"vendors.acme.signers[0]: expected exactly one of: {SIGNER_KINDS}, got 2: key, sigstore",
    ),
    (
        "empty signer entry",
        MINIMAL.replace(
            '- sigstore: {identity: "a@acme.example", issuer: "https://issuer.example"}', "- {}"
        ),
        5,
        9,
        f"vendors.acme.signers[0]: expected exactly one of: {SIGNER_KINDS}, got an empty mapping",
    ),
    (
        "identity and identity_regex together",
        MINIMAL.replace('identity: "a@acme.example"', 'identity: a, identity_regex: "a.*"'),
        5,
        9,
        "vendors.acme.signers[0].sigstore: expected exactly one of: identity, identity_regex, "
        "got identity and identity_regex",
    ),
    (
        "no issuer",
        MINIMAL.replace(', issuer: "https://issuer.example"', ""),
        5,
        9,
        "vendors.acme.signers[0].sigstore: expected exactly one of: issuer, issuer_regex, "
        "got neither",
    ),
    (
        "a number where a string is expected",
        MINIMAL.replace('issuer: "https://issuer.example"', "issuer: 5"),
        5,
        56,
        "vendors.acme.signers[0].sigstore.issuer: expected a string, got integer 5; "
        "quote it to make it a string",
    ),
    (
        "YAML 1.1 reads no as false",
        MINIMAL.replace('issuer: "https://issuer.example"', "issuer: no"),
        5,
        56,
        "vendors.acme.signers[0].sigstore.issuer: expected a string, got boolean false "
        "(written 'no'); quote it to make it a string",
    ),
    (
        "an empty value is null",
        MINIMAL.replace('issuer: "https://issuer.example"', "issuer: "),
        5,
        55,
        "vendors.acme.signers[0].sigstore.issuer: expected a string, got null (an empty value)",
    ),
    (
        "empty identity string",
        MINIMAL.replace('"a@acme.example"', '""'),
        5,
        30,
        "vendors.acme.signers[0].sigstore.identity: expected a non-empty string, "
        "got an empty string",
    ),
    (
        "empty signers list",
        MINIMAL.replace(
            '\n      - sigstore: {identity: "a@acme.example", issuer: "https://issuer.example"}',
            " []",
        ),
        4,
        5,
        "vendors.acme.signers: expected at least 1 entry, got an empty list",
    ),
    (
        "a vendor with nothing",
        MINIMAL + "  beta: {}\n",
        7,
        3,
        "vendors.beta: missing required key 'signers'",
    ),
    (
        "a product without its package URL",
        MINIMAL.replace("[pkg:generic/acme/fw]", "{fw: {files: [fw-*.bin]}}"),
        6,
        16,
        "vendors.acme.products.fw: missing required key 'purl'",
    ),
    (
        "a product's file glob with a folder",
        MINIMAL.replace(
            "[pkg:generic/acme/fw]", "{fw: {purl: pkg:generic/acme/fw, files: [dist/fw.bin]}}"
        ),
        6,
        56,
        "vendors.acme.products.fw.files[0]: expected a file name glob such as "
        "plc-firmware-*.bin: no /, not only wildcards, got string 'dist/fw.bin'",
    ),
    (
        "empty vendors mapping",
        "version: 1\nvendors: {}\n",
        2,
        1,
        "vendors: expected at least 1 key, got an empty mapping",
    ),
    (
        "no vendors",
        "version: 1\ntrust:\n  sigstore: [embedded:production]\n",
        1,
        1,
        "missing required key 'vendors'",
    ),
    (
        "empty trust",
        MINIMAL + "trust: {}\n",
        7,
        1,
        "trust: expected at least 1 key, got an empty mapping",
    ),
    (
        "empty trust.sigstore",
        MINIMAL + "trust: {sigstore: []}\n",
        7,
        9,
        "trust.sigstore: expected at least 1 entry, got an empty list",
    ),
    (
        "unknown embedded trust root",
        MINIMAL + "trust: {sigstore: [embedded:prod]}\n",
        7,
        20,
        "trust.sigstore[0]: expected embedded:production, embedded:staging, imported:NAME (the "
        "newest root trust import verified: production, staging or a private instance's) or a "
        "path to a trusted_root.json, got string 'embedded:prod'",
    ),
    (
        "repeated trust root",
        MINIMAL + "trust:\n  sigstore:\n    - embedded:production\n    - embedded:production\n",
        10,
        7,
        "trust.sigstore[1]: expected each entry once, got a repeat of [0]",
    ),
    (
        "vendor name that is not a slug",
        MINIMAL.replace("  acme:", "  Acme_Automation:"),
        3,
        3,
        "vendors: invalid key 'Acme_Automation': expected a lowercase name: letters a-z, "
        "digits and single hyphens, such as acme-automation",
    ),
    (
        "vendor name with a trailing newline ($ is the end of input, as in JSON Schema)",
        MINIMAL.replace("  acme:", '  "acme\\n":'),
        3,
        3,
        "vendors: invalid key 'acme\\n': expected a lowercase name: letters a-z, "
        "digits and single hyphens, such as acme-automation",
    ),
    (
        "product that is not a package URL",
        MINIMAL.replace("[pkg:generic/acme/fw]", "[acme-fw]"),
        6,
        16,
        "vendors.acme.products[0]: expected a package URL without version, qualifiers or "
        "subpath, such as pkg:generic/acme/plc-firmware, got string 'acme-fw'",
    ),
    (
        "product with a version",
        MINIMAL.replace("[pkg:generic/acme/fw]", "[pkg:generic/acme/fw@1.0]"),
        6,
        16,
        "vendors.acme.products[0]: expected a package URL without version, qualifiers or "
        "subpath, such as pkg:generic/acme/plc-firmware, got string 'pkg:generic/acme/fw@1.0'",
    ),
    (
        "products is a string, not a list",
        MINIMAL.replace("[pkg:generic/acme/fw]", "pkg:generic/acme/fw"),
        6,
        15,
        "vendors.acme.products: expected a list or a mapping, got string 'pkg:generic/acme/fw'",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "problem"),
    [case[1:] for case in SCHEMA_CASES],
    ids=[case[0] for case in SCHEMA_CASES],
)
def test_schema_problem_is_reported_at_its_position(
    tmp_path: Path, text: str, line: int, column: int, problem: str
) -> None:
    path = _write(tmp_path, textwrap.dedent(text))

    error = _error(path)

    assert (error.path, error.line, error.column, error.problem) == (
        str(path),
        line,
        column,
        problem,
    )
    assert str(error) == f"{path}:{line}:{column}: {problem}"
    assert isinstance(error, UsageError)


# (name, policy text, line, column, problem)
YAML_CASES: list[tuple[str, str | bytes, int, int, str]] = [
    ("empty file", "", 1, 1, "expected a YAML document, got an empty file"),
    ("only comments", "# nothing yet\n\n", 1, 1, "expected a YAML document, got an empty file"),
    (
        "a list at the top",
        "- version: 1\n",
        1,
        1,
        "expected a mapping at the top level, got a list",
    ),
    (
        "a string at the top",
        "version 1\n",
        1,
        1,
        "expected a mapping at the top level, got string 'version 1'",
    ),
    (
        "syntax error",
        "version: 1\nvendors\n  acme: {}\n",
        3,
        7,
        "invalid YAML: could not find expected ':' "
        "(while scanning a simple key at line 2, column 1)",
    ),
    (
        "unclosed flow list",
        "version: 1\nvendors: {acme: [\n",
        3,
        1,
        "invalid YAML: expected the node content, but found '<stream end>' "
        "(while parsing a flow node at line 3, column 1)",
    ),
    (
        "mismatched brackets",
        "version: 1\nvendors:\n  acme: {signers: [a, b}\n",
        3,
        24,
        "invalid YAML: expected ',' or ']', but got '}' "
        "(while parsing a flow sequence at line 3, column 19)",
    ),
    (
        "tab indentation",
        "version: 1\nvendors:\n\tacme: {}\n",
        3,
        1,
        "invalid YAML: found character '\\t' that cannot start any token "
        "(while scanning for the next token)",
    ),
    (
        "two documents",
        MINIMAL + "---\nversion: 1\n",
        7,
        1,
        "invalid YAML: expected a single document in the stream, but found another document",
    ),
    (
        "duplicate key",
        MINIMAL + "    signers: [{key: other.pub}]\n",
        7,
        5,
        "vendors.acme: duplicate key 'signers' (first defined at line 4, column 5); "
        "expected each key once",
    ),
    (
        "duplicate top-level key",
        "version: 1\n" + MINIMAL,
        2,
        1,
        "duplicate key 'version' (first defined at line 1, column 1); expected each key once",
    ),
    (
        "a key YAML reads as a boolean",
        MINIMAL + "  on: {}\n",
        7,
        3,
        "vendors: expected a string key, got 'on', which YAML reads as a boolean; "
        "quote it to make it a string",
    ),
    (
        "an integer key",
        MINIMAL + "  1: {}\n",
        7,
        3,
        "vendors: expected a string key, got '1', which YAML reads as an integer; "
        "quote it to make it a string",
    ),
    (
        "a list as a key",
        MINIMAL + "  ? [a, b]\n  : {}\n",
        7,
        5,
        "vendors: expected a string key, got a list",
    ),
    (
        "anchor",
        MINIMAL.replace("products: [pkg:generic/acme/fw]", "products: &fw [pkg:generic/acme/fw]"),
        6,
        15,
        "expected a plain value, got anchor &fw; anchors and aliases are not allowed, so that "
        "every value reads where it is written",
    ),
    (
        "alias",
        MINIMAL.replace("products: [pkg:generic/acme/fw]", "products: *fw"),
        6,
        15,
        "expected a plain value, got alias *fw; anchors and aliases are not allowed, so that "
        "every value reads where it is written",
    ),
    (
        "merge key",
        MINIMAL + "    <<: {products: [pkg:generic/evil/fw]}\n",
        7,
        5,
        "vendors.acme: expected a key, got a merge key (<<); merge keys are not allowed, so "
        "that every value reads where it is written",
    ),
    (
        "a date where a string is expected",
        MINIMAL.replace("[pkg:generic/acme/fw]", "[2026-01-01]"),
        6,
        16,
        "vendors.acme.products[0]: expected a string, number, boolean or null, got "
        "'2026-01-01', which YAML reads as a timestamp; quote it to make it a string",
    ),
    (
        "custom tag",
        MINIMAL.replace("[pkg:generic/acme/fw]", "[!purl pkg:generic/acme/fw]"),
        6,
        16,
        "vendors.acme.products[0]: expected no YAML tag, got tag '!purl'",
    ),
    (
        "nesting too deep",
        "version: 1\nx: " + "[" * 40 + "]" * 40 + "\n",
        2,
        4 + MAX_NESTING_DEPTH - 1,
        f"expected at most {MAX_NESTING_DEPTH} levels of nesting, got more",
    ),
    (
        "not UTF-8",
        b"version: 1\nvendors:\n  acme\xe9: {}\n",
        3,
        7,
        "expected UTF-8 text, got byte 0xe9",
    ),
    (
        "not UTF-8, column counted in characters",
        "version: 1\n# café \n".encode() + b"# \xff\n",
        3,
        3,
        "expected UTF-8 text, got byte 0xff",
    ),
    (
        "UTF-16",
        "version: 1\n".encode("utf-16"),
        1,
        1,
        "expected UTF-8 text, got byte 0xff",
    ),
    (
        "control character",
        "version: 1\nvendors: {acme\x07: {}}\n",
        2,
        15,
        "expected printable text, got control character U+0007",
    ),
    (
        "no version",
        MINIMAL.replace("version: 1\n", ""),
        1,
        1,
        "missing required key 'version' (expected version: 1)",
    ),
    (
        "a later version",
        MINIMAL.replace("version: 1", "version: 2") + "segments: {}\n",
        1,
        10,
        "version: expected 1, got integer 2 (this release of provenance reads policy version 1)",
    ),
    (
        "version as a string",
        MINIMAL.replace("version: 1", 'version: "1"'),
        1,
        10,
        "version: expected 1, got string '1' (this release of provenance reads policy version 1)",
    ),
    (
        "version as true",
        MINIMAL.replace("version: 1", "version: true"),
        1,
        10,
        "version: expected 1, got boolean true (this release of provenance reads policy version 1)",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "problem"),
    [case[1:] for case in YAML_CASES],
    ids=[case[0] for case in YAML_CASES],
)
def test_yaml_problem_is_reported_at_its_position(
    tmp_path: Path, text: str | bytes, line: int, column: int, problem: str
) -> None:
    path = _write(tmp_path, text)

    error = _error(path)

    assert str(error) == f"{path}:{line}:{column}: {problem}"


# --- semantic problems: checked after the schema, still at their position ---------------------


def test_regex_that_does_not_compile(tmp_path: Path) -> None:
    path = _write(
        tmp_path, MINIMAL.replace('identity: "a@acme.example"', 'identity_regex: "https://(acme"')
    )

    assert str(_error(path)) == (
        f"{path}:5:36: vendors.acme.signers[0].sigstore.identity_regex: expected a regular "
        "expression, got 'https://(acme', which does not compile: missing ), unterminated "
        "subpattern at position 8"
    )


def test_issuer_regex_that_does_not_compile(tmp_path: Path) -> None:
    path = _write(
        tmp_path, MINIMAL.replace('issuer: "https://issuer.example"', 'issuer_regex: "[a-"')
    )

    assert str(_error(path)) == (
        f"{path}:5:62: vendors.acme.signers[0].sigstore.issuer_regex: expected a regular "
        "expression, got '[a-', which does not compile: unterminated character set at position 0"
    )


@pytest.mark.parametrize(("glob", "column"), [("*", 30), ("**", 30), ("***", 30)])
def test_identity_glob_of_wildcards_only_is_refused(tmp_path: Path, glob: str, column: int) -> None:
    path = _write(tmp_path, MINIMAL.replace('"a@acme.example"', f'"{glob}"'))

    assert str(_error(path)) == (
        f"{path}:5:{column}: vendors.acme.signers[0].sigstore.identity: expected an identity "
        f"pattern with literal text, got {glob!r}, which matches any identity"
    )


def test_issuer_glob_of_wildcards_only_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace('"https://issuer.example"', '"**"'))

    assert str(_error(path)) == (
        f"{path}:5:56: vendors.acme.signers[0].sigstore.issuer: expected an issuer "
        "pattern with literal text, got '**', which matches any issuer"
    )


def _key_policy(tmp_path: Path, key_path: str) -> Path:
    return _write(
        tmp_path,
        MINIMAL.replace(
            "      - sigstore:",
            f"      - key: {key_path}\n      - sigstore:",
        ),
    )


def test_missing_key_file(tmp_path: Path) -> None:
    path = _key_policy(tmp_path, "keys/missing.pub")

    assert str(_error(path)) == (
        f"{path}:5:14: vendors.acme.signers[0].key: {tmp_path / 'keys' / 'missing.pub'}: "
        "cannot read key: No such file or directory"
    )


def test_key_file_that_is_not_a_key(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a key\n")
    path = _key_policy(tmp_path, "notes.txt")

    error = _error(path)

    assert (error.line, error.column) == (5, 14)
    assert error.problem.startswith(
        f"vendors.acme.signers[0].key: {tmp_path / 'notes.txt'}: not a PEM public key ("
    )


def test_key_file_with_a_weak_rsa_key(tmp_path: Path) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    (tmp_path / "weak.pub").write_bytes(_public_pem(weak))
    path = _key_policy(tmp_path, "weak.pub")

    assert str(_error(path)) == (
        f"{path}:5:14: vendors.acme.signers[0].key: {tmp_path / 'weak.pub'}: expected an RSA "
        "key of at least 2048 bits, got 1024"
    )


def test_missing_private_trust_root(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "trust:\n  sigstore: [private/trusted_root.json]\n")

    assert str(_error(path)) == (
        f"{path}:8:14: trust.sigstore[0]: cannot read trust root "
        f"{tmp_path / 'private' / 'trusted_root.json'}: No such file or directory"
    )


# --- the file itself ----------------------------------------------------------------------------


def test_missing_policy_file_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    error = _error(path)

    assert isinstance(error, UsageError)
    assert str(error) == f"{path}: cannot read file: No such file or directory"


def test_directory_is_not_a_policy_file(tmp_path: Path) -> None:
    assert str(_error(tmp_path)) == f"{tmp_path}: expected a regular file, got a directory"


def test_file_larger_than_the_limit(tmp_path: Path) -> None:
    text = MINIMAL + "#" * (MAX_POLICY_BYTES - len(MINIMAL)) + "\n"
    path = _write(tmp_path, text)

    assert str(_error(path)) == (
        f"{path}: expected at most {MAX_POLICY_BYTES} bytes, got a larger file"
    )


def test_file_at_the_limit_loads(tmp_path: Path) -> None:
    text = MINIMAL + "#" * (MAX_POLICY_BYTES - len(MINIMAL) - 1) + "\n"
    assert len(text.encode()) == MAX_POLICY_BYTES

    assert list(load_policy(_write(tmp_path, text)).vendors) == ["acme"]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, "\ufeff" + MINIMAL)

    assert list(load_policy(path).vendors) == ["acme"]


def test_first_problem_in_file_order_is_reported(tmp_path: Path) -> None:
    text = MINIMAL.replace("  acme:", "  Acme:") + "trust: {sigstore: []}\n"
    path = _write(tmp_path, text)

    assert str(_error(path)).startswith(f"{path}:3:3: vendors: invalid key 'Acme'")


# --- the schema and the loader as reusable pieces ---------------------------------------------


def test_schema_is_package_data_and_valid_draft_2020_12() -> None:
    text = resources.files("provenance.policy").joinpath("schema", "policy-v1.schema.json")
    schema = json.loads(text.read_text("utf-8"))

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False


def test_located_yaml_keeps_key_and_value_positions(tmp_path: Path) -> None:
    document = load_yaml_file(_write(tmp_path, MINIMAL), max_bytes=1024)

    signer = document.info(("vendors", "acme", "signers", 0, "sigstore", "issuer"))
    assert (signer.key, signer.value) == (Mark(5, 48), Mark(5, 56))
    assert document.info(("vendors", "acme", "products")).key == Mark(6, 5)
    assert document.info(("vendors", "acme", "products", 0)).key is None
    assert document.info(("vendors", "acme", "products", 0)).text == "pkg:generic/acme/fw"


def test_format_path_quotes_odd_keys() -> None:
    assert format_path(["vendors", "acme", "signers", 0, "sigstore"]) == (
        "vendors.acme.signers[0].sigstore"
    )
    assert format_path(["vendors", "a.b", 1]) == 'vendors["a.b"][1]'
    assert format_path(["x\ny"]) == '["x\\ny"]'


def test_importing_provenance_does_not_load_the_policy_package() -> None:
    code = "import sys, provenance; print('provenance.policy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"


def test_schema_admits_exactly_the_embedded_trust_roots_the_verifier_knows() -> None:
    schema = json.loads(
        (Path(__file__).parents[1] / "provenance/policy/schema/policy-v1.schema.json").read_text()
    )
    pattern = re.compile(schema["$defs"]["sigstoreTrustRoot"]["pattern"])
    embedded = {"embedded:production", "embedded:staging", "embedded:nightly", "embedded:"}
    admitted = {name for name in embedded if pattern.fullmatch(name)}
    assert admitted == set(EMBEDDED_ROOTS)
