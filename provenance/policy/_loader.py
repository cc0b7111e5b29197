"""Load a version 1 policy file into a `Policy`.

Algorithm (`load_policy`):
1. Read and parse the YAML with positions (`_yaml.load_yaml_file`): size limit, strict UTF-8,
   no anchors, aliases, merge keys, duplicate keys or non-string keys.
2. Require a mapping at the top level with `version: 1`, before anything else: a file of a
   later version is reported as such, not as a list of unknown keys.
3. Validate against the shipped JSON Schema (`schema/policy-v1.schema.json`); report the first
   problem in file order.
4. Compile what the schema cannot check, each problem at its own position: identity and issuer
   patterns (a regular expression must compile; a glob must not be wildcards only), public key
   files (resolved relative to the policy file's directory), private trust root files.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, cast

from provenance.errors import InputError
from provenance.policy._model import Policy, Vendor
from provenance.policy._schema import schema_problems
from provenance.policy._yaml import JsonPath, YamlDocument, describe_value, load_yaml_file
from provenance.verification.matching import Pattern
from provenance.verification.signers import SignerRule, SigstoreIdentity, load_public_key

__all__ = ["DEFAULT_SIGSTORE_TRUST", "MAX_POLICY_BYTES", "POLICY_VERSION", "load_policy"]

# A policy is a few kilobytes of YAML written by people; anything larger is not one. The
# pure-Python YAML composer (needed to refuse anchors) loads this much in about two seconds.
MAX_POLICY_BYTES = 256 * 1024
POLICY_VERSION = 1
SCHEMA_V1 = "policy-v1.schema.json"
# Used when a policy has no `trust.sigstore`.
DEFAULT_SIGSTORE_TRUST = ("embedded:production",)


def load_policy(path: Path) -> Policy:
    """Load and check a policy file; every problem raises `PolicyError` with its position."""
    document = load_yaml_file(path, max_bytes=MAX_POLICY_BYTES)
    data = document.data
    if not isinstance(data, dict):
        raise document.error((), f"expected a mapping at the top level, got {describe_value(data)}")
    if "version" not in data:
        raise document.error(
            (), f"missing required key 'version' (expected version: {POLICY_VERSION})"
        )
    version = data["version"]
    if type(version) is not int or version != POLICY_VERSION:
        raise document.error(
            ("version",),
            f"expected {POLICY_VERSION}, got {describe_value(version)} (this release of "
            f"provenance reads policy version {POLICY_VERSION})",
        )
    problems = schema_problems(document, SCHEMA_V1)
    if problems:
        raise problems[0]
    return _compile(document, cast(dict[str, Any], data), path)


def _compile(document: YamlDocument, data: dict[str, Any], path: Path) -> Policy:
    base = path.parent
    trust = data.get("trust", {}).get("sigstore", list(DEFAULT_SIGSTORE_TRUST))
    sigstore_trust = tuple(
        _trust_root(document, ("trust", "sigstore", i), ref, base) for i, ref in enumerate(trust)
    )
    vendors: dict[str, Vendor] = {}
    for name, entry in data["vendors"].items():
        signers = tuple(
            _signer(document, ("vendors", name, "signers", i), signer, base)
            for i, signer in enumerate(entry["signers"])
        )
        vendors[name] = Vendor(name=name, signers=signers, products=tuple(entry["products"]))
    return Policy(path=str(path), sigstore_trust=sigstore_trust, vendors=vendors)


def _trust_root(document: YamlDocument, at: JsonPath, reference: str, base: Path) -> str:
    if reference.startswith("embedded:"):
        return reference  # the schema allows only the embedded roots that exist
    location = os.path.abspath(base / reference)
    try:
        with open(location, "rb"):
            pass
    except OSError as exc:
        raise document.error(
            at, f"cannot read trust root {location}: {exc.strerror or exc}"
        ) from exc
    return location


def _signer(document: YamlDocument, at: JsonPath, entry: dict[str, Any], base: Path) -> SignerRule:
    if "sigstore" in entry:
        rule = entry["sigstore"]
        return SigstoreIdentity(
            identity=_pattern(document, (*at, "sigstore"), rule, "identity"),
            issuer=_pattern(document, (*at, "sigstore"), rule, "issuer"),
        )
    if "key" in entry:
        try:
            return load_public_key(base / entry["key"])
        except InputError as exc:
            raise document.error((*at, "key"), str(exc)) from exc
    # Unreachable while the schema requires exactly one known signer kind.
    raise document.error(at, f"expected one of: key, sigstore, got {', '.join(entry)}")


def _pattern(document: YamlDocument, at: JsonPath, rule: dict[str, Any], field: str) -> Pattern:
    """`identity`/`issuer` is a glob; `identity_regex`/`issuer_regex` a full-match regex."""
    if field in rule:
        text: str = rule[field]
        if set(text) == {"*"}:
            article = "an" if field[0] in "aeiou" else "a"
            raise document.error(
                (*at, field),
                f"expected {article} {field} pattern with literal text, got {text!r}, which "
                f"matches any {field}",
            )
        return Pattern.glob(text)
    text = rule[f"{field}_regex"]
    try:
        return Pattern.regex(text)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        raise document.error(
            (*at, f"{field}_regex"),
            f"expected a regular expression, got {text!r}, which does not compile: "
            f"{exc.msg}{where}",
        ) from exc
