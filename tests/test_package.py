"""Package-level promises: fast `--help`, the public API, the exit-code contract in `--help`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime

import provenance
from provenance._cli.version import version_text
from tests.conftest import CliRunner

HEAVY = ("sigstore", "sigstore_models", "in_toto", "cyclonedx", "pydantic", "rfc3161_client")


def test_help_loads_no_heavy_library() -> None:
    # A fresh interpreter: this test process has long imported everything.
    probe = (
        "import sys, json\n"
        "from provenance._cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules)))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    modules = json.loads(output.splitlines()[-1])
    loaded = [m for m in modules if m.split(".")[0] in HEAVY]
    assert loaded == [], f"--help imported {loaded}"
    assert "verify" in output  # the help text itself was printed


def test_help_states_the_exit_code_contract(cli: CliRunner) -> None:
    result = cli("verify", "--help")
    assert result.code == 0
    assert "0  verified" in result.stdout
    assert "1  verification failed (including malformed evidence)" in result.stdout
    assert "2  could not run as asked" in result.stdout
    assert "no network connection is made" in result.stdout


def test_public_api_resolves_every_name() -> None:
    for name in provenance.__all__:
        assert getattr(provenance, name) is not None
    assert provenance.verify.__module__ == "provenance.commands.verify"


def test_version_flag(cli: CliRunner) -> None:
    result = cli("--version")
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"provenance {provenance.__version__}"
    assert any(re.fullmatch(r"sigstore \d+\.\d+\.\d+", line) for line in lines)
    assert any(re.fullmatch(r"cryptography \d+\.\d+\.\d+", line) for line in lines)
    # The embedded trust roots with their TUF root's version and expiry (or that it expired).
    production = next(line for line in lines if line.startswith("embedded trust root production"))
    assert re.fullmatch(
        r"embedded trust root production \(sigstore [\d.]+\): TUF root version \d+, "
        r"(expires|EXPIRED) \d{4}-\d\d-\d\d",
        production,
    )


def test_version_text_says_when_an_embedded_root_expired() -> None:
    before = version_text(datetime(2020, 1, 1, tzinfo=UTC))
    after = version_text(datetime(2100, 1, 1, tzinfo=UTC))
    assert "EXPIRED" not in before
    assert after.count("EXPIRED") == 2
