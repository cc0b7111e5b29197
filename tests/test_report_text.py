"""--format text: a table per artifact, at most 100 columns, colour only when asked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from provenance.report.render import render
from provenance.report.text_table import WIDTH
from provenance.report.vet_view import printable
from tests.report_support import (
    HOSTILE_EXTRA,
    HOSTILE_PREFIX,
    acme_mixed,
    hostile_delivery,
    northwind_mixed,
    refused_archive,
)

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _lines(text: str) -> list[str]:
    return _ANSI.sub("", text).splitlines()


@pytest.mark.parametrize("color", [False, True])
def test_lines_fit_100_columns_and_never_split_a_word(
    color: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    for result in (acme_mixed(), northwind_mixed(), refused_archive()):
        text = _lines(render("text", result, color=color))
        # Only a single word longer than a line (a URL) runs past the width, on its own line.
        too_long = [line for line in text if len(line) > WIDTH]
        assert all(len(line.strip().split()) == 1 for line in too_long), too_long
    assert WIDTH == 100
    # The builder identity URL is whole, so it can be copied from the terminal.
    url = "https://github.com/acme-automation/plc-firmware/.github/workflows/release.yml@refs/tags/v3.9.0"
    assert url in render("text", acme_mixed(), color=False).split()


def test_a_table_per_artifact_with_decision_strength_and_failed_reasons() -> None:
    text = render("text", acme_mixed(), color=False)
    lines = text.splitlines()
    assert lines[0] == "delivery  acme-delivery (directory)"
    assert "DENY: 2 of 3 artifact(s) denied for level1-controllers" in lines
    # The summary names the denied ones first, with what failed.
    at = lines.index("DENY: 2 of 3 artifact(s) denied for level1-controllers")
    assert lines[at + 1 : at + 3] == [
        "  - plc-firmware-3.9.0.bin: failed in_toto, sbom, licenses, version, approvals",
        "  - hmi-setup-2.0.exe: failed provenance, in_toto, approvals",
    ]
    assert text.index("plc-firmware-3.9.0.bin: DENY") < text.index("plc-firmware-4.2.1.bin: ALLOW")
    assert "plc-firmware-4.2.1.bin: ALLOW" in lines
    assert "plc-firmware-3.9.0.bin: DENY" in lines
    assert "hmi-setup-2.0.exe: DENY" in lines
    block = text.split("plc-firmware-3.9.0.bin: DENY")[1].split("hmi-setup-2.0.exe: DENY")[0]
    assert (
        "  evidence  attested-build (build provenance signed by the vendor's build platform)"
        in block
    )
    assert re.search(
        r"\n  version +FAIL  expected a version matching >=4\.0,<5, got 3\.9\.0 "
        r"\(signed-identity\)\n",
        block,
    )
    assert re.search(r"\n  rollback +ok    first admission of", block)
    # the signer's identity, whole, with the files it signed
    assert (
        "  signer    acme-automation:\n            https://github.com/acme-automation/plc-firmware/"
        in block
    )


def test_long_reasons_wrap_at_words_under_their_column() -> None:
    text = render("text", acme_mixed(), color=False)
    # the SLSA provenance reason is far longer than its column: it continues on lines whose
    # requirement and result columns are empty, and the builder URL is never split
    start = text.index("  provenance        ok    SLSA provenance by acme-automation: builder")
    continuation = text[start:].splitlines()[1]
    assert continuation == " " * 26 + (
        "https://github.com/acme-automation/plc-firmware/.github/workflows/release.yml@refs/tags/v3.9.0,"
    )


def test_northwind_x509_and_openpgp_signers_and_checksum_list_denial() -> None:
    text = render("text", northwind_mixed(), color=False)
    assert "io-module-firmware-2.4.0.bin: DENY" in text
    assert re.search(
        r"\n  evidence +FAIL  expected signed-identity or stronger, got signed-checksum-list",
        text,
    )
    # keys and certificates by the file the policy names them with, not by digest
    assert (
        "  signer    northwind-controls: OpenPGP key keys/northwind-release.asc\n"
        "            (0xB88AE7341B8D9AC5B1AFEAD3E39AF40A4B94CEC0); in SHA256SUMS.asc" in text
    )
    assert "  signer    northwind-controls: x509 certs/northwind-root-ca.pem (CN=Northwind" in text
    assert "x509:sha256:" not in text


def test_colour_only_when_asked_and_no_color_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = render("text", acme_mixed(), color=True)
    assert "\x1b[31mDENY\x1b[0m" in coloured
    assert "\x1b[32mok  \x1b[0m" in coloured
    assert "\x1b[" not in render("text", acme_mixed(), color=False)
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in render("text", acme_mixed(), color=True)
    monkeypatch.setenv("NO_COLOR", "")  # https://no-color.org: set but empty does not count
    assert "\x1b[" in render("text", acme_mixed(), color=True)


def test_unrecognised_and_evidence_files_are_listed_by_name() -> None:
    text = render("text", acme_mixed(), color=False)
    assert "not decided about (6):" in text
    assert "  - policy.yaml: not an artifact or evidence" in text
    assert "  - plc-firmware-4.2.1.bin.layout (in-toto-layout)" in text


def test_refused_archive_says_so_with_the_archive_name() -> None:
    text = render("text", refused_archive(), color=False)
    assert "DENY: acme-delivery.zip refused: entry '../../etc/cron.d/x' escapes the " in text
    assert "sha256    " + "ab" * 32 in text


def test_hostile_file_names_cannot_reach_the_terminal(tmp_path: Path) -> None:
    text = render("text", hostile_delivery(tmp_path), color=False)
    assert "\x1b" not in text
    assert printable(HOSTILE_PREFIX) == '<img src=x onerror=alert(1)>"&\\x1b[31m'
    assert printable(HOSTILE_PREFIX) + "plc-firmware-4.2.1.bin: " in text
    assert f"  - {HOSTILE_EXTRA}: not an artifact or evidence" in text
    assert all(len(line) <= WIDTH or len(line.split()) == 1 for line in text.splitlines())


def test_printable_shows_every_control_and_format_character() -> None:
    assert printable("a\x00b\x7fc\u202ed\u2028e\tf\ng") == "a\\x00b\\x7fc\\u202ed\\u2028e f g"
