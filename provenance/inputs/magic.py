"""What a file's first bytes say it can do: run, or unpack into more files.

A delivery names its own files, so a name is only a claim. `dropper.exe.sig` is an executable
whatever its suffix says; a file that is evidence or documentation by name but runnable or
unpackable by content is refused rather than passed over. Evidence and documents never start
with these bytes: signatures are DER, OpenPGP packets, PEM or base64 text; SBOMs, bundles,
lists and links are JSON, XML or text; documents are text, PDF or office files.
"""

from __future__ import annotations

from pathlib import Path

from provenance.errors import InputError

__all__ = ["runnable_content"]

# (what it is, offset, bytes at that offset)
_SIGNATURES: tuple[tuple[str, int, bytes], ...] = (
    ("a Windows executable (MZ)", 0, b"MZ"),
    ("an ELF executable", 0, b"\x7fELF"),
    ("a Mach-O executable", 0, b"\xfe\xed\xfa\xce"),
    ("a Mach-O executable", 0, b"\xfe\xed\xfa\xcf"),
    ("a Mach-O executable", 0, b"\xce\xfa\xed\xfe"),
    ("a Mach-O executable", 0, b"\xcf\xfa\xed\xfe"),
    ("a Mach-O universal binary or Java class", 0, b"\xca\xfe\xba\xbe"),
    ("a script (#!)", 0, b"#!"),
    ("a zip archive", 0, b"PK\x03\x04"),
    ("a zip archive", 0, b"PK\x05\x06"),
    ("a gzip stream", 0, b"\x1f\x8b"),
    ("a bzip2 stream", 0, b"BZh"),
    ("an xz stream", 0, b"\xfd7zXZ\x00"),
    ("a zstd stream", 0, b"\x28\xb5\x2f\xfd"),
    ("a 7-Zip archive", 0, b"7z\xbc\xaf\x27\x1c"),
    ("a RAR archive", 0, b"Rar!\x1a\x07"),
    ("a Windows cabinet", 0, b"MSCF"),
    ("a Windows installer or OLE container (MSI)", 0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
    ("a tar archive", 257, b"ustar"),
)
_HEAD = 512
# A zip is read from its end: its end-of-central-directory record (22 bytes and a comment of
# at most 65,535) may follow anything, as in self-extracting archives and PDF polyglots.
_ZIP_END = b"PK\x05\x06"
_ZIP_TAIL = 22 + 65535


def runnable_content(path: Path) -> str | None:
    """What `path` is if it is an executable, a script or an archive, by its first bytes or
    (zip) its last; None otherwise. `InputError` if it cannot be read."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD)
            size = handle.seek(0, 2)
            handle.seek(max(0, size - _ZIP_TAIL))
            tail = handle.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    found = next(
        (what for what, at, magic in _SIGNATURES if head[at : at + len(magic)] == magic), None
    )
    if found is None and _ZIP_END in tail:
        found = "a zip archive (its directory at the end)"
    if found is None and _is_tar_header(head):
        found = "a tar archive"
    return found


def _is_tar_header(block: bytes) -> bool:
    """A tar header of any age (v7 has no `ustar` magic): a name, and the header checksum
    (the sum of its bytes, the checksum field counted as spaces) matching its field."""
    if len(block) < _HEAD or not block[0]:
        return False
    field = block[148:156].replace(b"\x00", b" ").strip()
    if not field or any(c not in b"01234567" for c in field):
        return False
    computed = sum(block[:148]) + sum(b" " * 8) + sum(block[156:_HEAD])
    return int(field, 8) == computed
