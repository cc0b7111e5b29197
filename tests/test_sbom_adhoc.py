"""`sbom check FILE` and `sbom scan FILE`: an SBOM validated, summarised and scanned with no
policy and no artifact, as `cyclonedx validate` and `grype sbom:` / `osv-scanner` would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures.generate import hmi_openvex, hmi_sbom
from provenance.commands.vulndb import vulndb_import
from tests.conftest import CliRunner, vulndata
from tests.report_support import ACME

PLC_SBOM = Path(__file__).parents[1] / "fixtures/sboms/plc-firmware-4.2.1.cdx.json"


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The PyPI OSV subset and KEV from ../shared/vulndata, imported offline."""
    folder = tmp_path_factory.mktemp("state")
    paths = [vulndata("osv/pypi-subset"), vulndata("kev") / "known_exploited_vulnerabilities.json"]
    assert not vulndb_import(paths, state_dir=folder).refused
    return folder


@pytest.fixture
def hmi(tmp_path: Path) -> Path:
    """The fixture HMI installer's SBOM: asyncua 0.9.95, three high-severity PYSEC records."""
    installer = (ACME / "hmi-setup-2.0.exe").read_bytes()
    path = tmp_path / "hmi.cdx.json"
    path.write_text(json.dumps(hmi_sbom(installer, "2.0", "0.9.95")))
    return path


@pytest.fixture
def vex(tmp_path: Path) -> Path:
    path = tmp_path / "hmi.openvex.json"
    path.write_text(json.dumps(hmi_openvex("2.0", "0.9.95")))
    return path


# -- sbom check FILE ------------------------------------------------------------------------


def test_check_without_policy_validates_and_summarises(cli: CliRunner) -> None:
    result = cli("sbom", "check", PLC_SBOM)
    assert result.code == 0, result.stderr
    assert result.stderr == f"OK: {PLC_SBOM}: valid CycloneDX 1.6 (json), 3 components\n"
    lines = result.stdout.splitlines()
    assert lines[0] == "format     CycloneDX 1.6 (json)"
    assert lines[2].startswith("describes  plc-firmware 4.2.1 (pkg:generic/acme-automation/")
    assert "minimum elements (ntia-2021):" in lines
    assert "  supplier             100.0%  (3 of 3)" in lines
    assert "  tool                 present" in lines
    coverage = json.loads(cli("sbom", "check", PLC_SBOM, "--format", "json").stdout)["coverage"]
    assert [c["profile"] for c in coverage] == ["ntia-2021", "cisa-2025"]


def test_check_of_an_invalid_sbom_fails_with_the_schema_error(
    cli: CliRunner, tmp_path: Path
) -> None:
    broken = json.loads(PLC_SBOM.read_text())
    broken["components"][0]["type"] = "spaceship"
    path = tmp_path / "broken.cdx.json"
    path.write_text(json.dumps(broken))
    result = cli("sbom", "check", path)
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"FAIL: {path}: ")
    assert "spaceship" in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--artifact", "sha256:" + "0" * 64], "--artifact needs --policy and --segment"),
        (["--segment", "level1-controllers"], "--policy and --segment go together"),
    ],
)
def test_check_flags_that_need_a_policy(cli: CliRunner, args: list[str], message: str) -> None:
    result = cli("sbom", "check", PLC_SBOM, *args)
    assert result.code == 2
    assert result.stderr.startswith(f"error: {message}")


def test_check_of_a_missing_file_is_exit_2(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("sbom", "check", tmp_path / "nope.json")
    assert result.code == 2
    assert "nope.json" in result.stderr
    assert "Traceback" not in result.stderr


# -- sbom scan FILE -------------------------------------------------------------------------


def test_scan_prints_a_table_with_the_fixed_version(cli: CliRunner, hmi: Path, state: Path) -> None:
    result = cli("sbom", "scan", hmi, "--state-dir", state)
    assert result.code == 0, result.stderr
    assert result.stderr == f"OK: {hmi}: 3 finding(s)\n"
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("component"))
    assert header.split() == ["component", "installed", "vulnerability", "severity", "KEV",
                              "fixed", "in"]  # fmt: skip
    rows = [line.split() for line in lines if line.startswith("pkg:pypi/asyncua")]
    assert [(r[1], r[2], r[-1]) for r in rows] == [
        ("0.9.95", "PYSEC-2023-189", "0.9.96"),
        ("0.9.95", "PYSEC-2023-190", "0.9.96"),
        ("0.9.95", "PYSEC-2026-2385", "0.9.96"),
    ]
    assert "(CVE-2023-26150)" in result.stdout
    assert "not looked up: pkg:generic/python.org/cpython@3.11.9" in result.stdout


def test_fail_on_fails_at_or_above_the_severity(cli: CliRunner, hmi: Path, state: Path) -> None:
    high = cli("sbom", "scan", hmi, "--state-dir", state, "--fail-on", "high")
    assert high.code == 1
    assert high.stderr == (
        f"FAIL: {hmi}: 3 finding(s) at or above high, known exploited or unscored\n"
    )
    assert cli("sbom", "scan", hmi, "--state-dir", state, "--fail-on", "critical").code == 0


def test_vex_sets_findings_aside_and_says_by_which_statement(
    cli: CliRunner, hmi: Path, vex: Path, state: Path
) -> None:
    result = cli("sbom", "scan", hmi, "--state-dir", state, "--vex", vex, "--fail-on", "low")
    assert result.code == 0, result.stderr
    assert result.stderr == f"OK: {hmi}: 0 finding(s), 3 set aside by VEX\n"
    assert (
        f"set aside: PYSEC-2023-189: not_affected (vulnerable_code_not_in_execute_path) per "
        f"{vex} statements[1]"
    ) in result.stdout


def test_scan_formats(cli: CliRunner, hmi: Path, state: Path, tmp_path: Path) -> None:
    document = json.loads(cli("sbom", "scan", hmi, "--state-dir", state, "--format", "json").stdout)
    assert [f["fixed"] for f in document["findings"]] == [["0.9.96"]] * 3
    assert document["decision"] == "pass"
    markdown = cli("sbom", "scan", hmi, "--state-dir", state, "--format", "markdown").stdout
    assert "| component | installed | vulnerability | severity | KEV | fixed in |" in markdown
    assert (
        "| pkg:pypi/asyncua | 0.9.95 | PYSEC-2023-189 (CVE-2023-26150) | high 7.5 |  | 0.9.96 |"
        in markdown
    )
    sarif = json.loads(
        cli(
            "sbom",
            "scan",
            hmi,
            "--state-dir",
            state,
            "--format",
            "sarif",
            "--sarif-root",
            tmp_path,
            "--fail-on",
            "high",
        ).stdout
    )
    results = sarif["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error"] * 3
    assert results[0]["message"]["text"].endswith("fixed in 0.9.96")
    location = results[0]["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "hmi.cdx.json"}, "region": {"startLine": 1}}


def test_scan_without_a_database_is_exit_2(cli: CliRunner, hmi: Path, tmp_path: Path) -> None:
    result = cli("sbom", "scan", hmi, "--state-dir", tmp_path / "empty")
    assert result.code == 2
    assert result.stderr.startswith("error: ")
    assert "vulndb import" in result.stderr


def test_scan_of_an_invalid_sbom_is_exit_1(cli: CliRunner, state: Path, tmp_path: Path) -> None:
    path = tmp_path / "not.cdx.json"
    path.write_text('{"bomFormat": "CycloneDX"')
    result = cli("sbom", "scan", path, "--state-dir", state)
    assert result.code == 1
    assert result.stderr.startswith(f"FAIL: {path}: ")


def test_an_unreadable_vex_is_exit_2(
    cli: CliRunner, hmi: Path, state: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.vex.json"
    bad.write_text("{}")
    result = cli("sbom", "scan", hmi, "--state-dir", state, "--vex", bad)
    assert result.code == 2
    assert result.stderr.startswith(f"error: --vex {bad}: ")
