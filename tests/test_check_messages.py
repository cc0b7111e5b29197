"""`check` tells the technician what went wrong and what to do next, from signed records:
denied at admission (when, why), admitted to other segments, never seen, an unknown segment
(exit 2, with the closest names, found before the file is hashed), a ledger its signed records
do not back. And `check` records nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import CliResult, CliRunner
from tests.gate_helpers import L1, L3, Site, make_site
from tests.record_helpers.support import tamper


@pytest.fixture
def site(tmp_path: Path, cli: CliRunner) -> Site:
    """Firmware 4.2.1 admitted to level 1; 3.9.0 denied for level 3 (too old)."""
    made = make_site(tmp_path)
    assert cli(*made.admit_args("plc-firmware-4.2.1.bin", L1)).code == 0
    assert cli(*made.admit_args("plc-firmware-3.9.0.bin", L3)).code == 1
    return made


def check(cli: CliRunner, site: Site, artifact: str | Path, segment: str, *more: str) -> CliResult:
    path = artifact if isinstance(artifact, Path) else site.delivery / artifact
    return cli("check", path, "--segment", segment, "--state-dir", site.state, *more)


def line(result: CliResult) -> str:
    (only,) = result.stderr.splitlines()
    return only


def test_denied_at_admission_says_when_why_and_what_next(cli: CliRunner, site: Site) -> None:
    result = check(cli, site, "plc-firmware-3.9.0.bin", L3)
    assert result.code == 1
    assert re.fullmatch(
        r"FAIL: \S+/plc-firmware-3\.9\.0\.bin: not admitted to level3-operations: the gate "
        r"denied it on 20\d\d-\d\d-\d\dT\S+ \(signed record 2\): version: expected a version "
        r"matching >=4\.0,<5, got 3\.9\.0 \(signed-identity\)\. Next: have the vendor or the "
        r"gate operator fix what the denial names, then run `provenance admit FILE --policy P "
        r"--segment level3-operations` at the gate",
        line(result),
    )


def test_admitted_elsewhere_names_the_segments(cli: CliRunner, site: Site) -> None:
    result = check(cli, site, "plc-firmware-4.2.1.bin", L3)
    assert result.code == 1
    assert line(result).endswith(
        "not admitted to level3-operations: it is admitted to level1-controllers only. Next: "
        "install it only there, or run `provenance admit FILE --policy P --segment "
        "level3-operations` at the gate"
    )


def test_never_seen(cli: CliRunner, site: Site, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.bin"
    stranger.write_bytes(b"not from the vendor")
    result = check(cli, site, stranger, L1)
    assert result.code == 1
    assert "not admitted to level1-controllers: this gate has no signed record of sha256:" in (
        line(result)
    )
    assert line(result).endswith(
        "Next: check this is the file the vendor shipped, then run `provenance admit FILE "
        "--policy P --segment level1-controllers` at the gate"
    )


def test_an_unsigned_deny_explains_nothing(cli: CliRunner, site: Site) -> None:
    """A forged "deny" row with no valid signature is skipped: only signed records speak."""
    tamper(site.state / "ledger.sqlite3", "UPDATE audit SET signature = zeroblob(64) WHERE seq = 2")
    result = check(cli, site, "plc-firmware-3.9.0.bin", L3)
    assert result.code == 1
    assert "the gate denied it" not in line(result)
    assert "this gate has no signed record of sha256:" in line(result)


def test_a_typo_in_the_segment_is_exit_2_with_a_suggestion(cli: CliRunner, site: Site) -> None:
    result = check(cli, site, "plc-firmware-4.2.1.bin", "level1-controlers")
    assert result.code == 2
    assert line(result) == (
        "error: unknown segment 'level1-controlers': this gate has made no decision for it "
        "(did you mean level1-controllers?); it has decided for level1-controllers (give "
        "--policy to check against the policy's segments)"
    )
    # A segment known only from a denial is a segment.
    assert check(cli, site, "plc-firmware-4.2.1.bin", L3).code == 1
    with_policy = check(cli, site, "plc-firmware-4.2.1.bin", "level2", "--policy", str(site.policy))
    assert with_policy.code == 2
    assert line(with_policy).startswith(
        "error: unknown segment 'level2': the policy has no such segment (did you mean "
        "level2-supervisory?); its segments: "
    )


def test_the_segment_is_checked_before_the_file_is_read(
    cli: CliRunner, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_hashing(*_args: object) -> bytes:
        raise AssertionError("hashed before the segment was checked")

    monkeypatch.setattr("provenance.inputs.artifact.sha256_file", no_hashing)
    result = check(cli, site, "plc-firmware-4.2.1.bin", "levl1")
    assert result.code == 2
    assert line(result).startswith("error: unknown segment 'levl1'")


def test_check_records_nothing(cli: CliRunner, site: Site) -> None:
    before = (site.state / "ledger.sqlite3").read_bytes()
    check(cli, site, "plc-firmware-3.9.0.bin", L3)
    check(cli, site, "plc-firmware-4.2.1.bin", L1)
    assert (site.state / "ledger.sqlite3").read_bytes() == before
    help_text = cli("check", "--help").stdout
    assert "recorded in the audit log" not in help_text
    assert "check only reads: it records nothing" in help_text
