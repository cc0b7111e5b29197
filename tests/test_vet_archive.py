"""`provenance vet` on hostile archives: every attack refuses the delivery with its reason
(exit 1), and nothing is written outside the private temporary directory, which is gone
afterwards."""

from __future__ import annotations

import gzip
import io
import json
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from provenance.commands.vet import vet
from provenance.inputs.delivery_archive import (
    MAX_COMPRESSION_RATIO,
    MAX_DELIVERY_FILES,
    MAX_NESTING_DEPTH,
    Limits,
)
from tests.conftest import CliRunner

REPO = Path(__file__).resolve().parents[1]
NORTHWIND = REPO / "fixtures/northwind-delivery"
POLICY = NORTHWIND / "policy.yaml"
SEGMENT = "level3-operations"
FIRMWARE = "io-module-firmware-2.4.0.bin"


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every path below `root` with its size and mtime (links not followed)."""
    return {
        str(path.relative_to(root)): (path.lstat().st_size, path.lstat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path != root / "tmp"  # the run's temporary directory: checked empty afterwards
    }


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path/work holds the archives; the run's temporary directories go to tmp_path/tmp."""
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    work = tmp_path / "work"
    work.mkdir()
    return work


Check = Callable[..., None]


@pytest.fixture
def refuses(cli: CliRunner, workdir: Path) -> Check:
    """Run `provenance vet ARCHIVE --format json`: exit 1, the reason in the verdict line and
    in `refused`, no artifacts, and the file tree outside the temporary directory unchanged."""

    def check(archive: Path, *fragments: str) -> None:
        root = workdir.parent
        before = tree(root)
        result = cli("vet", archive, "--policy", POLICY, "--segment", SEGMENT, "--format", "json")
        assert "Traceback" not in result.stderr
        assert result.code == 1, result.stderr
        assert result.stderr.startswith(f"FAIL: {archive}: refused: "), result.stderr
        assert len(result.stderr.splitlines()) == 1
        report = json.loads(result.stdout)
        assert report["decision"] == "deny"
        assert report["artifacts"] == []
        for fragment in fragments:
            assert fragment in report["refused"]["reason"]
            assert fragment in result.stderr
        assert tree(root) == before
        assert list((root / "tmp").iterdir()) == []
        assert not (root / "evil.txt").exists()

    return check


def zip_with(path: Path, *members: tuple[zipfile.ZipInfo | str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return path


def tar_with(path: Path, *members: tuple[tarfile.TarInfo, bytes], mode: str = "w") -> Path:
    with tarfile.open(path, mode) as archive:  # type: ignore[call-overload]
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            archive.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def firmware() -> tuple[str, bytes]:
    return FIRMWARE, (NORTHWIND / FIRMWARE).read_bytes()


# The temporary directory is tmp/provenance-vet-*/x1: three levels up is the test's folder.
ESCAPE = "../../../evil.txt"


def test_zip_slip(workdir: Path, refuses: Check) -> None:
    archive = zip_with(workdir / "d.zip", firmware(), (ESCAPE, b"owned"))
    refuses(archive, f"d.zip: member '{ESCAPE}': '..' in the path (path traversal)")


def test_tar_slip(workdir: Path, refuses: Check) -> None:
    archive = tar_with(workdir / "d.tar", (tar_member("sub/../../../../evil.txt"), b"owned"))
    refuses(archive, "'..' in the path (path traversal)")


def test_absolute_path_in_zip_and_tar(workdir: Path, refuses: Check) -> None:
    target = str(workdir.parent / "evil.txt")
    refuses(zip_with(workdir / "a.zip", (target, b"owned")), "absolute path")
    refuses(tar_with(workdir / "a.tar", (tar_member(target), b"owned")), "absolute path")


def test_drive_letter_and_backslash(workdir: Path, refuses: Check) -> None:
    refuses(zip_with(workdir / "c.zip", ("C:/evil.txt", b"x")), "drive letter")
    refuses(
        zip_with(workdir / "b.zip", ("..\\..\\..\\evil.txt", b"x")),
        "backslash or NUL in the name (path trick)",
    )


def test_symlink_escape_in_tar(workdir: Path, refuses: Check) -> None:
    archive = tar_with(
        workdir / "s.tar.gz",
        (tar_member("etc", tarfile.SYMTYPE, "../../../../../etc"), b""),
        (tar_member("etc/evil.txt"), b"owned"),
        mode="w:gz",
    )
    refuses(archive, "etc: a symbolic link to '../../../../../etc' (links are refused")


def test_symlink_in_zip(workdir: Path, refuses: Check) -> None:
    info = zipfile.ZipInfo("passwd")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    refuses(zip_with(workdir / "l.zip", (info, b"/etc/passwd")), "passwd: a symbolic link")


def test_hardlink_escape(workdir: Path, refuses: Check) -> None:
    archive = tar_with(
        workdir / "h.tar",
        (tar_member("passwd", tarfile.LNKTYPE, "/etc/passwd"), b""),
    )
    refuses(archive, "passwd: a hard link to '/etc/passwd' (links are refused in deliveries)")


def test_device_and_fifo_in_tar(workdir: Path, refuses: Check) -> None:
    device = tar_member("dev/sda", tarfile.CHRTYPE)
    device.devmajor, device.devminor = 8, 0
    refuses(tar_with(workdir / "dev.tar", (device, b"")), "dev/sda: a device, FIFO or special")
    refuses(
        tar_with(workdir / "fifo.tar.xz", (tar_member("pipe", tarfile.FIFOTYPE), b""), mode="w:xz"),
        "pipe: a device, FIFO or special file",
    )


def test_zip_bomb_by_ratio(workdir: Path, refuses: Check) -> None:
    archive = zip_with(workdir / "bomb.zip", ("zeros.bin", bytes(4 * 1024 * 1024)))
    refuses(archive, f"zeros.bin: compression ratio above {MAX_COMPRESSION_RATIO}:1")


def test_tar_gz_bomb_by_ratio(workdir: Path, refuses: Check) -> None:
    archive = tar_with(
        workdir / "bomb.tar.gz", (tar_member("zeros.bin"), bytes(4 * 1024 * 1024)), mode="w:gz"
    )
    refuses(archive, f"bomb.tar.gz: compression ratio above {MAX_COMPRESSION_RATIO}:1")


def test_too_many_files(workdir: Path, refuses: Check) -> None:
    path = workdir / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(MAX_DELIVERY_FILES + 1):
            archive.writestr(f"f{index}", b"")
    refuses(path, f"more than {MAX_DELIVERY_FILES} files in the delivery")


def test_deep_nesting(workdir: Path, refuses: Check) -> None:
    inner = zip_with(workdir / "c.zip", firmware())
    middle = zip_with(workdir / "b.zip", ("c.zip", inner.read_bytes()))
    outer = zip_with(workdir / "a.zip", ("b.zip", middle.read_bytes()))
    inner.unlink()
    middle.unlink()
    refuses(outer, f"b.zip!/c.zip: archives nested deeper than {MAX_NESTING_DEPTH} levels")


def test_nesting_within_the_limit_is_expanded(workdir: Path) -> None:
    inner = tar_with(workdir / "inner.tar.gz", (tar_member(FIRMWARE), firmware()[1]), mode="w:gz")
    outer = zip_with(
        workdir / "outer.zip",
        ("inner.tar.gz", inner.read_bytes()),
        ("SHA256SUMS", (NORTHWIND / "SHA256SUMS").read_bytes()),
    )
    result = vet(outer, policy_path=POLICY, segment=SEGMENT, workers=1)
    assert result.refused is None
    assert [item["artifact"]["name"] for item in result.artifacts] == [f"inner.tar.gz!/{FIRMWARE}"]
    assert [(item.name, item.reason) for item in result.unrecognised] == [
        (
            "inner.tar.gz",
            "an archive without evidence of its own: expanded, its files are listed as "
            "inner.tar.gz!/...",
        )
    ]


def test_duplicate_member_and_file_directory_clash(workdir: Path, refuses: Check) -> None:
    refuses(
        zip_with(workdir / "dup.zip", ("a/fw.bin", b"one"), ("a//fw.bin", b"two")),
        "a/fw.bin appears twice in the archive",
    )
    refuses(
        zip_with(workdir / "clash.zip", ("fw", b"one"), ("fw/x", b"two")),
        "fw is both a file and a directory",
    )


def test_oversized_tar_extended_header(workdir: Path, refuses: Check) -> None:
    path = workdir / "pax.tar"
    info = tar_member("fw.bin")
    info.pax_headers = {"comment": "x" * (2 * 1024 * 1024)}
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(info, io.BytesIO(b""))
    refuses(path, "a tar extended header of")


def test_not_an_archive_inside_a_gzip(workdir: Path, refuses: Check) -> None:
    path = workdir / "notes.tar.gz"
    path.write_bytes(gzip.compress(b"just text, not a tar\n" * 40))
    refuses(path, "notes.tar.gz: not a readable tar archive")


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        (Limits(max_total_bytes=1000), "declares 2049 bytes, more than the delivery limit of 1000"),
        (Limits(max_file_bytes=1000), "declares 2048 bytes, over the per-file limit of 1000"),
        (Limits(max_files=1), "more than 1 files in the delivery"),
    ],
)
def test_size_and_count_limits(workdir: Path, limits: Limits, reason: str) -> None:
    archive = zip_with(workdir / "d.zip", ("a.bin", bytes(range(256)) * 8), ("b.bin", b"b"))
    result = vet(archive, policy_path=POLICY, segment=SEGMENT, workers=1, limits=limits)
    assert result.decision == "deny"
    assert result.refused is not None
    assert reason in result.refused
    assert result.delivery_kind == "zip"


def test_tar_member_sizes_are_counted_before_anything_is_written(workdir: Path) -> None:
    # A tar declares no total: its members' sizes are summed from their headers first.
    archive = tar_with(workdir / "d.tar", (tar_member("a.bin"), bytes(range(256)) * 8))
    result = vet(
        archive, policy_path=POLICY, segment=SEGMENT, workers=1, limits=Limits(max_total_bytes=1000)
    )
    assert result.refused == "d.tar: declares 2048 bytes, more than the delivery limit of 1000"
    assert result.delivery_kind == "tar"


def gnu_sparse_tar(path: Path, name: str, real_size: int, data: bytes) -> Path:
    """A plain tar with one old-GNU sparse member (type 'S'): `data` stored for the last bytes
    of a `real_size`-byte file whose other bytes are holes, as `tar --sparse` writes it.
    Python's tarfile reads such members but cannot write them, so the header is built here."""

    def octal(value: int, width: int) -> bytes:
        return f"{value:0{width - 1}o}".encode() + b"\0"

    header = bytearray(512)
    header[0 : len(name)] = name.encode()
    header[100:108] = octal(0o644, 8)
    header[108:116] = header[116:124] = octal(0, 8)
    header[124:136] = octal(len(data), 12)  # the bytes stored in the archive
    header[136:148] = octal(0, 12)
    header[156:157] = b"S"
    header[257:265] = b"ustar  \0"  # old GNU magic
    header[386:398] = octal(real_size - len(data), 12)  # sparse map: (offset, size) pairs
    header[398:410] = octal(len(data), 12)
    header[483:495] = octal(real_size, 12)  # the size it expands to
    header[148:156] = b" " * 8
    header[148:156] = f"{sum(header):06o}".encode() + b"\0 "
    path.write_bytes(bytes(header) + data + bytes(-len(data) % 512) + bytes(1024))
    return path


def test_a_sparse_member_of_a_plain_tar_is_a_bomb_before_it_is_written(
    workdir: Path, refuses: Check
) -> None:
    archive = gnu_sparse_tar(workdir / "sparse.tar", "disk.img", 1024**3, b"\xff" * 512)
    with tarfile.open(archive) as opened:
        (member,) = opened.getmembers()
    assert (member.issparse(), member.size, archive.stat().st_size) == (True, 1024**3, 2048)
    refuses(archive, f"sparse.tar: disk.img (sparse): compression ratio above "
                     f"{MAX_COMPRESSION_RATIO}:1")  # fmt: skip
    # Under the ratio, a sparse member is a file like any other, counted at its full size.
    small = gnu_sparse_tar(workdir / "small.tar", "disk.img", 4096, b"\xff" * 512)
    result = vet(small, policy_path=POLICY, segment=SEGMENT, workers=1,
                 limits=Limits(max_total_bytes=4000))  # fmt: skip
    assert result.refused == "small.tar: declares 4096 bytes, more than the delivery limit of 4000"


def test_encrypted_member(workdir: Path, refuses: Check) -> None:
    path = zip_with(workdir / "enc.zip", ("fw.bin", b"data"))
    raw = bytearray(path.read_bytes())
    # Set the "encrypted" flag bit in the local and the central header.
    raw[6] |= 1
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 8] |= 1
    path.write_bytes(bytes(raw))
    refuses(path, "fw.bin: encrypted, cannot be examined")


def test_directory_delivery_is_read_in_place_and_a_link_denies_it(
    tmp_path: Path, workdir: Path
) -> None:
    delivery = workdir / "delivery"
    delivery.mkdir()
    for name in ("SHA256SUMS", "SHA256SUMS.asc", FIRMWARE):
        (delivery / name).write_bytes((NORTHWIND / name).read_bytes())
    assert vet(delivery, policy_path=POLICY, segment=SEGMENT, workers=1).decision == "allow"
    # A link is a file nobody can decide about: not followed, and the delivery is denied.
    (delivery / "passwd").symlink_to("/etc/passwd")
    before = tree(tmp_path)
    result = vet(delivery, policy_path=POLICY, segment=SEGMENT, workers=1)
    assert tree(tmp_path) == before
    assert [a["decision"] for a in result.artifacts] == ["allow"]
    assert result.decision == "deny"
    assert [(item.name, item.reason) for item in result.refused_files] == [
        ("passwd", "a symbolic link to '/etc/passwd': not followed")
    ]
