"""`provenance vet` through its entry point and its API: fixture deliveries as a directory,
a zip and tarballs; the vet-result.v1 JSON; parallel runs; evidence found by content; and
`provenance verify --segment --report`."""

from __future__ import annotations

import json
import shutil
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from provenance.commands.vet import MIN_PARALLEL_ARTIFACTS, vet
from provenance.report.vet_json import vet_to_dict
from provenance.testing import PrivateSigstoreInstance
from tests.conftest import IDENTITY, ISSUER, SIGNED_AT, CliRunner

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "provenance/report/schemas"
ACME = REPO / "fixtures/acme-delivery"
NORTHWIND = REPO / "fixtures/northwind-delivery"
NOW = datetime(2026, 7, 1, tzinfo=UTC)


def validate(report: dict[str, Any]) -> None:
    decision = json.loads((SCHEMAS / "decision-result.v1.schema.json").read_text())
    schema = json.loads((SCHEMAS / "vet-result.v1.schema.json").read_text())
    registry: Registry[Any] = Registry().with_resource(
        decision["$id"], Resource.from_contents(decision)
    )
    jsonschema.Draft202012Validator(schema, registry=registry).validate(report)


def pack(folder: Path, target: Path, *, skip: tuple[str, ...] = ("policy.yaml",)) -> Path:
    """A zip or tarball of a fixture delivery, as a vendor would ship it."""
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in skip]
    if target.suffix == ".zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(folder).as_posix())
    else:
        mode = {".gz": "w:gz", ".xz": "w:xz", ".tar": "w"}[target.suffix]
        with tarfile.open(target, mode) as archive:  # type: ignore[call-overload]
            for path in files:
                archive.add(path, "./" + path.relative_to(folder).as_posix())
    return target


def names(report: dict[str, Any]) -> dict[str, str]:
    return {item["artifact"]["name"]: item["decision"] for item in report["artifacts"]}


def test_acme_zip_for_level1(cli: CliRunner, tmp_path: Path) -> None:
    archive = pack(ACME, tmp_path / "acme-4.2.1.zip")
    result = cli(
        "vet", archive, "--policy", ACME / "policy.yaml", "--segment", "level1-controllers",
        "--format", "json",
    )  # fmt: skip
    assert result.code == 1, result.stderr
    report = json.loads(result.stdout)
    validate(report)
    assert names(report) == {
        "hmi-setup-2.0.exe": "deny",
        "plc-firmware-3.9.0.bin": "deny",
        "plc-firmware-4.2.1.bin": "allow",
    }
    assert report["delivery"]["kind"] == "zip"
    assert (
        report["delivery"]["sha256"]
        == __import__("hashlib").sha256(archive.read_bytes()).hexdigest()
    )
    # Every path is named inside the delivery: no private temporary folder leaks out.
    assert "provenance-vet" not in result.stdout
    allowed = report["artifacts"][2]
    assert {entry["path"] for entry in allowed["evidence"]["inputs"]} >= {
        "plc-firmware-4.2.1.bin.sigstore.json",
        "plc-firmware-4.2.1.bin.layout",
        "plc-firmware-4.2.1.bin.approval-alice.json",
    }
    kinds = {entry["path"]: entry["kind"] for entry in report["evidence_files"]}
    assert kinds["plc-firmware-4.2.1.bin.sigstore.json"] == "sigstore-bundle"
    assert kinds["plc-firmware-4.2.1.bin.approval-bob.json"] == "dsse-envelope"
    assert kinds["build.8f0205f9.link"] == "in-toto-link"
    assert kinds["keys/alice.pub"] == "public-key"
    assert kinds["trusted_root.json"] == "sigstore-trusted-root"
    assert report["unrecognised"] == []
    lines = result.stderr.splitlines()
    assert lines[0].startswith(
        f"FAIL: {archive}: hmi-setup-2.0.exe: denied for level1-controllers: provenance: "
    )
    assert lines[-1] == f"FAIL: {archive}: denied for level1-controllers: 2 of 3 artifacts denied"


def test_the_same_decision_as_verify(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """An artifact's object is what `verify --segment --format json` says about it."""
    monkeypatch.chdir(ACME)  # so that verify names files as vet does: inside the delivery
    common = ["--policy", "policy.yaml", "--segment", "level3-operations", "--format", "json"]
    vetted = cli("vet", ".", *common)
    verified = cli("verify", "plc-firmware-4.2.1.bin", *common)
    ours = json.loads(vetted.stdout)["artifacts"][2]
    theirs = json.loads(verified.stdout)
    for report in (ours, theirs):
        for finding in report["findings"]:
            finding["evidence"].pop("now", None)  # each run reads the clock
    assert ours == theirs


@pytest.mark.parametrize("suffix", [".tar.gz", ".tar.xz"])
def test_northwind_tarballs_allowed(cli: CliRunner, tmp_path: Path, suffix: str) -> None:
    archive = pack(NORTHWIND, tmp_path / f"northwind{suffix}")
    result = cli(
        "vet", archive, "--policy", NORTHWIND / "policy.yaml", "--segment", "level3-operations",
        "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    validate(report)
    assert report["decision"] == "allow"
    assert report["delivery"]["kind"] == "tar"
    assert set(names(report).values()) == {"allow"}
    assert len(report["artifacts"]) == 3
    kinds = {entry["path"]: entry["kind"] for entry in report["evidence_files"]}
    assert kinds["SHA256SUMS"] == "checksum-list"
    assert kinds["northwind-ca.crl"] == "crl"
    assert kinds["certs/northwind-root-ca.pem"] == "certificate"
    assert kinds["keys/northwind-release.asc"] == "openpgp-public-key"
    assert result.stderr == f"OK: {archive}: all 3 artifacts allowed for level3-operations\n"


def test_directory_lists_the_policy_as_unrecognised(cli: CliRunner, tmp_path: Path) -> None:
    policy = NORTHWIND / "policy.yaml"
    written = tmp_path / "vet.json"
    result = cli("vet", NORTHWIND, "--policy", policy, "--segment", "level1-controllers",
                 "--report", f"json={written}", "--quiet")  # fmt: skip
    assert result.stdout == ""
    report = json.loads(written.read_text())
    validate(report)
    assert report["unrecognised"] == [
        {
            "path": "policy.yaml",
            "reason": "the policy given with --policy (the operator's configuration, not "
            "delivery content)",
        }
    ]
    # level1 does not take a checksum list: io-module has only that.
    assert names(report)["io-module-firmware-2.4.0.bin"] == "deny"
    assert result.code == 1
    # --quiet: only the verdict for the delivery.
    assert result.stderr == (
        f"FAIL: {NORTHWIND}: denied for level1-controllers: 1 of 3 artifacts denied\n"
    )


def test_text_report_and_files(cli: CliRunner, tmp_path: Path) -> None:
    report_json, report_text = tmp_path / "r.json", tmp_path / "r.txt"
    args = [
        *("vet", NORTHWIND, "--policy", NORTHWIND / "policy.yaml"),
        *("--segment", "level3-operations"),
        *("--report", f"json={report_json}", "--report", f"text={report_text}"),
    ]
    result = cli(*args)
    assert result.code == 0, result.stderr
    assert "rtu-firmware-7.1.0.bin: ALLOW" in result.stdout
    assert "ALLOW: all 3 artifact(s) allowed for level3-operations" in result.stdout
    assert all(len(line) <= 100 for line in result.stdout.splitlines())
    validate(json.loads(report_json.read_text()))
    assert report_text.read_text() == result.stdout
    again = cli(*args)
    assert again.code == 2
    assert again.stderr == (
        f"error: --report json={report_json}: {report_json} exists (give --force to overwrite it)\n"
    )
    assert cli(*args, "--force").code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--report", "pdf=x.pdf"], "--report pdf=x.pdf: unknown format 'pdf', expected one of"),
        (["--report", "html"], "--report html: expected FMT=PATH, for example html=report.html"),
        (["--segment", "nowhere"], "nowhere"),
        (["--workers", "0"], "--workers"),
    ],
)
def test_usage_errors(cli: CliRunner, args: list[str], message: str) -> None:
    base = ["vet", NORTHWIND, "--policy", NORTHWIND / "policy.yaml"]
    if "--segment" not in args:
        base += ["--segment", "level3-operations"]
    result = cli(*base, *args)
    assert result.code == 2, result.stderr
    assert result.stderr.startswith("error: ")
    assert message in result.stderr


def test_missing_delivery(cli: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nothing.zip"
    result = cli("vet", missing, "--policy", NORTHWIND / "policy.yaml", "--segment", "test-bench")
    assert result.code == 2
    assert result.stderr == f"error: {missing}: no such file\n"


def test_empty_delivery_is_denied(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("vet", tmp_path, "--policy", NORTHWIND / "policy.yaml", "--segment", "test-bench",
                 "--format", "json")  # fmt: skip
    assert result.code == 1
    assert json.loads(result.stdout)["decision"] == "deny"
    assert result.stderr == f"FAIL: {tmp_path}: no artifact in the delivery to decide about\n"


# -- many artifacts, signed by a private Sigstore instance ------------------------------


def signed_delivery(
    folder: Path, instance: PrivateSigstoreInstance, count: int
) -> tuple[Path, Path]:
    """`count` signed artifacts in `folder/delivery`, and a policy trusting their signer."""
    delivery = folder / "delivery"
    delivery.mkdir()
    for index in range(count):
        artifact = delivery / f"module-{index:03}.bin"
        artifact.write_bytes(f"firmware module {index}\n".encode() * 50)
        bundle = instance.sign_artifact(
            artifact.read_bytes(), identity=IDENTITY, issuer=ISSUER, signed_at=SIGNED_AT
        )
        (delivery / f"{artifact.name}.sigstore.json").write_text(json.dumps(bundle))
    instance.write_trusted_root(folder / "trusted_root.json")
    policy = folder / "policy.yaml"
    policy.write_text(
        "version: 1\ntrust:\n  sigstore: [trusted_root.json]\nvendors:\n  acme:\n"
        f"    signers:\n      - sigstore: {{identity: '{IDENTITY}', issuer: '{ISSUER}'}}\n"
        "    products: ['pkg:generic/acme/module']\n"
        "segments:\n  bench:\n    require:\n      signed_by: [acme]\n"
    )
    return delivery, policy


def test_parallel_equals_serial(tmp_path: Path, instance: PrivateSigstoreInstance) -> None:
    delivery, policy = signed_delivery(tmp_path, instance, MIN_PARALLEL_ARTIFACTS + 4)
    (delivery / "module-007.bin").write_bytes(b"tampered")
    progress: list[tuple[int, int]] = []

    def run(workers: int) -> dict[str, Any]:
        result = vet(
            delivery, policy_path=policy, segment="bench", workers=workers, clock=lambda: NOW,
            progress=lambda done, total: progress.append((done, total)),
        )  # fmt: skip
        return vet_to_dict(result)

    serial = run(1)
    assert progress[-1] == (20, 20)
    progress.clear()
    parallel = run(2)
    assert parallel == serial
    assert progress[-1] == (20, 20)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    validate(parallel)
    denied = [item for item in serial["artifacts"] if item["decision"] == "deny"]
    assert [item["artifact"]["name"] for item in denied] == ["module-007.bin"]
    assert "module-007.bin.sigstore.json" in json.dumps(denied[0]["evidence"]["problems"])


def test_evidence_found_by_content_and_unused_evidence(
    tmp_path: Path, instance: PrivateSigstoreInstance
) -> None:
    delivery, policy = signed_delivery(tmp_path, instance, 2)
    # A bundle under a name no convention knows: routed by the digest it names.
    (delivery / "module-000.bin.sigstore.json").rename(delivery / "release-signature.json")
    # A bundle for a file that is not in the delivery.
    shutil.copy(delivery / "module-001.bin.sigstore.json", delivery / "ghost.bin.sigstore.json")
    # A certificate with a payload after it is not a certificate: an artifact.
    certificate = (NORTHWIND / "certs/northwind-root-ca.pem").read_bytes()
    (delivery / "root-ca.pem").write_bytes(certificate)
    (delivery / "ca.pem").write_bytes(certificate + b"#!/bin/sh\necho payload\n")
    report = vet_to_dict(vet(delivery, policy_path=policy, segment="bench", clock=lambda: NOW))
    validate(report)
    assert names(report) == {"ca.pem": "deny", "module-000.bin": "allow", "module-001.bin": "allow"}
    kinds = {entry["path"]: entry["kind"] for entry in report["evidence_files"]}
    assert kinds["release-signature.json"] == "sigstore-bundle"
    assert kinds["root-ca.pem"] == "certificate"
    # Evidence for no file of the delivery verified nothing: it denies the delivery.
    assert report["refused_files"] == [
        {
            "path": "ghost.bin.sigstore.json",
            "reason": "sigstore-bundle (by its name) for no file in the delivery: expected it "
            "beside the file it is named after",
        }
    ]
    assert report["decision"] == "deny"


# -- verify --segment --report ----------------------------------------------------------


def test_verify_segment_report(cli: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "decision.json"
    artifact = ACME / "plc-firmware-4.2.1.bin"
    args = ["verify", artifact, "--policy", ACME / "policy.yaml", "--segment",
            "level3-operations", "--report", f"json={target}"]  # fmt: skip
    html = tmp_path / "decision.html"
    result = cli(*args, "--format", "json", "--report", f"html={html}")
    assert result.code == 0, result.stderr
    # One JSON shape: the report is the decision `--format json` prints.
    assert json.loads(target.read_text()) == json.loads(result.stdout)
    assert json.loads(result.stdout)["schema"] == "urn:ot-provenance:schema:decision-result:v1"
    # The other formats render a delivery of one file, titled for one file.
    page = html.read_text()
    assert "<h1>Decision report</h1>" in page
    assert "Delivery vetting report" not in page
    assert cli(*args).code == 2  # the report exists: kept without --force
    assert cli("verify", artifact, "--report", f"json={tmp_path / 'x.json'}").stderr == (
        "error: --report: only with --segment (a decision under a policy)\n"
    )
