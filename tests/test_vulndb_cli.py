"""`provenance vulndb import` and `status` through the console entry point."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import CliRunner, vulndata
from tests.vulndb_helpers import affected, kev, osv, write_json


def test_import_then_status(cli: CliRunner, tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_json(tmp_path / "in/PYSEC-1.json", osv("PYSEC-1", affected("lxml", {"introduced": "0"})))
    write_json(tmp_path / "in/kev.json", kev("CVE-2026-0001"))
    result = cli("vulndb", "import", tmp_path / "in", "--state-dir", state, "--format", "json")
    assert result.code == 0, result.stderr
    assert result.stderr == "OK: vulndb import: 2 added, 0 updated\n"
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1
    assert report["import"]["sources"][0]["counts"] == {"osv:added": 1, "kev:added": 1}
    status = cli("vulndb", "status", "--state-dir", state, "--format", "json")
    assert status.code == 0
    body = json.loads(status.stdout)["status"]
    assert body["records"] == 1
    assert body["kev_entries"] == 1
    assert body["records_per_ecosystem"] == {"PyPI": 1}
    text = cli("vulndb", "status", "--state-dir", state)
    assert "OSV records: 1 (0 withdrawn)\n  PyPI: 1\nKEV entries: 1\n" in text.stdout


def test_import_with_refusals_exits_1(cli: CliRunner, tmp_path: Path) -> None:
    bad = write_json(tmp_path / "bad.json", {"id": "X-1", "modified": "never"})
    result = cli("vulndb", "import", bad, "--state-dir", tmp_path / "state")
    assert result.code == 1
    assert f"refused: {bad}: X-1: modified: expected an RFC 3339 timestamp, got 'never'" in (
        result.stdout
    )
    assert result.stderr == (
        "FAIL: vulndb import: 1 document(s) refused (see above); 0 added, 0 updated from the rest\n"
    )


def test_status_without_a_database_exits_2(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("vulndb", "status", "--state-dir", tmp_path)
    assert result.code == 2
    assert result.stderr.startswith(
        f"error: vulnerability database {tmp_path}/vulndb.sqlite: "
        "does not exist; expected one imported with"
    )


def test_import_missing_path_exits_2(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("vulndb", "import", tmp_path / "nope", "--state-dir", tmp_path / "state")
    assert result.code == 2
    assert result.stderr == (
        f"error: {tmp_path}/nope: does not exist; expected a file or directory to import\n"
    )


def test_real_kev_and_csaf_import(cli: CliRunner, tmp_path: Path) -> None:
    catalogue = vulndata("kev") / "known_exploited_vulnerabilities.json"
    advisories = vulndata("csaf/cisa-ot") / "2019"
    result = cli(
        "vulndb", "import", catalogue, advisories, "--state-dir", tmp_path, "--format", "json"
    )
    assert result.code == 0, result.stdout
    sources = json.loads(result.stdout)["import"]["sources"]
    assert sources[0]["counts"] == {"kev:added": 1404}
    assert sources[1]["counts"]["csaf:added"] > 200


def test_import_text_says_what_was_skipped(cli: CliRunner, tmp_path: Path) -> None:
    advisories = vulndata("csaf/cisa-ot") / "2019"
    result = cli("vulndb", "import", advisories, "--state-dir", tmp_path)
    assert result.code == 0, result.stderr
    (line,) = [row for row in result.stdout.splitlines() if row.startswith(str(advisories))]
    assert re.fullmatch(
        rf"{re.escape(str(advisories))}: CSAF advisories \d+ added; \d+ other files skipped "
        r"\(not OSV, KEV or CSAF JSON: signatures, checksums, READMEs, other documents\)",
        line,
    )
