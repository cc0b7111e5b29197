"""The database: import rules (idempotent, newer replaces, withdrawn, duplicates), KEV and CSAF
storage, refusals, corrupted/newer files and a write that fails mid-import."""

from __future__ import annotations

import sqlite3
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from provenance.errors import InputError
from provenance.vulnerabilities import database as database_module
from provenance.vulnerabilities.database import VulnDatabaseError, database_path, open_database
from provenance.vulnerabilities.importer import ImportResult, import_paths
from provenance.vulnerabilities.matching import ComponentRef
from tests.vulndb_helpers import affected, csaf, kev, osv, write_csaf, write_json

NOW = datetime(2026, 2, 1, tzinfo=UTC)
LXML = ComponentRef("lxml", "4.9.0", "pkg:pypi/lxml@4.9.0")


def run_import(state: Path, *paths: Path, now: datetime = NOW) -> ImportResult:
    return import_paths(list(paths), state_dir=state, now=now)


def matched_ids(state: Path, *components: ComponentRef) -> list[str]:
    with open_database(state, now=NOW) as db:
        return [m.record_id for _, m in db.match(components).pairs()]


def lxml_record(
    modified: str = "2026-01-10T00:00:00Z", fixed: str = "5.0", **extra: Any
) -> dict[str, Any]:
    return osv(
        "PYSEC-9",
        affected("lxml", {"introduced": "0"}, {"fixed": fixed}),
        modified=modified,
        aliases=["CVE-2026-0001"],
        **extra,
    )


def test_import_match_and_idempotent_reimport(tmp_path: Path) -> None:
    source = write_json(tmp_path / "in/PYSEC-9.json", lxml_record())
    first = run_import(tmp_path / "state", source)
    assert first.ok
    assert first.total("osv:added") == 1
    again = run_import(tmp_path / "state", source)
    assert again.total("osv:unchanged") == 1
    assert again.total("osv:added") == 0
    assert matched_ids(tmp_path / "state", LXML) == ["PYSEC-9"]
    with open_database(tmp_path / "state", now=NOW) as db:
        assert [r.id for r in db.records_for_alias("CVE-2026-0001")] == ["PYSEC-9"]
        status = db.status()
    assert status.records == 1
    assert status.records_per_ecosystem == {"PyPI": 1}
    assert len(status.sources) == 2
    # Newest data is the record's modified time (not the import time).
    assert status.newest_data == datetime(2026, 1, 10, tzinfo=UTC)
    assert status.age == timedelta(days=22)


def test_newer_modified_replaces_older_does_not(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_import(state, write_json(tmp_path / "a/r.json", lxml_record()))
    newer = run_import(
        state, write_json(tmp_path / "b/r.json", lxml_record("2026-01-20T00:00:00Z", fixed="4.9.0"))
    )
    assert newer.total("osv:updated") == 1
    assert matched_ids(state, LXML) == []  # 4.9.0 is now the fix
    older = run_import(state, write_json(tmp_path / "c/r.json", lxml_record(fixed="6.0")))
    assert older.total("osv:older") == 1
    assert matched_ids(state, LXML) == []


def test_withdrawn_stops_matching(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_import(state, write_json(tmp_path / "a/r.json", lxml_record()))
    withdrawn = lxml_record("2026-01-20T00:00:00Z", withdrawn="2026-01-20T00:00:00Z")
    run_import(state, write_json(tmp_path / "b/r.json", withdrawn))
    assert matched_ids(state, LXML) == []
    with open_database(state, now=NOW) as db:
        assert db.status().withdrawn == 1
        assert [r.id for r in db.records_for_alias("CVE-2026-0001")] == ["PYSEC-9"]


def test_duplicate_ids_in_one_import(tmp_path: Path) -> None:
    write_json(tmp_path / "in/a.json", lxml_record())
    write_json(tmp_path / "in/b.json", lxml_record(fixed="9.0"))  # same id and modified
    write_json(tmp_path / "in/c.json", lxml_record())  # an exact copy: fine
    result = run_import(tmp_path / "state", tmp_path / "in")
    assert [(Path(r.location).name, r.reason) for r in result.refused] == [
        (
            "b.json",
            "PYSEC-9: a second record with this id and modified "
            "2026-01-10T00:00:00.000000Z but other content; expected one version per "
            "modified time",
        ),
    ]
    assert result.total("osv:added") == 1
    assert result.total("osv:unchanged") == 1


def test_refused_records_are_reported_and_the_rest_imports(tmp_path: Path) -> None:
    write_json(tmp_path / "in/good.json", lxml_record())
    write_json(
        tmp_path / "in/bad.json",
        osv("X-1", affected("p", {"introduced": "0"}, range_type="NUMERIC")),
    )
    write_json(tmp_path / "in/none.json", {"id": "X-2", "modified": "2026-01-01T00:00:00Z"})
    (tmp_path / "in/README.md").write_text("skipped")
    write_json(tmp_path / "in/schema.json", {"$schema": "x"})  # not a vulnerability document
    result = run_import(tmp_path / "state", tmp_path / "in")
    assert [(Path(r.location).name, r.reason) for r in result.refused] == [
        (
            "bad.json",
            "X-1: affected[0]: ranges[0]: type: expected one of ECOSYSTEM, SEMVER, "
            "GIT, got 'NUMERIC'",
        ),
    ]
    assert result.notes == (
        f"{tmp_path / 'in/none.json'}: X-2 has no affected packages; it matches nothing",
    )
    assert result.total("osv:added") == 2
    assert result.total("skipped") == 2


def test_explicit_unrecognised_file_is_refused(tmp_path: Path) -> None:
    result = run_import(tmp_path / "state", write_json(tmp_path / "x.json", {"hello": 1}))
    assert result.refused[0].reason == (
        "expected an OSV record (id, modified), a KEV catalogue (vulnerabilities[] with cveID) "
        "or a CSAF document (document.tracking), got none of them"
    )


def test_missing_path_imports_nothing(tmp_path: Path) -> None:
    good = write_json(tmp_path / "r.json", lxml_record())
    with pytest.raises(InputError) as raised:
        run_import(tmp_path / "state", good, tmp_path / "missing")
    assert str(raised.value) == (
        f"{tmp_path / 'missing'}: does not exist; expected a file or directory to import"
    )
    assert not database_path(tmp_path / "state").exists()


def test_kev_and_csaf_storage(tmp_path: Path) -> None:
    kev_file = write_json(
        tmp_path / "known_exploited_vulnerabilities.json", kev("CVE-2026-0001", "CVE-2021-44228")
    )
    write_csaf(tmp_path / "csaf/icsa-26-001-01.json", csaf("ICSA-26-001-01", "CVE-2026-0001"))
    write_csaf(tmp_path / "csaf/icsa-26-002-01.json", csaf("ICSA-26-002-01", "CVE-2026-0002"))
    write_csaf(
        tmp_path / "csaf/icsa-26-003-01.json",
        csaf("ICSA-26-003-01", "CVE-2026-0003"),
        digest="00" * 64,
    )
    result = run_import(tmp_path / "state", kev_file, tmp_path / "csaf")
    assert [(Path(r.location).name, r.reason) for r in result.refused] == [
        (
            "icsa-26-003-01.json",
            "SHA-512 does not match icsa-26-003-01.json.sha512: expected "
            "0000000000000000..., got " + result.refused[0].reason[-19:],
        ),
    ]
    assert result.total("kev:added") == 2
    assert result.total("csaf:added") == 2
    with open_database(tmp_path / "state", now=NOW) as db:
        entry = db.kev("CVE-2021-44228")
        assert entry is not None
        assert entry["product"] == "PLC"
        assert db.kev("CVE-1999-0001") is None
        found = db.csaf_for_cves(["CVE-2026-0001", "CVE-2026-0009"])
        assert [d["document"]["tracking"]["id"] for d in found] == ["ICSA-26-001-01"]
        assert [d["document"]["tracking"]["id"] for d in db.all_csaf()] == [
            "ICSA-26-001-01",
            "ICSA-26-002-01",
        ]
        assert db.status().kev_entries == 2


def test_csaf_newer_release_replaces(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_import(state, write_csaf(tmp_path / "a/x.json", csaf("ICSA-1", "CVE-2026-0001")))
    result = run_import(
        state,
        write_csaf(
            tmp_path / "b/x.json", csaf("ICSA-1", "CVE-2026-0002", released="2026-01-09T00:00:00Z")
        ),
    )
    assert result.total("csaf:updated") == 1
    with open_database(state, now=NOW) as db:
        assert db.csaf_for_cves(["CVE-2026-0001"]) == []
        assert len(db.csaf_for_cves(["CVE-2026-0002"])) == 1


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            {"catalogVersion": "1", "vulnerabilities": {}},
            "KEV: expected vulnerabilities to be a list",
        ),
        (
            {
                "catalogVersion": "1",
                "dateReleased": "2026-01-01T00:00:00Z",
                "vulnerabilities": [{"cveID": "CVE-2026-0001"}, {"cve": "CVE-2026-0002"}],
            },
            "KEV: vulnerabilities[1].cveID: expected a CVE id such as CVE-2021-44228, got None",
        ),
    ],
)
def test_kev_of_the_wrong_shape_is_refused_whole(
    tmp_path: Path, document: Any, reason: str
) -> None:
    result = run_import(tmp_path / "state", write_json(tmp_path / "kev.json", document))
    assert [r.reason for r in result.refused] == [reason]
    with open_database(tmp_path / "state", now=NOW) as db:
        assert db.status().kev_entries == 0


def test_zip_export_and_its_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export = tmp_path / "all.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("PYSEC-9.json", __import__("json").dumps(lxml_record()))
        archive.writestr("README", "x")
    assert run_import(tmp_path / "state", export).total("osv:added") == 1
    monkeypatch.setattr("provenance.vulnerabilities.importer.MAX_ZIP_MEMBERS", 1)
    result = run_import(tmp_path / "state2", export)
    assert [r.reason for r in result.refused] == ["expected at most 1 members, got 2"]
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    result = run_import(tmp_path / "state2", tmp_path / "broken.zip")
    assert result.refused[0].reason == "expected a readable zip archive, got File is not a zip file"


def test_missing_corrupt_and_newer_databases(tmp_path: Path) -> None:
    with pytest.raises(VulnDatabaseError) as raised:
        open_database(tmp_path / "none", now=NOW)
    assert "does not exist; expected one imported with `provenance vulndb import`" in str(
        raised.value
    )
    state = tmp_path / "state"
    run_import(state, write_json(tmp_path / "r.json", lxml_record()))
    path = database_path(state)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE schema_version SET version = 99")
    connection.close()
    with pytest.raises(VulnDatabaseError) as raised:
        open_database(state, now=NOW)
    assert str(raised.value) == (
        f"vulnerability database {path}: schema version 99 was written by a newer release; "
        "expected at most 1: upgrade provenance, or import into another state directory"
    )
    with pytest.raises(VulnDatabaseError):  # import refuses it too, and changes nothing
        run_import(state, write_json(tmp_path / "r.json", lxml_record()))
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(VulnDatabaseError) as raised:
        open_database(state, now=NOW)
    assert str(raised.value).startswith(
        f"vulnerability database {path}: corrupted or not a "
        "SQLite database (file is not a database)"
    )
    assert path.read_bytes() == b"this is not a database" * 100  # left for inspection
    assert isinstance(raised.value, InputError)


def test_disk_full_mid_import_leaves_the_previous_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    run_import(state, write_json(tmp_path / "first/r.json", lxml_record()))
    before = database_path(state).read_bytes()
    for number in range(300):
        write_json(
            tmp_path / f"big/R-{number}.json",
            osv(f"R-{number}", affected(f"p{number}", versions=[f"1.{v}" for v in range(300)])),
        )
    real_connect = database_module._connect

    def small_disk(path: Path, mode: Any) -> sqlite3.Connection:
        connection = real_connect(path, mode)
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages + 20}")  # "disk full" soon
        return connection

    monkeypatch.setattr(database_module, "_connect", small_disk)
    with pytest.raises(VulnDatabaseError) as raised:
        run_import(state, tmp_path / "big")
    assert (
        "input/output failure while importing (database or disk is full); nothing was "
        "committed, the previous database is intact" in str(raised.value)
    )
    monkeypatch.undo()
    assert database_path(state).read_bytes() == before
    assert matched_ids(state, LXML) == ["PYSEC-9"]


def test_an_exception_mid_import_rolls_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    run_import(state, write_json(tmp_path / "first/r.json", lxml_record()))
    for number in range(5):
        write_json(
            tmp_path / f"more/R-{number}.json", osv(f"R-{number}", affected("x", versions=["1"]))
        )
    real = database_module.ImportWriter.put_osv
    calls = []

    def crash_on_third(self: Any, *args: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # stands for a kill between two writes
        return real(self, *args)

    monkeypatch.setattr(database_module.ImportWriter, "put_osv", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        run_import(state, tmp_path / "more")
    monkeypatch.undo()
    with open_database(state, now=NOW) as db:
        status = db.status()
    assert status.records == 1
    assert len(status.sources) == 1
