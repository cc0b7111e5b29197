"""Checksum list parsing (GNU, BSD tag, JSON manifests) and looking an artifact up in one."""

from __future__ import annotations

import hashlib
import json

import pytest

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence import checksum_list
from provenance.evidence.checksum_list import (
    MAX_CHECKSUM_LIST_BYTES,
    ChecksumEntry,
    ChecksumList,
    lookup,
    parse_checksum_list,
)

FIRMWARE = b"ACME PLC firmware 4.2.1"
SHA256 = hashlib.sha256(FIRMWARE).hexdigest()
SHA384 = hashlib.sha384(FIRMWARE).hexdigest()
SHA512 = hashlib.sha512(FIRMWARE).hexdigest()
OTHER = hashlib.sha256(b"other").hexdigest()


def refused(data: bytes | str, name: str = "SHA256SUMS") -> str:
    with pytest.raises(EvidenceError) as raised:
        parse_checksum_list(data.encode() if isinstance(data, str) else data, name)
    assert raised.value.check == "checksum-list"
    return str(raised.value)


def names(parsed: ChecksumList) -> dict[str, str]:
    return {entry.name: entry.digest for entry in parsed.entries}


# -- formats -------------------------------------------------------------------------------


def test_gnu_text_and_binary_mode() -> None:
    parsed = parse_checksum_list(
        f"{SHA256}  plc.bin\n{OTHER} *hmi-setup.exe\n".encode(), "SHA256SUMS"
    )
    assert parsed.format == "gnu"
    assert parsed.algorithm == "sha256"
    assert parsed.source == "SHA256SUMS"
    assert parsed.entries == (
        ChecksumEntry("plc.bin", SHA256, 1),
        ChecksumEntry("hmi-setup.exe", OTHER, 2),
    )


def test_gnu_escaped_names() -> None:
    parsed = parse_checksum_list(
        f"\\{SHA256}  dir\\\\new\\nline.bin\n\\{OTHER}  cr\\r.bin\n".encode(), "SHA256SUMS"
    )
    assert names(parsed) == {"dir\\new\nline.bin": SHA256, "cr\r.bin": OTHER}


def test_bsd_tag_escaped_name() -> None:
    parsed = parse_checksum_list(f"\\SHA256 (new\\nline) = {SHA256}\n".encode(), "SHA256SUMS")
    assert names(parsed) == {"new\nline": SHA256}


def test_uppercase_digests_are_normalised() -> None:
    parsed = parse_checksum_list(f"{SHA256.upper()}  plc.bin\n".encode(), "SHA256SUMS")
    assert parsed.entries[0].digest == SHA256


def test_crlf_bom_blank_lines_and_dot_slash() -> None:
    data = f"\ufeff{SHA256}  ./fw/plc.bin\r\n\r\n{OTHER}  notes.txt\r\n".encode()
    assert names(parse_checksum_list(data, "SHA256SUMS")) == {
        "fw/plc.bin": SHA256,
        "notes.txt": OTHER,
    }


@pytest.mark.parametrize(
    ("list_name", "digest", "algorithm"),
    [
        ("SHA384SUMS", SHA384, "sha384"),
        ("SHA512SUMS", SHA512, "sha512"),
        ("sums", SHA512, "sha512"),
    ],
)
def test_gnu_algorithm_from_digest_length(list_name: str, digest: str, algorithm: str) -> None:
    parsed = parse_checksum_list(f"{digest}  plc.bin\n".encode(), list_name)
    assert parsed.algorithm == algorithm
    assert names(parsed) == {"plc.bin": digest}


@pytest.mark.parametrize(
    ("tag", "digest", "algorithm"),
    [("SHA256", SHA256, "sha256"), ("SHA384", SHA384, "sha384"), ("SHA512", SHA512, "sha512")],
)
def test_bsd_tag(tag: str, digest: str, algorithm: str) -> None:
    data = f"{tag} (plc firmware (4.2).bin) = {digest}\n{tag} (b) = {digest.upper()}\n"
    parsed = parse_checksum_list(data.encode(), "CHECKSUMS")
    assert parsed.format == "bsd"
    assert parsed.algorithm == algorithm
    assert names(parsed) == {"plc firmware (4.2).bin": digest, "b": digest}


def test_json_manifest_files_shape() -> None:
    document = {"files": [{"name": "fw/plc.bin", "sha256": SHA256}, {"name": "b", "sha256": OTHER}]}
    parsed = parse_checksum_list(json.dumps(document).encode(), "manifest.json")
    assert parsed.format == "json"
    assert parsed.algorithm == "sha256"
    assert parsed.entries == (ChecksumEntry("fw/plc.bin", SHA256, 1), ChecksumEntry("b", OTHER, 2))


def test_json_manifest_mapping_shape() -> None:
    document = {"plc.bin": {"sha512": SHA512.upper()}, "files": {"sha512": SHA512}}
    parsed = parse_checksum_list(json.dumps(document).encode(), "manifest.json")
    assert parsed.algorithm == "sha512"
    assert names(parsed) == {"plc.bin": SHA512, "files": SHA512}


def test_same_name_twice_with_same_digest_is_one_entry() -> None:
    parsed = parse_checksum_list(f"{SHA256}  plc.bin\n{SHA256} *plc.bin\n".encode(), "SHA256SUMS")
    assert parsed.entries == (ChecksumEntry("plc.bin", SHA256, 1),)


# -- refusals --------------------------------------------------------------------------------


def test_duplicate_names_with_different_digests() -> None:
    assert refused(f"{SHA256}  plc.bin\n{OTHER}  other\n{OTHER}  ./plc.bin\n") == (
        "SHA256SUMS: lists plc.bin twice with different digests (lines 1 and 3); expected one "
        "digest per file"
    )


def test_malformed_line() -> None:
    assert refused(f"{SHA256}  plc.bin\n# signed by ACME\n") == (
        "SHA256SUMS: line 2: expected '<hex>  name', '<hex> *name' or 'SHA256 (name) = <hex>', "
        "got '# signed by ACME'"
    )


def test_missing_separator() -> None:
    assert refused(f"{SHA256} plc.bin\n").startswith("SHA256SUMS: line 1: expected '<hex>  name'")


def test_long_garbage_line_is_shortened_in_the_message() -> None:
    message = refused("x" * 500)
    assert message.endswith("got '" + "x" * 77 + "...'")


def test_sha1_list_is_refused() -> None:
    digest = hashlib.sha1(FIRMWARE).hexdigest()
    assert refused(f"{digest}  plc.bin\n", "SHA1SUMS") == (
        "SHA1SUMS: line 1: expected a 64, 96 or 128 digit hex digest (SHA-256, SHA-384, "
        "SHA-512), got 40 digits (SHA-1 lists are refused)"
    )


def test_md5_bsd_tag_is_refused() -> None:
    digest = hashlib.md5(FIRMWARE).hexdigest()
    assert refused(f"MD5 (plc.bin) = {digest}\n", "CHECKSUMS") == (
        "CHECKSUMS: line 1: expected SHA256, SHA384 or SHA512, got MD5 (weak digests are refused)"
    )


def test_bsd_digest_of_the_wrong_length() -> None:
    assert refused(f"SHA512 (plc.bin) = {SHA256}\n", "CHECKSUMS") == (
        "CHECKSUMS: line 1: expected 128 hex digits for SHA512, got 64"
    )


def test_list_name_and_digests_disagree() -> None:
    assert refused(f"{SHA256}  plc.bin\n", "SHA512SUMS") == (
        "SHA512SUMS: expected sha512 digests as the name says, got sha256"
    )
    assert refused(f"{SHA512}  plc.bin\n", "downloads/firmware.sha256") == (
        "downloads/firmware.sha256: expected sha256 digests as the name says, got sha512"
    )


def test_mixed_algorithms() -> None:
    assert refused(f"{SHA256}  a\n{SHA512}  b\n", "CHECKSUMS") == (
        "CHECKSUMS: line 2: expected every line in gnu format with sha256, got gnu format "
        "with sha512"
    )


def test_mixed_formats() -> None:
    assert refused(f"{SHA256}  a\nSHA256 (b) = {OTHER}\n") == (
        "SHA256SUMS: line 2: expected every line in gnu format with sha256, got bsd format "
        "with sha256"
    )


def test_unknown_escape() -> None:
    assert refused(f"\\{SHA256}  a\\tb\n") == (
        "SHA256SUMS: line 1: expected an escape \\\\, \\n or \\r in the file name, got \\t"
    )


def test_empty_list() -> None:
    assert refused("\n\n") == "SHA256SUMS: expected at least one entry, got none"


def test_not_utf8() -> None:
    assert refused(f"{SHA256}  ".encode() + b"\xff\n") == (
        "SHA256SUMS: expected UTF-8 text, got invalid bytes at 66"
    )


def test_nul_in_name() -> None:
    assert (
        refused(f"{SHA256}  a\x00b\n") == "SHA256SUMS: line 1: file name contains a NUL character"
    )


def test_directory_name() -> None:
    assert refused(f"{SHA256}  fw/\n") == "SHA256SUMS: line 1: expected a file name, got 'fw/'"


def test_huge_input() -> None:
    data = b" " * (MAX_CHECKSUM_LIST_BYTES + 1)
    assert refused(data) == (
        f"SHA256SUMS: expected a checksum list of at most {MAX_CHECKSUM_LIST_BYTES} bytes, "
        f"got {MAX_CHECKSUM_LIST_BYTES + 1}"
    )


def test_too_many_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checksum_list, "MAX_CHECKSUM_LIST_ENTRIES", 3)
    data = "".join(f"{SHA256}  f{i}\n" for i in range(4))
    assert refused(data) == "SHA256SUMS: expected at most 3 lines, got 5"


def test_too_many_json_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checksum_list, "MAX_CHECKSUM_LIST_ENTRIES", 3)
    document = {f"f{i}": {"sha256": SHA256} for i in range(4)}
    assert refused(json.dumps(document), "manifest.json") == (
        "manifest.json: expected at most 3 entries, got 4"
    )


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("{", "expected a JSON manifest, got malformed JSON: "),
        ("[" * 100_000, "expected a JSON manifest, got malformed JSON: nested too deeply"),
        ("{}", "expected a JSON object with files, got something else"),
        ("[]", "expected a JSON object with files, got something else"),
        (
            '{"a": {"sha256": "' + SHA256 + '"}, "a": {"sha256": "' + OTHER + '"}}',
            'expected a JSON manifest, got malformed JSON: duplicate key "a" at line 1 column 91',
        ),
        (
            '{"files": [{"name": "a", "name": "b", "sha256": "' + SHA256 + '"}]}',
            "expected a JSON manifest, got malformed JSON: "
            'duplicate key "name" at line 1 column 33',
        ),
        ('{"files": [{"sha256": "' + SHA256 + '"}]}', "files[0]: expected an object with a name"),
        (
            '{"files": [{"name": "a", "sha256": "' + SHA256 + '", "size": 3}]}',
            "entry 1 ('a'): expected exactly one of sha256, sha384, sha512",
        ),
        (
            '{"a": {"sha1": "' + "0" * 40 + '"}}',
            "entry 1 ('a'): expected a sha256, sha384 or sha512 digest, got 'sha1' (weak "
            "digests are refused)",
        ),
        ('{"a": {"sha256": "xyz"}}', "entry 1 ('a'): expected a hex sha256 digest, got 'xyz'"),
        ('{"a": {"sha256": 5}}', "entry 1 ('a'): expected a hex sha256 digest, got 5"),
        (
            '{"a": {"sha256": "' + SHA512 + '"}}',
            "entry 1 ('a'): expected 64 hex digits for sha256, got 128",
        ),
        (
            '{"a": {"sha256": "' + SHA256 + '"}, "b": {"sha512": "' + SHA512 + '"}}',
            "entry 2 ('b'): expected sha256 like the others, got sha512",
        ),
        ('{"": {"sha256": "' + SHA256 + '"}}', "line 1: expected a file name, got ''"),
    ],
)
def test_malformed_json_manifest(document: str, reason: str) -> None:
    assert refused(document, "manifest.json").startswith(f"manifest.json: {reason}")


# -- lookup ------------------------------------------------------------------------------------


def listing(text: str, name: str = "SHA256SUMS") -> ChecksumList:
    return parse_checksum_list(text.encode(), name)


def test_lookup_by_file_name() -> None:
    sums = listing(f"{OTHER}  notes.txt\n{SHA256}  plc.bin\n")
    assert lookup(sums, "/downloads/plc.bin", {"sha256": SHA256}) == ChecksumEntry(
        "plc.bin", SHA256, 2
    )


def test_lookup_by_relative_path_prefers_the_longest_match() -> None:
    sums = listing(f"{OTHER}  plc.bin\n{SHA256}  fw/plc.bin\n")
    assert lookup(sums, "/downloads/fw/plc.bin", {"sha256": SHA256}).name == "fw/plc.bin"
    assert lookup(sums, "plc.bin", {"sha256": OTHER}).name == "plc.bin"


def test_lookup_path_in_list_falls_back_to_the_file_name() -> None:
    sums = listing(f"{SHA256}  fw/plc.bin\n")
    assert lookup(sums, "plc.bin", {"sha256": SHA256}).name == "fw/plc.bin"


def test_lookup_ambiguous_file_name() -> None:
    sums = listing(f"{SHA256}  a/plc.bin\n{OTHER}  b/plc.bin\n")
    with pytest.raises(VerificationFailure) as raised:
        lookup(sums, "plc.bin", {"sha256": SHA256})
    assert str(raised.value) == (
        "SHA256SUMS lists plc.bin under several paths with different digests (a/plc.bin, "
        "b/plc.bin); expected the artifact named by its path in the list"
    )
    assert lookup(sums, "dl/b/plc.bin", {"sha256": OTHER}).name == "b/plc.bin"


def test_not_listed() -> None:
    sums = listing(f"{SHA256}  plc-4.2.0.bin\n")
    with pytest.raises(VerificationFailure) as raised:
        lookup(sums, "/downloads/plc.bin", {"sha256": SHA256})
    assert str(raised.value) == "plc.bin is not listed in SHA256SUMS"
    assert raised.value.check == "checksum-list"


def test_digest_mismatch() -> None:
    sums = listing(f"{SHA256}  plc.bin\n")
    with pytest.raises(VerificationFailure) as raised:
        lookup(sums, "plc.bin", {"sha256": OTHER.upper()})
    assert str(raised.value) == (
        f"SHA256SUMS lists plc.bin with sha256 {SHA256}, the artifact's is {OTHER}"
    )


def test_list_algorithm_the_artifact_digest_is_not_known_in() -> None:
    sums = listing(f"{SHA512}  plc.bin\n", "SHA512SUMS")
    with pytest.raises(VerificationFailure) as raised:
        lookup(sums, "plc.bin", {"sha256": SHA256})
    assert str(raised.value) == (
        "SHA512SUMS lists sha512 digests, but the artifact's sha512 is not known (known: "
        "sha256); expected the artifact as a file"
    )
    assert lookup(sums, "plc.bin", {"sha256": SHA256, "sha512": SHA512}).digest == SHA512
