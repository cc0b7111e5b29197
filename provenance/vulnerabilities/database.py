"""The offline vulnerability database: one SQLite file, `<state>/vulndb.sqlite`.

What it holds:
- `records`: OSV records (canonical JSON), newest `modified` per id; `affected` indexes every
  `affected[]` entry by (base ecosystem, normalised package key); `aliases` by alias (CVE ids).
  Matching reads neither whole documents nor other packages' entries: `records.head` holds
  the record's fields outside `affected` that parsing reads, `affected.fields` the entry's
  (`osv_records.record_head`, `affected_fields`), both re-parsed as strictly as at import,
  and `affected.tables` the entry's bisection tables (`stored_tables`), read instead of the
  fields wherever they decide.
- `kev`: CISA KEV entries by CVE; `csaf` + `csaf_cve`: CSAF documents (raw JSON) by tracking id
  and the CVEs they name. Interpreting KEV and CSAF is the advisories side's job.
- `sources`: what was imported from where and when, with counts; `source_provenance`: each
  source's digest (`snapshot.SourceManifest`) and how its documents were verified (CSAF:
  signed, hash-only, unverified; `advisory_signatures`). Created by the first import that
  writes it; a database imported before it existed has no snapshot digest ("unrecorded").
- `schema_version`: one row. A newer version is refused, never downgraded.

Writes (`ImportWriter`) run in one `BEGIN IMMEDIATE` transaction: a crash, a full disk or a
refused input leaves the previous database exactly as it was. Inside it, each input file is a
savepoint, so one refused file (a corrupt zip) is undone alone and reported.

Replacement rules: an OSV record replaces the stored one only when its `modified` is newer
(equal: unchanged, so re-import is idempotent; older: kept out). A withdrawn record is stored
(its aliases stay findable) but no longer matches. A CSAF document replaces the stored one
only when its `current_release_date` is newer. KEV entries are replaced as given.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

from provenance.errors import InputError
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.file_modes import PRIVATE_FILE_MODE
from provenance.sqlite_codes import (
    SQLITE_BUSY,
    SQLITE_CANTOPEN,
    SQLITE_CORRUPT,
    SQLITE_FULL,
    SQLITE_IOERR,
    SQLITE_LOCKED,
    SQLITE_NOTADB,
    SQLITE_PERM,
    SQLITE_READONLY,
    primary_code,
)
from provenance.vulnerabilities.matching import (
    ComponentRef,
    MatchResult,
    PackageEntries,
    match_components,
)
from provenance.vulnerabilities.osv_ranges import CompiledEntry, compile_entry
from provenance.vulnerabilities.osv_records import (
    InvalidRecord,
    OsvRecord,
    affected_fields,
    canonical_json,
    format_timestamp,
    parse_affected,
    parse_record,
    read_head,
    record_head,
)
from provenance.vulnerabilities.stored_tables import read_stored_tables, tables_of

__all__ = [
    "APPLICATION_ID",
    "DATABASE_FILE",
    "SCHEMA_VERSION",
    "DatabaseStatus",
    "ImportWriter",
    "SourceStatus",
    "StoreOutcome",
    "VulnDatabase",
    "VulnDatabaseError",
    "database_path",
    "open_database",
    "open_for_import",
]

DATABASE_FILE = "vulndb.sqlite"
SCHEMA_VERSION = 1
# `PRAGMA application_id`: "PVDB" in ASCII; marks the file as this database.
APPLICATION_ID = 0x50564442
BUSY_TIMEOUT_SECONDS = 10.0

StoreOutcome = Literal["added", "updated", "unchanged", "older"]
# Added within schema version 1 before any release; `_check_schema` asks for them.
_MATCHING_COLUMNS = (("records", "head"), ("affected", "fields"), ("affected", "tables"))

_SCHEMA = (
    f"PRAGMA application_id = {APPLICATION_ID}",
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    f"INSERT INTO schema_version (version) VALUES ({SCHEMA_VERSION})",  # noqa: S608 (a constant)
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        location TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        newest_data TEXT,
        added INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        unchanged INTEGER NOT NULL,
        older INTEGER NOT NULL,
        refused INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE records (
        id TEXT PRIMARY KEY,
        modified TEXT NOT NULL,
        withdrawn TEXT,
        source_id INTEGER NOT NULL REFERENCES sources (id),
        document TEXT NOT NULL,
        head TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE affected (
        record_id TEXT NOT NULL REFERENCES records (id),
        entry INTEGER NOT NULL,
        ecosystem TEXT NOT NULL,
        package_key TEXT NOT NULL,
        fields TEXT NOT NULL,
        tables TEXT,
        PRIMARY KEY (record_id, entry)
    )
    """,
    # Matching reads a package's entries in (record, entry) order: the index holds it.
    "CREATE INDEX affected_by_package ON affected (ecosystem, package_key, record_id, entry)",
    """
    CREATE TABLE aliases (
        record_id TEXT NOT NULL REFERENCES records (id),
        alias TEXT NOT NULL,
        PRIMARY KEY (record_id, alias)
    )
    """,
    "CREATE INDEX aliases_by_alias ON aliases (alias)",
    """
    CREATE TABLE kev (
        cve TEXT PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources (id),
        entry TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE csaf (
        tracking_id TEXT PRIMARY KEY,
        current_release_date TEXT NOT NULL,
        source_id INTEGER NOT NULL REFERENCES sources (id),
        document TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE csaf_cve (
        tracking_id TEXT NOT NULL REFERENCES csaf (tracking_id),
        cve TEXT NOT NULL,
        PRIMARY KEY (tracking_id, cve)
    )
    """,
    "CREATE INDEX csaf_cve_by_cve ON csaf_cve (cve)",
    # csaf_matching.advisory_keys: the look-up keys under which a component can match it.
    """
    CREATE TABLE csaf_key (
        tracking_id TEXT NOT NULL REFERENCES csaf (tracking_id),
        key TEXT NOT NULL,
        PRIMARY KEY (tracking_id, key)
    )
    """,
    "CREATE INDEX csaf_key_by_key ON csaf_key (key)",
)
# Added after schema version 1 was in use (no release): created on import where missing.
_PROVENANCE_TABLE = """
    CREATE TABLE IF NOT EXISTS source_provenance (
        source_id INTEGER PRIMARY KEY REFERENCES sources (id),
        digest TEXT NOT NULL,
        verification TEXT NOT NULL
    )
"""


class VulnDatabaseError(InputError):
    """The vulnerability database is missing, corrupted, newer than this release, or cannot be
    written (disk full, read-only); exit code 2, nothing decided."""


def database_path(state_dir: Path) -> Path:
    return state_dir.expanduser().absolute() / DATABASE_FILE


# -- status -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceStatus:
    kind: str  # "osv", "kev", "csaf"
    location: str
    imported_at: datetime
    newest_data: datetime | None  # newest modified/release date, capped at imported_at
    added: int
    updated: int
    unchanged: int
    older: int
    refused: int
    digest: str | None = None  # the source's manifest digest; None: imported before it existed
    # How its documents were verified: {"signed": n, "hash-only": n, "unverified": n,
    # "not-signed": n (OSV, KEV: formats without signatures), "keys": [fingerprint, ...]}
    verification: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DatabaseStatus:
    path: Path
    schema_version: int
    records: int
    withdrawn: int
    records_per_ecosystem: dict[str, int]
    kev_entries: int
    csaf_documents: int
    sources: tuple[SourceStatus, ...]
    newest_data: datetime | None
    age: timedelta | None  # now - newest_data; None for an empty database
    snapshot: str | None = None  # `snapshot.snapshot_digest`; None if any source lacks one


# -- errors -------------------------------------------------------------------------------


@contextmanager
def _sqlite_errors(path: Path, doing: str) -> Iterator[None]:
    """SQLite failures of the file itself -> `VulnDatabaseError`; API misuse stays a bug."""
    try:
        yield
    except sqlite3.Error as exc:
        primary = primary_code(exc)
        if primary is None:
            raise
        if primary in (SQLITE_NOTADB, SQLITE_CORRUPT):
            raise VulnDatabaseError(
                f"vulnerability database {path}: corrupted or not a SQLite database ({exc}) "
                f"while {doing}; expected a database written by `provenance vulndb import`; "
                "the file was left as it is: move it away and import the data again"
            ) from exc
        if primary in (SQLITE_FULL, SQLITE_IOERR):
            raise VulnDatabaseError(
                f"vulnerability database {path}: input/output failure while {doing} ({exc}); "
                "nothing was committed, the previous database is intact; expected a working "
                "disk with free space"
            ) from exc
        if primary in (SQLITE_BUSY, SQLITE_LOCKED):
            raise VulnDatabaseError(
                f"vulnerability database {path}: locked by another process while {doing} "
                f"(waited {BUSY_TIMEOUT_SECONDS:g} s); expected it free: retry when the other "
                "import has finished"
            ) from exc
        if primary in (SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN):
            raise VulnDatabaseError(
                f"vulnerability database {path}: access refused while {doing} ({exc}); "
                "expected a readable (and, to import, writable) file"
            ) from exc
        raise


def _connect(path: Path, mode: Literal["ro", "rw", "rwc"]) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit)."""
    uri = f"file:{quote(str(path))}?mode={mode}"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)


def _check_schema(connection: sqlite3.Connection, path: Path) -> int:
    tables = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    if "schema_version" not in tables or application_id != APPLICATION_ID:
        raise VulnDatabaseError(
            f"vulnerability database {path}: not a provenance vulnerability database "
            f"(application id {application_id:#x}, tables {sorted(tables)[:5]}); expected one "
            "written by `provenance vulndb import`; the file was left as it is"
        )
    rows = connection.execute("SELECT version FROM schema_version").fetchall()
    if len(rows) != 1 or not isinstance(rows[0][0], int):
        raise VulnDatabaseError(
            f"vulnerability database {path}: schema_version holds {rows!r}; expected one integer"
        )
    version: int = rows[0][0]
    if version > SCHEMA_VERSION:
        raise VulnDatabaseError(
            f"vulnerability database {path}: schema version {version} was written by a newer "
            f"release; expected at most {SCHEMA_VERSION}: upgrade provenance, or import into "
            "another state directory"
        )
    if version < 1:
        raise VulnDatabaseError(
            f"vulnerability database {path}: schema version {version}; expected 1 to "
            f"{SCHEMA_VERSION}"
        )
    for table, column in _MATCHING_COLUMNS:
        names = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column not in names:
            # Written by a development build before the column existed (none was released).
            raise VulnDatabaseError(
                f"vulnerability database {path}: table {table} has no column {column}; "
                "expected the current schema: import the data again into a fresh state directory"
            )
    return version


# -- reading ------------------------------------------------------------------------------


def open_database(state_dir: Path, *, now: datetime) -> VulnDatabase:
    """The database in `state_dir`, read-only. Raises `VulnDatabaseError` (an `InputError`)
    if it is missing, corrupted or newer than this release."""
    path = database_path(state_dir)
    if not path.is_file():
        raise VulnDatabaseError(
            f"vulnerability database {path}: does not exist; expected one imported with "
            "`provenance vulndb import` (or `vulndb sync --online`) into this state directory"
        )
    with _sqlite_errors(path, "opening it"):
        connection = _connect(path, "ro")
        try:
            version = _check_schema(connection, path)
            connection.execute("PRAGMA query_only = ON")
        except BaseException:
            connection.close()
            raise
    return VulnDatabase(path, connection, version, now)


class VulnDatabase:
    """Read access. `now` is the clock for `status()` and `database_age()`."""

    def __init__(
        self, path: Path, connection: sqlite3.Connection, version: int, now: datetime
    ) -> None:
        self.path = path
        self._connection = connection
        self._version = version
        self._now = now
        self._package_keys: frozenset[tuple[str, str]] | None = None

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> VulnDatabase:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        with _sqlite_errors(self.path, "reading it"):
            return self._connection.execute(sql, parameters).fetchall()

    # -- OSV ----------------------------------------------------------------------------

    def package_keys(self) -> frozenset[tuple[str, str]]:
        """Every (ecosystem, package_key) some non-withdrawn record names (loaded once: lets
        matching skip the query for the many components no record names)."""
        if self._package_keys is None:
            rows = self._rows(
                "SELECT DISTINCT a.ecosystem, a.package_key FROM affected a "
                "JOIN records r ON r.id = a.record_id WHERE r.withdrawn IS NULL"
            )
            self._package_keys = frozenset((row[0], row[1]) for row in rows)
        return self._package_keys

    def package_entries(self, ecosystem: str, key: str, *, complete: bool) -> PackageEntries:
        """The package's non-withdrawn records (heads only) and their entries for it, by
        record id then entry (`matching.PackageIndex`): each entry read from its stored
        tables where it has them and `complete` is False, else compiled from its fields."""
        rows = self._rows(
            # The fields only where they are read; the index gives the order.
            "SELECT r.id, r.modified, r.head, a.entry, a.tables, "
            "CASE WHEN a.tables IS NULL OR ? THEN a.fields END FROM affected a "
            "JOIN records r ON r.id = a.record_id "
            "WHERE a.ecosystem = ? AND a.package_key = ? AND r.withdrawn IS NULL "
            "ORDER BY a.record_id, a.entry",
            (complete, ecosystem, key),
        )
        heads: list[OsvRecord] = []
        entries: list[CompiledEntry] = []
        owners: list[int] = []
        previous = None
        try:
            for record_id, modified, head, index, tables, fields in rows:
                if record_id != previous:
                    heads.append(read_head(load_json(head), record_id, modified))
                    previous = record_id
                if tables is not None and not complete:
                    entries.append(read_stored_tables(tables, index, record_id))
                else:
                    entry = parse_affected(load_json(fields), index, record_id)
                    entries.append(compile_entry(entry))
                owners.append(len(heads) - 1)
        except (MalformedJson, InvalidRecord) as exc:
            raise self._unparsable(str(exc)) from exc
        return PackageEntries.build(heads, entries, owners)

    def fixed_versions(self, record_id: str, entry: int) -> tuple[str, ...]:
        """The `fixed` event versions of one affected entry's version ranges (a GIT range's
        are commits, not versions anyone installs), in order, each once."""
        rows = self._rows(
            "SELECT fields FROM affected WHERE record_id = ? AND entry = ?", (record_id, entry)
        )
        if not rows:
            return ()
        try:
            affected = parse_affected(load_json(rows[0][0]), entry, record_id)
        except (MalformedJson, InvalidRecord) as exc:
            raise self._unparsable(str(exc)) from exc
        fixed = (
            e.value
            for r in affected.ranges
            if r.type != "GIT"
            for e in r.events
            if e.kind == "fixed"
        )
        return tuple(dict.fromkeys(fixed))

    def record(self, record_id: str) -> OsvRecord | None:
        """The stored record, withdrawn or not."""
        rows = self._rows("SELECT document FROM records WHERE id = ?", (record_id,))
        return self._parse(rows[0][0]) if rows else None

    def records_for_alias(self, alias: str) -> list[OsvRecord]:
        """Records whose id or aliases name `alias` (e.g. a CVE id), withdrawn ones included."""
        rows = self._rows(
            "SELECT document FROM records WHERE id = ? UNION "
            "SELECT r.document FROM aliases s JOIN records r ON r.id = s.record_id "
            "WHERE s.alias = ?",
            (alias, alias),
        )
        return sorted((self._parse(row[0]) for row in rows), key=lambda record: record.id)

    def _parse(self, document: str, record_id: str | None = None) -> OsvRecord:
        try:
            record = parse_record(load_json(document))
        except (MalformedJson, InvalidRecord) as exc:
            raise self._unparsable(str(exc)) from exc
        if record_id is not None and record.id != record_id:
            raise self._unparsable(f"a head for {record_id} names {record.id}")
        return record

    def _unparsable(self, reason: str) -> VulnDatabaseError:
        return VulnDatabaseError(
            f"vulnerability database {self.path}: a stored record does not parse ({reason}); "
            "expected only records that passed import: the file was changed outside "
            "provenance; import the data again into a fresh state directory"
        )

    def match(self, components: Iterable[ComponentRef]) -> MatchResult:
        """`matching.match_components(self, components)`: see there."""
        return match_components(self, components)

    # -- KEV and CSAF (raw; interpreted by the advisories side) ---------------------------

    def kev(self, cve: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT entry FROM kev WHERE cve = ?", (cve,))
        return self._json(rows[0][0]) if rows else None

    def csaf_for_cves(self, cves: Iterable[str]) -> list[dict[str, Any]]:
        """CSAF documents naming any of `cves`, each once, by tracking id."""
        return [document for _, document in self._csaf_where("csaf_cve", "cve", cves)]

    def csaf_filed_under(self, keys: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
        """(tracking id, document) of the CSAF advisories filed under any of `keys`
        (`csaf_matching.component_keys`), each once, by tracking id."""
        return self._csaf_where("csaf_key", "key", keys)

    def _csaf_where(
        self, table: Literal["csaf_cve", "csaf_key"], column: Literal["cve", "key"],
        values: Iterable[str],
    ) -> list[tuple[str, dict[str, Any]]]:  # fmt: skip
        wanted = sorted(set(values))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), 500):  # under SQLite's parameter limit
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = (
                "SELECT c.tracking_id, c.document FROM csaf c WHERE c.tracking_id IN "  # noqa: S608 (names are literals, values ? marks)
                f"(SELECT tracking_id FROM {table} WHERE {column} IN ({marks}))"
            )
            for tracking_id, document in self._rows(query, chunk):
                if tracking_id not in found:
                    found[tracking_id] = self._json(document)
        return sorted(found.items())

    def all_csaf(self) -> Iterator[dict[str, Any]]:
        """Every stored CSAF document, by tracking id."""
        for (document,) in self._rows("SELECT document FROM csaf ORDER BY tracking_id"):
            yield self._json(document)

    def _json(self, text: str) -> dict[str, Any]:
        try:
            value = load_json(text)
        except MalformedJson as exc:
            raise VulnDatabaseError(
                f"vulnerability database {self.path}: stored JSON does not parse ({exc})"
            ) from exc
        if not isinstance(value, dict):
            raise VulnDatabaseError(
                f"vulnerability database {self.path}: stored JSON is not an object"
            )
        return value

    # -- status -------------------------------------------------------------------------

    def _provenance(self) -> dict[int, tuple[str, dict[str, Any]]]:
        """source id -> (digest, verification), for the sources that have them."""
        tables = {row[0] for row in self._rows("SELECT name FROM sqlite_master WHERE type='table'")}
        if "source_provenance" not in tables:
            return {}
        return {
            source_id: (digest, self._json(verification))
            for source_id, digest, verification in self._rows(
                "SELECT source_id, digest, verification FROM source_provenance"
            )
        }

    def snapshot(self) -> str | None:
        """The digest over every imported source (`snapshot.snapshot_digest`), or None when a
        source was imported before digests were kept (or nothing was imported)."""
        from provenance.vulnerabilities.snapshot import snapshot_digest  # noqa: PLC0415

        provenance = self._provenance()
        ids = [row[0] for row in self._rows("SELECT id FROM sources ORDER BY id")]
        if not ids or any(source_id not in provenance for source_id in ids):
            return None
        return snapshot_digest([provenance[source_id][0] for source_id in ids])

    def newest_data(self) -> datetime | None:
        rows = self._rows(
            "SELECT max(min(coalesce(newest_data, imported_at), imported_at)) FROM sources"
        )
        return _parse_time(rows[0][0]) if rows and rows[0][0] else None

    def database_age(self, now: datetime | None = None) -> timedelta | None:
        """How old the newest imported data is (`now` defaults to the database's clock);
        None for an empty database. For policy's `max_db_age_days`."""
        newest = self.newest_data()
        return None if newest is None else (now or self._now) - newest

    def status(self) -> DatabaseStatus:
        per_ecosystem = dict(
            self._rows(
                "SELECT a.ecosystem, count(DISTINCT a.record_id) FROM affected a "
                "JOIN records r ON r.id = a.record_id WHERE r.withdrawn IS NULL "
                "GROUP BY a.ecosystem ORDER BY a.ecosystem"
            )
        )
        ((records, withdrawn),) = self._rows("SELECT count(*), count(withdrawn) FROM records")
        ((kev,),) = self._rows("SELECT count(*) FROM kev")
        ((csaf,),) = self._rows("SELECT count(*) FROM csaf")
        provenance = self._provenance()
        sources = tuple(
            SourceStatus(
                kind=row[0],
                location=row[1],
                imported_at=_parse_time(row[2]),
                newest_data=_parse_time(row[3]) if row[3] else None,
                added=row[4],
                updated=row[5],
                unchanged=row[6],
                older=row[7],
                refused=row[8],
                digest=provenance[row[9]][0] if row[9] in provenance else None,
                verification=provenance[row[9]][1] if row[9] in provenance else {},
            )
            for row in self._rows(
                "SELECT kind, location, imported_at, newest_data, added, updated, unchanged, "
                "older, refused, id FROM sources ORDER BY id"
            )
        )
        newest = self.newest_data()
        return DatabaseStatus(
            path=self.path,
            schema_version=self._version,
            records=records,
            withdrawn=withdrawn,
            records_per_ecosystem=per_ecosystem,
            kev_entries=kev,
            csaf_documents=csaf,
            sources=sources,
            newest_data=newest,
            age=None if newest is None else self._now - newest,
            snapshot=self.snapshot(),
        )


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


# -- writing ------------------------------------------------------------------------------


@contextmanager
def open_for_import(state_dir: Path, *, now: datetime) -> Iterator[ImportWriter]:
    """One write transaction over the database in `state_dir` (created if missing): committed
    when the block ends normally, rolled back on any exception."""
    path = database_path(state_dir)
    if not path.exists():
        # Owner-only, like the rest of the state directory; SQLite would use the umask.
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    with _sqlite_errors(path, "opening it for import"):
        connection = _connect(path, "rw")
    try:
        with _sqlite_errors(path, "importing"):
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("BEGIN IMMEDIATE")
            try:
                if connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
                    for statement in _SCHEMA:
                        connection.execute(statement)
                _check_schema(connection, path)
                connection.execute(_PROVENANCE_TABLE)
                yield ImportWriter(connection, path, now)
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
    finally:
        connection.close()


class ImportWriter:
    """Stores parsed items inside the import transaction (see `open_for_import`)."""

    def __init__(self, connection: sqlite3.Connection, path: Path, now: datetime) -> None:
        self._connection = connection
        self.path = path
        self._now = format_timestamp(now)
        self._savepoints = 0

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo the block's writes alone if it raises (one refused input file)."""
        self._savepoints += 1
        name = f"input_{self._savepoints}"
        self._connection.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            # SQLite may already have rolled the whole transaction back (disk full).
            if self._connection.in_transaction:
                self._connection.execute(f"ROLLBACK TO {name}")
                self._connection.execute(f"RELEASE {name}")
            raise
        self._connection.execute(f"RELEASE {name}")

    def begin_source(self, kind: str, location: str) -> int:
        cursor = self._connection.execute(
            "INSERT INTO sources (kind, location, imported_at, added, updated, unchanged, older, "
            "refused) VALUES (?, ?, ?, 0, 0, 0, 0, 0)",
            (kind, location, self._now),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_source(
        self, source_id: int, counts: dict[str, int], newest_data: str | None
    ) -> None:
        self._connection.execute(
            "UPDATE sources SET newest_data = ?, added = ?, updated = ?, unchanged = ?, "
            "older = ?, refused = ? WHERE id = ?",
            (
                newest_data,
                counts.get("added", 0),
                counts.get("updated", 0),
                counts.get("unchanged", 0),
                counts.get("older", 0),
                counts.get("refused", 0),
                source_id,
            ),
        )

    def record_provenance(self, source_id: int, digest: str, verification: dict[str, Any]) -> None:
        self._connection.execute(
            "INSERT OR REPLACE INTO source_provenance (source_id, digest, verification) "
            "VALUES (?, ?, ?)",
            (source_id, digest, canonical_json(verification)),
        )

    def put_osv(self, record: OsvRecord, document: Any, source_id: int) -> StoreOutcome:
        execute = self._connection.execute
        row = execute("SELECT modified FROM records WHERE id = ?", (record.id,)).fetchone()
        if row is not None:
            if row[0] == record.modified:
                return "unchanged"
            if row[0] > record.modified:
                return "older"
            execute("DELETE FROM affected WHERE record_id = ?", (record.id,))
            execute("DELETE FROM aliases WHERE record_id = ?", (record.id,))
            execute("DELETE FROM records WHERE id = ?", (record.id,))
        execute(
            "INSERT INTO records (id, modified, withdrawn, source_id, document, head) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.modified,
                record.withdrawn,
                source_id,
                canonical_json(document),
                canonical_json(record_head(document)),
            ),
        )
        entries = document.get("affected", [])
        self._connection.executemany(
            "INSERT INTO affected (record_id, entry, ecosystem, package_key, fields, tables) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    record.id,
                    a.index,
                    a.base_ecosystem,
                    a.package_key,
                    canonical_json(affected_fields(entries[a.index])),
                    tables_of(a),
                )
                for a in record.affected
            ],
        )
        self._connection.executemany(
            "INSERT OR IGNORE INTO aliases (record_id, alias) VALUES (?, ?)",
            [(record.id, alias) for alias in record.aliases],
        )
        return "added" if row is None else "updated"

    def put_kev(self, cve: str, entry: Any, source_id: int) -> StoreOutcome:
        text = canonical_json(entry)
        row = self._connection.execute("SELECT entry FROM kev WHERE cve = ?", (cve,)).fetchone()
        if row is not None and row[0] == text:
            return "unchanged"
        self._connection.execute(
            "INSERT OR REPLACE INTO kev (cve, source_id, entry) VALUES (?, ?, ?)",
            (cve, source_id, text),
        )
        return "added" if row is None else "updated"

    def put_csaf(
        self,
        tracking_id: str,
        release_date: str,
        cves: Sequence[str],
        document: Any,
        source_id: int,
        *,
        keys: Sequence[str] = (),
    ) -> StoreOutcome:
        execute = self._connection.execute
        row = execute(
            "SELECT current_release_date FROM csaf WHERE tracking_id = ?", (tracking_id,)
        ).fetchone()
        if row is not None:
            if row[0] == release_date:
                return "unchanged"
            if row[0] > release_date:
                return "older"
            execute("DELETE FROM csaf_cve WHERE tracking_id = ?", (tracking_id,))
            execute("DELETE FROM csaf_key WHERE tracking_id = ?", (tracking_id,))
            execute("DELETE FROM csaf WHERE tracking_id = ?", (tracking_id,))
        execute(
            "INSERT INTO csaf (tracking_id, current_release_date, source_id, document) "
            "VALUES (?, ?, ?, ?)",
            (tracking_id, release_date, source_id, canonical_json(document)),
        )
        self._connection.executemany(
            "INSERT OR IGNORE INTO csaf_cve (tracking_id, cve) VALUES (?, ?)",
            [(tracking_id, cve) for cve in cves],
        )
        self._connection.executemany(
            "INSERT OR IGNORE INTO csaf_key (tracking_id, key) VALUES (?, ?)",
            [(tracking_id, key) for key in keys],
        )
        return "added" if row is None else "updated"
