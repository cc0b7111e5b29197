"""Shared set-up for the adversarial tests (`test_adversarial_*.py`): the same sites and
state as tests/test_binding.py and tests/test_vulnerabilities_gate.py, built by plain
functions so each test module declares its own fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

from provenance.commands.vulndb import vulndb_import
from provenance.testing import PrivateSigstoreInstance
from provenance.testing.keys import public_key_pem
from tests.conftest import vulndata
from tests.test_binding import POLICY, Site, release_key
from tests.test_vulnerabilities_gate import DELIVERY

__all__ = ["binding_site", "fixture_delivery", "vulnerability_state"]


def binding_site(tmp_path: Path, instance: PrivateSigstoreInstance, policy: str = POLICY) -> Site:
    """tests/test_binding.py's site: a delivery folder, its policy and trust root."""
    site = Site(tmp_path / "delivery", instance)
    site.write("policy.yaml", policy)
    site.write("keys/acme-release.pub", public_key_pem(release_key().public_key()))
    instance.write_trusted_root(site.folder / "trusted_root.json")
    return site


def fixture_delivery(tmp_path: Path) -> Path:
    """A private copy of fixtures/acme-delivery."""
    folder = tmp_path / "delivery"
    shutil.copytree(DELIVERY, folder)
    return folder


def vulnerability_state(folder: Path) -> Path:
    """A state directory with the PyPI OSV subset, KEV and the CISA ICS advisories (the
    calling test is skipped where ../shared/vulndata is absent)."""
    paths = [
        vulndata("osv/pypi-subset"),
        vulndata("kev") / "known_exploited_vulnerabilities.json",
        vulndata("csaf/cisa-ot"),
    ]
    result = vulndb_import(paths, state_dir=folder)
    assert not result.refused, result.refused
    return folder
