"""The GitHub Action (action.yml): inputs and outputs wired, third-party actions pinned, and
its vet step's shell run with a fake runner environment against the fixtures."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml

from tests.report_support import ACME

REPO = Path(__file__).parents[1]
ACTION = REPO / "action.yml"
RUN_SH = REPO / "action" / "run.sh"
_INPUTS = {
    "path": "INPUT_PATH",
    "policy": "INPUT_POLICY",
    "segment": "INPUT_SEGMENT",
    "format": "INPUT_FORMAT",
    "fail-on-deny": "INPUT_FAIL_ON_DENY",
}


@cache
def _action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text())
    return loaded


def _steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = _action()["runs"]["steps"]
    return steps


def _vet_step() -> dict[str, Any]:
    return next(step for step in _steps() if step.get("id") == "vet")


def test_composite_action_with_the_documented_inputs() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert set(inputs) == set(_INPUTS)
    for name in ("path", "policy", "segment"):
        assert inputs[name]["required"] is True
    assert inputs["fail-on-deny"]["default"] == "true"
    assert inputs["format"]["default"] == "html"
    for spec in inputs.values():
        assert spec["description"]


def test_inputs_reach_the_step_as_environment_only() -> None:
    step = _vet_step()
    assert step["env"] == {env: f"${{{{ inputs.{name} }}}}" for name, env in _INPUTS.items()}
    # an input pasted into a script is a shell injection: never
    for each in _steps():
        assert "${{" not in each.get("run", ""), each
    assert step["run"] == '"$GITHUB_ACTION_PATH/action/run.sh"'
    assert step["shell"] == "bash"


def test_outputs_come_from_the_vet_step() -> None:
    outputs = _action()["outputs"]
    assert set(outputs) == {"decision", "report-path", "sarif-path"}
    for name, spec in outputs.items():
        assert spec["value"] == f"${{{{ steps.vet.outputs.{name} }}}}"
        assert spec["description"]
    script = RUN_SH.read_text()
    for name in outputs:
        assert f'echo "{name}=$' in script


def test_installs_from_its_own_checkout_and_pins_third_party_actions() -> None:
    uses = [step["uses"] for step in _steps() if "uses" in step]
    assert uses, "expected actions/setup-python"
    for use in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}", use), use
    install = next(step for step in _steps() if "install" in step.get("name", "").lower())
    script = (REPO / "action" / "install.sh").read_text()
    assert install["run"] == '"$GITHUB_ACTION_PATH/action/install.sh"'
    # Dependencies only from the hash-locked file; the package itself without resolving any.
    assert '--require-hashes --no-deps -r "$GITHUB_ACTION_PATH/action/requirements.lock"' in script
    assert '--no-deps --no-build-isolation "$GITHUB_ACTION_PATH"' in script
    python = next(step for step in _steps() if step.get("id") == "python")
    assert python["with"]["update-environment"] is False  # the job's Python stays as it was
    assert install["env"] == {"PROVENANCE_PYTHON": "${{ steps.python.outputs.python-path }}"}
    text = ACTION.read_text() + script + RUN_SH.read_text()
    assert "curl" not in text
    assert "wget" not in text
    assert "${{ secrets." not in text  # no secrets required


def test_never_runs_inspections() -> None:
    """An in-toto inspection runs a command the vendor's layout names; in a CI job that
    command would run beside the job's token. The Action has no way to ask for it: its
    layouts' inspections are always reported skipped (issue 22)."""
    text = ACTION.read_text() + RUN_SH.read_text() + (REPO / "action/install.sh").read_text()
    assert "inspection" not in text.lower()
    assert not any("inspection" in name for name in _action()["inputs"])


# -- the step's shell, with a fake runner -----------------------------------------------


@dataclass(frozen=True)
class StepRun:
    code: int
    log: str
    outputs: dict[str, str]
    summary: str
    temp: Path


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env["PYTHONPATH"] = str(REPO)
    env.pop("NO_COLOR", None)
    return {**env, **extra}


def _run_step(
    tmp_path: Path,
    inputs: dict[str, str],
    *,
    bin_dir: Path | None = None,
    workspace: Path | None = None,
) -> StepRun:
    """The vet step as a runner runs it: in the checkout ($GITHUB_WORKSPACE) if given."""
    runner = tmp_path / "runner"
    temp = runner / "temp"
    temp.mkdir(parents=True)
    outputs, summary = runner / "output", runner / "summary.md"
    outputs.touch()
    summary.write_text("earlier step's summary\n")
    real_bin = str(Path(sys.executable).parent)
    path = f"{bin_dir}:{real_bin}" if bin_dir else real_bin
    env = _env(
        {
            "GITHUB_ACTION_PATH": str(REPO),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(temp),
            "PATH": f"{path}:{os.environ.get('PATH', '')}",
            **({"GITHUB_WORKSPACE": str(workspace)} if workspace else {}),
            **{_INPUTS[name]: value for name, value in inputs.items()},
        }
    )
    done = subprocess.run(
        ["bash", "-c", _vet_step()["run"]],
        cwd=workspace or REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    pairs = [line.split("=", 1) for line in outputs.read_text().splitlines()]
    return StepRun(
        done.returncode, done.stdout + done.stderr, dict(pairs), summary.read_text(), temp
    )


def _allowed_delivery(tmp_path: Path) -> Path:
    """The ACME delivery with only firmware 4.2.1 (and what its policy needs)."""
    delivery = tmp_path / "acme-4.2.1"
    shutil.copytree(
        ACME,
        delivery,
        ignore=shutil.ignore_patterns("plc-firmware-3.9.0.bin*", "hmi-setup-2.0.exe*"),
    )
    return delivery


def _inputs(delivery: Path, **more: str) -> dict[str, str]:
    return {
        "path": str(delivery),
        "policy": str(delivery / "policy.yaml"),
        "segment": "level1-controllers",
        **more,
    }


def _check_allowed(run: StepRun) -> None:
    assert run.code == 0, run.log
    assert run.outputs["decision"] == "allow"
    assert run.outputs["sarif-path"] == str(run.temp / "provenance" / "report.sarif")
    assert run.outputs["report-path"] == str(run.temp / "provenance" / "report.html")
    assert Path(run.outputs["report-path"]).read_text().startswith("<!DOCTYPE html>")
    assert '"version": "2.1.0"' in Path(run.outputs["sarif-path"]).read_text()
    assert run.summary.startswith("earlier step's summary\n## provenance: ALLOW")
    assert "| plc-firmware-4.2.1.bin | ✅ allow | attested-build | none |" in run.summary


def _check_denied(run: StepRun) -> None:
    assert run.code == 1, run.log
    assert run.outputs["decision"] == "deny"
    assert (
        "::error title=provenance::denied for level1-controllers (see the job summary)" in run.log
    )
    assert "## provenance: DENY" in run.summary
    assert "### plc-firmware-3.9.0.bin: ❌ **deny**" in run.summary
    assert "expected a version matching &gt;=4.0,&lt;5, got 3.9.0" in run.summary


def test_step_allowed_delivery(tmp_path: Path) -> None:
    run = _run_step(tmp_path, _inputs(_allowed_delivery(tmp_path)))
    _check_allowed(run)
    # workflow commands are suspended while provenance prints vendor file names
    assert re.search(r"::stop-commands::([0-9a-f]{32})\n(.|\n)*::\1::", run.log)


def test_step_denied_delivery(tmp_path: Path) -> None:
    delivery = tmp_path / "acme"
    shutil.copytree(ACME, delivery)
    run = _run_step(tmp_path, _inputs(delivery, format="junit"))
    _check_denied(run)
    assert run.outputs["report-path"].endswith("/provenance/report.xml")
    assert Path(run.outputs["report-path"]).read_text().startswith("<?xml")


def test_step_deny_without_fail_on_deny_passes_with_a_warning(tmp_path: Path) -> None:
    delivery = tmp_path / "acme"
    shutil.copytree(ACME, delivery)
    run = _run_step(tmp_path, _inputs(delivery, **{"fail-on-deny": "false"}))
    assert run.code == 0, run.log
    assert run.outputs["decision"] == "deny"
    assert (
        "::warning title=provenance::denied for level1-controllers; fail-on-deny is false"
        in run.log
    )


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"format": "pdf"},
            "input format: expected text, json, sarif, junit, markdown or html, got 'pdf'",
        ),
        ({"fail-on-deny": "yes"}, "input fail-on-deny: expected true or false, got 'yes'"),
        ({"segment": ""}, "input segment: expected a segment of the policy, got nothing"),
        (
            {"path": "/nonexistent/delivery"},
            "input path: expected an existing file or directory, got '/nonexistent/delivery'",
        ),
    ],
)
def test_step_refuses_bad_inputs_with_exit_2(
    tmp_path: Path, inputs: dict[str, str], message: str
) -> None:
    run = _run_step(tmp_path, {**_inputs(ACME), **inputs})
    assert run.code == 2
    assert f"::error title=provenance::{message}" in run.log
    assert run.outputs == {}
    assert run.summary == "earlier step's summary\n"


def test_step_fails_closed_when_provenance_cannot_run(tmp_path: Path) -> None:
    bin_dir = tmp_path / "broken-bin"
    bin_dir.mkdir()
    (bin_dir / "provenance").write_text(
        "#!/bin/sh\necho 'error: policy.yaml: invalid' >&2\nexit 2\n"
    )
    (bin_dir / "provenance").chmod(0o755)
    run = _run_step(tmp_path, _inputs(ACME), bin_dir=bin_dir)
    assert run.code == 2
    # The first error line is in the annotation and the job summary, not "see the log above".
    assert (
        "::error title=provenance::provenance could not run as asked (exit 2): error: "
        "policy.yaml: invalid" in run.log
    )
    assert "could not decide" in run.summary
    assert "error: policy.yaml: invalid" in run.summary
    assert run.outputs == {}


def test_step_single_file_with_the_real_cli(tmp_path: Path) -> None:
    delivery = tmp_path / "acme"
    shutil.copytree(ACME, delivery)
    inputs = _inputs(delivery, segment="level3-operations")
    run = _run_step(tmp_path, {**inputs, "path": str(delivery / "plc-firmware-3.9.0.bin")})
    assert run.code == 1, run.log
    assert run.outputs["decision"] == "deny"
    assert "plc-firmware-3.9.0.bin" in run.summary


def _sarif_locations(log: dict[str, Any]) -> list[dict[str, Any]]:
    run = log["runs"][0]
    found = [where for result in run["results"] for where in result.get("locations", ())]
    return found + [
        {"physicalLocation": {"artifactLocation": a["location"]}} for a in run["artifacts"]
    ]


@pytest.mark.parametrize("archive", [False, True], ids=["folder", "zip"])
def test_sarif_in_a_git_checkout_points_at_files_that_exist_there(
    tmp_path: Path, archive: bool
) -> None:
    """What code scanning needs to place an alert: a URI relative to the checkout naming a
    file that exists there, and a region (an archive member: the archive, named in a logical
    location)."""
    checkout = tmp_path / "checkout"
    vendor = checkout / "vendor" / "acme"
    shutil.copytree(ACME, vendor)
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    path = "vendor/acme"
    if archive:
        shutil.make_archive(str(checkout / "vendor" / "acme-delivery"), "zip", vendor)
        path = "vendor/acme-delivery.zip"
    run = _run_step(
        tmp_path,
        {"path": path, "policy": "vendor/acme/policy.yaml", "segment": "level1-controllers"},
        workspace=checkout,
    )
    assert run.code == 1, run.log
    log = json.loads(Path(run.outputs["sarif-path"]).read_text())
    locations = _sarif_locations(log)
    assert len(locations) > 10
    for where in locations:
        uri = where["physicalLocation"]["artifactLocation"]["uri"]
        assert "://" not in uri, uri
        assert not uri.startswith("/"), uri
        assert (checkout / unquote(uri)).is_file(), uri
        assert "uriBaseId" not in where["physicalLocation"]["artifactLocation"]
    for result in log["runs"][0]["results"]:
        for where in result["locations"]:
            assert where["physicalLocation"]["region"] == {"startLine": 1}
    denied = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "version")
    if archive:
        assert denied["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == path
        assert denied["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
            "acme-delivery.zip!/plc-firmware-3.9.0.bin"
        )
    else:
        assert denied["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
            "vendor/acme/plc-firmware-3.9.0.bin"
        )
