"""Windows PE files (.exe, .dll, .sys): the header fields Authenticode needs, bounds-checked.

Layout (Microsoft PE/COFF specification): the DOS header's `e_lfanew` (offset 0x3C) points at
"PE\\0\\0", then the 20-byte COFF header, then the optional header (magic 0x10B PE32 or 0x20B
PE32+) whose CheckSum sits at offset 64 and whose data directories start at offset 96 (PE32)
or 112 (PE32+); directory 4 is the certificate table, whose "RVA" is a plain file offset.
Every offset read here is checked against the bytes at hand before use; the file is evidence.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any

from provenance.errors import EvidenceError

__all__ = [
    "MAX_CERTIFICATE_TABLE_BYTES",
    "MAX_PE_HEADER_BYTES",
    "PeLayout",
    "Section",
    "authenticode_digest",
    "parse_pe",
    "read_signature",
]

# Headers (DOS stub, PE headers, section table) of real images fit in a few KiB; 64 KiB is
# generous and bounds what is parsed before anything is trusted.
MAX_PE_HEADER_BYTES = 64 * 1024
# A signature with a long chain and timestamps is tens of KiB; real tables stay far below.
MAX_CERTIFICATE_TABLE_BYTES = 1024 * 1024
# The PE specification limits the section count to 96.
MAX_SECTIONS = 96

_PE32 = 0x10B
_PE32_PLUS = 0x20B
_SECURITY_DIRECTORY = 4
_WIN_CERT_REVISION_2_0 = 0x0200
_WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002


@dataclass(frozen=True)
class Section:
    name: str
    raw_offset: int
    raw_size: int


@dataclass(frozen=True)
class PeLayout:
    """Where the fields Authenticode excludes from its hash are, and the certificate table."""

    pe32_plus: bool
    file_size: int
    checksum_offset: int
    certificate_directory_offset: int
    size_of_headers: int
    sections: tuple[Section, ...]
    certificate_table: tuple[int, int] | None  # (file offset, size); None: unsigned


def _fail(reason: str) -> EvidenceError:
    return EvidenceError(f"PE file: {reason}", check="pe")


def _unpack(fmt: str, data: bytes, offset: int, what: str) -> tuple[Any, ...]:
    size = struct.calcsize(fmt)
    if offset < 0 or offset + size > len(data):
        raise _fail(
            f"truncated: {what} at offset {offset} needs {size} bytes, file has {len(data)}"
        )
    return struct.unpack_from(fmt, data, offset)


def _sections(data: bytes, table: int, count: int, size: int) -> list[Section]:
    """Every section's raw data must lie inside the file. Raw data may overlap the headers:
    packers (UPX) round SizeOfHeaders up to the section alignment and start the first
    section's data inside it, which the Windows loader accepts. The image hash covers every
    byte before the certificate table contiguously, so no layout leaves a byte unhashed."""
    sections = []
    for index in range(count):
        raw_name, _, _, raw_size, raw_offset, *_ = _unpack(
            "<8sIIIIIIHHI", data, table + index * 40, f"section header {index}"
        )
        name = raw_name.rstrip(b"\0").decode("ascii", "replace")
        if raw_size and raw_offset + raw_size > size:
            raise _fail(
                f"section {name!r} raw data [{raw_offset}, {raw_offset + raw_size}) extends "
                f"beyond the end of the file at {size}"
            )
        sections.append(Section(name, raw_offset, raw_size))
    return sections


def _certificate_table(
    cert_offset: int, cert_size: int, image_end: int, size: int
) -> tuple[int, int] | None:
    if not (cert_offset or cert_size):
        return None
    if cert_size < 8 or cert_size > MAX_CERTIFICATE_TABLE_BYTES:
        raise _fail(
            f"expected a certificate table of 8 to {MAX_CERTIFICATE_TABLE_BYTES} bytes, "
            f"got {cert_size}"
        )
    if cert_offset % 8 or cert_offset < image_end:
        raise _fail(
            f"certificate table at offset {cert_offset} overlaps the image (ends at "
            f"{image_end}) or is not 8-byte aligned"
        )
    end = cert_offset + cert_size
    if end < size:
        raise _fail(
            f"{size - end} bytes appended after the certificate table (table ends at {end}, "
            f"file at {size}); they would not be covered by the signature"
        )
    if end > size:
        raise _fail(f"certificate table ends at {end}, beyond the end of the file at {size}")
    return (cert_offset, cert_size)


def parse_pe(data: bytes, file_size: int | None = None) -> PeLayout:
    """The layout of a PE image. `data` is the file, or at least its headers and section table
    (then `file_size` is the whole file's size). Raises `EvidenceError` if it is not a PE."""
    size = len(data) if file_size is None else file_size
    # 1. DOS header: "MZ" and e_lfanew, which must point inside the header area.
    if data[:2] != b"MZ":
        raise _fail("expected the DOS signature 'MZ', got " + repr(data[:2]))
    (pe_offset,) = _unpack("<I", data, 0x3C, "e_lfanew")
    if not 0x40 <= pe_offset <= MAX_PE_HEADER_BYTES - 24:
        raise _fail(
            f"expected e_lfanew within the first {MAX_PE_HEADER_BYTES} bytes, got {pe_offset}"
        )
    # 2. "PE\0\0" and the COFF header.
    if data[pe_offset : pe_offset + 4] != b"PE\0\0":
        raise _fail(f"expected the PE signature at offset {pe_offset}")
    _machine, section_count, _, _, _, optional_size, _ = _unpack(
        "<HHIIIHH", data, pe_offset + 4, "COFF header"
    )
    if not 1 <= section_count <= MAX_SECTIONS:
        raise _fail(f"expected 1 to {MAX_SECTIONS} sections, got {section_count}")
    # 3. Optional header: magic selects the layout of the fields after it.
    optional = pe_offset + 24
    (magic,) = _unpack("<H", data, optional, "optional header magic")
    if magic not in (_PE32, _PE32_PLUS):
        raise _fail(f"expected optional header magic 0x10b or 0x20b, got {magic:#x}")
    pe32_plus = magic == _PE32_PLUS
    directories = optional + (112 if pe32_plus else 96)
    (size_of_headers,) = _unpack("<I", data, optional + 60, "SizeOfHeaders")
    (directory_count,) = _unpack("<I", data, directories - 4, "NumberOfRvaAndSizes")
    if not _SECURITY_DIRECTORY < directory_count <= 16:
        raise _fail(f"expected 5 to 16 data directories, got {directory_count}")
    if directories + directory_count * 8 > optional + optional_size:
        raise _fail("data directories extend beyond SizeOfOptionalHeader")
    certificate_directory = directories + _SECURITY_DIRECTORY * 8
    cert_offset, cert_size = _unpack("<II", data, certificate_directory, "certificate directory")
    # 4. Section table: every section's raw data lies inside the file.
    table = optional + optional_size
    if table + section_count * 40 > min(size_of_headers, MAX_PE_HEADER_BYTES):
        raise _fail("section table extends beyond SizeOfHeaders")
    if size_of_headers > size:
        raise _fail(f"SizeOfHeaders {size_of_headers} exceeds the file size {size}")
    sections = _sections(data, table, section_count, size)
    image_end = max([size_of_headers] + [s.raw_offset + s.raw_size for s in sections])
    # 5. Certificate table: absent, or 8-aligned, after the image, and ending the file.
    certificate_table = _certificate_table(cert_offset, cert_size, image_end, size)
    return PeLayout(
        pe32_plus=pe32_plus,
        file_size=size,
        checksum_offset=optional + 64,
        certificate_directory_offset=certificate_directory,
        size_of_headers=size_of_headers,
        sections=tuple(sections),
        certificate_table=certificate_table,
    )


def _der_length(blob: bytes) -> int | None:
    """The length of the DER SEQUENCE at the start of `blob` (header included), or None if
    its header is not a definite-length SEQUENCE header that fits."""
    if len(blob) < 2 or blob[0] != 0x30:
        return None
    first = blob[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if not 1 <= count <= 4 or len(blob) < 2 + count:
        return None
    return 2 + count + int.from_bytes(blob[2 : 2 + count], "big")


def read_signature(table: bytes) -> bytes:
    """The PKCS#7 SignedData from the certificate table: exactly one WIN_CERTIFICATE,
    revision 2.0, type PKCS_SIGNED_DATA, followed only by zero padding to 8 bytes.

    Signing tools (signtool, osslsigncode) pad the entry to 8 bytes and count the 1-7 zero
    bytes in dwLength; the SignedData is the DER value at its start, and what follows it
    inside dwLength must be that zero padding and nothing else.
    """
    length, revision, kind = _unpack("<IHH", table, 0, "WIN_CERTIFICATE header")
    if revision != _WIN_CERT_REVISION_2_0:
        raise _fail(f"expected WIN_CERTIFICATE revision 0x0200, got {revision:#06x}")
    if kind != _WIN_CERT_TYPE_PKCS_SIGNED_DATA:
        raise _fail(f"expected WIN_CERTIFICATE type PKCS_SIGNED_DATA (2), got {kind}")
    if not 8 < length <= len(table):
        raise _fail(f"WIN_CERTIFICATE length {length} does not fit the table of {len(table)} bytes")
    rest = table[length:]
    if len(rest) >= 8 or any(rest):
        raise _fail(
            f"expected one WIN_CERTIFICATE and zero padding, got {len(rest)} more bytes after it"
        )
    body = table[8:length]
    signed = _der_length(body)
    if signed is None or signed > len(body):
        raise _fail(
            "expected a DER SignedData in the WIN_CERTIFICATE, got a truncated or malformed header"
        )
    padding = body[signed:]
    if len(padding) >= 8 or any(padding):
        raise _fail(
            f"expected the SignedData followed by at most 7 zero bytes of padding, got "
            f"{len(padding)} bytes after it" + (" that are not zero" if any(padding) else "")
        )
    return body[:signed]


def authenticode_digest(data: bytes, layout: PeLayout, algorithm: str) -> bytes:
    """The Authenticode image hash: every byte before the certificate table except the
    CheckSum field and the certificate directory entry.

    This is the contiguous form (osslsigncode, and signtool on linker output, where sections
    follow the headers without gaps). It covers every byte the sectioned form of the
    specification covers and also any gap between sections, so nothing can hide in one.
    """
    end = layout.certificate_table[0] if layout.certificate_table else layout.file_size
    digest = hashlib.new(algorithm)
    digest.update(data[: layout.checksum_offset])
    digest.update(data[layout.checksum_offset + 4 : layout.certificate_directory_offset])
    digest.update(data[layout.certificate_directory_offset + 8 : end])
    return digest.digest()
