"""OSV records (https://ossf.github.io/osv-schema/), parsed strictly into immutable objects
(named tuples where matching builds many).

Input is untrusted (files carried in on removable media, downloaded exports). Outcomes:

- Not JSON/YAML, not an object, a required field missing or of the wrong type, an event with
  other than exactly one of introduced/fixed/last_affected/limit, a timestamp that is not
  RFC 3339, a version that is not a string (YAML reads `1.10` as the number 1.1): the record
  is refused with `InvalidRecord` naming the field.
- A range type other than ECOSYSTEM, SEMVER or GIT: refused (the schema defines no other;
  guessing how to order it could turn "affected" into "not affected").
- No `affected` (allowed by the schema, e.g. an alias-only record): accepted; it matches no
  component and the import reports it.
- Versions that the ecosystem cannot order are kept as written; evaluating a range that needs
  them is "undetermined" (`osv_ranges`), never "not affected".
- Fields this module does not read (`database_specific`, `credits`, ...) are ignored, so newer
  schema minor versions still import.

YAML is read with PyYAML's safe loader (the libyaml one when available); aliases are refused
(a shared node seen twice), which also rules out alias-expansion blow-ups.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, NamedTuple

import yaml

from provenance.evidence.json_input import MalformedJson, load_json
from provenance.vulnerabilities.packages import base_ecosystem, package_key

__all__ = [
    "MAX_AFFECTED",
    "MAX_RECORD_BYTES",
    "Affected",
    "Event",
    "InvalidRecord",
    "OsvRecord",
    "Range",
    "Severity",
    "affected_fields",
    "canonical_json",
    "format_timestamp",
    "load_document",
    "parse_affected",
    "parse_record",
    "parse_timestamp",
    "read_head",
    "record_head",
]

# Limits: far above the largest real record (PYSEC records with thousands of versions are
# ~100 KB) and low enough that a hostile file cannot exhaust memory.
MAX_RECORD_BYTES = 8 * 1024 * 1024
MAX_AFFECTED = 10_000
MAX_VERSIONS = 200_000
MAX_EVENTS = 10_000
MAX_ID_LENGTH = 200
MAX_YAML_NESTING = 64

EventKind = Literal["introduced", "fixed", "last_affected", "limit"]
RangeType = Literal["ECOSYSTEM", "SEMVER", "GIT"]
_EVENT_KINDS: tuple[EventKind, ...] = ("introduced", "fixed", "last_affected", "limit")
_RANGE_TYPES: tuple[RangeType, ...] = ("ECOSYSTEM", "SEMVER", "GIT")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]*")

_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class InvalidRecord(ValueError):
    """The document is not an OSV record this module accepts; the message says which field."""


class Event(NamedTuple):
    kind: EventKind
    value: str


class Range(NamedTuple):
    type: RangeType
    events: tuple[Event, ...]
    repo: str | None = None


class Severity(NamedTuple):
    """A severity the record states: `type` CVSS_V2/CVSS_V3/CVSS_V4/Ubuntu, `score` the
    vector (scoring it is the advisories side's job)."""

    type: str
    score: str


@dataclass(frozen=True, slots=True)
class Affected:
    index: int  # position in the record's `affected` list
    ecosystem: str  # as written, e.g. "Debian:12"
    base_ecosystem: str  # before the first ":", e.g. "Debian"; what matching compares
    name: str
    package_key: str
    purl: str | None
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]
    severity: tuple[Severity, ...]


@dataclass(frozen=True, slots=True)
class OsvRecord:
    id: str
    modified: str  # `format_timestamp`: UTC, fixed width (text order is time order)
    published: str | None
    withdrawn: str | None
    aliases: tuple[str, ...]
    summary: str
    affected: tuple[Affected, ...]
    severity: tuple[Severity, ...]

    @property
    def cves(self) -> tuple[str, ...]:
        """The CVE ids among the record's id and aliases."""
        return tuple(name for name in (self.id, *self.aliases) if name.startswith("CVE-"))


# -- reading bytes ------------------------------------------------------------------------


def load_document(data: bytes, name: str, *, limit: int = MAX_RECORD_BYTES) -> Any:
    """JSON (or YAML when `name` ends in .yaml/.yml) -> plain JSON-compatible data.
    Raises `InvalidRecord`."""
    if len(data) > limit:
        raise InvalidRecord(f"expected at most {limit} bytes, got {len(data)}")
    if name.endswith((".yaml", ".yml")):
        try:
            loaded = yaml.load(data, Loader=_YamlLoader)  # noqa: S506 (a safe loader)
        except yaml.YAMLError as exc:
            raise InvalidRecord(f"expected YAML, got {' '.join(str(exc).split())}") from exc
        except ValueError as exc:
            # PyYAML builds values as it parses: an impossible date (2026-02-30) or an integer
            # of more than 4,300 digits fails in `datetime` or `int`, not in the parser.
            huge = "integer string conversion" in str(exc)
            got = "an integer of more than 4,300 digits" if huge else f"an impossible date ({exc})"
            raise InvalidRecord(f"expected YAML values that exist, got {got}") from exc
        return _plain(loaded, set(), 0)
    try:
        return load_json(data)
    except MalformedJson as exc:
        raise InvalidRecord(f"expected JSON, got {exc}") from exc


def _plain(value: Any, seen: set[int], depth: int) -> Any:
    """YAML values -> JSON values: timestamps become RFC 3339 text, aliases are refused."""
    if depth > MAX_YAML_NESTING:
        raise InvalidRecord(f"expected YAML nested at most {MAX_YAML_NESTING} deep")
    if isinstance(value, dict | list):
        if id(value) in seen:
            raise InvalidRecord("expected YAML without anchors and aliases, got an alias")
        seen.add(id(value))
        if isinstance(value, list):
            return [_plain(item, seen, depth + 1) for item in value]
        plain: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidRecord(f"expected string keys, got {type(key).__name__} {key!r}")
            plain[key] = _plain(item, seen, depth + 1)
        return plain
    if isinstance(value, datetime):
        return format_timestamp(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        raise InvalidRecord(f"expected an RFC 3339 date-time, got the date {value.isoformat()}")
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise InvalidRecord(f"expected JSON-compatible YAML, got {type(value).__name__}")


def canonical_json(document: Any) -> str:
    """The form records are stored in: sorted keys, no whitespace."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# -- the record ---------------------------------------------------------------------------

# What `parse_record` reads, outside `affected` and inside each entry: the database stores
# these projections beside the whole document so that matching parses only what it needs.
_HEAD_FIELDS = ("id", "modified", "published", "withdrawn", "aliases", "summary", "severity")
_ENTRY_FIELDS = ("ranges", "versions", "severity")
_PACKAGE_FIELDS = ("ecosystem", "name", "purl")


def record_head(document: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a parsed record's document that `parse_record` reads, `affected` left
    out (parsing it gives the same record with no entries)."""
    return {key: document[key] for key in _HEAD_FIELDS if key in document}


def affected_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of one parsed `affected` entry that `parse_affected` reads."""
    kept = {key: entry[key] for key in _ENTRY_FIELDS if key in entry}
    package = entry["package"]
    kept["package"] = {key: package[key] for key in _PACKAGE_FIELDS if key in package}
    return kept


def parse_record(document: Any) -> OsvRecord:
    """A parsed OSV record; raises `InvalidRecord` naming the field that is wrong."""
    if not isinstance(document, Mapping):
        raise InvalidRecord(f"expected an OSV record (a JSON object), got {_kind(document)}")
    record_id = _string(document, "id", "id")
    if len(record_id) > MAX_ID_LENGTH or not _ID.fullmatch(record_id):
        raise InvalidRecord(f"id: expected an identifier such as PYSEC-2021-1, got {record_id!r}")
    where = record_id
    modified = parse_timestamp(document.get("modified"), f"{where}: modified")
    affected_raw = document.get("affected", [])
    if not isinstance(affected_raw, list):
        raise InvalidRecord(f"{where}: affected: expected a list, got {_kind(affected_raw)}")
    if len(affected_raw) > MAX_AFFECTED:
        raise InvalidRecord(f"{where}: affected: expected at most {MAX_AFFECTED} entries")
    summary = document.get("summary", "")
    if not isinstance(summary, str):
        raise InvalidRecord(f"{where}: summary: expected a string, got {_kind(summary)}")
    return OsvRecord(
        id=record_id,
        modified=modified,
        published=_optional_timestamp(document.get("published"), f"{where}: published"),
        withdrawn=_optional_timestamp(document.get("withdrawn"), f"{where}: withdrawn"),
        aliases=_strings(document.get("aliases", []), f"{where}: aliases", MAX_AFFECTED),
        summary=summary,
        affected=tuple(
            parse_affected(entry, index, record_id) for index, entry in enumerate(affected_raw)
        ),
        severity=_severities(document.get("severity", []), f"{where}: severity"),
    )


def read_head(document: Any, record_id: str, modified: str) -> OsvRecord:
    """A stored head (`record_head`) as matching reads it, checked as strictly as
    `parse_record` checks those fields; the id, `modified` (normalised) and withdrawal come
    from the database's indexed columns, so `published` and `withdrawn` are left None and
    `affected` empty. Raises `InvalidRecord`."""
    if not isinstance(document, Mapping) or document.get("id") != record_id:
        raise InvalidRecord(f"{record_id}: expected the head of record {record_id}")
    summary = document.get("summary", "")
    if not isinstance(summary, str):
        raise InvalidRecord(f"{record_id}: summary: expected a string, got {_kind(summary)}")
    return OsvRecord(
        record_id,
        modified,
        None,
        None,
        _strings(document.get("aliases", []), f"{record_id}: aliases", MAX_AFFECTED),
        summary,
        (),
        _severities(document.get("severity", []), f"{record_id}: severity"),
    )


def parse_affected(entry: Any, index: int, record_id: str) -> Affected:
    """Entry `index` of record `record_id`'s `affected` list (`parse_record` calls it; the
    database re-reads the stored entries of one package with it). Raises `InvalidRecord`."""
    where = f"{record_id}: affected[{index}]"
    if not isinstance(entry, Mapping):
        raise InvalidRecord(f"{where}: expected an object, got {_kind(entry)}")
    package = entry.get("package")
    if not isinstance(package, Mapping):
        raise InvalidRecord(f"{where}: package: expected an object, got {_kind(package)}")
    ecosystem = _string(package, "ecosystem", f"{where}: package.ecosystem")
    name = _string(package, "name", f"{where}: package.name")
    purl = package.get("purl")
    if purl is not None and not isinstance(purl, str):
        raise InvalidRecord(f"{where}: package.purl: expected a string, got {_kind(purl)}")
    ranges_raw = entry.get("ranges", [])
    if not isinstance(ranges_raw, list):
        raise InvalidRecord(f"{where}: ranges: expected a list, got {_kind(ranges_raw)}")
    # Locations are formatted only on failure: matching parses thousands of entries.
    ranges = tuple(_range(item, where, number) for number, item in enumerate(ranges_raw))
    return Affected(
        index=index,
        ecosystem=ecosystem,
        base_ecosystem=base_ecosystem(ecosystem),
        name=name,
        package_key=package_key(ecosystem, name),
        purl=purl,
        ranges=ranges,
        versions=_strings(entry.get("versions", []), f"{where}: versions", MAX_VERSIONS),
        severity=_severities(entry.get("severity", []), f"{where}: severity"),
    )


def _range(item: Any, entry_where: str, number: int) -> Range:
    where = f"{entry_where}: ranges[{number}]"
    if not isinstance(item, Mapping):
        raise InvalidRecord(f"{where}: expected an object, got {_kind(item)}")
    range_type = item.get("type")
    if range_type not in _RANGE_TYPES:
        raise InvalidRecord(
            f"{where}: type: expected one of {', '.join(_RANGE_TYPES)}, got {range_type!r}"
        )
    repo = item.get("repo")
    if repo is not None and not isinstance(repo, str):
        raise InvalidRecord(f"{where}: repo: expected a string, got {_kind(repo)}")
    if range_type == "GIT" and repo is None:
        raise InvalidRecord(f"{where}: repo: expected the repository of a GIT range, got none")
    events_raw = item.get("events")
    if not isinstance(events_raw, list) or not events_raw or len(events_raw) > MAX_EVENTS:
        raise InvalidRecord(
            f"{where}: events: expected a list of 1 to {MAX_EVENTS} events, got {_kind(events_raw)}"
        )
    events = tuple(_event(event, where, n) for n, event in enumerate(events_raw))
    if not any(event.kind == "introduced" for event in events):
        raise InvalidRecord(f"{where}: events: expected an 'introduced' event, got none")
    return Range(range_type, events, repo)


def _event(event: Any, range_where: str, number: int) -> Event:
    if isinstance(event, dict) and len(event) == 1:
        ((kind, value),) = event.items()
        if kind in _EVENT_KINDS and isinstance(value, str) and value:
            return Event(kind, value)
    where = f"{range_where}: events[{number}]"
    if not isinstance(event, Mapping) or len(event) != 1:
        raise InvalidRecord(
            f"{where}: expected an object with exactly one of {', '.join(_EVENT_KINDS)}, got "
            f"{_kind(event) if not isinstance(event, Mapping) else sorted(event)}"
        )
    ((kind, value),) = event.items()
    if kind not in _EVENT_KINDS:
        raise InvalidRecord(f"{where}: expected one of {', '.join(_EVENT_KINDS)}, got {kind!r}")
    if not isinstance(value, str) or not value:
        raise InvalidRecord(f"{where}: {kind}: expected a version string, got {_kind(value)}")
    return Event(kind, value)


def _severities(raw: Any, where: str) -> tuple[Severity, ...]:
    if not isinstance(raw, list):
        raise InvalidRecord(f"{where}: expected a list, got {_kind(raw)}")
    found: list[Severity] = []
    for number, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise InvalidRecord(f"{where}[{number}]: expected an object, got {_kind(item)}")
        found.append(
            Severity(
                type=_string(item, "type", f"{where}[{number}].type"),
                score=_string(item, "score", f"{where}[{number}].score"),
            )
        )
    return tuple(found)


def _string(mapping: Mapping[str, Any], key: str, where: str) -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidRecord(f"{where}: expected a non-empty string, got {_kind(value)}")
    return value


def _strings(raw: Any, where: str, limit: int) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise InvalidRecord(f"{where}: expected a list of strings, got {_kind(raw)}")
    if len(raw) > limit:
        raise InvalidRecord(f"{where}: expected at most {limit} entries, got {len(raw)}")
    for item in raw:
        if not isinstance(item, str):
            raise InvalidRecord(f"{where}: expected strings, got {_kind(item)} {item!r}")
    return tuple(raw)


def _optional_timestamp(value: Any, where: str) -> str | None:
    return None if value is None else parse_timestamp(value, where)


def parse_timestamp(value: Any, where: str) -> str:
    """An RFC 3339 timestamp with a zone -> `format_timestamp` text; raises `InvalidRecord`."""
    if not isinstance(value, str):
        raise InvalidRecord(f"{where}: expected an RFC 3339 timestamp, got {_kind(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRecord(f"{where}: expected an RFC 3339 timestamp, got {value!r}") from exc
    if moment.tzinfo is None:
        raise InvalidRecord(f"{where}: expected a timestamp with a time zone, got {value!r}")
    return format_timestamp(moment)


def format_timestamp(moment: datetime) -> str:
    """UTC, fixed width, microseconds: text order is time order, even for year 1 (Go's
    `modified: 0001-01-01T00:00:00Z`), which `strftime("%Y")` would not pad."""
    # `isoformat` pads the year to four digits and, with this timespec, always prints the
    # microseconds: YYYY-MM-DDTHH:MM:SS.ffffff.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )
