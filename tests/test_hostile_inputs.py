"""Hostile inputs fail fast: paths that are not regular files are refused before anything opens
them, and names cannot forge or hide a verdict line. Through the CLI."""

from __future__ import annotations

import os
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from provenance.errors import InputError
from provenance.inputs.files import read_bounded
from provenance.report.lines import one_line, verdict
from tests.conftest import CliRunner
from tests.gate_helpers import L3, Site, make_site

RESCUE_AFTER_SECONDS = 10.0


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A named pipe nobody writes to. Were a command to open it for reading, it would wait
    forever; a rescuer thread then opens the write end and closes it, so the test fails on its
    assertions instead of hanging."""
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    stop = threading.Event()
    rescued: list[bool] = []

    def rescue() -> None:
        deadline = time.monotonic() + RESCUE_AFTER_SECONDS
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: no reader, which is what should happen
                time.sleep(0.05)
                continue
            rescued.append(True)
            os.close(descriptor)
            return

    rescuer = threading.Thread(target=rescue, daemon=True)
    rescuer.start()
    yield path
    stop.set()
    rescuer.join()
    assert rescued == [], "something opened the FIFO for reading"


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path)


def refused(cli: CliRunner, *args: str | Path) -> str:
    started = time.monotonic()
    result = cli(*args)
    assert time.monotonic() - started < RESCUE_AFTER_SECONDS / 2, "did not fail fast"
    assert result.code == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr


def test_a_fifo_named_as_evidence_or_any_input_file_is_refused_at_once(
    cli: CliRunner, site: Site, fifo: Path
) -> None:
    artifact = site.delivery / "plc-firmware-4.2.1.bin"
    expected = f"{fifo}: is a FIFO (named pipe); expected"
    cases: list[list[str | Path]] = [
        ["verify", artifact, "--policy", site.policy, "--segment", L3, "--evidence", fifo],
        ["verify", artifact, "--bundle", fifo],
        ["admit", artifact, fifo, "--policy", site.policy, "--segment", L3,
         "--state-dir", site.state],
        ["admit", fifo, "--policy", site.policy, "--segment", L3, "--state-dir", site.state],
        ["admit", artifact, "--policy", fifo, "--segment", L3, "--state-dir", site.state],
        ["check", artifact, "--segment", L3, "--vsa", fifo, "--site-key", fifo],
        ["audit", "verify", "--state-dir", site.state, "--witness", fifo],
        ["policy", "lint", fifo],
        ["sbom", "check", fifo, "--policy", site.policy, "--segment", L3],
        ["vet", fifo, "--policy", site.policy, "--segment", L3],
        ["approve", artifact, "--key", fifo, "--group", "g", "--segment", L3, "--comment", "c"],
    ]  # fmt: skip
    for args in cases:
        assert expected in refused(cli, *args), args
    # Outputs: replacing (--force) a FIFO would block on opening it for writing.
    report = refused(cli, "vet", site.delivery, "--policy", site.policy, "--segment", L3,
                     "--report", f"json={fifo}", "--force")  # fmt: skip
    assert f"{fifo} is a FIFO (named pipe), expected a file" in report
    key = site.state / "site.key"
    approval = refused(cli, "approve", artifact, "--key", key, "--group", "g", "--segment", L3,
                       "--comment", "c", "--out", fifo, "--force")  # fmt: skip
    assert f"{fifo}: is a FIFO (named pipe); expected the approval's output" in approval
    # An artifact given as a plain argument (a path, or sha256:HEX) is checked by the library.
    assert f"{fifo}: not a regular file" in refused(cli, "check", fifo, "--segment", L3,
                                                    "--state-dir", site.state)  # fmt: skip


def test_devices_and_directories_are_refused_with_what_they_are(cli: CliRunner, site: Site) -> None:
    artifact = site.delivery / "plc-firmware-4.2.1.bin"
    device = refused(cli, "verify", artifact, "--policy", "/dev/zero", "--segment", L3)
    assert "/dev/zero: is a character device; expected the site policy" in device
    folder = refused(cli, "verify", artifact, "--bundle", site.delivery)
    assert f"{site.delivery}: is a directory; expected a Sigstore bundle" in folder


def test_the_library_refuses_a_fifo_without_waiting(fifo: Path) -> None:
    with pytest.raises(InputError, match=r"is a FIFO \(named pipe\); expected evidence as a"):
        read_bounded(fifo, 1024, "evidence")


# -- names that would forge or hide a verdict line --------------------------------------------

HOSTILE = (
    "fw\nOK: all artifacts allowed.bin",
    "fw\r\x1b[32mOK.bin",
    "fw-\u202enib.exe",  # RIGHT-TO-LEFT OVERRIDE: displays as fw-exe.bin
    "fw\u2066\u2069\u200b\u2028.bin",
)


def test_one_line_escapes_controls_bidi_and_line_separators() -> None:
    assert [one_line(name) for name in HOSTILE] == [
        "fw\\nOK: all artifacts allowed.bin",
        "fw\\r\\x1b[32mOK.bin",
        "fw-\\u202enib.exe",
        "fw\\u2066\\u2069\\u200b\\u2028.bin",
    ]
    assert one_line("plain text, ümlauts and 日本語 stay") == "plain text, ümlauts and 日本語 stay"
    assert verdict("FAIL", "a\nb", "c\td") == "FAIL: a\\nb: c\\td"


def _single_verdict_lines(stderr: str) -> list[str]:
    lines = stderr.split("\n")
    assert lines[-1] == ""
    for line in lines[:-1]:
        assert line.startswith(("OK: ", "FAIL: ", "error: ")), line
        assert line.isprintable(), line
    return lines[:-1]


def test_vet_escapes_hostile_member_names(cli: CliRunner, site: Site, tmp_path: Path) -> None:
    archive = tmp_path / "delivery.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        for index, name in enumerate(HOSTILE):
            opened.writestr(name, f"unsigned firmware {index}".encode())
    result = cli("vet", archive, "--policy", site.policy, "--segment", L3)
    assert result.code == 1
    lines = _single_verdict_lines(result.stderr)
    assert len(lines) == len(HOSTILE) + 1
    for name in HOSTILE:
        assert any(f"{archive}: {one_line(name)}: denied for {L3}: " in line for line in lines)
    assert lines[-1] == f"FAIL: {archive}: denied for {L3}: 4 of 4 artifacts denied"


def test_admit_check_and_verify_escape_a_file_name(
    cli: CliRunner, site: Site, tmp_path: Path
) -> None:
    hostile = tmp_path / HOSTILE[0]
    hostile.write_bytes((site.delivery / "plc-firmware-3.9.0.bin").read_bytes())
    shown = one_line(str(hostile))
    admitted = cli("admit", hostile, "--policy", site.policy, "--segment", L3,
                   "--state-dir", site.state)  # fmt: skip
    assert admitted.code == 1
    assert _single_verdict_lines(admitted.stderr)[0].startswith(f"FAIL: {shown}: denied for ")
    checked = cli("check", hostile, "--segment", L3, "--state-dir", site.state)
    assert checked.code == 1
    (only,) = _single_verdict_lines(checked.stderr)
    assert only.startswith(f"FAIL: {shown}: not admitted to {L3}: the gate denied it on ")
    verified = cli("verify", hostile, "--policy", site.policy, "--segment", L3)
    assert verified.code == 1
    assert _single_verdict_lines(verified.stderr)[0].startswith(f"FAIL: {shown}: ")
