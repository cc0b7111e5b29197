"""Checksum lists a vendor publishes beside its downloads, parsed strictly (untrusted input).

Accepted formats (one per list; a list mixing them is refused):

- GNU coreutils (`sha256sum`, `sha384sum`, `sha512sum`): `<hex>  name` (text mode) or
  `<hex> *name` (binary mode). A line starting with `\\` has an escaped name: `\\\\` is a
  backslash, `\\n` a newline, `\\r` a carriage return; any other escape is refused.
- BSD tag (`sha256sum --tag`, BSD `sha256`): `SHA256 (name) = <hex>`, also SHA384, SHA512;
  a leading `\\` escapes the name as in the GNU format.
- Vendor JSON manifest, one of two shapes, all entries with the same single algorithm key
  (`sha256`, `sha384` or `sha512`), no other keys:
      {"files": [{"name": "fw/plc.bin", "sha256": "<hex>"}, ...]}
      {"fw/plc.bin": {"sha256": "<hex>"}, ...}
  Duplicate JSON keys are refused (parsers disagree on which one wins).

The algorithm is the same for every entry of a list: from the tag (BSD), the key (JSON) or
the digest length (GNU: 64, 96 or 128 hex digits). A list whose name says an algorithm
(`SHA512SUMS`, `firmware.sha256`) must hold digests of that algorithm. SHA-1 and MD5 lists are
refused: a collision lets a vendor-signed list vouch for a second file.

Digests are normalised to lowercase. Names are kept as written, as paths: a leading `./` is
dropped, `/` separates components (see `lookup` for how they match an artifact). The same
name listed twice with the same digest is one entry; with different digests, the list is
ambiguous and refused. Lines may end in CRLF; a UTF-8 byte order mark is skipped; empty lines
are ignored; anything else that is not an entry (comments included) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.json_input import MalformedJson, load_json

__all__ = [
    "MAX_CHECKSUM_LIST_BYTES",
    "MAX_CHECKSUM_LIST_ENTRIES",
    "MAX_NAME_BYTES",
    "Algorithm",
    "ChecksumEntry",
    "ChecksumList",
    "lookup",
    "parse_checksum_list",
]

# Release lists hold tens to thousands of lines; a whole distribution mirror's is ~2 MB.
MAX_CHECKSUM_LIST_BYTES = 8 * 1024 * 1024
MAX_CHECKSUM_LIST_ENTRIES = 50_000
# PATH_MAX on Linux; a longer name is not a file a vendor ships.
MAX_NAME_BYTES = 4096

Algorithm = Literal["sha256", "sha384", "sha512"]
Format = Literal["gnu", "bsd", "json"]

HEX_LENGTHS: dict[Algorithm, int] = {"sha256": 64, "sha384": 96, "sha512": 128}
_BY_LENGTH: dict[int, Algorithm] = {length: name for name, length in HEX_LENGTHS.items()}
_BSD_TAGS: dict[str, Algorithm] = {"SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512"}
_WEAK = {"MD5": "md5", "SHA1": "sha1", "SHA224": "sha224"}
_WEAK_BY_LENGTH = {32: "MD5", 40: "SHA-1", 56: "SHA-224"}

_GNU_LINE = re.compile(r"(\\?)([0-9A-Fa-f]+) [ *](.+)")
_BSD_LINE = re.compile(r"([A-Z0-9-]+) \((.+)\) = ([0-9A-Fa-f]+)")
_HEX = re.compile(r"[0-9A-Fa-f]+")
# In the list's own name: SHA256SUMS, sha512sums.txt, firmware.sha384, ...
_NAME_ALGORITHM = re.compile(r"sha-?(256|384|512)", re.IGNORECASE)
_ESCAPES = {"\\": "\\", "n": "\n", "r": "\r"}


@dataclass(frozen=True)
class ChecksumEntry:
    """One listed file: its name as a path, and its digest (lowercase hex)."""

    name: str
    digest: str
    line: int  # 1-based line number (JSON: 1-based entry position)


@dataclass(frozen=True)
class ChecksumList:
    source: str  # the list's name, for messages (e.g. "SHA256SUMS")
    format: Format
    algorithm: Algorithm
    entries: tuple[ChecksumEntry, ...]


def _refuse(source: str, problem: str) -> EvidenceError:
    return EvidenceError(f"{source}: {problem}", check="checksum-list")


def _unescape(name: str, source: str, line: int) -> str:
    out, i = [], 0
    while i < len(name):
        char = name[i]
        if char == "\\":
            escaped = name[i + 1 : i + 2]
            if escaped not in _ESCAPES:
                raise _refuse(
                    source,
                    f"line {line}: expected an escape \\\\, \\n or \\r in the file name, "
                    f"got \\{escaped}",
                )
            out.append(_ESCAPES[escaped])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _normalise_name(name: str, source: str, line: int) -> str:
    while name.startswith("./"):
        name = name[2:]
    if not name or name.endswith("/"):
        raise _refuse(source, f"line {line}: expected a file name, got {name!r}")
    if "\x00" in name:
        raise _refuse(source, f"line {line}: file name contains a NUL character")
    if len(name.encode()) > MAX_NAME_BYTES:
        raise _refuse(source, f"line {line}: file name longer than {MAX_NAME_BYTES} bytes")
    return name


def _algorithm_of_hex(digest: str, source: str, line: int) -> Algorithm:
    algorithm = _BY_LENGTH.get(len(digest))
    if algorithm is None:
        weak = _WEAK_BY_LENGTH.get(len(digest))
        refused = f" ({weak} lists are refused)" if weak else ""
        raise _refuse(
            source,
            f"line {line}: expected a 64, 96 or 128 digit hex digest (SHA-256, SHA-384, "
            f"SHA-512), got {len(digest)} digits{refused}",
        )
    return algorithm


def _parse_line(text: str, source: str, line: int) -> tuple[Format, Algorithm, str, str]:
    bsd = _BSD_LINE.fullmatch(text.removeprefix("\\"))
    if bsd is not None:
        tag, name, digest = bsd.groups()
        if text.startswith("\\"):
            name = _unescape(name, source, line)
        algorithm = _BSD_TAGS.get(tag)
        if algorithm is None:
            weak = " (weak digests are refused)" if tag in _WEAK else ""
            raise _refuse(
                source, f"line {line}: expected SHA256, SHA384 or SHA512, got {tag}{weak}"
            )
        if len(digest) != HEX_LENGTHS[algorithm]:
            raise _refuse(
                source,
                f"line {line}: expected {HEX_LENGTHS[algorithm]} hex digits for {tag}, "
                f"got {len(digest)}",
            )
        return "bsd", algorithm, name, digest
    gnu = _GNU_LINE.fullmatch(text)
    if gnu is not None:
        escaped, digest, name = gnu.groups()
        algorithm = _algorithm_of_hex(digest, source, line)
        if escaped:
            name = _unescape(name, source, line)
        return "gnu", algorithm, name, digest
    shown = text if len(text) <= 80 else text[:77] + "..."
    raise _refuse(
        source,
        f"line {line}: expected '<hex>  name', '<hex> *name' or 'SHA256 (name) = <hex>', "
        f"got {shown!r}",
    )


def _parse_lines(text: str, source: str) -> tuple[Format, Algorithm, list[ChecksumEntry]]:
    lines = text.split("\n")
    if len(lines) > MAX_CHECKSUM_LIST_ENTRIES + 1:
        raise _refuse(
            source, f"expected at most {MAX_CHECKSUM_LIST_ENTRIES} lines, got {len(lines)}"
        )
    kind: tuple[Format, Algorithm] | None = None
    entries = []
    for number, raw in enumerate(lines, start=1):
        line = raw.removesuffix("\r")
        if not line:
            continue
        form, algorithm, name, digest = _parse_line(line, source, number)
        if kind is None:
            kind = (form, algorithm)
        elif kind != (form, algorithm):
            raise _refuse(
                source,
                f"line {number}: expected every line in {kind[0]} format with {kind[1]}, "
                f"got {form} format with {algorithm}",
            )
        entries.append(ChecksumEntry(_normalise_name(name, source, number), digest.lower(), number))
    if kind is None:
        raise _refuse(source, "expected at least one entry, got none")
    return kind[0], kind[1], entries


def _json_digest(value: Any, where: str, source: str) -> tuple[Algorithm, str]:
    if not isinstance(value, dict) or len(value) != 1:
        raise _refuse(source, f"{where}: expected exactly one of sha256, sha384, sha512")
    ((key, digest),) = value.items()
    if key not in HEX_LENGTHS:
        weak = " (weak digests are refused)" if key.upper() in _WEAK else ""
        raise _refuse(
            source, f"{where}: expected a sha256, sha384 or sha512 digest, got {key!r}{weak}"
        )
    if not isinstance(digest, str) or not _HEX.fullmatch(digest):
        raise _refuse(source, f"{where}: expected a hex {key} digest, got {digest!r}")
    if len(digest) != HEX_LENGTHS[key]:
        raise _refuse(
            source, f"{where}: expected {HEX_LENGTHS[key]} hex digits for {key}, got {len(digest)}"
        )
    return key, digest


def _parse_json(text: str, source: str) -> tuple[Algorithm, list[ChecksumEntry]]:
    try:
        document = load_json(text)  # duplicate keys, depth and number sizes refused there
    except MalformedJson as exc:
        raise _refuse(source, f"expected a JSON manifest, got malformed JSON: {exc}") from exc
    if not isinstance(document, dict) or not document:
        raise _refuse(source, "expected a JSON object with files, got something else")
    rows: list[tuple[str, Any]] = []
    files = document.get("files")
    if set(document) == {"files"} and isinstance(files, list):
        for index, item in enumerate(files, start=1):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise _refuse(source, f"files[{index - 1}]: expected an object with a name")
            rest = {key: value for key, value in item.items() if key != "name"}
            rows.append((item["name"], rest))
    else:
        rows.extend(document.items())
    if len(rows) > MAX_CHECKSUM_LIST_ENTRIES:
        raise _refuse(
            source, f"expected at most {MAX_CHECKSUM_LIST_ENTRIES} entries, got {len(rows)}"
        )
    algorithm: Algorithm | None = None
    entries = []
    for index, (name, value) in enumerate(rows, start=1):
        where = f"entry {index} ({name!r})"
        key, digest = _json_digest(value, where, source)
        if algorithm is not None and key != algorithm:
            raise _refuse(source, f"{where}: expected {algorithm} like the others, got {key}")
        algorithm = key
        entries.append(ChecksumEntry(_normalise_name(name, source, index), digest.lower(), index))
    if algorithm is None:
        raise _refuse(source, "expected at least one entry, got none")
    return algorithm, entries


def parse_checksum_list(data: bytes, source: str) -> ChecksumList:
    """Parse a checksum list; raises `EvidenceError` saying what is wrong and where.

    1. At most MAX_CHECKSUM_LIST_BYTES, strict UTF-8 (a leading BOM is skipped).
    2. JSON if it starts with `{` or `[`, else lines (GNU or BSD tag, not mixed).
    3. One algorithm, agreeing with the list's name if the name says one.
    4. Digests lowercase; duplicate names must agree on the digest.
    """
    if len(data) > MAX_CHECKSUM_LIST_BYTES:
        raise _refuse(
            source,
            f"expected a checksum list of at most {MAX_CHECKSUM_LIST_BYTES} bytes, got {len(data)}",
        )
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise _refuse(source, f"expected UTF-8 text, got invalid bytes at {exc.start}") from exc
    form: Format
    if text.lstrip()[:1] in ("{", "["):
        form = "json"
        algorithm, entries = _parse_json(text, source)
    else:
        form, algorithm, entries = _parse_lines(text, source)
    named = _NAME_ALGORITHM.search(source.rsplit("/", 1)[-1])
    if named is not None and f"sha{named.group(1)}" != algorithm:
        raise _refuse(
            source, f"expected sha{named.group(1)} digests as the name says, got {algorithm}"
        )
    unique: dict[str, ChecksumEntry] = {}
    for entry in entries:
        seen = unique.get(entry.name)
        if seen is None:
            unique[entry.name] = entry
        elif seen.digest != entry.digest:
            raise _refuse(
                source,
                f"lists {entry.name} twice with different digests (lines {seen.line} and "
                f"{entry.line}); expected one digest per file",
            )
    return ChecksumList(source, form, algorithm, tuple(unique.values()))


def _components(path: str) -> list[str]:
    return [part for part in path.split("/") if part not in ("", ".")]


def _candidates(checksums: ChecksumList, artifact_name: str) -> list[ChecksumEntry]:
    """Entries naming the artifact: longest path suffix first, then the bare file name."""
    wanted = _components(artifact_name)
    if not wanted:
        return []
    by_suffix = [
        entry
        for entry in checksums.entries
        if (parts := _components(entry.name)) and wanted[-len(parts) :] == parts
    ]
    if by_suffix:
        longest = max(len(_components(entry.name)) for entry in by_suffix)
        return [entry for entry in by_suffix if len(_components(entry.name)) == longest]
    return [entry for entry in checksums.entries if _components(entry.name)[-1:] == wanted[-1:]]


def lookup(
    checksums: ChecksumList, artifact_name: str, digests: Mapping[str, str]
) -> ChecksumEntry:
    """The entry for this artifact, whose digest must equal the artifact's.

    `artifact_name` is the artifact's path as given (absolute or relative); `digests` maps
    algorithm names ("sha256", "sha512", ...) to the artifact's lowercase hex digests.

    Matching: an entry matches if its path components are the trailing components of the
    artifact's path (`fw/plc.bin` matches `/downloads/fw/plc.bin`, not `/downloads/plc.bin`);
    the longest such entry wins. If none does, an entry whose file name alone equals the
    artifact's (`fw/plc.bin` for `./plc.bin`) matches, but only if that is unambiguous.

    Raises `VerificationFailure`: not listed, listed ambiguously, digest differs, or the list's
    algorithm is one the artifact's digest is not known in.
    """
    source, algorithm = checksums.source, checksums.algorithm
    file_name = (_components(artifact_name) or [artifact_name])[-1]
    found = _candidates(checksums, artifact_name)
    if not found:
        raise VerificationFailure(f"{file_name} is not listed in {source}", check="checksum-list")
    if len({entry.digest for entry in found}) > 1:
        names = ", ".join(entry.name for entry in found)
        raise VerificationFailure(
            f"{source} lists {file_name} under several paths with different digests "
            f"({names}); expected the artifact named by its path in the list",
            check="checksum-list",
        )
    entry = found[0]
    actual = digests.get(algorithm)
    if actual is None:
        raise VerificationFailure(
            f"{source} lists {algorithm} digests, but the artifact's {algorithm} is not known "
            f"(known: {', '.join(sorted(digests)) or 'none'}); expected the artifact as a file",
            check="checksum-list",
        )
    if actual.lower() != entry.digest:
        raise VerificationFailure(
            f"{source} lists {entry.name} with {algorithm} {entry.digest}, the artifact's is "
            f"{actual.lower()}",
            check="checksum-list",
        )
    return entry
