"""Vetting linear in the delivery, decided exactly as before.

- `discover_evidence` answers from one listing of the folder and finds exactly what the
  globbing it replaced found (kept here as the reference), for awkward names too;
- `vet` lists each folder of a delivery once and never globs, whatever its size;
- identical copies: the same bundle bytes over the same digest are verified once, and each
  copy is still decided and reported under its own name, with its own evidence.

Counts, not times: timings are for `python -m benchmarks`.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from provenance.commands import vet as vet_module
from provenance.commands.vet import vet
from provenance.evidence.sigstore_bundle import BUNDLE_SUFFIXES
from provenance.report.vet_json import vet_to_dict
from provenance.testing import PrivateSigstoreInstance
from provenance.verification import evidence_set
from provenance.verification.evidence_set import FolderListing, discover_evidence
from provenance.verification.sbom_binding import sbom_files_beside
from provenance.verification.sigstore import verifier as sigstore_verifier
from provenance.verification.vendor_layouts import LAYOUT_SUFFIX
from provenance.verification.vendor_signatures import CHECKSUM_LIST_NAMES, DETACHED_SUFFIXES
from tests.conftest import IDENTITY, ISSUER, SIGNED_AT

REPO = Path(__file__).resolve().parents[1]
ACME = REPO / "fixtures/acme-delivery"
NOW = datetime(2026, 7, 1, tzinfo=UTC)


def globbed_evidence(artifact: Path) -> list[Path]:
    """`discover_evidence` as it was, with a `Path.glob` per pattern: the reference."""
    attestation_suffixes = evidence_set.ATTESTATION_SUFFIXES

    def escape(name: str) -> str:
        return "".join(f"[{c}]" if c in "*?[]" else c for c in name)

    folder, name = artifact.parent, artifact.name
    found = [folder / (name + suffix) for suffix in (*BUNDLE_SUFFIXES, *attestation_suffixes)]
    found += sorted(folder.glob(f"{escape(name)}.*.sigstore.json"))
    for suffix in attestation_suffixes:
        found += sorted(folder.glob(f"{escape(name)}.*{suffix}"))
    found += [folder / (name + suffix) for suffix in DETACHED_SUFFIXES]
    found += [folder / (name + LAYOUT_SUFFIX), folder / "root.layout"]
    sboms, vex = sbom_files_beside(artifact)
    found += sboms + vex
    found += [
        document.with_name(document.name + suffix)
        for document in (*sboms, *vex)
        for suffix in (*BUNDLE_SUFFIXES, *DETACHED_SUFFIXES)
    ]
    found += [
        folder / (listed + suffix)
        for listed in CHECKSUM_LIST_NAMES
        for suffix in (*DETACHED_SUFFIXES, *BUNDLE_SUFFIXES)
    ]
    found += sorted(folder.glob(evidence_set.APPROVAL_GLOB.format(name=escape(name))))
    return [path for path in dict.fromkeys(found) if path.is_file()]


# Artifacts whose names glob patterns trip over, and evidence named after them.
AWKWARD = ["fw.bin", "fw[1].bin", "fw*.bin", "fw?.bin", ".hidden", "a.b.c", "fw.bin.x", "é fw"]
EVIDENCE_SUFFIXES = [
    ".sigstore.json",
    ".sigstore",
    ".intoto.jsonl",
    ".intoto.json",
    ".dsse.json",
    ".build.sigstore.json",
    ".sbom.sigstore.json",
    "..sigstore.json",
    ".x.intoto.jsonl",
    ".provenance.dsse.json",
    ".approval-alice.json",
    ".approval.json",
    ".approvals.json",
    ".approval",
    ".sig",
    ".asc",
    ".p7s",
    ".layout",
    ".cdx.json",
    ".cdx.json.sig",
    ".spdx.json.sigstore.json",
    ".vex.json",
    ".openvex.json.asc",
    ".Sigstore.json",
]


@pytest.fixture
def awkward_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "delivery"
    folder.mkdir()
    for name in AWKWARD:
        (folder / name).write_bytes(b"artifact")
        for suffix in EVIDENCE_SUFFIXES:
            (folder / (name + suffix)).write_bytes(b"{}")
    for name in ("root.layout", "bom.json", "bom.json.sig", "SHA256SUMS.asc", "SHA512SUMS"):
        (folder / name).write_bytes(b"{}")
    # A folder named like evidence, and links: followed as `Path.is_file` follows them.
    (folder / "fw.bin.z.sigstore.json").mkdir()
    (folder / "fw.bin.linked.sigstore.json").symlink_to(folder / "fw.bin.sigstore")
    (folder / "fw.bin.broken.sigstore.json").symlink_to(folder / "missing")
    (folder / "fw.bin.approval-dir.json").symlink_to(folder / "fw.bin.z.sigstore.json")
    return folder


def test_discovery_from_a_listing_finds_what_globbing_found(awkward_folder: Path) -> None:
    listing = FolderListing.of(awkward_folder)
    for name in [*AWKWARD, "absent.bin", "fw"]:
        artifact = awkward_folder / name
        expected = globbed_evidence(artifact)
        assert discover_evidence(artifact) == expected, name
        assert discover_evidence(artifact, listing) == expected, name
    assert len(globbed_evidence(awkward_folder / "fw.bin")) > 20  # the test has teeth


def test_discovery_in_a_missing_or_unlistable_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert discover_evidence(tmp_path / "absent" / "fw.bin") == []
    folder = tmp_path / "search-only"
    folder.mkdir()
    (folder / "fw.bin.sigstore.json").write_bytes(b"{}")
    (folder / "fw.bin.x.sigstore.json").write_bytes(b"{}")
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if not isinstance(path, int) and Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    # A folder one may search but not read (as root, every folder reads): fixed names
    # are found, patterns are not, as with globbing.
    monkeypatch.setattr(os, "scandir", scandir)
    expected = globbed_evidence(folder / "fw.bin")
    assert expected == [folder / "fw.bin.sigstore.json"]
    assert discover_evidence(folder / "fw.bin") == expected


@dataclass
class Counts:
    listed: list[str] = field(default_factory=list)  # folders given to os.scandir
    verified: int = 0  # Sigstore bundle verifications


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counts:
    """Which folders are listed (os.scandir) and how many bundles are verified; a glob
    fails the test."""
    counts = Counts()
    real_scandir, real_verify = os.scandir, sigstore_verifier.verify_bundle

    def scandir(path: Any = ".") -> Any:
        if not isinstance(path, int):  # rmtree lists by file descriptor
            counts.listed.append(os.fspath(path))
        return real_scandir(path)

    def glob(self: Path, pattern: str) -> Iterator[Path]:
        raise AssertionError(f"vet globbed {self} for {pattern}")

    def verify_bundle(*args: Any, **kwargs: Any) -> Any:
        counts.verified += 1
        return real_verify(*args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(Path, "glob", glob)
    monkeypatch.setattr(evidence_set, "verify_bundle", verify_bundle)
    return counts


def _signed_delivery(folder: Path, count: int, *, same: bool, by_content: bool = False) -> Path:
    """`count` artifacts signed by the test instance (identical bytes if `same`), each with
    its bundle beside it, or, `by_content`, under a name that says nothing."""
    instance = PrivateSigstoreInstance.create(seed="provenance tests: site instance")
    delivery = folder / "delivery"
    (delivery / "sub").mkdir(parents=True)
    bundle = None
    for index in range(count):
        data = b"firmware image\n" * 64 + (b"" if same else index.to_bytes(4, "big"))
        if bundle is None or not same:
            bundle = json.dumps(
                instance.sign_artifact(data, identity=IDENTITY, issuer=ISSUER, signed_at=SIGNED_AT)
            )
        where = delivery / ("sub" if index % 2 else "")
        (where / f"fw-{index:03}.bin").write_bytes(data)
        signature = (
            f"signature-{index:03}.json" if by_content else f"fw-{index:03}.bin.sigstore.json"
        )
        (where / signature).write_text(bundle)
    instance.write_trusted_root(folder / "trusted_root.json")
    (folder / "policy.yaml").write_text(
        "version: 1\ntrust:\n  sigstore: [trusted_root.json]\nvendors:\n  acme:\n"
        f"    signers:\n      - sigstore: {{identity: '{IDENTITY}', issuer: '{ISSUER}'}}\n"
        "    products: ['pkg:generic/acme/fw']\n"
        "segments:\n  plant:\n    require:\n      signed_by: [acme]\n"
    )
    return delivery


def _vet(folder: Path, workers: int = 1) -> dict[str, Any]:
    result = vet(
        folder / "delivery",
        policy_path=folder / "policy.yaml",
        segment="plant",
        workers=workers,
        clock=lambda: NOW,
    )
    return vet_to_dict(result)


def test_vet_lists_each_folder_once_and_never_globs(tmp_path: Path, counted: Counts) -> None:
    delivery = _signed_delivery(tmp_path, 40, same=False)
    report = _vet(tmp_path)
    assert report["decision"] == "allow"
    assert len(report["artifacts"]) == 40
    inside = [folder for folder in counted.listed if Path(folder).is_relative_to(delivery)]
    assert sorted(inside) == [str(delivery.resolve()), str(delivery.resolve() / "sub")]
    assert counted.verified == 40


def test_identical_copies_are_verified_once_and_each_reported(
    tmp_path: Path, counted: Counts
) -> None:
    _signed_delivery(tmp_path, 30, same=True)
    report = _vet(tmp_path)
    assert counted.verified == 1
    assert report["decision"] == "allow"
    decided = {item["artifact"]["name"]: item for item in report["artifacts"]}
    assert len(decided) == 30
    for name, item in decided.items():
        # Its own name, its own bundle, its own decision.
        assert item["decision"] == "allow"
        assert [entry["path"] for entry in item["evidence"]["inputs"]] == [f"{name}.sigstore.json"]
        signature = item["findings"][0]["evidence"]["signatures"][0]
        assert signature["bundle"] == f"{name}.sigstore.json"
        assert item["version"]["evidence"] == f"{name}.sigstore.json"


def test_sharing_changes_nothing_in_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same report with the memo and without it, for copies found by name and by
    content (each copy then has every bundle of the delivery as evidence)."""
    for by_content in (False, True):
        folder = tmp_path / f"by-content-{by_content}"
        _signed_delivery(folder, 20, same=True, by_content=by_content)
        shared = _vet(folder)
        with monkeypatch.context() as patch:
            patch.setattr(evidence_set.VerificationMemo, "get", lambda *_args: None)
            alone = _vet(folder)
        assert shared == alone
        assert shared["decision"] == "allow"
        inputs = len(shared["artifacts"][0]["evidence"]["inputs"])
        assert inputs == (20 if by_content else 1)


def test_copies_with_different_names_keep_their_own_evidence(tmp_path: Path) -> None:
    """Evidence goes by the copy's name: a copy without a bundle of its own is not allowed
    because an identical copy beside it was signed."""
    delivery = _signed_delivery(tmp_path, 4, same=True)
    (delivery / "fw-002.bin.sigstore.json").unlink()
    (delivery / "sub/fw-003.bin.sigstore.json").write_text("{}")
    report = _vet(tmp_path)
    decisions = {item["artifact"]["name"]: item["decision"] for item in report["artifacts"]}
    assert decisions == {
        "fw-000.bin": "allow",
        "sub/fw-001.bin": "allow",
        "fw-002.bin": "deny",
        "sub/fw-003.bin": "deny",
    }
    reasons = {item["artifact"]["name"]: item["reason"] for item in report["artifacts"]}
    assert "no evidence found" in reasons["fw-002.bin"]


def test_worker_processes_report_what_one_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rest after the first artifacts goes to worker processes (forced here: these
    copies are too cheap to be worth them), with the same report."""
    pools: list[int] = []

    class CountedPool(ProcessPoolExecutor):
        def __init__(self, max_workers: int) -> None:
            pools.append(max_workers)
            super().__init__(max_workers=max_workers)

    monkeypatch.setattr(vet_module, "ProcessPoolExecutor", CountedPool)
    _signed_delivery(tmp_path, vet_module.MIN_PARALLEL_ARTIFACTS + 8, same=True)
    serial = _vet(tmp_path, workers=2)
    assert pools == []  # identical copies: not worth starting processes for
    monkeypatch.setattr(vet_module, "POOL_WORTH_SECONDS", 0.0)
    parallel = _vet(tmp_path, workers=2)
    assert pools == [2]
    assert serial == parallel
    assert serial["decision"] == "allow"
    assert len(serial["artifacts"]) == vet_module.MIN_PARALLEL_ARTIFACTS + 8


def test_the_fixture_delivery_decides_as_before(tmp_path: Path) -> None:
    """The acme delivery (layouts, approvals, SBOM and VEX, links, keys) through vet: its
    evidence per artifact is what the reference discovery finds beside each."""
    delivery = tmp_path / "acme"
    shutil.copytree(ACME, delivery)
    result = vet(
        delivery,
        policy_path=delivery / "policy.yaml",
        segment="level1-controllers",
        workers=1,
        clock=lambda: NOW,
    )
    for item in result.artifacts:
        name = item["artifact"]["name"]
        expected = [str(path.relative_to(delivery)) for path in globbed_evidence(delivery / name)]
        assert [entry["path"] for entry in item["evidence"]["inputs"]][: len(expected)] == (
            expected
        ), name
