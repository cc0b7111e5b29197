"""An OSV `affected` entry's tables, kept in the database at import so that matching does not
parse and sort the entry again on every run.

Compiling an entry (`osv_ranges.compile_entry`: parse the JSON, check every field, order the
event versions, walk them) is the slow part of a first match: tens of microseconds an entry,
and a 50,000-component SBOM meets thousands of entries. Its result for the common case
(`CompiledEntry.scheme` set: every range in PyPI, Go, crates.io or npm order, no `limit`)
is small, so the importer stores it beside the entry, as canonical JSON:

    {"form": 1, "scheme": "PyPI", "git": false,
     "listed": [...], "pep440": [...],      # listed versions the tables do not cover, and
                                            # their PEP 440 normal forms (`_not_covered`)
     "tables": [[detail prefix, start, [version, ...], [at, ...], [above, ...]], ...],
     "severity": [[type, score], ...]}      # the entry's own

Reading it back (`read_stored_tables`) gives a `CompiledEntry` whose `complete` is False:
where its tables do not decide (a component version the scheme cannot order; a commit, and
the entry has a GIT range) matching compiles the entry from its stored fields instead. A form
that does not read back exactly (another format, a changed file, versions out of order) raises
`InvalidRecord`, which the database reports as a database problem: nothing is decided on it.
"""

from __future__ import annotations

import json
from itertools import repeat
from operator import lt
from typing import Any

from provenance.vulnerabilities.osv_ranges import (
    BISECTABLE_SCHEMES,
    CompiledEntry,
    Outcome,
    Probe,
    Table,
    compile_entry,
    evaluate,
)
from provenance.vulnerabilities.osv_records import Affected, InvalidRecord, Severity, canonical_json
from provenance.vulnerabilities.versions import UncomparableVersion, VersionKey, version_key

__all__ = ["FORM", "read_stored_tables", "stored_tables", "tables_of"]

FORM = 1  # the layout above; another value is refused (import the data again)
_STR = frozenset({str})
_BOOL = frozenset({bool})


def tables_of(entry: Affected) -> str | None:
    """What the importer stores for `entry`: `stored_tables(compile_entry(entry))`, without
    compiling the entries whose ranges are never in a bisectable order (Maven, Debian)."""
    if not entry.ranges or not all(
        item.type in ("SEMVER", "GIT") or entry.base_ecosystem in BISECTABLE_SCHEMES
        for item in entry.ranges
    ):
        return None
    return stored_tables(compile_entry(entry))


def stored_tables(compiled: CompiledEntry) -> str | None:
    """The stored form of `compiled`; None where its tables never decide alone."""
    if compiled.scheme is None or not compiled.complete:
        return None
    listed = _not_covered(compiled)
    return canonical_json(
        {
            "form": FORM,
            "scheme": compiled.scheme,
            "git": compiled.has_git,
            "listed": listed,
            "pep440": sorted({form for v in listed if (form := Probe(v).pep440) is not None})
            if compiled.listed_pep440
            else [],
            "tables": [
                [
                    prefix,
                    table.start,
                    list(table.texts),
                    list(table.at),
                    list(table.above),
                ]
                for table, prefix in compiled.tables
            ],
            "severity": [[item.type, item.score] for item in compiled.severity],
        }
    )


def _not_covered(compiled: CompiledEntry) -> list[str]:
    """The listed versions the tables do not already say are affected (sorted). A version
    the tables cover is dropped: wherever the stored tables are read, a component version
    equal to it (as written or, for PyPI, by PEP 440) orders equal to it, so the tables
    answer AFFECTED for it ("range" rather than "versions"). Upstream lists mostly repeat
    the ranges, and they are most of what would be stored and read. Kept whole when the
    PEP 440 forms would be compared outside PEP 440 order (a PyPI entry with SEMVER ranges)."""
    if compiled.listed_pep440 and compiled.scheme != "PyPI":
        return sorted(compiled.listed)
    kept = []
    for version in sorted(compiled.listed):
        probe = Probe(version)
        if not (
            compiled.tables_decide(probe)
            and evaluate(compiled, probe, use_list=False).outcome is Outcome.AFFECTED
        ):
            kept.append(version)
    return kept


def read_stored_tables(text: str, index: int, record_id: str) -> CompiledEntry:
    """The entry `stored_tables` wrote, tables only; raises `InvalidRecord` saying what is
    wrong. Every value is checked for type, and each table's versions for strict order."""
    where = f"{record_id}: affected[{index}]"
    try:
        form = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidRecord(f"{where}: stored tables are not JSON ({exc})") from exc
    if type(form) is not dict or form.get("form") != FORM:
        raise InvalidRecord(f"{where}: stored tables: expected form {FORM}")
    scheme = form.get("scheme")
    git = form.get("git")
    listed: Any = form.get("listed")
    pep440: Any = form.get("pep440")
    if (
        scheme not in BISECTABLE_SCHEMES
        or type(git) is not bool
        or not _strings(listed)
        or not _strings(pep440)
    ):
        raise InvalidRecord(
            f"{where}: stored tables: expected a scheme, a GIT flag and version lists"
        )
    return CompiledEntry(
        index=index,
        listed=frozenset(listed),
        listed_pep440=frozenset(pep440),
        ranges=(),
        scheme=scheme,
        tables=tuple(_table(item, scheme, where) for item in _list(form.get("tables"), where)),
        has_git=git,
        severity=tuple(_severity(item, where) for item in _list(form.get("severity"), where)),
        complete=False,
    )


def _strings(value: Any) -> bool:
    return type(value) is list and set(map(type, value)) <= _STR


def _booleans(value: Any) -> bool:
    return type(value) is list and set(map(type, value)) <= _BOOL


def _list(value: Any, where: str) -> list[Any]:
    if type(value) is not list:
        raise InvalidRecord(f"{where}: stored tables: expected lists")
    return value


def _table(item: Any, scheme: str, where: str) -> tuple[Table, str]:
    wrong = f"{where}: stored tables: expected [prefix, start, versions, at, above]"
    if type(item) is not list or len(item) != 5:
        raise InvalidRecord(wrong)
    prefix, start, texts, at, above = item
    if (
        type(prefix) is not str
        or type(start) is not bool
        or not _strings(texts)
        or not _booleans(at)
        or not _booleans(above)
        or not len(texts) == len(at) == len(above)
    ):
        raise InvalidRecord(wrong)
    try:
        keys: tuple[VersionKey, ...] = tuple(map(version_key, repeat(scheme), texts))
    except UncomparableVersion as exc:
        raise InvalidRecord(f"{where}: stored tables: {exc}") from exc
    # Bisection is only right over strictly increasing keys.
    if not all(map(lt, keys, keys[1:])):
        raise InvalidRecord(f"{where}: stored tables: versions out of order")
    return Table(keys, tuple(at), tuple(above), start, tuple(texts)), prefix


def _severity(item: Any, where: str) -> Severity:
    if type(item) is not list or len(item) != 2 or not _strings(item) or not all(item):
        raise InvalidRecord(f"{where}: stored tables: expected [type, score]")
    return Severity(item[0], item[1])
