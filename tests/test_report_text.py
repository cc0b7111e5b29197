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
def test_every_line_fits_100_columns(color: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    for result in (acme_mixed(), northwind_mixed(), refused_archive()):
        lines = _lines(render("text", result, color=color))
        too_long = [line for line in lines if len(line) > WIDTH]
        assert not too_long, too_long
    assert WIDTH == 100


def test_a_table_per_artifact_with_decision_strength_and_failed_reasons() -> None:
    text = render("text", acme_mixed(), color=False)
    lines = text.splitlines()
    assert lines[0] == "delivery  acme-delivery (directory)"
    assert "DENY: 2 of 3 artifact(s) denied for level1-controllers" in lines
    assert "plc-firmware-4.2.1.bin: ALLOW" in lines
    assert "plc-firmware-3.9.0.bin: DENY" in lines
    assert "hmi-setup-2.0.exe: DENY" in lines
    block = text.split("plc-firmware-3.9.0.bin: DENY")[1].split("hmi-setup-2.0.exe: DENY")[0]
    assert (
        "  evidence  attested-build (build provenance signed by the vendor's build platform)"
        in block
    )
    assert re.search(
        r"\| version +\| FAIL \| expected a version matching >=4\.0,<5, got 3\.9\.0 "
        r"\(signed-identity\) +\|",
        block,
    )
    assert re.search(r"\| rollback +\| ok   \| first admission of", block)
    # the signer's identity, with the files it signed
    assert "acme-automation: https://github.com/acme-automation/plc-firmware/" in block


def test_long_reasons_wrap_inside_their_cell() -> None:
    text = render("text", acme_mixed(), color=False)
    # the SLSA provenance reason is far longer than its column: it continues on rows whose
    # requirement and result cells are empty
    start = text.index("| provenance       | ok   | SLSA provenance by acme-automation")
    continuation = text[start:].splitlines()[1]
    assert continuation.startswith("|                  |      | ")
    assert continuation.endswith(" |")
    assert len(continuation) == WIDTH


def test_northwind_x509_and_openpgp_signers_and_checksum_list_denial() -> None:
    text = render("text", northwind_mixed(), color=False)
    assert "io-module-firmware-2.4.0.bin: DENY" in text
    assert re.search(
        r"\| evidence +\| FAIL \| expected signed-identity or stronger, got signed-checksum-list",
        text,
    )
    # an identity too long for one line wraps under its label, never past column 100
    assert "  signer    northwind-controls:\n            x509:sha256:5200d9e22dfb3174" in text
    assert "  signer    northwind-controls: B88AE7341B8D9AC5B1AFEAD3E39AF40A4B94CEC0; in " in text


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
    assert all(len(line) <= WIDTH for line in text.splitlines())


def test_printable_shows_every_control_and_format_character() -> None:
    assert printable("a\x00b\x7fc\u202ed\u2028e\tf\ng") == "a\\x00b\\x7fc\\u202ed\\u2028e f g"
