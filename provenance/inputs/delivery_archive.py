"""Safe extraction of a vendor's delivery archive (.zip, .tar, .tar.gz, .tar.xz, .tar.bz2).

The archive is the attacker's: every member name, type and size is checked before a byte is
written, and bytes are counted as they are written (declared sizes can lie). Anything wrong
refuses the whole archive (`DeliveryRefused`, a denial with its one-line reason); a partial
extraction is never vetted. Extraction writes only below the private directory it is given:
1. a member name is split on `/`; absolute paths, drive letters, backslashes, NUL, `..` and
   empty names are refused (`./` prefixes, as `tar -C dir .` writes them, are dropped);
2. links (symbolic or hard, escaping or not) are refused: a delivery is files, and a link's
   target is not what the evidence beside it covers. Devices, FIFOs and sockets are refused;
3. the same name twice, or a file where a directory is needed, is refused (which copy would
   the evidence cover?);
4. limits: member count, per-file size, total size across the delivery (nested archives
   included), and the compression ratio of anything over `RATIO_FLOOR_BYTES` (zip bombs);
5. files are created with O_EXCL | O_NOFOLLOW below directories this module made, so no
   existing file or link can be written through.
Tar headers are pre-scanned (`_scan_tar_headers`) before tarfile reads them: tarfile reads a
PAX or GNU long-name header whole into memory, whatever size it declares. Then every member's
expanded size is counted against the limits before a byte is extracted (`_plan_tar`): a plain
tar has no compression to measure, but a sparse member (GNU or PAX) expands its few stored
bytes to the size its header declares, so each member's ratio is its expanded size over the
bytes it occupies in the archive, and the whole archive's over the archive file's size.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from provenance.errors import VerificationFailure
from provenance.inputs.zip_errors import ZIP_ERRORS, zip_problem

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_DELIVERY_BYTES",
    "MAX_DELIVERY_FILES",
    "MAX_FILE_BYTES",
    "MAX_NESTING_DEPTH",
    "RATIO_FLOOR_BYTES",
    "ArchiveKind",
    "Budget",
    "DeliveryRefused",
    "Limits",
    "archive_kind",
    "extract_archive",
]

# Limits: generous for firmware and disk images, small enough for a workstation's /tmp.
MAX_DELIVERY_FILES = 10_000  # members across the delivery and its nested archives
MAX_DELIVERY_BYTES = 8 * 1024**3  # bytes written across the delivery
MAX_FILE_BYTES = 4 * 1024**3  # one member
MAX_COMPRESSION_RATIO = 200  # uncompressed / compressed, for anything over the floor
RATIO_FLOOR_BYTES = 1024**2  # small files compress well legitimately (JSON, text)
MAX_NESTING_DEPTH = 2  # archive levels: a delivery .zip holding a .tar.gz is depth 2
MAX_TAR_HEADER_BYTES = 1024**2  # a PAX or GNU long-name header
MAX_NAME_BYTES = 4096

ArchiveKind = Literal["zip", "tar"]

_CHUNK = 1024 * 1024
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_COMPRESSED: dict[bytes, str] = {b"\x1f\x8b": "gzip", b"\xfd7zXZ\x00": "xz", b"BZh": "bzip2"}
_DRIVE = re.compile(r"[A-Za-z]:")


class DeliveryRefused(VerificationFailure):
    """The delivery archive is refused as a whole (exit 1): the message is the one-line reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message, check="delivery")


@dataclass(frozen=True)
class Limits:
    """The extraction limits (the named constants above; tests pass smaller ones)."""

    max_files: int = MAX_DELIVERY_FILES
    max_total_bytes: int = MAX_DELIVERY_BYTES
    max_file_bytes: int = MAX_FILE_BYTES
    max_ratio: int = MAX_COMPRESSION_RATIO
    max_depth: int = MAX_NESTING_DEPTH


class Budget:
    """What is left of the limits across one delivery (nested archives draw on it too)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.files = 0
        self.bytes = 0

    def add_file(self, where: str) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise DeliveryRefused(
                f"{where}: more than {self.limits.max_files} files in the delivery"
            )

    def add_bytes(self, count: int, where: str) -> None:
        self.bytes += count
        if self.bytes > self.limits.max_total_bytes:
            raise DeliveryRefused(
                f"{where}: the delivery expands to more than {self.limits.max_total_bytes} bytes"
            )


def archive_kind(path: Path) -> ArchiveKind | None:
    """What an archive is by its content (a name can lie); None if it is neither."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return None
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if any(head.startswith(magic) for magic in _COMPRESSED) or _is_tar_header(head):
        return "tar"
    return None


def _is_tar_header(block: bytes) -> bool:
    return len(block) == 512 and block[257:262] == b"ustar"


def extract_archive(archive: Path, into: Path, *, where: str, budget: Budget) -> None:
    """Extract `archive` into the empty private directory `into`; `where` names it in messages.

    A tar is first decompressed to a temporary file beside `into` (same private parent).

    Raises `DeliveryRefused` with the reason if anything in it is unsafe or over a limit.
    """
    kind = archive_kind(archive)
    if kind == "zip":
        _extract_zip(archive, into, where, budget)
    elif kind == "tar":
        _extract_tar(archive, into, where, budget)
    else:
        raise DeliveryRefused(f"{where}: not a zip or tar archive (by its content)")


# -- member names ---------------------------------------------------------------------------


def _member_parts(name: str, where: str) -> tuple[str, ...]:
    """The path components of a member name, or `DeliveryRefused` (step 1)."""
    shown = f"{where}: member {name!r}"
    if not name or len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise DeliveryRefused(f"{shown}: expected a name of 1 to {MAX_NAME_BYTES} bytes")
    if "\x00" in name or "\\" in name:
        raise DeliveryRefused(f"{shown}: backslash or NUL in the name (path trick)")
    if name.startswith("/"):
        raise DeliveryRefused(f"{shown}: absolute path")
    if _DRIVE.match(name):
        raise DeliveryRefused(f"{shown}: drive letter (absolute Windows path)")
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if ".." in parts:
        raise DeliveryRefused(f"{shown}: '..' in the path (path traversal)")
    return parts


class _Writer:
    """Creates directories and files below `root` only (steps 3 and 5)."""

    def __init__(self, root: Path, where: str, budget: Budget) -> None:
        self.root, self.where, self.budget = root, where, budget
        self.files: set[tuple[str, ...]] = set()
        self.dirs: set[tuple[str, ...]] = {()}

    def directory(self, parts: tuple[str, ...]) -> Path:
        for depth in range(1, len(parts) + 1):
            prefix = parts[:depth]
            if prefix in self.files:
                raise DeliveryRefused(
                    f"{self.where}: {'/'.join(prefix)} is both a file and a directory"
                )
            if prefix not in self.dirs:
                (self.root.joinpath(*prefix)).mkdir(mode=0o700)
                self.dirs.add(prefix)
        return self.root.joinpath(*parts)

    def file(self, parts: tuple[str, ...], source: IO[bytes], limit: int, ratio_base: int) -> None:
        """Copy `source` to the member's path, at most `limit` bytes; `ratio_base` is its
        compressed size (0: the ratio is checked for the whole archive by the caller)."""
        name = "/".join(parts)
        if not parts:
            raise DeliveryRefused(f"{self.where}: a file member with an empty name")
        if parts in self.files or parts in self.dirs:
            raise DeliveryRefused(f"{self.where}: {name} appears twice in the archive")
        self.budget.add_file(f"{self.where}: {name}")
        folder = self.directory(parts[:-1])
        self.files.add(parts)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        written = 0
        with os.fdopen(os.open(folder / parts[-1], flags, 0o600), "wb") as target:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                self._check_size(name, written, limit, ratio_base)
                self.budget.add_bytes(len(chunk), f"{self.where}: {name}")
                target.write(chunk)

    def _check_size(self, name: str, written: int, limit: int, ratio_base: int) -> None:
        limits = self.budget.limits
        if written > limits.max_file_bytes:
            raise DeliveryRefused(
                f"{self.where}: {name}: larger than the per-file limit of "
                f"{limits.max_file_bytes} bytes"
            )
        if written > limit:
            raise DeliveryRefused(
                f"{self.where}: {name}: more bytes than its header declares ({limit})"
            )
        if ratio_base and _ratio_exceeded(written, ratio_base, limits.max_ratio):
            raise DeliveryRefused(_bomb(f"{self.where}: {name}", limits.max_ratio))


def _ratio_exceeded(expanded: int, compressed: int, max_ratio: int) -> bool:
    return expanded > RATIO_FLOOR_BYTES and expanded > max_ratio * max(compressed, 1)


def _bomb(where: str, max_ratio: int) -> str:
    return f"{where}: compression ratio above {max_ratio}:1 (a zip bomb?)"


# -- zip --------------------------------------------------------------------------------------


def _extract_zip(archive: Path, into: Path, where: str, budget: Budget) -> None:
    limits = budget.limits
    try:
        with zipfile.ZipFile(archive) as opened:
            members = opened.infolist()
            if len(members) > limits.max_files - budget.files:
                raise DeliveryRefused(
                    f"{where}: {len(members)} members, more than {limits.max_files} files in "
                    "the delivery"
                )
            planned = [(_zip_member(info, where, limits), info) for info in members]
            declared = sum(info.file_size for _, info in planned)
            if budget.bytes + declared > limits.max_total_bytes:
                raise DeliveryRefused(
                    f"{where}: declares {declared} bytes, more than the delivery limit of "
                    f"{limits.max_total_bytes}"
                )
            writer = _Writer(into, where, budget)
            for parts, info in planned:
                if info.is_dir():
                    writer.directory(parts)
                    continue
                with opened.open(info) as source:
                    writer.file(parts, source, info.file_size, info.compress_size)
    except ZIP_ERRORS as exc:
        raise DeliveryRefused(f"{where}: not a readable zip archive: {zip_problem(exc)}") from exc
    except OSError as exc:
        raise DeliveryRefused(f"{where}: cannot extract: {exc.strerror or exc}") from exc


def _zip_member(info: zipfile.ZipInfo, where: str, limits: Limits) -> tuple[str, ...]:
    parts = _member_parts(info.filename, where)
    shown = f"{where}: {info.filename}"
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if info.create_system == 3 and kind == stat.S_IFLNK:  # 3: made on Unix, mode is valid
        raise DeliveryRefused(f"{shown}: a symbolic link (links are refused in deliveries)")
    if info.create_system == 3 and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise DeliveryRefused(f"{shown}: a device, FIFO or socket, expected a regular file")
    if info.flag_bits & 0x1:
        raise DeliveryRefused(f"{shown}: encrypted, cannot be examined")
    if info.file_size > limits.max_file_bytes:
        raise DeliveryRefused(
            f"{shown}: declares {info.file_size} bytes, over the per-file limit of "
            f"{limits.max_file_bytes}"
        )
    if _ratio_exceeded(info.file_size, info.compress_size, limits.max_ratio):
        raise DeliveryRefused(_bomb(shown, limits.max_ratio))
    return parts


# -- tar --------------------------------------------------------------------------------------


def _extract_tar(archive: Path, into: Path, where: str, budget: Budget) -> None:
    """Decompress to a plain tar beside `into` (counted, ratio-checked), pre-scan its
    headers, then extract member by member; the plain tar is removed afterwards."""
    plain = into.with_name(into.name + ".plain.tar")
    try:
        _decompress(archive, plain, where, budget)
        _scan_tar_headers(plain, where)
        with tarfile.open(plain, mode="r:") as opened:
            members = _plan_tar(opened, archive.stat().st_size, where, budget)
            writer = _Writer(into, where, budget)
            for member in members:
                _tar_member(opened, member, writer, where)
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as exc:
        raise DeliveryRefused(f"{where}: not a readable tar archive: {exc}") from exc
    except OSError as exc:
        raise DeliveryRefused(f"{where}: cannot extract: {exc.strerror or exc}") from exc
    finally:
        plain.unlink(missing_ok=True)


def _plan_tar(
    opened: tarfile.TarFile, archive_bytes: int, where: str, budget: Budget
) -> list[tarfile.TarInfo]:
    """Every member's header, its expanded size counted against the limits, before extraction.

    1. The member count, as headers are read (a million empty members stop at the limit).
    2. Per file: the declared (expanded) size against the per-file limit; for a sparse member,
       that size over the bytes it stores against the compression ratio.
    3. The sum of expanded sizes against what is left of the delivery limit, and against the
       ratio to the archive file's own size (compressed or not).
    """
    limits = budget.limits
    members, expanded = [], 0
    for member in opened:
        members.append(member)
        if len(members) > limits.max_files - budget.files:
            raise DeliveryRefused(f"{where}: more than {limits.max_files} files in the delivery")
        if not member.isfile():
            continue
        shown = f"{where}: {member.name}"
        if member.size > limits.max_file_bytes:
            raise DeliveryRefused(
                f"{shown}: declares {member.size} bytes, over the per-file limit of "
                f"{limits.max_file_bytes}"
            )
        if _ratio_exceeded(member.size, _stored_bytes(member), limits.max_ratio):
            raise DeliveryRefused(_bomb(f"{shown} (sparse)", limits.max_ratio))
        expanded += member.size
    if budget.bytes + expanded > limits.max_total_bytes:
        raise DeliveryRefused(
            f"{where}: declares {expanded} bytes, more than the delivery limit of "
            f"{limits.max_total_bytes}"
        )
    if _ratio_exceeded(expanded, archive_bytes, limits.max_ratio):
        raise DeliveryRefused(_bomb(where, limits.max_ratio))
    return members


def _stored_bytes(member: tarfile.TarInfo) -> int:
    """The bytes a member's data occupies in the archive: for a sparse one, its data chunks
    (tarfile keeps them as (offset, size) pairs in `sparse`; typeshed types it otherwise)."""
    chunks: Any = member.sparse
    return sum(int(size) for _, size in chunks) if chunks else member.size


def _decompress(archive: Path, plain: Path, where: str, budget: Budget) -> None:
    with archive.open("rb") as raw:
        head = raw.read(6)
    compression = next((name for magic, name in _COMPRESSED.items() if head.startswith(magic)), "")
    if not compression:
        shutil.copyfile(archive, plain)  # to scan and read a copy that cannot change
        return
    compressed_size = archive.stat().st_size
    limits, expanded = budget.limits, 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with (
        _decompressing(compression, archive) as source,
        os.fdopen(os.open(plain, flags, 0o600), "wb") as out,
    ):
        while chunk := source.read(_CHUNK):
            expanded += len(chunk)
            if _ratio_exceeded(expanded, compressed_size, limits.max_ratio):
                raise DeliveryRefused(_bomb(where, limits.max_ratio))
            if budget.bytes + expanded > limits.max_total_bytes:
                raise DeliveryRefused(
                    f"{where}: expands to more than {limits.max_total_bytes} bytes"
                )
            out.write(chunk)


def _decompressing(compression: str, archive: Path) -> IO[bytes]:
    if compression == "gzip":
        return gzip.open(archive, "rb")  # type: ignore[return-value]  # a GzipFile reads bytes
    if compression == "xz":
        return lzma.open(archive, "rb")
    return bz2.open(archive, "rb")


_LONG_HEADERS = (b"x", b"g", b"L", b"K")  # PAX (per file, global), GNU long name / link


def _scan_tar_headers(plain: Path, where: str) -> None:
    """Refuse PAX or GNU long headers over MAX_TAR_HEADER_BYTES before tarfile reads them."""
    size = plain.stat().st_size
    with plain.open("rb") as handle:
        offset = 0
        while offset + 512 <= size:
            handle.seek(offset)
            block = handle.read(512)
            if block == bytes(512):
                return  # end of archive
            declared = _header_size(block)
            if declared is None:
                return  # not a header tarfile accepts either: it reports the error
            if block[156:157] in _LONG_HEADERS and declared > MAX_TAR_HEADER_BYTES:
                raise DeliveryRefused(
                    f"{where}: a tar extended header of {declared} bytes, over the "
                    f"{MAX_TAR_HEADER_BYTES}-byte limit"
                )
            offset += 512 + (declared + 511) // 512 * 512


def _header_size(block: bytes) -> int | None:
    field = block[124:136]
    if field[0] & 0x80:  # GNU base-256
        return int.from_bytes(field[1:], "big")
    text = field.rstrip(b"\x00 ").lstrip(b" ")
    try:
        return int(text or b"0", 8)
    except ValueError:
        return None


def _tar_member(
    opened: tarfile.TarFile, member: tarfile.TarInfo, writer: _Writer, where: str
) -> None:
    shown = f"{where}: {member.name}"
    parts = _member_parts(member.name, where)
    if member.issym() or member.islnk():
        what = "symbolic" if member.issym() else "hard"
        raise DeliveryRefused(
            f"{shown}: a {what} link to {member.linkname!r} (links are refused in deliveries)"
        )
    if member.isdir():
        writer.directory(parts)
        return
    if not member.isfile():  # character or block device, FIFO, contiguous, sparse, ...
        raise DeliveryRefused(f"{shown}: a device, FIFO or special file, expected a regular file")
    if member.size > writer.budget.limits.max_file_bytes:
        raise DeliveryRefused(
            f"{shown}: declares {member.size} bytes, over the per-file limit of "
            f"{writer.budget.limits.max_file_bytes}"
        )
    source = opened.extractfile(member)
    if source is None:  # pragma: no cover - isfile() members always have a file object
        raise DeliveryRefused(f"{shown}: no content")
    with source:
        writer.file(parts, source, member.size, 0)
