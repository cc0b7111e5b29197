"""pypi-attestations (PyPI's own verifier) as a test oracle for PEP 740: both run on the same
attestation, distribution file and publisher, and must reach the same verdict.

The reference runs offline on sigstore-python's embedded trust roots; for minted attestations
its `Verifier.production()` is pointed at the test instance's trusted root (the oracle is
configured, not our verifier). Deliberate differences, where we are stricter, are listed in
`DIFFERENCES` with the reason, and asserted as differences.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from provenance.api import verify
from provenance.testing.pep740 import attestation_json, mint_attestation
from provenance.testing.pep740_fixtures import (
    GITHUB,
    GOOGLE,
    PLATFORM_WHEEL,
    SDIST,
    SIGNED_AT,
    WHEEL,
    production_instance,
)
from provenance.verification.matching import Pattern
from provenance.verification.signers import SigstoreIdentity
from provenance.verification.sigstore.verifier import NamedSigner
from provenance.verification.trusted_publishers import (
    GitHubPublisher,
    GitLabPublisher,
    GooglePublisher,
    TrustedPublisher,
)

reference = pytest.importorskip(
    "pypi_attestations", reason="pypi-attestations (the test extra) is the oracle"
)
from sigstore.models import TrustedRoot  # noqa: E402
from sigstore.verify import Verifier, policy  # noqa: E402

DATA = Path(__file__).parent / "data" / "pep740"
REAL = DATA / "pypi-attestations"
MINTED = DATA / "minted"
SDIST_0019 = "pypi_attestations-0.0.19.tar.gz"
TOB = ("trailofbits/pypi-attestations", "release.yml")


@dataclass(frozen=True)
class Case:
    """One distribution file (as named here), one attestation, one expected signer."""

    distribution: Path
    attestation: Path
    publisher: Any  # one of ours: GitHubPublisher, GitLabPublisher, GooglePublisher or an
    # (identity, issuer) pair for an identity rule
    instance: str  # production, staging or minted
    name: str | None = None  # the file's name here, if not its own


def _ours(case: Case, folder: Path) -> bool:
    signer: Any
    if isinstance(case.publisher, tuple):
        who, issuer = case.publisher
        signer = SigstoreIdentity(Pattern.exact(who), Pattern.exact(issuer))
    else:
        signer = TrustedPublisher(case.publisher)
    root = {
        "production": "embedded:production",
        "staging": "embedded:staging",
        "minted": str(MINTED / "trusted_root.json"),
    }[case.instance]
    result = verify(
        str(_placed(case, folder)),
        signers=[NamedSigner(signer)],
        bundle=case.attestation,
        trust_roots=[root],
    )
    return result.decision == "verified"


def _theirs(case: Case, folder: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    if case.instance == "minted":
        root = TrustedRoot.from_file(str(MINTED / "trusted_root.json"))
        minted = SimpleNamespace(production=lambda offline=False: Verifier(trusted_root=root))
        monkeypatch.setattr(reference._impl, "Verifier", minted)
    publisher = case.publisher
    their_policy: Any
    if isinstance(publisher, tuple):
        their_policy = policy.Identity(identity=publisher[0], issuer=publisher[1])
    elif isinstance(publisher, GitHubPublisher):
        their_policy = reference.GitHubPublisher(
            repository=publisher.repository, workflow=publisher.workflow
        )
    elif isinstance(publisher, GitLabPublisher):
        their_policy = reference.GitLabPublisher(
            repository=publisher.repository, workflow_filepath=publisher.workflow_filepath
        )
    else:
        their_policy = reference.GooglePublisher(email=publisher.email)
    document = json.loads(case.attestation.read_bytes())
    try:
        if "attestation_bundles" in document:
            provenance = reference.Provenance.model_validate(document)
            attestations = [a for b in provenance.attestation_bundles for a in b.attestations]
        else:
            attestations = [reference.Attestation.model_validate(document)]
        distribution = reference.Distribution.from_file(_placed(case, folder))
        for attestation in attestations:
            attestation.verify(
                their_policy, distribution, staging=case.instance == "staging", offline=True
            )
    # The oracle's documented failures: its own error root, and pydantic's for bad input.
    except (reference.AttestationError, ValueError):
        return False
    return True


def _placed(case: Case, folder: Path) -> Path:
    if case.name is None:
        return case.distribution
    target = folder / case.name
    shutil.copyfile(case.distribution, target)
    return target


REAL_PUBLISH = REAL / (SDIST_0019 + ".publish.attestation")
MINTED_PUBLISH = MINTED / (WHEEL + ".publish.attestation")
MINTED_GITHUB = GitHubPublisher(GITHUB.repository, GITHUB.workflow)

AGREE: dict[str, tuple[Case, bool]] = {
    "real publish, GitHub publisher": (
        Case(REAL / SDIST_0019, REAL_PUBLISH, GitHubPublisher(*TOB), "production"),
        True,
    ),
    "real SLSA provenance": (
        Case(
            REAL / SDIST_0019,
            REAL / (SDIST_0019 + ".slsa.attestation"),
            GitHubPublisher(*TOB),
            "production",
        ),
        True,
    ),
    "real provenance object": (
        Case(
            REAL / SDIST_0019,
            REAL / (SDIST_0019 + ".provenance"),
            GitHubPublisher(*TOB),
            "production",
        ),
        True,
    ),
    "real, renamed to another version": (
        Case(
            REAL / SDIST_0019,
            REAL_PUBLISH,
            GitHubPublisher(*TOB),
            "production",
            name="pypi_attestations-0.0.20.tar.gz",
        ),
        False,
    ),
    "real, renamed to another project": (
        Case(
            REAL / SDIST_0019,
            REAL_PUBLISH,
            GitHubPublisher(*TOB),
            "production",
            name="pypi_attestation-0.0.19.tar.gz",
        ),
        False,
    ),
    "real, other bytes under its name": (
        Case(
            REAL / "gitlab_oidc_project-0.0.3.tar.gz",
            REAL_PUBLISH,
            GitHubPublisher(*TOB),
            "production",
            name=SDIST_0019,
        ),
        False,
    ),
    "real, another workflow": (
        Case(
            REAL / SDIST_0019,
            REAL_PUBLISH,
            GitHubPublisher("trailofbits/pypi-attestations", "publish.yml"),
            "production",
        ),
        False,
    ),
    "real, another repository": (
        Case(
            REAL / SDIST_0019,
            REAL_PUBLISH,
            GitHubPublisher("pypi/pypi-attestations", "release.yml"),
            "production",
        ),
        False,
    ),
    "real production attestation under staging": (
        Case(REAL / SDIST_0019, REAL_PUBLISH, GitHubPublisher(*TOB), "staging"),
        False,
    ),
    "real GitLab publisher": (
        Case(
            REAL / "gitlab_oidc_project-0.0.3.tar.gz",
            REAL / "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation",
            GitLabPublisher("facutuesca/gitlab-oidc-project", ".gitlab-ci.yml"),
            "production",
        ),
        True,
    ),
    "real GitLab attestation, GitHub publisher": (
        Case(
            REAL / "gitlab_oidc_project-0.0.3.tar.gz",
            REAL / "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation",
            GitHubPublisher("facutuesca/gitlab-oidc-project", ".gitlab-ci.yml"),
            "production",
        ),
        False,
    ),
    "real Google publisher (provenance object)": (
        Case(
            REAL / "gcb_attestation_test-0.0.0.tar.gz",
            REAL / "gcb_attestation_test-0.0.0.tar.gz.provenance",
            GooglePublisher("919436158236-compute@developer.gserviceaccount.com"),
            "production",
        ),
        True,
    ),
    "real Google attestation, another account": (
        Case(
            REAL / "gcb_attestation_test-0.0.0.tar.gz",
            REAL / "gcb_attestation_test-0.0.0.tar.gz.provenance",
            GooglePublisher("release@example.iam.gserviceaccount.com"),
            "production",
        ),
        False,
    ),
    "real staging attestation under staging": (
        Case(
            REAL / "rfc8785-0.1.2-py3-none-any.whl",
            REAL / "rfc8785-0.1.2-py3-none-any.whl.publish.attestation",
            ("william@yossarian.net", "https://github.com/login/oauth"),
            "staging",
        ),
        True,
    ),
    "real staging attestation under production": (
        Case(
            REAL / "rfc8785-0.1.2-py3-none-any.whl",
            REAL / "rfc8785-0.1.2-py3-none-any.whl.publish.attestation",
            ("william@yossarian.net", "https://github.com/login/oauth"),
            "production",
        ),
        False,
    ),
    "minted publish, GitHub publisher": (
        Case(MINTED / WHEEL, MINTED_PUBLISH, MINTED_GITHUB, "minted"),
        True,
    ),
    "minted SLSA provenance": (
        Case(MINTED / WHEEL, MINTED / (WHEEL + ".slsa.attestation"), MINTED_GITHUB, "minted"),
        True,
    ),
    "minted GitLab sdist": (
        Case(
            MINTED / SDIST,
            MINTED / (SDIST + ".publish.attestation"),
            GitLabPublisher("acme-automation/ot/plc-tools", ".gitlab-ci.yml"),
            "minted",
        ),
        True,
    ),
    "minted Google platform wheel, tags reordered": (
        Case(
            MINTED / PLATFORM_WHEEL,
            MINTED / (PLATFORM_WHEEL + ".publish.attestation"),
            GooglePublisher(GOOGLE.email),
            "minted",
            name="acme_plc_tools-2.1.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        ),
        True,
    ),
    "minted platform wheel renamed to another platform": (
        Case(
            MINTED / PLATFORM_WHEEL,
            MINTED / (PLATFORM_WHEEL + ".publish.attestation"),
            GooglePublisher(GOOGLE.email),
            "minted",
            name="acme_plc_tools-2.1.0-cp311-cp311-win_amd64.whl",
        ),
        False,
    ),
    "minted staging attestation under the production root": (
        Case(
            MINTED / WHEEL,
            MINTED / (WHEEL + ".staging.publish.attestation"),
            MINTED_GITHUB,
            "minted",
        ),
        False,
    ),
    "minted wheel under the sdist's name": (
        Case(MINTED / WHEEL, MINTED_PUBLISH, MINTED_GITHUB, "minted", name=SDIST),
        False,
    ),
}


@pytest.fixture(autouse=True)
def _private_sigstore_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # sigstore-python keeps its TUF copy in the user's data and cache folders: not the tester's.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.mark.parametrize("name", AGREE)
def test_same_verdict_as_pypi_attestations(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case, expected = AGREE[name]
    ours, theirs = _ours(case, tmp_path), _theirs(case, tmp_path, monkeypatch)
    assert (ours, theirs) == (expected, expected)


# -- deliberate differences: we refuse what pypi-attestations accepts ----------------------


def _minted_sdist_named(subject_name: str, folder: Path) -> Path:
    """A genuine attestation of the minted sdist's bytes under another spelling of its name."""
    data = (MINTED / SDIST).read_bytes()
    attestation = mint_attestation(
        production_instance(), data, SDIST, publisher=GITHUB, signed_at=SIGNED_AT,
        subject_name=subject_name,
    )  # fmt: skip
    path = folder / "renamed.publish.attestation"
    path.write_text(attestation_json(attestation))
    return path


def _with(change: Callable[[dict[str, Any]], None], folder: Path) -> Path:
    document: dict[str, Any] = json.loads(MINTED_PUBLISH.read_bytes())
    change(document)
    path = folder / "changed.publish.attestation"
    path.write_text(json.dumps(document))
    return path


def _second_entry(document: dict[str, Any]) -> None:
    entries = document["verification_material"]["transparency_entries"]
    entries.append(entries[0])


DIFFERENCES: dict[str, tuple[Callable[[Path], Case], str]] = {
    "a version PEP 440 orders equal but spells otherwise (2.1 for 2.1.0)": (
        lambda folder: Case(
            MINTED / SDIST,
            _minted_sdist_named("acme_plc_tools-2.1.tar.gz", folder),
            MINTED_GITHUB,
            "minted",
        ),
        "pypi-attestations compares packaging Versions (2.1 == 2.1.0); a file name is a "
        "name, so we compare the PEP 440 normal form",
    ),
    "the sdist's bytes renamed from .tar.gz to .zip": (
        lambda folder: Case(
            MINTED / SDIST,
            _minted_sdist_named(SDIST, folder),
            MINTED_GITHUB,
            "minted",
            name="acme_plc_tools-2.1.0.zip",
        ),
        "pypi-attestations compares sdists by name and version only; the format is part of "
        "which file it is",
    ),
    "two transparency entries": (
        lambda folder: Case(MINTED / WHEEL, _with(_second_entry, folder), MINTED_GITHUB, "minted"),
        "pypi-attestations verifies the first and ignores the rest; we take one entry, as "
        "for bundles, rather than leave unverified material in the evidence",
    ),
    "an unknown field": (
        lambda folder: Case(
            MINTED / WHEEL,
            _with(lambda d: d.update(timestamps=[]), folder),
            MINTED_GITHUB,
            "minted",
        ),
        "pydantic's default ignores unknown fields; we parse strictly at the boundary",
    ),
}


@pytest.mark.parametrize("name", DIFFERENCES)
def test_deliberate_differences_with_pypi_attestations(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, why = DIFFERENCES[name]
    case = make(tmp_path)
    assert why
    assert _theirs(case, tmp_path, monkeypatch) is True
    assert _ours(case, tmp_path) is False


def test_the_oracle_really_checks_digests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard against a vacuous oracle: it must reject what it should."""
    impostor = tmp_path / SDIST_0019
    impostor.write_bytes(b"not the sdist")
    case = Case(impostor, REAL_PUBLISH, GitHubPublisher(*TOB), "production")
    assert hashlib.sha256(impostor.read_bytes()).hexdigest() not in REAL_PUBLISH.read_text()
    assert _theirs(case, tmp_path, monkeypatch) is False
