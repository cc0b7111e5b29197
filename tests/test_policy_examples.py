"""The example policies in `policies/`: they load, lint clean, and the zone files agree with
the site example they are written out from."""

from __future__ import annotations

from pathlib import Path

import pytest

from provenance.policy import Policy, lint_policy, load_policy
from provenance.policy.requirements.approvals import ApprovalsSpec
from provenance.policy.requirements.signed_by import SignedBySpec
from provenance.verification.signers import PublicKeySigner

POLICIES = Path(__file__).parents[1] / "policies"
EXAMPLES = sorted(POLICIES.rglob("*.yaml"))
SITE_EXAMPLE = POLICIES / "site-example.yaml"
ZONES = [
    "enterprise-dmz",
    "level3-operations",
    "level2-supervisory",
    "level1-controllers",
    "engineering-workstations",
]


def test_there_are_examples() -> None:
    assert {path.name for path in EXAMPLES} == {"site-example.yaml"} | {
        f"{zone}.yaml" for zone in ZONES
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_loads_and_lints_clean(path: Path) -> None:
    policy = load_policy(path)

    assert [str(problem) for problem in lint_policy(path)] == []
    assert policy.segments
    assert policy.sigstore_trust == ("embedded:production",)
    assert policy.site_vsa_key is not None


def test_site_example_covers_the_usual_zones() -> None:
    policy = load_policy(SITE_EXAMPLE)

    assert list(policy.segments) == ZONES
    assert policy.extends_chain("level1-controllers") == [
        "level1-controllers",
        "level2-supervisory",
        "level3-operations",
        "enterprise-dmz",
    ]
    effective = policy.effective_requirements("level1-controllers")
    assert effective["approvals"] == ApprovalsSpec(count=2, group="ot-security")
    assert effective["signed_by"] == SignedBySpec(
        vendors=("acme-automation", "example-integrator"), count=2
    )
    assert policy.requirement_origin("level1-controllers", "rollback") == "level3-operations"


@pytest.mark.parametrize("zone", ZONES)
def test_zone_file_requires_what_the_site_example_requires(zone: str) -> None:
    site = load_policy(SITE_EXAMPLE)
    alone = load_policy(POLICIES / f"{zone}.yaml")

    assert list(alone.segments) == [zone]
    assert dict(alone.effective_requirements(zone)) == dict(site.effective_requirements(zone))
    for name, vendor in alone.vendors.items():
        assert vendor == site.vendors[name]
    for name, group in alone.groups.items():
        assert group == site.groups[name]
    assert alone.site_vsa_key == site.site_vsa_key


def _key_sources(policy: Policy) -> set[str]:
    keys = [rule for _, rule in policy.signer_rules() if isinstance(rule, PublicKeySigner)]
    keys += [key for group in policy.groups.values() for key in group.members.values()]
    keys += [policy.site_vsa_key] if policy.site_vsa_key else []
    return {Path(key.source).name for key in keys}


def test_keys_are_public_keys_only_and_all_in_use() -> None:
    files = [path for path in POLICIES.rglob("*") if path.is_file()]
    for path in files:
        assert b"PRIVATE KEY" not in path.read_bytes(), path

    in_use = set().union(*(_key_sources(load_policy(path)) for path in EXAMPLES))
    assert {path.name for path in (POLICIES / "keys").iterdir()} == in_use


def test_readme_names_every_example() -> None:
    readme = (POLICIES / "README.md").read_text(encoding="utf-8")

    for path in EXAMPLES:
        assert f"`{path.name}`" in readme
