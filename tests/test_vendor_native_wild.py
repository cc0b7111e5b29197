"""Issue 22 through the CLI: Authenticode as signing tools write it (osslsigncode's padding and
nested signatures, UPX's section layout, legacy countersignatures, Microsoft-shaped RFC 3161
tokens) and signing times a signer cannot choose (OpenPGP).

`osslsigncode` signs real-shaped files and cross-checks ours; where it is absent those tests
skip and say so (.ci/run installs it).
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from fixtures import vendor_native as nw
from provenance.evidence.pe_file import parse_pe
from provenance.testing.openpgp import armor, derive_openpgp_key
from provenance.testing.vendor_pki import (
    VendorPki,
    authenticode_sign,
    minimal_pe,
)
from tests.conftest import CliResult, CliRunner

REPO = Path(__file__).parents[1]
FIXTURE = REPO / "fixtures/northwind-delivery"
EWS, L1, L3 = "engineering-workstations", "level1-controllers", "level3-operations"
TSA = "rfc3161:CN=Meridian Trust Services Timestamp Authority,O=Meridian Trust Services,C=DE"
OSSLSIGNCODE = shutil.which("osslsigncode")
needs_osslsigncode = pytest.mark.skipif(
    OSSLSIGNCODE is None,
    reason="osslsigncode is not installed (.ci/run installs it from Debian where it runs as "
    "root): no independent Authenticode signer and verifier to cross-check with",
)


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    folder = tmp_path / "northwind"
    shutil.copytree(FIXTURE, folder)
    return folder


def decide(
    cli: CliRunner, folder: Path, name: str, segment: str, *extra: str
) -> tuple[CliResult, dict[str, Any]]:
    result = cli(
        "verify", folder / name, "--policy", folder / "policy.yaml", "--segment", segment,
        "--format", "json", *extra,
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    return result, json.loads(result.stdout)


def signatures(report: dict[str, Any]) -> list[dict[str, Any]]:
    (baseline,) = [f for f in report["findings"] if f["rule"] == "vendor_signature"]
    found: list[dict[str, Any]] = baseline.get("evidence", {}).get("signatures", [])
    return found


def osslsigncode(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert OSSLSIGNCODE is not None
    return subprocess.run(
        [OSSLSIGNCODE, *map(str, args)], capture_output=True, text=True, check=False
    )


# -- the fixture installer: padded, dual-signed, Microsoft-timestamped ----------------------


def test_the_fixture_installer_is_shaped_as_windows_tools_sign() -> None:
    image = (FIXTURE / nw.INSTALLER).read_bytes()
    offset, size = parse_pe(image).certificate_table or (0, 0)
    (declared,) = struct.unpack_from("<I", image, offset)
    assert declared == size  # the zero padding is counted in dwLength, as signtool does
    assert image[offset + size - 1] == 0
    assert size % 8 == 0


def test_dual_signed_installer_counts_its_nested_sha256_signature(cli: CliRunner) -> None:
    result, report = decide(cli, FIXTURE, nw.INSTALLER, EWS)
    assert result.code == 0, result.stderr
    (embedded,) = [s for s in signatures(report) if s["content"] == "authenticode"]
    # The time is the nested signature's Microsoft-shaped RFC 3161 token, by the pinned TSA.
    assert embedded["signed_at"] == "2026-06-01T08:00:00+00:00"
    assert embedded["time_source"] == "timestamp-authority"


@needs_osslsigncode
def test_osslsigncode_verifies_the_fixture_installer_and_both_signatures(tmp_path: Path) -> None:
    pki = nw.vendor_pki()
    (tmp_path / "ca.pem").write_bytes(pki.root.pem)
    (tmp_path / "tsa.pem").write_bytes(nw.tsa_pki().tsa_root.pem)
    done = osslsigncode(
        "verify", "-in", FIXTURE / nw.INSTALLER, "-CAfile", tmp_path / "ca.pem",
        "-TSA-CAfile", tmp_path / "tsa.pem",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Number of verified signatures: 2" in done.stdout
    assert done.stdout.count("Timestamp Server Signature verification: ok") == 2


# -- signed by osslsigncode: padding and nesting as the tool writes them ---------------------


def _sign_with_osslsigncode(folder: Path, pki: VendorPki, image: bytes, name: str) -> Path:
    """SHA-1 primary, SHA-256 nested, as `signtool` dual-signed from 2016 to 2019."""
    key = pki.leaf.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (folder / "leaf.key").write_bytes(key)
    (folder / "certs.pem").write_bytes(pki.leaf.pem + pki.intermediate.pem)
    (folder / "unsigned.exe").write_bytes(image)
    first = osslsigncode(
        "sign", "-h", "sha1", "-certs", folder / "certs.pem", "-key", folder / "leaf.key",
        "-in", folder / "unsigned.exe", "-out", folder / "sha1.exe",
    )  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    target = folder / name
    nested = osslsigncode(
        "sign", "-nest", "-h", "sha256", "-certs", folder / "certs.pem", "-key",
        folder / "leaf.key", "-in", folder / "sha1.exe", "-out", target,
    )  # fmt: skip
    assert nested.returncode == 0, nested.stdout + nested.stderr
    for scratch in ("leaf.key", "certs.pem", "unsigned.exe", "sha1.exe"):
        (folder / scratch).unlink()
    return target


@needs_osslsigncode
def test_a_file_dual_signed_by_osslsigncode_is_allowed(cli: CliRunner, delivery: Path) -> None:
    pki = nw.vendor_pki()
    signed = _sign_with_osslsigncode(delivery, pki, nw.installer_image(), "hmi-tool-3.3.exe")
    image = signed.read_bytes()
    offset, size = parse_pe(image).certificate_table or (0, 0)
    (declared,) = struct.unpack_from("<I", image, offset)
    # dwLength counts the padding to 8 bytes after the SignedData (0-7 zero bytes: the ECDSA
    # signatures' lengths vary, so how many this run has varies too).
    der = 4 + int.from_bytes(image[offset + 10 : offset + 12], "big")
    assert image[offset + 8 : offset + 10] == b"\x30\x82"
    assert declared == size == 8 + der + (-(8 + der) % 8)
    assert not any(image[offset + 8 + der : offset + size])
    result, report = decide(cli, delivery, signed.name, L3)  # no timestamp: best-effort
    assert result.code == 0, result.stderr
    (embedded,) = [s for s in signatures(report) if s["content"] == "authenticode"]
    assert embedded["time_source"] == "gate-clock"


@needs_osslsigncode
def test_a_upx_shaped_layout_signed_by_osslsigncode_is_allowed(
    cli: CliRunner, delivery: Path
) -> None:
    """UPX rounds SizeOfHeaders up to the section alignment and starts its sections' raw
    data inside it; Windows loads such files, and the image hash still covers every byte."""
    image = bytearray(minimal_pe(code=b"\x31\xc0\xc3 UPX-shaped"))
    layout = parse_pe(bytes(image))
    optional = layout.checksum_offset - 64
    struct.pack_into("<I", image, optional + 60, 0x1000)  # SizeOfHeaders
    image += bytes(0x1000 - len(image) + 0x200)  # the file covers the headers it declares
    assert parse_pe(bytes(image)).sections[0].raw_offset < 0x1000
    pki = nw.vendor_pki()
    signed = _sign_with_osslsigncode(delivery, pki, bytes(image), "upx-tool.exe")
    (delivery.parent / "ca.pem").write_bytes(pki.root.pem)
    checked = osslsigncode("verify", "-in", signed, "-CAfile", delivery.parent / "ca.pem")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    result, _ = decide(cli, delivery, signed.name, L3)
    assert result.code == 0, result.stderr


# -- legacy countersignatures as the signing time --------------------------------------------


def _expired_leaf_installer(delivery: Path, *, legacy: bool) -> str:
    """Signed by a certificate that expired in 2025, countersigned (legacy PKCS#9 or RFC
    3161) in 2024 by the pinned TSA."""
    pki = nw.vendor_pki()
    expired = pki.issue_leaf("expires-2025", not_after=datetime(2025, 1, 1, tzinfo=UTC))
    stamp = nw.timestamp(datetime(2024, 6, 1, tzinfo=UTC))
    image = authenticode_sign(
        nw.installer_image(), expired, pki.chain,
        countersignature=stamp if legacy else None, timestamp=None if legacy else stamp,
    )  # fmt: skip
    name = "hmi-tool-2024.exe"
    (delivery / name).write_bytes(image)
    return name


def test_a_legacy_countersignature_by_a_pinned_tsa_is_the_signing_time(
    cli: CliRunner, delivery: Path
) -> None:
    name = _expired_leaf_installer(delivery, legacy=True)
    result, report = decide(cli, delivery, name, EWS)
    assert result.code == 0, result.stderr
    (embedded,) = [s for s in signatures(report) if s["content"] == "authenticode"]
    assert embedded["signed_at"] == "2024-06-01T00:00:00+00:00"
    assert embedded["time_source"] == "timestamp-authority"


def test_a_legacy_countersignature_by_an_unpinned_tsa_does_not_count(
    cli: CliRunner, delivery: Path
) -> None:
    name = _expired_leaf_installer(delivery, legacy=True)
    policy = delivery / "policy.yaml"
    policy.write_text(
        policy.read_text().replace("          tsa_roots: [certs/meridian-tsa-root.pem]\n", "")
    )
    result, report = decide(cli, delivery, name, EWS)
    assert result.code == 1
    (problem,) = [p for p in report["evidence"]["problems"] if "(Authenticode)" in p["source"]]
    assert (
        "signer certificate expired at 2025-01-01T00:00:00Z, before the validation time "
        in (problem["reason"])
    )
    assert problem["reason"].endswith("(now)")


@needs_osslsigncode
def test_osslsigncode_accepts_our_legacy_countersignature(tmp_path: Path) -> None:
    pki = VendorPki.create()
    image = authenticode_sign(minimal_pe(), pki.leaf, pki.chain, countersignature=pki.timestamp())
    (tmp_path / "legacy.exe").write_bytes(image)
    (tmp_path / "ca.pem").write_bytes(pki.root.pem)
    (tmp_path / "tsa.pem").write_bytes(pki.tsa_root.pem)
    done = osslsigncode(
        "verify", "-in", tmp_path / "legacy.exe", "-CAfile", tmp_path / "ca.pem",
        "-TSA-CAfile", tmp_path / "tsa.pem",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Timestamp Server Signature verification: ok" in done.stdout


# -- OpenPGP: a time the signer cannot choose ------------------------------------------------


def test_a_backdated_openpgp_signature_by_an_expired_key_is_denied(
    cli: CliRunner, delivery: Path
) -> None:
    """The key expired in 2025; its holder signs the list in 2026 and writes a 2025 creation
    time. Nothing trusted says when it signed, so the key must be valid now."""
    created = datetime(2025, 1, 15, tzinfo=UTC)
    key = derive_openpgp_key(
        nw.SEED, "expired release key", user_id="Northwind Controls Release Signing",
        created=created, expires_after=timedelta(days=180),
    )  # fmt: skip
    (delivery / "keys/northwind-release.asc").write_bytes(key.armored_certificate())
    listing = (delivery / "SHA256SUMS").read_bytes()
    backdated = armor(key.sign(listing, signed_at=created + timedelta(days=30)))
    (delivery / "SHA256SUMS.asc").write_bytes(backdated)
    (delivery / "SHA256SUMS.p7s").unlink()
    result, report = decide(cli, delivery, nw.CHECKSUM_ONLY, L3)
    assert result.code == 1
    (problem,) = report["evidence"]["problems"]
    expiry = (created + timedelta(days=180)).isoformat()
    assert problem["reason"].startswith(
        f"{delivery / 'SHA256SUMS.asc'}: key 0x{key.fingerprint} expired at {expiry}; expected a "
        "key valid now ("
    )
    assert problem["reason"].endswith(
        f"): the signature's own time ({(created + timedelta(days=30)).isoformat()}) is the "
        "signer's claim, not a trusted time"
    )


def test_the_report_says_where_each_signing_time_comes_from(cli: CliRunner) -> None:
    result, report = decide(cli, FIXTURE, nw.FIRMWARE, L1)
    assert result.code == 0, result.stderr
    sources = {(s["content"], Path(s["bundle"]).name): s["time_source"] for s in signatures(report)}
    assert sources == {
        ("cms", f"{nw.FIRMWARE}.p7s"): "timestamp-authority",
        ("checksum-list", "SHA256SUMS.asc"): "gate-clock",
        ("checksum-list", "SHA256SUMS.p7s"): "timestamp-authority",
    }


# -- root programs: one line for a vendor whose chain ends in a commercial root -------------

COMMERCIAL = """  contoso-drives:
    signers:
      - x509:
          roots: [store:microsoft]
          subject: {O: "Contoso Drives GmbH", CN: "Contoso Drives GmbH"}
    products: [pkg:generic/contoso/drive-tool]
"""


def test_a_root_program_signer_needs_a_subject_pin(cli: CliRunner, delivery: Path) -> None:
    policy = delivery / "policy.yaml"
    text = policy.read_text()
    policy.write_text(text.replace("segments:\n", COMMERCIAL + "segments:\n", 1))
    result, report = decide(cli, delivery, nw.FIRMWARE, L1)
    assert result.code == 0, result.stderr  # northwind's own PKI still decides its firmware
    assert {s["vendor"] for s in signatures(report)} == {nw.VENDOR}
    unpinned = COMMERCIAL.replace(
        '          subject: {O: "Contoso Drives GmbH", CN: "Contoso Drives GmbH"}\n', ""
    )
    policy.write_text(text.replace("segments:\n", unpinned + "segments:\n", 1))
    refused = cli("policy", "lint", policy)
    assert refused.code == 1
    assert (
        "error: vendors.contoso-drives.signers[0].x509: x509 signer: roots: store:microsoft "
        "trusts every CA of a root program; expected a subject pin naming the vendor "
        "(subject: {O: ..., CN: ...}), got none"
    ) in refused.stdout
