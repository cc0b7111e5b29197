"""The README's walk-through runs as written and says what the README says it says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import vulndata

REPO = Path(__file__).parents[1]


def walkthrough(heading: str = "## Gate an update into a segment") -> str:
    text = (REPO / "README.md").read_text()
    section = text.split(heading, 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def commands(script: str) -> list[str]:
    """The script's commands, continuation lines joined, comments dropped."""
    joined = script.replace("\\\n", " ")
    found = [line.split("#", 1)[0].strip() for line in joined.splitlines()]
    return [command for command in found if command]


def test_the_provenance_examples_pass_and_fail_as_the_readme_says() -> None:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    passing, failing = commands(walkthrough("## Build provenance"))
    ok = subprocess.run(
        ["bash", "-c", passing], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr
    denied = subprocess.run(
        ["bash", "-c", failing], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    assert denied.returncode == 1
    readme = " ".join((REPO / "README.md").read_text().split())
    assert f"`{denied.stderr.strip()}`" in readme, denied.stderr


def test_the_gate_walkthrough_runs_as_written(tmp_path: Path) -> None:
    env = dict(os.environ, TMPDIR=str(tmp_path))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-c", walkthrough()], cwd=REPO, env=env, capture_output=True, text=True,
        check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    verdicts = [line for line in done.stderr.splitlines() if line.startswith(("OK", "FAIL"))]
    firmware, old = (
        "fixtures/acme-delivery/plc-firmware-4.2.1.bin",
        "fixtures/acme-delivery/plc-firmware-3.9.0.bin",
    )
    assert verdicts[0] == f"OK: {firmware}: admitted to level1-controllers"
    assert verdicts[1] == (
        f"FAIL: {old}: denied for level3-operations: version: expected a version matching "
        ">=4.0,<5, got 3.9.0 (signed-identity)"
    )
    assert verdicts[2].startswith(f"OK: {firmware}: admitted to level1-controllers on ")
    assert verdicts[3].startswith(f"FAIL: {old}: not admitted to level3-operations")
    assert verdicts[4].startswith("OK: audit log intact: 2 records, 2 of 2 signed")
    assert verdicts[5].startswith("OK: checkpoint of 2 records written to ")
    assert verdicts[6].startswith("OK: audit log intact: 2 records, 2 of 2 signed")
    # The first `audit verify` says what it cannot rule out; the one with a witness does not.
    assert done.stdout.count("note: no witness given") == 1
    assert "the log at 2 records extends its checkpoint at 2" in done.stdout
    readme = (REPO / "README.md").read_text()
    # The README quotes the first admit's requirements (the 4.2.1 firmware's report).
    first_admit = done.stdout.split(f"artifact  {old}")[0]
    for line in first_admit.splitlines():
        if line.startswith("  ok   ") and "days old" not in line:
            assert line in readme, line


def test_each_vendor_native_example_exits_as_the_readme_says(tmp_path: Path) -> None:
    env = dict(os.environ, TMPDIR=str(tmp_path))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    script = walkthrough("## Vendor-native signatures")
    for command, line in zip(commands(script), _expected_exits(script), strict=True):
        done = subprocess.run(
            ["bash", "-c", command], cwd=REPO, env=env, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        assert done.returncode == line, (command, done.stderr)


def _expected_exits(script: str) -> list[int]:
    """The `# exit N` each command's last line carries (a command without one must pass)."""
    joined = script.replace("\\\n", " ")
    exits = []
    for line in joined.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        marker = line.rsplit("# exit ", 1)
        exits.append(int(marker[1].split()[0].rstrip(":,")) if len(marker) == 2 else 0)
    return exits


def _run_each(heading: str, folder: Path, env: dict[str, str] | None = None) -> None:
    """Run each command of the section's first `sh` block in `folder` (where `fixtures` is
    the repository's), checking the exit code its `# exit N` states."""
    (folder / "fixtures").symlink_to(REPO / "fixtures")
    env = dict(env or os.environ, TMPDIR=str(folder))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    script = walkthrough(heading)
    for command, code in zip(commands(script), _expected_exits(script), strict=True):
        done = subprocess.run(
            ["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True,
            check=False, timeout=300,
        )  # fmt: skip
        assert done.returncode == code, (command, done.stderr)


def test_the_vet_example_exits_as_the_readme_says_and_writes_the_report(tmp_path: Path) -> None:
    _run_each("## Vet a vendor delivery", tmp_path)
    report = (tmp_path / "acme-2026-06.html").read_text()
    assert report.startswith("<!DOCTYPE html>")
    assert "DENY: 2 of 3 artifact(s) denied for level3-operations" in report


def test_the_offline_vulnerability_flow_runs_as_written(tmp_path: Path) -> None:
    vulndata("osv/pypi-subset")  # skips, saying why, without the shared data
    env = dict(os.environ, TMPDIR=str(tmp_path))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    script = walkthrough("## Vulnerabilities, offline")
    # One shell (the commands share variables); each command reports its exit code.
    checked = "\n".join(f'{command}\necho "exit=$?" >&2' for command in commands(script))
    done = subprocess.run(
        ["bash", "-c", checked], cwd=REPO, env=env, capture_output=True, text=True,
        check=False, timeout=600,
    )  # fmt: skip
    codes = [int(line[5:]) for line in done.stderr.splitlines() if line.startswith("exit=")]
    assert codes == _expected_exits(script), done.stderr
    assert "3 set aside by VEX" in done.stdout


def test_the_first_sbom_examples_need_no_policy(tmp_path: Path) -> None:
    first = commands(walkthrough("## SBOMs, components, licences and VEX"))
    assert [command.split()[:3] for command in first] == [
        ["provenance", "sbom", "check"],
        ["provenance", "sbom", "scan"],
    ]
    env = dict(os.environ, PROVENANCE_STATE_DIR=str(tmp_path / "state"))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    kev = vulndata("kev") / "known_exploited_vulnerabilities.json"
    subprocess.run(["provenance", "vulndb", "import", str(kev)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    for command in first:
        done = subprocess.run(["bash", "-c", command], cwd=REPO, env=env, capture_output=True,
                              text=True, check=False)  # fmt: skip
        assert done.returncode == 0, (command, done.stderr)
        assert done.stderr.startswith("OK: fixtures/sboms/plc-firmware-4.2.1.cdx.json: ")


def test_the_schema_example_validates_a_report(tmp_path: Path) -> None:
    text = (REPO / "README.md").read_text()
    example = text.split("names its schema", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert len(example.strip().splitlines()) == 3
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    vet = subprocess.run(
        ["provenance", "vet", "fixtures/acme-delivery", "--policy",
         "fixtures/acme-delivery/policy.yaml", "--segment", "level1-controllers",
         "--report", f"json={tmp_path / 'report.json'}"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert vet.returncode == 1, vet.stderr
    script = f"import json, os, jsonschema\nos.chdir({str(tmp_path)!r})\n" + example.replace(
        "provenance/report/schemas", str(REPO / "provenance/report/schemas")
    )
    subprocess.run([sys.executable, "-c", script], check=True)
