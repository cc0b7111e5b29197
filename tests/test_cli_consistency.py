"""Flags mean the same on every command: `--quiet`, `--evidence`, `--report`, `--format`,
`--artifact-version`; and `keys generate` makes the folder it is asked to write into."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CliRunner, Release
from tests.gate_helpers import L1, L3, make_site
from tests.report_support import ACME

SBOM = Path(__file__).parents[1] / "fixtures/sboms/plc-firmware-4.2.1.cdx.json"


def _quiet_commands(release: Release) -> list[list[str | Path]]:
    firmware = ACME / "plc-firmware-4.2.1.bin"
    return [
        ["verify", *release.identity_args()],
        ["verify", firmware, "--policy", ACME / "policy.yaml", "--segment", L3],
        ["vet", ACME, "--policy", ACME / "policy.yaml", "--segment", L3],
        ["sbom", "check", SBOM],
        [
            "sbom",
            "check",
            SBOM,
            "--policy",
            ACME / "policy.yaml",
            "--segment",
            "level2-supervisory",
        ],
    ]


def test_quiet_leaves_only_the_verdict(cli: CliRunner, release: Release) -> None:
    for command in _quiet_commands(release):
        loud = cli(*command)
        assert loud.stdout, command
        for flag in ("--quiet", "-q"):
            quiet = cli(*command, flag)
            assert quiet.code == loud.code, (command, quiet.stderr)
            assert quiet.stdout == "", command
            assert len(quiet.stderr.splitlines()) == 1, (command, quiet.stderr)
            assert quiet.stderr.startswith(("OK: ", "FAIL: ")), command


def test_quiet_still_writes_the_reports_asked_for(cli: CliRunner, tmp_path: Path) -> None:
    report = tmp_path / "vet.json"
    result = cli("vet", ACME, "--policy", ACME / "policy.yaml", "--segment", L1, "--quiet",
                 "--report", f"json={report}")  # fmt: skip
    assert result.code == 1
    assert result.stdout == ""
    assert json.loads(report.read_text())["decision"] == "deny"


def test_admit_takes_evidence_and_reports_as_verify_does(cli: CliRunner, tmp_path: Path) -> None:
    site = make_site(tmp_path)
    firmware = "plc-firmware-4.2.1.bin"
    evidence = sorted(site.delivery.glob(f"{firmware}.*"))
    report, page = tmp_path / "admit.json", tmp_path / "admit.html"
    result = cli(
        *site.admit_args(firmware, L3, "--format", "json", "--report", f"json={report}",
                         "--report", f"html={page}"),
        *[arg for path in evidence for arg in ("--evidence", str(path))],
    )  # fmt: skip
    assert result.code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert json.loads(report.read_text()) == printed
    assert printed["schema"] == "urn:ot-provenance:schema:admit-result:v1"
    inputs = {Path(entry["path"]).name for entry in printed["evidence"]["inputs"]}
    assert inputs == {path.name for path in evidence}
    assert "<h1>Decision report</h1>" in page.read_text()
    # An existing report is kept, and nothing is admitted or recorded for a bad --report.
    again = cli(*site.admit_args(firmware, L3, "--report", f"json={report}"))
    assert again.code == 2
    assert again.stderr.startswith(f"error: --report json={report}: {report} exists")


@pytest.mark.parametrize("command", ["verify", "admit"])
def test_the_artifacts_version_is_not_the_tools(
    cli: CliRunner, tmp_path: Path, command: str
) -> None:
    site = make_site(tmp_path)
    args = site.admit_args("plc-firmware-4.2.1.bin", L3, "--artifact-version", "4.2.1")
    if command == "verify":
        args = ["verify", *args[1:]]
    assert cli(*args).code == 0
    old = cli(*[a if a != "--artifact-version" else "--version" for a in args])
    assert old.code == 2
    assert "No such option '--version'. Did you mean '--artifact-version'?" in old.stderr


def test_shell_completion_as_documented() -> None:
    env = dict(os.environ, _PROVENANCE_COMPLETE="bash_source")
    exe = Path(sys.executable).parent / "provenance"
    script = subprocess.run([exe], env=env, capture_output=True, text=True, check=True).stdout
    assert "_provenance_completion()" in script
    env = dict(os.environ, _PROVENANCE_COMPLETE="bash_complete", COMP_WORDS="provenance sb",
               COMP_CWORD="1")  # fmt: skip
    words = subprocess.run([exe], env=env, capture_output=True, text=True, check=True).stdout
    assert words.split() == ["plain,sbom"]
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert 'eval "$(_PROVENANCE_COMPLETE=bash_source provenance)"' in readme
