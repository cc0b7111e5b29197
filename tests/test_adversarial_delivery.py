"""Adversarial: "every file of a delivery is decided" (README, Vet a vendor delivery). A file
is an artifact, evidence an artifact used, a declared document, or refused; a file whose name
says evidence or document but whose content runs or unpacks is refused.

Each test is a delivery the gate allows today although it carries runnable or unpackable
content nobody decided about. They assert the denial, so they fail until the gate refuses.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from provenance.testing import PrivateSigstoreInstance
from tests.adversarial_support import binding_site
from tests.conftest import CliRunner
from tests.test_binding import (
    Site,
    release,
    vet,
    zipped,
)


@pytest.fixture
def site(tmp_path: Path, instance: PrivateSigstoreInstance) -> Site:
    return binding_site(tmp_path, instance)


def test_a_script_whose_content_looks_like_trust_material_is_decided(
    cli: CliRunner, site: Site
) -> None:
    # JSON that the delivery reader takes for a Sigstore trusted root (by its mediaType) or a
    # securesystemslib public key (keytype, keyval), under names Windows runs on a double
    # click. Trust material is "carried, never trusted", and an unused one is not refused.
    batch = json.dumps(
        {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            # cmd.exe ends the quoted string at \" and runs what follows
            "note": 'x" & powershell -enc SQBFAFgA & rem "',
        }
    )
    hta = json.dumps(
        {
            "keytype": "ed25519",
            "keyval": {"public": "<script>new ActiveXObject('WScript.Shell').Run('calc')</script>"},
        }
    )
    archive = zipped(site, {**release(site), "install.cmd": batch, "setup.hta": hta})
    code, stderr, report = vet(cli, site, archive)
    # Today: exit 0, "all 1 artifacts allowed"; install.cmd is listed as evidence of kind
    # sigstore-trusted-root and setup.hta as public-key.
    assert code == 1, stderr
    decided = {a["artifact"]["name"] for a in report["artifacts"]}
    refused = {item["path"] for item in report["refused_files"]}
    assert {"release/install.cmd", "release/setup.hta"} <= decided | refused


def test_supporting_evidence_by_name_is_not_a_free_pass(cli: CliRunner, site: Site) -> None:
    # A `.link` or a `SHA256SUMS` that no artifact reads, with arbitrary content.
    archive = zipped(
        site,
        {
            **release(site),
            "build.0badc0de.link": "powershell -enc SQBFAFgA\n",
            "SHA256SUMS": "this is not a checksum list\n",
        },
    )
    code, stderr, report = vet(cli, site, archive)
    # Today: exit 0; both are listed as evidence (in-toto-link, checksum-list), never read.
    assert code == 1, stderr
    assert {item["path"] for item in report["refused_files"]} >= {
        "release/build.0badc0de.link",
        "release/SHA256SUMS",
    }


def dropper_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("dropper.exe", b"MZ\x90\x00 a Windows program")
    return buffer.getvalue()


def dropper_v7_tar() -> bytes:
    """A pre-POSIX (v7) tar: no `ustar` magic at offset 257, which tar still extracts."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        data = b"MZ\x90\x00 a Windows program"
        info = tarfile.TarInfo("dropper.exe")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    raw = bytearray(buffer.getvalue())
    raw[257:265] = bytes(8)  # magic and version gone
    raw[148:156] = b" " * 8
    raw[148:156] = b"%06o\x00 " % sum(raw[:512])  # header checksum over the new header
    with tarfile.open(fileobj=io.BytesIO(bytes(raw))) as readable:
        assert readable.getnames() == ["dropper.exe"]
    return bytes(raw)


def test_a_document_that_is_an_archive_by_content_is_refused(cli: CliRunner, site: Site) -> None:
    # A PDF with a zip appended (zip readers find the archive from its end, as self-extracting
    # archives do), and a v7 tar under a text name: both unpack to a Windows program.
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + dropper_zip()
    assert zipfile.ZipFile(io.BytesIO(pdf)).namelist() == ["dropper.exe"]
    archive = zipped(site, {**release(site), "notes.pdf": pdf, "readme.txt": dropper_v7_tar()})
    code, stderr, report = vet(cli, site, archive)
    # Today: exit 0, both listed as "documents, not vetted": magic.py looks only for a zip
    # signature at offset 0 and `ustar` at 257.
    assert code == 1, stderr
    assert report["documents"] == []
