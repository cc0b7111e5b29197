"""Policy version 1, segments: groups, the site key, segments with `extends` and `require`,
effective requirements, and a positioned message for each problem."""

from __future__ import annotations

import hashlib
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from provenance.errors import PolicyError, UsageError
from provenance.policy import Group, Mark, Policy, Segment, load_policy
from provenance.policy.requirements import Day, read_requirements, requirement_kinds
from provenance.policy.requirements.approvals import ApprovalsSpec
from provenance.policy.requirements.freshness import FreshnessSpec
from provenance.policy.requirements.signed_by import SignedBySpec
from provenance.policy.requirements.version import VersionSpec
from provenance.verification.signers import PublicKeySigner, key_id_of
from tests.conftest import CliRunner

# A three-level chain: level1 extends level2 extends level3.
SITE = """\
version: 1
vendors:
  acme:
    signers:
      - sigstore: {identity: "a@acme.example", issuer: "https://issuer.example"}
    products: {fw: {purl: pkg:generic/acme/fw, files: [fw-*.bin]}}
  beta:
    signers:
      - sigstore: {identity: "b@beta.example", issuer: "https://issuer.example"}
    products: {hmi: {purl: pkg:generic/beta/hmi, files: [hmi-*.msi]}}
groups:
  ot-security:
    members:
      alice: keys/alice.pub
      bob: keys/bob.pub
site:
  vsa_key: keys/site.pub
segments:
  level3:
    require:
      signed_by: [acme, beta]
      freshness: {max_age_days: 365}
      version: ">=4.0,<5"
  level2:
    extends: level3
    require:
      signed_by: {vendors: [acme, beta], count: 2}
      rollback: deny
  level1:
    extends: level2
    require:
      freshness: {max_age_days: 90, not_before: "2025-01-01"}
      approvals: {count: 2, group: ot-security}
"""

KEY_NAMES = ("alice", "bob", "carol", "site")

# Every requirement kind, as an unknown-key message lists them.
KINDS = ", ".join(sorted(requirement_kinds()))


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, ed25519.Ed25519PublicKey]:
    """Fresh Ed25519 public keys at keys/NAME.pub (no private key is kept)."""
    (tmp_path / "keys").mkdir()
    out = {}
    for name in KEY_NAMES:
        key = ed25519.Ed25519PrivateKey.generate().public_key()
        pem = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (tmp_path / "keys" / f"{name}.pub").write_bytes(pem)
        out[name] = key
    return out


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _load(tmp_path: Path, text: str = SITE) -> Policy:
    return load_policy(_write(tmp_path, text))


def _error(path: Path) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return info.value


# --- the model ---------------------------------------------------------------------------------


def test_groups_site_key_and_segments_load_into_the_model(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    policy = _load(tmp_path)

    assert list(policy.groups) == ["ot-security"]
    group = policy.groups["ot-security"]
    assert isinstance(group, Group)
    assert group.name == "ot-security"
    assert list(group.members) == ["alice", "bob"]
    alice = group.members["alice"]
    assert isinstance(alice, PublicKeySigner)
    assert alice.key == keys["alice"]
    assert alice.key_id == key_id_of(keys["alice"])
    assert alice.source == str(tmp_path / "keys" / "alice.pub")
    assert policy.site_vsa_key is not None
    assert policy.site_vsa_key.key == keys["site"]

    assert list(policy.segments) == ["level3", "level2", "level1"]
    assert policy.segments["level1"] == Segment(
        name="level1",
        extends="level2",
        require={
            "freshness": FreshnessSpec(max_age_days=90, not_before=Day("2025-01-01")),
            "approvals": ApprovalsSpec(count=2, group="ot-security"),
        },
    )
    assert policy.segments["level3"].extends is None


def test_sha256_is_of_the_file_bytes(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    path = _write(tmp_path, SITE)

    assert load_policy(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_policy_without_segments_still_loads(tmp_path: Path) -> None:
    # Every version 1 file from before segments stays valid.
    text = SITE[: SITE.index("groups:")]

    policy = _load(tmp_path, text)

    assert (dict(policy.groups), dict(policy.segments), policy.site_vsa_key) == ({}, {}, None)


def test_model_is_read_only(tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]) -> None:
    policy = _load(tmp_path)

    with pytest.raises(TypeError):
        policy.segments["evil"] = policy.segments["level1"]  # type: ignore[index]
    with pytest.raises(TypeError):
        policy.segments["level1"].require["rollback"] = "deny"  # type: ignore[index]
    members = policy.groups["ot-security"].members
    with pytest.raises(TypeError):
        members["mallory"] = members["bob"]  # type: ignore[index]
    with pytest.raises(TypeError):
        policy.positions[("x",)] = Mark(1, 1)  # type: ignore[index]
    with pytest.raises(AttributeError):
        policy.sha256 = "0" * 64  # type: ignore[misc]


# --- effective requirements along `extends` ------------------------------------------------------


def test_effective_requirements_through_a_three_level_chain(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    policy = _load(tmp_path)

    assert policy.effective_requirements("level3") == read_requirements(
        {
            "signed_by": ["acme", "beta"],
            "freshness": {"max_age_days": 365},
            "version": ">=4.0,<5",
        }
    )
    # level2 replaces signed_by whole and adds rollback.
    assert policy.effective_requirements("level2") == read_requirements(
        {
            "signed_by": {"vendors": ["acme", "beta"], "count": 2},
            "freshness": {"max_age_days": 365},
            "version": ">=4.0,<5",
            "rollback": "deny",
        }
    )
    # level1 replaces freshness whole (no merge inside an entry) and adds approvals.
    effective = policy.effective_requirements("level1")
    assert list(effective) == ["signed_by", "freshness", "version", "rollback", "approvals"]
    assert effective == read_requirements(
        {
            "signed_by": {"vendors": ["acme", "beta"], "count": 2},
            "freshness": {"max_age_days": 90, "not_before": "2025-01-01"},
            "version": ">=4.0,<5",
            "rollback": "deny",
            "approvals": {"count": 2, "group": "ot-security"},
        }
    )
    assert policy.extends_chain("level1") == ["level1", "level2", "level3"]


def test_requirement_origin_names_the_segment_the_entry_comes_from(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    policy = _load(tmp_path)

    origins = {
        kind: policy.requirement_origin("level1", kind)
        for kind in policy.effective_requirements("level1")
    }

    assert origins == {
        "signed_by": "level2",
        "freshness": "level1",
        "version": "level3",
        "rollback": "level2",
        "approvals": "level1",
    }


def test_requirement_position_points_at_the_entry_where_it_is_written(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    policy = _load(tmp_path)

    assert policy.requirement_position("level1", "version") == Mark(23, 7)
    assert policy.requirement_position("level1", "signed_by") == Mark(27, 7)
    assert policy.requirement_position("level1", "approvals") == Mark(33, 7)
    assert policy.position("segments", "level1") == Mark(29, 3)
    assert policy.position("segments", "level1", "extends") == Mark(30, 5)
    assert policy.position("segments", "level3", "require", "signed_by", 1) == Mark(21, 25)
    assert policy.position("segments", "nowhere") is None


def test_effective_requirements_are_read_only(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    policy = _load(tmp_path)

    effective = policy.effective_requirements("level1")
    approvals = effective["approvals"]
    assert isinstance(approvals, ApprovalsSpec)
    with pytest.raises(FrozenInstanceError):
        approvals.count = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        effective["rollback"] = "allow"  # type: ignore[index]

    assert policy.effective_requirements("level1")["approvals"] == ApprovalsSpec(2, "ot-security")
    assert policy.segments["level2"].require["signed_by"] == SignedBySpec(("acme", "beta"), 2)


def test_a_segment_may_only_extend(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    policy = _load(tmp_path, SITE + "  level1-spare:\n    extends: level1\n")

    assert policy.segments["level1-spare"].require == {}
    assert policy.effective_requirements("level1-spare") == policy.effective_requirements("level1")
    assert policy.requirement_origin("level1-spare", "approvals") == "level1"


def test_unknown_segment_is_a_usage_error(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    path = _write(tmp_path, SITE)
    policy = load_policy(path)

    with pytest.raises(PolicyError) as info:
        policy.effective_requirements("level0")

    assert isinstance(info.value, UsageError)
    assert str(info.value) == (
        f"{path}: unknown segment 'level0' (expected one of: level1, level2, level3)"
    )


def test_unknown_segment_of_a_policy_without_segments(tmp_path: Path) -> None:
    path = _write(tmp_path, SITE[: SITE.index("groups:")])

    with pytest.raises(PolicyError) as info:
        load_policy(path).requirement_origin("level1", "approvals")

    assert str(info.value) == f"{path}: unknown segment 'level1' (the policy defines no segments)"


def test_origin_of_a_kind_the_segment_does_not_require(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    path = _write(tmp_path, SITE)

    with pytest.raises(PolicyError) as info:
        load_policy(path).requirement_origin("level3", "approvals")

    assert str(info.value) == (
        f"{path}: segment 'level3' has no requirement 'approvals' "
        "(its requirements: freshness, signed_by, version)"
    )


# --- every problem names file:line:column and says what was expected ---------------------------


def _replace(old: str, new: str) -> str:
    assert SITE.count(old) == 1, old
    return SITE.replace(old, new)


# (name, policy text, line, column, problem)
CASES: list[tuple[str, str, int, int, str]] = [
    # -- schema ---------------------------------------------------------------------------------
    (
        "unknown requirement kind",
        _replace(
            "      rollback: deny\n", "      rollback: deny\n      virus_scan: {engine: clamav}\n"
        ),
        29,
        7,
        f"segments.level2.require: unknown key 'virus_scan' (expected one of: {KINDS})",
    ),
    (
        "unknown segment key",
        _replace("    extends: level3\n", "    extends: level3\n    inherits: level3\n"),
        26,
        5,
        "segments.level2: unknown key 'inherits' (expected one of: extends, require)",
    ),
    (
        "unknown key in approvals (the design sketch's `from`)",
        _replace("{count: 2, group: ot-security}", "{count: 2, from: [ot-security]}"),
        33,
        29,
        "segments.level1.require.approvals: unknown key 'from' (expected one of: count, group)",
    ),
    (
        "unknown key in signed_by's mapping form",
        _replace("{vendors: [acme, beta], count: 2}", "{vendors: [acme, beta], min: 2}"),
        27,
        42,
        "segments.level2.require.signed_by: unknown key 'min' (expected one of: count, vendors)",
    ),
    (
        "signed_by's mapping form without count",
        _replace("{vendors: [acme, beta], count: 2}", "{vendors: [acme, beta]}"),
        27,
        7,
        "segments.level2.require.signed_by: missing required key 'count'",
    ),
    (
        "signed_by is a string",
        _replace("signed_by: [acme, beta]", "signed_by: acme"),
        21,
        18,
        "segments.level3.require.signed_by: expected a list or a mapping, got string 'acme'",
    ),
    (
        "empty signed_by",
        _replace("signed_by: [acme, beta]", "signed_by: []"),
        21,
        7,
        "segments.level3.require.signed_by: expected at least 1 entry, got an empty list "
        "(omit signed_by to accept a signature by any vendor of this policy)",
    ),
    (
        "a vendor twice in signed_by",
        _replace("signed_by: [acme, beta]", "signed_by: [acme, acme]"),
        21,
        25,
        "segments.level3.require.signed_by[1]: expected each entry once, got a repeat of [0]",
    ),
    (
        "signed_by count of zero",
        _replace("count: 2}\n      rollback", "count: 0}\n      rollback"),
        27,
        49,
        "segments.level2.require.signed_by.count: expected at least 1, got integer 0",
    ),
    (
        "approvals count as a string",
        _replace("{count: 2, group: ot-security}", '{count: "2", group: ot-security}'),
        33,
        26,
        "segments.level1.require.approvals.count: expected an integer, got string '2'",
    ),
    (
        "approvals count 2.0 is not an integer",
        _replace("{count: 2, group: ot-security}", "{count: 2.0, group: ot-security}"),
        33,
        26,
        "segments.level1.require.approvals.count: expected an integer, got number 2.0",
    ),
    (
        "approvals without group",
        _replace("{count: 2, group: ot-security}", "{count: 2}"),
        33,
        7,
        "segments.level1.require.approvals: missing required key 'group'",
    ),
    (
        "max_age_days of zero",
        _replace("{max_age_days: 365}", "{max_age_days: 0}"),
        22,
        33,
        "segments.level3.require.freshness.max_age_days: expected at least 1, got integer 0",
    ),
    (
        "empty freshness",
        _replace("{max_age_days: 365}", "{}"),
        22,
        7,
        "segments.level3.require.freshness: expected at least 1 key, got an empty mapping "
        "(omit freshness to not check the signing time)",
    ),
    (
        "not_before as an unquoted YAML date",
        _replace('not_before: "2025-01-01"', "not_before: 2025-01-01"),
        32,
        49,
        "segments.level1.require.freshness.not_before: expected a string, number, boolean or "
        "null, got '2025-01-01', which YAML reads as a timestamp; quote it to make it a string",
    ),
    (
        "not_before in another date format",
        _replace('not_before: "2025-01-01"', 'not_before: "01/01/2025"'),
        32,
        49,
        "segments.level1.require.freshness.not_before: expected a date written YYYY-MM-DD in "
        "quotes, such as \"2025-01-01\", got string '01/01/2025'",
    ),
    (
        "rollback other than deny",
        _replace("rollback: deny", "rollback: allow"),
        28,
        17,
        "segments.level2.require.rollback: expected \"deny\", got string 'allow'",
    ),
    (
        "rollback: no is a boolean",
        _replace("rollback: deny", "rollback: no"),
        28,
        17,
        'segments.level2.require.rollback: expected "deny", got boolean false',
    ),
    (
        "empty version",
        _replace('version: ">=4.0,<5"', 'version: ""'),
        23,
        16,
        "segments.level3.require.version: expected a non-empty string, got an empty string",
    ),
    (
        "version as a number",
        _replace('version: ">=4.0,<5"', "version: 4.0"),
        23,
        16,
        "segments.level3.require.version: expected a string or a mapping, got number 4.0; "
        "quote it to make it a string",
    ),
    (
        "tag_version per product (one specifier: a tag versions the whole repository)",
        _replace(
            'version: ">=4.0,<5"',
            'version: ">=4.0,<5"\n      provenance: {tag_version: {fw: ">=4"}}',
        ),
        24,
        33,
        "segments.level3.require.provenance.tag_version: expected a string, got a mapping",
    ),
    (
        "empty require",
        _replace(
            '      freshness: {max_age_days: 90, not_before: "2025-01-01"}\n'
            "      approvals: {count: 2, group: ot-security}\n",
            "",
        ).replace("  level1:\n    extends: level2\n    require:", "  level1:\n    require: {}"),
        30,
        5,
        "segments.level1.require: expected at least 1 key, got an empty mapping (a segment "
        "with no rule would deny everything anyway by default deny: state at least one "
        "requirement)",
    ),
    (
        "empty segment",
        SITE + "  level0: {}\n",
        34,
        3,
        "segments.level0: expected at least 1 key, got an empty mapping (a segment with "
        "neither require nor extends has no rule, and would deny everything anyway by default "
        "deny: give it require, extends or both)",
    ),
    (
        "require with no value",
        SITE + "  level0:\n    require:\n",
        35,
        13,
        "segments.level0.require: expected a mapping, got null (an empty value)",
    ),
    (
        "segment name that is not a slug",
        _replace("  level1:\n", "  Level_1:\n"),
        29,
        3,
        "segments: invalid key 'Level_1': expected a lowercase name: letters a-z, digits and "
        "single hyphens, such as acme-automation",
    ),
    (
        "group name that is not a slug",
        _replace("  ot-security:\n", "  OT Security:\n"),
        12,
        3,
        "groups: invalid key 'OT Security': expected a lowercase name: letters a-z, digits "
        "and single hyphens, such as acme-automation",
    ),
    (
        "member name that is not a slug",
        _replace("      alice:", "      alice@site:"),
        14,
        7,
        "groups.ot-security.members: invalid key 'alice@site': expected a lowercase name: "
        "letters a-z, digits and single hyphens, such as acme-automation",
    ),
    (
        "extends that is not a name",
        _replace("extends: level3", "extends: [level3]"),
        25,
        14,
        "segments.level2.extends: expected a string, got a list",
    ),
    (
        "group without members",
        _replace(
            "    members:\n      alice: keys/alice.pub\n      bob: keys/bob.pub\n",
            "    members: {}\n",
        ),
        13,
        5,
        "groups.ot-security.members: expected at least 1 key, got an empty mapping",
    ),
    (
        "empty groups",
        _replace(
            "  ot-security:\n    members:\n      alice: keys/alice.pub\n      bob: keys/bob.pub\n",
            "",
        ).replace("groups:\n", "groups: {}\n"),
        11,
        1,
        "groups: expected at least 1 key, got an empty mapping",
    ),
    (
        "empty site",
        _replace("  vsa_key: keys/site.pub\n", "").replace("site:\n", "site: {}\n"),
        16,
        1,
        "site: expected at least 1 key, got an empty mapping",
    ),
    (
        "unknown site key",
        _replace("  vsa_key:", "  signing_key:"),
        17,
        3,
        "site: unknown key 'signing_key' (expected one of: vsa_key)",
    ),
    (
        "empty segments",
        SITE[: SITE.index("  level3:")].replace("segments:\n", "segments: {}\n"),
        18,
        1,
        "segments: expected at least 1 key, got an empty mapping",
    ),
    # -- YAML -----------------------------------------------------------------------------------
    (
        "duplicate vendor",
        _replace("groups:\n", "  acme:\n    signers: [{key: keys/alice.pub}]\ngroups:\n"),
        11,
        3,
        "vendors: duplicate key 'acme' (first defined at line 3, column 3); expected each key once",
    ),
    (
        "duplicate segment",
        SITE + "  level3:\n    require: {rollback: deny}\n",
        34,
        3,
        "segments: duplicate key 'level3' (first defined at line 19, column 3); "
        "expected each key once",
    ),
    (
        "duplicate member",
        _replace("      bob: keys/bob.pub\n", "      bob: keys/bob.pub\n      alice: x.pub\n"),
        16,
        7,
        "groups.ot-security.members: duplicate key 'alice' (first defined at line 14, "
        "column 7); expected each key once",
    ),
    # -- semantic -------------------------------------------------------------------------------
    (
        "extends an unknown segment",
        _replace("extends: level3", "extends: level4"),
        25,
        14,
        "segments.level2.extends: unknown segment 'level4' "
        "(expected one of: level1, level2, level3)",
    ),
    (
        "extends itself",
        _replace("extends: level3", "extends: level2"),
        25,
        14,
        "segments.level2.extends: expected a chain of extends that ends, got a cycle: "
        "level2 -> level2",
    ),
    (
        "a cycle of three, closed by the last extends walked from the first segment",
        _replace("  level3:\n    require:", "  level3:\n    extends: level1\n    require:"),
        26,
        14,
        "segments.level2.extends: expected a chain of extends that ends, got a cycle: "
        "level3 -> level1 -> level2 -> level3",
    ),
    (
        "signed_by names an unknown vendor",
        _replace("signed_by: [acme, beta]", "signed_by: [acme, gamma]"),
        21,
        25,
        "segments.level3.require.signed_by[1]: unknown vendor 'gamma' "
        "(expected one of: acme, beta)",
    ),
    (
        "signed_by's mapping form names an unknown vendor",
        _replace("{vendors: [acme, beta], count: 2}", "{vendors: [acme, gamma], count: 2}"),
        27,
        35,
        "segments.level2.require.signed_by.vendors[1]: unknown vendor 'gamma' "
        "(expected one of: acme, beta)",
    ),
    (
        "signed_by count larger than the vendors listed",
        _replace("count: 2}\n      rollback", "count: 3}\n      rollback"),
        27,
        49,
        "segments.level2.require.signed_by.count: expected at most 2 (the vendors listed), "
        "got 3, so no artifact could ever enter this segment",
    ),
    (
        "approvals from an unknown group",
        _replace("group: ot-security}", "group: ot-ops}"),
        33,
        36,
        "segments.level1.require.approvals.group: unknown group 'ot-ops' "
        "(expected one of: ot-security)",
    ),
    (
        "approvals count larger than the group",
        _replace("{count: 2, group: ot-security}", "{count: 3, group: ot-security}"),
        33,
        26,
        "segments.level1.require.approvals.count: expected at most 2 (the members of "
        "ot-security), got 3, so no artifact could ever enter this segment",
    ),
    (
        "version specifier that does not parse",
        _replace('version: ">=4.0,<5"', 'version: "=>4.0"'),
        23,
        16,
        "segments.level3.require.version: expected a PEP 440 version specifier set such as "
        "'>=4.0,<5', got '=>4.0' (Invalid specifier: '=>4.0')",
    ),
    (
        "version without an operator",
        _replace('version: ">=4.0,<5"', 'version: "4.0"'),
        23,
        16,
        "segments.level3.require.version: expected a PEP 440 version specifier set such as "
        "'>=4.0,<5', got '4.0' (Invalid specifier: '4.0')",
    ),
    (
        "version with an empty specifier",
        _replace('version: ">=4.0,<5"', 'version: ">=4.0,"'),
        23,
        16,
        "segments.level3.require.version: expected a PEP 440 version specifier set such as "
        "'>=4.0,<5', got '>=4.0,', which has an empty specifier",
    ),
    (
        "not_before that is not a date",
        _replace('not_before: "2025-01-01"', 'not_before: "2025-02-30"'),
        32,
        49,
        "segments.level1.require.freshness.not_before: expected a date YYYY-MM-DD, got "
        "'2025-02-30' (day is out of range for month)",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "problem"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
@pytest.mark.usefixtures("keys")
def test_problem_is_reported_at_its_position(
    tmp_path: Path, text: str, line: int, column: int, problem: str
) -> None:
    path = _write(tmp_path, text)

    error = _error(path)

    assert (error.line, error.column, error.problem) == (line, column, problem)
    assert str(error) == f"{path}:{line}:{column}: {problem}"
    assert isinstance(error, UsageError)


def test_approvals_from_a_group_when_the_policy_has_none(tmp_path: Path) -> None:
    text = SITE.replace(SITE[SITE.index("groups:") : SITE.index("segments:")], "")
    path = _write(tmp_path, text)

    assert str(_error(path)) == (
        f"{path}:26:36: segments.level1.require.approvals.group: unknown group 'ot-security' "
        "(the policy defines no groups)"
    )


def test_cycle_is_reported_once_at_the_extends_that_closes_it(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    # level0 leads into the cycle; the cycle itself is reported, from its first segment.
    text = _replace("  level3:\n    require:", "  level3:\n    extends: level2\n    require:")
    path = _write(tmp_path, text + "  level0:\n    extends: level1\n")

    assert str(_error(path)) == (
        f"{path}:26:14: segments.level2.extends: expected a chain of extends that ends, got a "
        "cycle: level3 -> level2 -> level3"
    )


def test_missing_member_key(tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]) -> None:
    path = _write(tmp_path, _replace("keys/bob.pub", "keys/robert.pub"))

    assert str(_error(path)) == (
        f"{path}:15:12: groups.ot-security.members.bob: {tmp_path / 'keys' / 'robert.pub'}: "
        "cannot read key: No such file or directory"
    )


def test_missing_site_key(tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]) -> None:
    path = _write(tmp_path, _replace("keys/site.pub", "keys/vsa.pub"))

    assert str(_error(path)) == (
        f"{path}:17:12: site.vsa_key: {tmp_path / 'keys' / 'vsa.pub'}: "
        "cannot read key: No such file or directory"
    )


def test_two_members_with_one_key_defeat_the_two_person_rule(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    path = _write(tmp_path, _replace("keys/bob.pub", "keys/alice.pub"))

    assert str(_error(path)) == (
        f"{path}:15:12: groups.ot-security.members.bob: expected a key of its own, got the key "
        f"of alice ({key_id_of(keys['alice'])}); two approvals must be two people"
    )


def test_first_semantic_problem_in_file_order_is_raised(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    # Two problems; the one written first is reported, whichever was checked first.
    text = _replace("group: ot-security}", "group: ot-ops}").replace(
        "keys/bob.pub", "keys/robert.pub"
    )
    path = _write(tmp_path, text)

    assert str(_error(path)).startswith(f"{path}:15:12: groups.ot-security.members.bob: ")


def test_a_schema_problem_comes_before_any_semantic_one(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    text = _replace("keys/alice.pub", "keys/missing.pub").replace("rollback: deny", "rollback: 1")
    path = _write(tmp_path, text)

    assert str(_error(path)) == (
        f'{path}:28:17: segments.level2.require.rollback: expected "deny", got integer 1'
    )


def test_warnings_do_not_stop_a_policy_from_loading(
    tmp_path: Path, keys: dict[str, ed25519.Ed25519PublicKey]
) -> None:
    # An unsatisfiable version and an unescaped dot are lint warnings, not load errors.
    text = _replace('version: ">=4.0,<5"', 'version: ">=5,<4"').replace(
        'identity: "a@acme.example"', 'identity_regex: "a@acme.example"'
    )

    policy = _load(tmp_path, text)

    version = policy.effective_requirements("level3").find(VersionSpec)
    assert version is not None
    assert version.ranges[None].text == ">=5,<4"


# --- issue 22: extends chains are bounded and resolved in linear time ------------------------


def _chain(count: int) -> str:
    """A policy with `count` segments, each extending the one before (s0 extends none)."""
    lines = [
        "version: 1",
        "vendors:",
        "  acme:",
        "    signers:",
        '      - sigstore: {identity: "a@acme.example", issuer: "https://issuer.example"}',
        "    products: {fw: {purl: pkg:generic/acme/fw, files: [fw-*.bin]}}",
        "segments:",
        "  s0:",
        "    require:",
        "      signed_by: [acme]",
    ]
    for index in range(1, count):
        lines += [f"  s{index}:", f"    extends: s{index - 1}"]
    return "\n".join(lines) + "\n"


def test_a_chain_of_32_loads_and_33_is_an_error(tmp_path: Path, cli: CliRunner) -> None:
    assert load_policy(_write(tmp_path, _chain(32))).extends_chain("s31")[-1] == "s0"
    path = _write(tmp_path, _chain(34))
    message = (
        "segments.s32.extends: expected a chain of extends at most 32 segments deep, got 33 "
        "from 's32'"
    )
    assert _error(path).problem == message
    linted = cli("policy", "lint", path)
    assert linted.code == 1
    assert linted.stdout == f"{path}:74:14: error: {message}\n"


def test_a_long_chain_is_refused_once(tmp_path: Path) -> None:
    """1,500 segments took 18 s to load before (every segment re-walked its chain); chains are
    now resolved once each, in linear time (no timing here: the house keeps timings in
    benchmarks/), and a long chain is one error, at the first segment past the limit."""
    path = _write(tmp_path, _chain(6000))
    assert _error(path).problem == (
        "segments.s32.extends: expected a chain of extends at most 32 segments deep, got 33 "
        "from 's32'"
    )
