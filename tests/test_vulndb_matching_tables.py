"""The structures that make matching fast give the answers of the plain algorithm: bisection
tables against an event-by-event walk, `evaluate_many` against `evaluate` per entry, and the
per-package projections and stored tables the database keeps (and refuses when missing or
tampered with)."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from provenance.vulnerabilities.database import VulnDatabaseError, database_path, open_database
from provenance.vulnerabilities.importer import import_paths
from provenance.vulnerabilities.matching import ComponentRef
from provenance.vulnerabilities.osv_ranges import (
    Outcome,
    Probe,
    compile_entry,
    evaluate,
    evaluate_many,
)
from provenance.vulnerabilities.osv_records import Affected, parse_record
from provenance.vulnerabilities.osv_sweep import evaluate_versions
from provenance.vulnerabilities.stored_tables import read_stored_tables, tables_of
from provenance.vulnerabilities.versions import UncomparableVersion, version_key
from tests.vulndb_helpers import affected, osv, write_json

NOW = datetime(2026, 2, 1, tzinfo=UTC)
_TIE = {"introduced": 0, "fixed": 1, "last_affected": 1}

# Versions per ecosystem, including order-equal spellings (PEP 440 `1.0` == `1.0.0`),
# pre-releases, Go's `+incompatible` and strings no scheme orders.
_VERSIONS = {
    "PyPI": ["0.0.1", "0.9", "1.0", "1.0.0", "1.0.post1", "1.1rc1", "1.1", "2.0", "2.0.0.0", "3"],
    "Go": ["0.0.0-0", "0.1.0", "1.0.0-rc.1", "1.0.0", "1.2.0", "2.0.0+incompatible", "3.1.4"],
    "crates.io": ["0.0.1", "0.1.0-alpha", "0.1.0", "1.0.0", "1.0.1", "2.0.0-beta.2", "2.0.0"],
}


def _walk(events: list[tuple[str, str]], ecosystem: str, version: str) -> bool:
    """OSV's evaluation, spelled out: sort (0 first, ties introduced first), then walk."""
    current = version_key(ecosystem, version)
    zero = [kind for kind, value in events if kind == "introduced" and value == "0"]
    rest = [
        (version_key(ecosystem, value), _TIE[kind], kind)
        for kind, value in events
        if not (kind == "introduced" and value == "0")
    ]
    rest.sort(key=lambda item: item[1])
    rest.sort(key=lambda item: item[0])
    affected_now = bool(zero)
    for key, _, kind in rest:
        if current < key:
            break
        if kind == "introduced":
            affected_now = True
        elif kind == "fixed" or (kind == "last_affected" and key != current):
            affected_now = False
    return affected_now


def _entry(ecosystem: str, *events: tuple[str, str], **kwargs: Any) -> Affected:
    return parse_record(
        osv(
            "TEST-1",
            affected(
                "pkg", *({kind: value} for kind, value in events), ecosystem=ecosystem, **kwargs
            ),
        )
    ).affected[0]


@pytest.mark.parametrize("ecosystem", sorted(_VERSIONS))
def test_bisection_tables_agree_with_the_walk(ecosystem: str) -> None:
    rng = random.Random(f"tables-{ecosystem}")
    pool = _VERSIONS[ecosystem]
    probes = [*pool, "0.0.0", "9.9.9"]
    compared = 0
    for _ in range(400):
        events = [("introduced", rng.choice(["0", *pool]))]
        for _ in range(rng.randint(0, 5)):
            events.append((rng.choice(["introduced", "fixed", "last_affected"]), rng.choice(pool)))
        rng.shuffle(events)
        if not any(kind == "introduced" for kind, _ in events):
            continue
        compiled = compile_entry(_entry(ecosystem, *events))
        assert compiled.scheme == ecosystem  # the table path is the one under test
        for version in probes:
            try:
                expected = _walk(events, ecosystem, version)
            except UncomparableVersion:
                continue
            got = evaluate(compiled, version, use_list=False).outcome
            assert got is (Outcome.AFFECTED if expected else Outcome.NOT_AFFECTED), (
                events,
                version,
            )
            compared += 1
    assert compared > 2000


def test_last_affected_includes_its_own_version_and_order_equal_spellings() -> None:
    compiled = compile_entry(_entry("PyPI", ("introduced", "1.0"), ("last_affected", "2.0")))
    assert evaluate(compiled, "2.0.0").detail == (
        "ranges[0]: ECOSYSTEM range introduced 1.0, last_affected 2.0 contains 2.0.0"
    )
    assert evaluate(compiled, "2.0.post1").outcome is Outcome.NOT_AFFECTED
    assert evaluate(compiled, "1.0.0").outcome is Outcome.AFFECTED
    assert evaluate(compiled, "0.9").outcome is Outcome.NOT_AFFECTED


def _git_entry() -> Affected:
    events = [{"introduced": "abc123"}, {"fixed": "def456"}]
    entry = affected("pkg", ecosystem="PyPI")
    entry["ranges"] = [{"type": "GIT", "repo": "https://example.org/r", "events": events}]
    return parse_record(osv("TEST-2", entry)).affected[0]


def _mixed_entries() -> list[Affected]:
    return [
        _entry("PyPI", ("introduced", "0"), ("fixed", "1.1"), versions=["1.0", "1.0.post1"]),
        _entry("PyPI", ("introduced", "2.0"), ("limit", "3")),  # a limit: the full steps
        _entry("PyPI", versions=["2.0"]),  # a list alone
        _entry("PyPI"),  # neither ranges nor versions: undetermined
        _git_entry(),
        _entry("PyPI", ("introduced", "not-a-version")),  # an event no scheme orders
        _entry("PyPI", ("introduced", "0"), ("fixed", "2.0.0"), range_type="SEMVER"),
    ]


@pytest.mark.parametrize(
    ("version", "commit"),
    [
        ("1.0.0", None),
        ("1.0", None),
        ("2", None),
        ("2.5", None),
        ("3", None),
        ("not a version", None),
        (None, None),
        (None, "ABC123"),
        ("2.5", "abc123"),
        ("0.5", "def456"),
    ],
)
def test_evaluate_many_gives_evaluate_s_answers(version: str | None, commit: str | None) -> None:
    entries = [compile_entry(entry) for entry in _mixed_entries()]
    probe = Probe(version, commit)
    expected = [
        (position, verdict)
        for position, entry in enumerate(entries)
        if (verdict := evaluate(entry, Probe(version, commit))).outcome is not Outcome.NOT_AFFECTED
    ]
    assert evaluate_many(entries, probe) == expected
    assert expected  # every probe here meets at least one answer worth reporting


# -- the database's projections -----------------------------------------------------------


def _two_package_record(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    document = osv(
        "PYSEC-7",
        affected("other", {"introduced": "0"}, {"fixed": "1.0"}),
        affected("lxml", {"introduced": "0"}, {"fixed": "5.0"}),
        aliases=["CVE-2026-0007"],
        summary="lxml and other",
        details="long text matching never reads",
    )
    result = import_paths([write_json(tmp_path / "r.json", document)], state_dir=state, now=NOW)
    assert result.total("osv:added") == 1
    return state


@pytest.mark.parametrize("complete", [False, True])
def test_package_entries_hold_only_that_package_s_entries(tmp_path: Path, complete: bool) -> None:
    state = _two_package_record(tmp_path)
    with open_database(state, now=NOW) as db:
        package = db.package_entries("PyPI", "lxml", complete=complete)
        whole = db.record("PYSEC-7")
        matched = list(db.match([ComponentRef("lxml", "4.0", "pkg:pypi/lxml@4.0")]).pairs())
    assert whole is not None
    ((record,), (entry,)) = package.records, package.entries
    assert (entry.index, entry.complete, package.owners, package.cves) == (
        1,
        complete,
        (0,),
        (("CVE-2026-0007",),),
    )
    compiled = compile_entry(whole.affected[1])
    assert (entry.listed, entry.scheme, entry.tables) == (
        compiled.listed,
        compiled.scheme,
        compiled.tables,
    )
    assert (record.id, record.aliases, record.summary, record.modified, record.affected) == (
        whole.id,
        whole.aliases,
        whole.summary,
        whole.modified,
        (),
    )
    ((_, match),) = matched
    assert (match.record_id, match.affected_index, match.cves) == ("PYSEC-7", 1, ("CVE-2026-0007",))


@pytest.mark.parametrize("ecosystem", sorted(_VERSIONS))
def test_stored_tables_give_the_compiled_entry_s_answers(ecosystem: str) -> None:
    rng = random.Random(f"stored-{ecosystem}")
    pool = _VERSIONS[ecosystem]
    compared = dropped = 0
    for number in range(300):
        events = [("introduced", rng.choice(["0", *pool]))]
        events += [
            (rng.choice(["introduced", "fixed", "last_affected"]), rng.choice(pool))
            for _ in range(rng.randint(0, 5))
        ]
        listed = rng.sample(pool, rng.randint(0, 2))
        entry = _entry(ecosystem, *events, versions=listed)
        form = tables_of(entry)
        assert form is not None
        stored = read_stored_tables(form, entry.index, f"TEST-{number}")
        assert not stored.complete
        compiled = compile_entry(entry)
        # A listed version the tables cover is not stored: the tables answer for it.
        assert stored.listed <= compiled.listed
        for version in [*pool, "0.0.0", "9.9.9"]:
            probe = Probe(version)
            if not stored.tables_decide(probe):
                continue
            got, expected = evaluate(stored, probe), evaluate(compiled, version)
            if got != expected:
                assert (got.outcome, got.kind, expected.kind) == (
                    Outcome.AFFECTED,
                    "range",
                    "versions",
                ), (events, listed, version)
                dropped += 1
            compared += 1
    assert compared > 2000
    assert dropped > 20  # the case above is met


def test_listed_versions_outside_the_ranges_are_kept() -> None:
    # PEP 440 spellings of a covered version match through the tables; an upstream list
    # naming a version outside every range still matches by the list.
    entry = _entry("PyPI", ("introduced", "1.0"), ("fixed", "2.0"), versions=["1.5", "3.0"])
    form = tables_of(entry)
    assert form is not None
    stored = read_stored_tables(form, 0, "TEST-1")
    assert (stored.listed, stored.listed_pep440) == (frozenset({"3.0"}), frozenset({"3"}))
    assert [evaluate(stored, version).detail for version in ("1.5.0", "3.0.0", "3")] == [
        "ranges[0]: ECOSYSTEM range introduced 1.0, fixed 2.0 contains 1.5.0",
        "version 3.0.0 is listed as affected",
        "version 3 is listed as affected",
    ]


def test_stored_tables_are_not_kept_where_they_never_decide() -> None:
    for entry in _mixed_entries():
        compiled = compile_entry(entry)
        assert (tables_of(entry) is None) is (compiled.scheme is None)
    maven = _entry("Maven", ("introduced", "0"), ("fixed", "1.2"))
    assert tables_of(maven) is None


def test_where_stored_tables_cannot_decide_matching_reads_the_entry_in_full(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    entry = affected("pkg", {"introduced": "1.0"}, {"fixed": "2.0"})
    entry["ranges"].append(
        {"type": "GIT", "repo": "https://example.org/r", "events": [{"introduced": "abc123"}]}
    )
    document = osv("PYSEC-8", entry)
    import_paths([write_json(tmp_path / "r.json", document)], state_dir=state, now=NOW)
    components = [
        ComponentRef("pkg", "1.5", "pkg:pypi/pkg@1.5"),  # the tables decide
        ComponentRef("pkg", "not a version", "pkg:pypi/pkg@not%20a%20version"),
        ComponentRef("pkg", "0.5", "pkg:pypi/pkg@0.5", commit="abc123"),  # the GIT range
        ComponentRef("pkg", "0.5", "pkg:pypi/pkg@0.5"),  # not affected
    ]
    with open_database(state, now=NOW) as db:
        (stored,) = db.package_entries("PyPI", "pkg", complete=False).entries
        result = db.match(components)
    assert not stored.complete
    assert [
        (f.component.version, f.component.commit, f.matches[0].kind) for f in result.findings
    ] == [
        ("1.5", None, "range"),
        ("not a version", None, "undetermined"),
        ("0.5", "abc123", "git-commit"),
    ]


def test_an_incomplete_entry_is_never_evaluated_past_its_tables() -> None:
    entry = _entry("PyPI", ("introduced", "1.0"), ("fixed", "2.0"))
    form = tables_of(entry)
    assert form is not None
    stored = read_stored_tables(form, 0, "TEST-1")
    with pytest.raises(ValueError, match="only its tables are known"):
        evaluate(stored, "not a version")
    with pytest.raises(ValueError, match="only its tables are known"):
        evaluate_many([stored], Probe(None))


_STORED = "UPDATE affected SET tables = ? WHERE entry = 1"


@pytest.mark.parametrize(
    ("sql", "value", "reason"),
    [
        (
            _STORED,
            '{"form": 1}',
            "PYSEC-7: affected[1]: stored tables: expected a scheme, a GIT flag and version lists",
        ),
        (_STORED, '{"form": 2}', "PYSEC-7: affected[1]: stored tables: expected form 1"),
        (
            _STORED,
            '{"form":1,"git":false,"listed":[],"pep440":[],"scheme":"PyPI","severity":[],'
            '"tables":[["p",false,["5.0","1.0"],[true,false],[true,false]]]}',
            "PYSEC-7: affected[1]: stored tables: versions out of order",
        ),
        (
            _STORED,
            '{"form":1,"git":false,"listed":[],"pep440":[],"scheme":"PyPI","severity":[],'
            '"tables":[["p",false,["x y"],[true],[true]]]}',
            "PYSEC-7: affected[1]: stored tables: expected a PEP 440 version, got 'x y'",
        ),
        (_STORED, "[", "PYSEC-7: affected[1]: stored tables are not JSON"),
        # With no stored tables the fields are read, as strictly as at import.
        (
            "UPDATE affected SET fields = ?, tables = NULL WHERE entry = 1",
            '{"package": 1}',
            "PYSEC-7: affected[1]: package: expected an object, got a int",
        ),
    ],
)
def test_a_tampered_projection_is_refused(
    tmp_path: Path, sql: str, value: str, reason: str
) -> None:
    state = _two_package_record(tmp_path)
    path = database_path(state)
    with sqlite3.connect(path) as connection:
        connection.execute(sql, (value,))
    connection.close()
    with open_database(state, now=NOW) as db, pytest.raises(VulnDatabaseError) as raised:
        db.match([ComponentRef("lxml", "4.0", "pkg:pypi/lxml@4.0")])
    assert str(raised.value).startswith(
        f"vulnerability database {path}: a stored record does not parse ({reason}"
    )
    assert "expected only records that passed import" in str(raised.value)


@pytest.mark.parametrize("column", ["fields", "tables"])
def test_a_database_without_the_projection_columns_is_refused(tmp_path: Path, column: str) -> None:
    state = _two_package_record(tmp_path)
    path = database_path(state)
    with sqlite3.connect(path) as connection:
        connection.execute(f"ALTER TABLE affected DROP COLUMN {column}")
    connection.close()
    with pytest.raises(VulnDatabaseError) as raised:
        open_database(state, now=NOW)
    assert str(raised.value) == (
        f"vulnerability database {path}: table affected has no column {column}; expected the "
        "current schema: import the data again into a fresh state directory"
    )


# -- all of a package's versions at once ---------------------------------------------------


@pytest.mark.parametrize("ecosystem", sorted(_VERSIONS))
def test_evaluate_versions_gives_evaluate_many_s_answers_for_each_version(ecosystem: str) -> None:
    rng = random.Random(f"sweep-{ecosystem}")
    pool = _VERSIONS[ecosystem]
    probes_pool = [*pool, "0.0.0", "9.9.9", "not a version", None]
    compared = 0
    for _ in range(60):
        entries = []
        for _ in range(rng.randint(1, 8)):
            events = [("introduced", rng.choice(["0", *pool]))]
            events += [
                (rng.choice(["introduced", "fixed", "last_affected"]), rng.choice(pool))
                for _ in range(rng.randint(0, 4))
            ]
            listed = rng.sample(pool, rng.randint(0, 2))
            entries.append(compile_entry(_entry(ecosystem, *events, versions=listed)))
        entries += [compile_entry(entry) for entry in rng.sample(_mixed_entries(), 2)]
        probes = [
            Probe(rng.choice(probes_pool), rng.choice([None, None, "abc123", "def456"]))
            for _ in range(rng.randint(1, 12))
        ]
        swept = evaluate_versions(entries, probes)
        assert swept == [evaluate_many(entries, probe) for probe in probes]
        compared += sum(map(len, swept))
    assert compared > 500


def test_evaluate_versions_reads_stored_tables_where_they_decide() -> None:
    entry = _entry("PyPI", ("introduced", "1.0"), ("fixed", "2.0"), versions=["0.5"])
    form = tables_of(entry)
    assert form is not None
    stored = read_stored_tables(form, 0, "TEST-1")
    probes = [Probe("1.5"), Probe("0.5"), Probe("2.0"), Probe("1.0.0")]
    assert evaluate_versions([stored], probes) == [
        evaluate_many([compile_entry(entry)], probe) for probe in probes
    ]
    with pytest.raises(ValueError, match="only its tables are known"):
        evaluate_versions([stored], [Probe("not a version")])
