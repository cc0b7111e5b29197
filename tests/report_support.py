"""Vet results for the report tests, made by running the real CLI on the bundled fixtures.

`provenance verify ARTIFACT --policy policy.yaml --segment S --format json` runs in-process
through the console entry point, from inside the delivery folder so that artifact names are
relative to the delivery (as `provenance vet` names them); the decision-result.v1 objects are
then wrapped in the vet-result.v1 envelope. No decision JSON is written by hand.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import io
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from provenance import __version__
from provenance._cli import main

REPO = Path(__file__).parents[1]
FIXTURES = REPO / "fixtures"
ACME = FIXTURES / "acme-delivery"
NORTHWIND = FIXTURES / "northwind-delivery"

# What the fixtures' evidence files are, by name (vet sniffs content; these are known).
_EVIDENCE_SUFFIXES = (
    (".sigstore.json", "sigstore-bundle"),
    (".vex.json", "vex"),
    (".layout", "in-toto-layout"),
    (".link", "in-toto-link"),
    (".p7s", "cms-signature"),
    (".asc", "openpgp-signature"),
    (".crl", "crl"),
)


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def run_cli(folder: Path, *args: str) -> tuple[int, str, str]:
    """`provenance ARGS` in-process with `folder` as the working directory."""
    out, err = io.StringIO(), io.StringIO()
    with _inside(folder), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exited:
            code = exited.code
        else:  # pragma: no cover - main always exits
            code = 0
    assert isinstance(code, int), f"exit code must be an int, got {code!r}"
    return code, out.getvalue(), err.getvalue()


def decision(delivery: Path, artifact: str, segment: str) -> dict[str, Any]:
    """The decision-result.v1 of `verify ARTIFACT --segment SEGMENT` inside `delivery`."""
    code, out, err = run_cli(
        delivery, "verify", artifact, "--policy", "policy.yaml", "--segment", segment,
        "--format", "json",
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out)
    expected = 0 if result["decision"] == "allow" else 1
    assert code == expected, f"verify {artifact}: exit {code}, stderr {err!r}"
    return result


def _evidence_kind(name: str) -> str | None:
    if name.startswith("SHA256SUMS"):
        return "checksum-list" if name == "SHA256SUMS" else "checksum-list-signature"
    if ".approval" in name and name.endswith(".json"):
        return "approval"
    for suffix, kind in _EVIDENCE_SUFFIXES:
        if name.endswith(suffix):
            return kind
    return None


def vet_result(
    delivery: Path,
    segment: str,
    artifacts: Sequence[dict[str, Any]],
    *,
    kind: str = "directory",
    label: str | None = None,
) -> dict[str, Any]:
    """The vet-result.v1 envelope around real decisions: every other file in `delivery` is
    listed as evidence (by name) or as unrecognised."""
    named = {a["artifact"]["name"] for a in artifacts}
    read = {i["path"] for a in artifacts for i in a["evidence"]["inputs"]}
    evidence, unrecognised = [], []
    for path in sorted(p for p in delivery.rglob("*") if p.is_file()):
        relative = path.relative_to(delivery).as_posix()
        if relative in named:
            continue
        found = _evidence_kind(path.name)
        if relative in read or found:
            evidence.append({"path": relative, "kind": found or "evidence"})
        else:
            unrecognised.append({"path": relative, "reason": "not an artifact or evidence"})
    policy = delivery / "policy.yaml"
    return {
        "schema_version": 1,
        "tool": {"name": "provenance", "version": __version__},
        "delivery": {"path": label or delivery.name, "kind": kind, "sha256": None},
        "segment": segment,
        "policy": {
            "path": f"{label or delivery.name}/policy.yaml",
            "sha256": hashlib.sha256(policy.read_bytes()).hexdigest(),
        },
        "decision": "allow" if all(a["decision"] == "allow" for a in artifacts) else "deny",
        "refused": None,
        "artifacts": list(artifacts),
        "evidence_files": evidence,
        "refused_files": [],
        "documents": [],
        "unrecognised": unrecognised,
    }


@functools.cache
def _cached(delivery: Path, segment: str, names: tuple[str, ...]) -> str:
    decisions = [decision(delivery, name, segment) for name in names]
    return json.dumps(vet_result(delivery, segment, decisions))


def fixture_vet(delivery: Path, segment: str, names: Sequence[str]) -> dict[str, Any]:
    """A vet result over the fixture `delivery` (computed once per session, a fresh copy)."""
    result: dict[str, Any] = json.loads(_cached(delivery, segment, tuple(names)))
    return result


def acme_mixed() -> dict[str, Any]:
    """ACME for level 1: firmware 4.2.1 allowed; 3.9.0 (too old, no SBOM, layout or
    approvals) and the HMI installer denied."""
    return fixture_vet(
        ACME,
        "level1-controllers",
        ["plc-firmware-4.2.1.bin", "plc-firmware-3.9.0.bin", "hmi-setup-2.0.exe"],
    )


def acme_allowed() -> dict[str, Any]:
    return fixture_vet(ACME, "level1-controllers", ["plc-firmware-4.2.1.bin"])


def northwind_mixed() -> dict[str, Any]:
    """Northwind for level 1: the RTU firmware (CMS) and the HMI tool (Authenticode) allowed,
    the I/O module firmware (only in the signed SHA256SUMS) denied."""
    return fixture_vet(
        NORTHWIND,
        "level1-controllers",
        ["rtu-firmware-7.1.0.bin", "io-module-firmware-2.4.0.bin", "hmi-config-tool-3.2.exe"],
    )


def single_file(delivery: Path, name: str, segment: str) -> dict[str, Any]:
    """How `verify --segment` is rendered: one artifact, delivery kind `file`."""
    result = copy.deepcopy(fixture_vet(delivery, segment, [name]))
    result["delivery"] = {"path": name, "kind": "file", "sha256": None}
    result["evidence_files"] = []
    result["unrecognised"] = []
    return result


def refused_archive() -> dict[str, Any]:
    """An archive refused before any artifact was vetted (the envelope only)."""
    result = acme_allowed()
    result.update(
        {
            "delivery": {"path": "acme-delivery.zip", "kind": "zip", "sha256": "ab" * 32},
            "decision": "deny",
            "refused": {"reason": "entry '../../etc/cron.d/x' escapes the extraction folder"},
            "artifacts": [],
            "evidence_files": [],
            "unrecognised": [],
        }
    )
    return result


HOSTILE_PREFIX = '<img src=x onerror=alert(1)>"&\x1b[31m'
HOSTILE_EXTRA = "<script>alert(document.domain)<!--.txt"


def hostile_delivery(tmp: Path) -> dict[str, Any]:
    """The ACME delivery with its firmware renamed to hostile names (and a hostile
    unrecognised file), vetted for real: the names flow from the CLI into every report."""
    delivery = tmp / "acme-hostile"
    shutil.copytree(ACME, delivery)
    for path in sorted(delivery.glob("plc-firmware-4.2.1.bin*")):
        path.rename(path.with_name(HOSTILE_PREFIX + path.name))
    (delivery / HOSTILE_EXTRA).write_text("hello")
    artifact = HOSTILE_PREFIX + "plc-firmware-4.2.1.bin"
    return vet_result(
        delivery, "level1-controllers", [decision(delivery, artifact, "level1-controllers")]
    )
