"""The evidence registry: every kind once, recognised by name and by content as the gate
always has, each attached kind verifiable, and the reports' vocabulary what it declares."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from provenance.verification import evidence_kinds
from provenance.verification.evidence_kinds import KINDS, by_name, recognise
from tests.report_support import ACME, NORTHWIND

SCHEMA = Path(__file__).parents[1] / "provenance/report/schemas/vet-result.v1.schema.json"


def test_every_kind_is_complete_and_named_for_reports() -> None:
    pattern = json.loads(SCHEMA.read_text())["properties"]["evidence_files"]["items"]["properties"][
        "kind"
    ]["pattern"]
    assert len({k.key for k in KINDS}) == len(KINDS)
    for kind in KINDS:
        assert re.fullmatch(pattern, kind.label), kind.label
        assert kind.what
        assert kind.by_name or kind.by_json or kind.by_bytes, kind.key
        # An artifact's evidence is verified; supporting files and trust material are read
        # by other evidence (or the policy), never verified on their own.
        assert (kind.verify is not None) == kind.attached, kind.key
        assert not (kind.routes and kind.by_json is None), kind.key


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("fw.bin.sigstore.json", "bundle"),
        ("fw.bin.sigstore", "bundle"),
        ("fw.bin.provenance.sigstore.json", "bundle"),
        ("SHA256SUMS.sigstore.json", "list-bundle"),
        ("fw.bin.cdx.json.sigstore.json", "sbom-signature"),
        ("bom.json.asc", "sbom-signature"),
        ("fw.bin.vex.json.sig", "sbom-signature"),
        ("fw.bin.asc", "detached"),
        ("fw.bin.p7s", "detached"),
        ("fw.bin.layout", "layout"),
        ("fw.bin.cdx.json", "sbom"),
        ("bom.xml", "sbom"),
        ("fw.bin.openvex.json", "vex"),
        ("fw.bin.intoto.jsonl", "jsonl"),
        ("SHA256SUMS", "checksum-list"),
        ("fw.bin.sha512", "checksum-list"),
        ("build.8f0205f9.link", "in-toto-link"),
        ("fw.bin.intoto.json", None),  # by its content: an envelope or a bundle
        ("fw.bin", None),
    ],
)
def test_by_name(name: str, expected: str | None, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(b"-----BEGIN PGP SIGNATURE-----\n")
    found = by_name(path)
    assert (found.key if found else None) == expected


def test_an_asc_holding_a_public_key_is_a_key_not_a_signature(tmp_path: Path) -> None:
    key = tmp_path / "fw.bin.asc"
    key.write_bytes((NORTHWIND / "keys/northwind-release.asc").read_bytes())
    found = by_name(key)
    assert found is not None
    assert found.key == "openpgp-public-key"
    assert found.verify is None


@pytest.mark.parametrize(
    ("source", "expected", "routed"),
    [
        (ACME / "plc-firmware-4.2.1.bin.sigstore.json", "sigstore-bundle", True),
        (ACME / "trusted_root.json", "sigstore-trusted-root", False),
        (NORTHWIND / "certs/northwind-root-ca.pem", "certificate", False),
        (NORTHWIND / "northwind-ca.crl", "crl", False),
        (NORTHWIND / "keys/northwind-release.asc", "openpgp-public-key", False),
        (ACME / "keys/acme-release-2026.pub", "public-key", False),
    ],
)
def test_by_content(source: Path, expected: str, routed: bool, tmp_path: Path) -> None:
    """Under a name no convention knows, content decides (subjects only for what names one)."""
    renamed = tmp_path / ("evidence" + "".join(source.suffixes[-1:]))
    renamed.write_bytes(source.read_bytes())
    found = recognise(renamed, renamed.stat().st_size)
    assert found is not None
    assert found.kind.label == expected
    assert bool(found.subjects) == routed


def test_content_that_is_none_of_them_is_an_artifact(tmp_path: Path) -> None:
    for data in (b'{"hello": "world"}', b"-----BEGIN CERTIFICATE-----\nnot base64!\n", b"MZ\x90"):
        path = tmp_path / "x.json"
        path.write_bytes(data)
        assert recognise(path, len(data)) is None


def test_a_named_list_or_link_must_parse(tmp_path: Path) -> None:
    listed = tmp_path / "SHA256SUMS"
    listed.write_text("not a checksum line\n")
    problem = evidence_kinds.check_supporting(listed, "SHA256SUMS")
    assert problem is not None
    assert problem.startswith("named as checksum-list, but it is not one: ")
    link = tmp_path / "x.link"
    link.write_text("{}")
    assert evidence_kinds.check_supporting(link, "x.link") is not None
    good = ACME / "build.8f0205f9.link"
    assert evidence_kinds.check_supporting(good, good.name) is None
