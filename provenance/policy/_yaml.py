"""YAML that remembers where every value came from.

A policy decides what may enter a control network, so every problem in it is reported with
the file, line and column that caused it, and the loader refuses the parts of YAML that make a
file read differently from how it looks. This module is generic: it turns a YAML file into
plain JSON-compatible data (for JSON Schema) plus an index from each value's path to its
position, which later tools (`provenance policy lint`) reuse for semantic problems.

Algorithm (`load_yaml_file`):
1. Refuse anything that is not a regular file, or is larger than the caller's limit.
2. Decode as strict UTF-8; an undecodable byte is reported at its line and column.
3. Compose the node graph with PyYAML's pure-Python SafeLoader (node positions are kept; the
   C loader cannot refuse anchors), refusing anchors, aliases and nesting deeper than
   `MAX_NESTING_DEPTH` while composing.
4. Convert nodes to JSON-compatible values, refusing duplicate keys (PyYAML keeps the last one
   silently), keys that are not strings, merge keys, and any type JSON does not have
   (timestamps, binary, sets, custom tags).

Why no anchors, aliases or merge keys: a reviewer approves a policy by reading it top to
bottom. An alias makes a value appear where its text does not, so editing the anchor silently
widens trust in every place that refers to it, and `<<` merges are overridden by local keys in
ways that are easy to misread. Refusing them also rules out alias-expansion blow-ups
("billion laughs").
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Protocol, TypeAlias

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, Event, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from provenance.errors import PolicyError

__all__ = [
    "MAX_NESTING_DEPTH",
    "JsonPath",
    "JsonValue",
    "Mark",
    "NodeInfo",
    "YamlDocument",
    "describe_value",
    "format_path",
    "load_yaml_file",
]

# Deeper than any sane configuration; bounds the recursive composer so that a file of nested
# brackets is a reported error instead of a RecursionError.
MAX_NESTING_DEPTH = 32

JsonValue: TypeAlias = dict[str, "JsonValue"] | list["JsonValue"] | str | int | float | bool | None
JsonPath: TypeAlias = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT = (_TAG + t for t in ("str", "null", "bool", "int", "float"))
_MAP, _SEQ, _MERGE = _TAG + "map", _TAG + "seq", _TAG + "merge"
_YAML_TYPE_NAMES = {_NULL: "null", _BOOL: "a boolean", _INT: "an integer", _FLOAT: "a number"}
_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, order=True)
class Mark:
    """A 1-based position in a text file."""

    line: int
    column: int


@dataclass(frozen=True)
class NodeInfo:
    """Where a value is written.

    `key` is the position of its mapping key (None for list items and the top level); `text`
    is a scalar as written, before YAML resolved its type (so `no` can be shown as written).
    """

    value: Mark
    key: Mark | None
    text: str | None
    yaml_type: str | None  # "a boolean", "an integer", ... for a scalar YAML did not read as text


def format_path(path: Sequence[str | int]) -> str:
    """`vendors.acme.signers[0].sigstore`; odd keys are quoted: `vendors["a.b"]`."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _SIMPLE_KEY.fullmatch(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


def describe_value(value: JsonValue) -> str:
    """A value for an error message: its type, and the value itself when it is short."""
    if isinstance(value, str):
        shown = value if len(value) <= 80 else value[:77] + "..."
        return f"string {shown!r}" if value else "an empty string"
    if isinstance(value, list | dict):
        kind = "list" if isinstance(value, list) else "mapping"
        return f"an empty {kind}" if not value else f"a {kind}"
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    return f"{'integer' if isinstance(value, int) else 'number'} {value}"


class YamlDocument:
    """A parsed file: plain data, the position of every value in it, and the SHA-256 of the
    exact bytes that were parsed (for audit records: which policy decided)."""

    def __init__(
        self,
        source: str,
        data: JsonValue,
        nodes: Mapping[JsonPath, NodeInfo],
        sha256: str = "",
    ) -> None:
        self.source = source
        self.data = data
        self.nodes = nodes
        self.sha256 = sha256

    def info(self, path: Sequence[str | int]) -> NodeInfo:
        return self.nodes[tuple(path)]

    def error(
        self,
        path: Sequence[str | int],
        problem: str,
        *,
        at: Sequence[str | int] | None = None,
        at_key: bool = False,
    ) -> PolicyError:
        """A `PolicyError` about the value at `path`: "file:line:column: path: problem".

        The position is that of the value at `at` (default: `path`), or of its mapping key if
        `at_key` and it has one (a missing key is reported where its mapping is named).
        """
        info = self.nodes.get(tuple(path if at is None else at))
        mark = None
        if info is not None:
            mark = info.key if at_key and info.key is not None else info.value
        where = format_path(path)
        return PolicyError(
            self.source,
            mark.line if mark else None,
            mark.column if mark else None,
            f"{where}: {problem}" if where else problem,
        )


class _Position(Protocol):
    line: int
    column: int


def _mark(mark: _Position | None) -> Mark:
    return Mark(mark.line + 1, mark.column + 1) if mark is not None else Mark(1, 1)


class _Refused(Exception):
    """A construct the loader refuses, at its position; becomes a `PolicyError`."""

    def __init__(self, mark: _Position | None, path: JsonPath, problem: str) -> None:
        super().__init__(problem)
        self.mark = _mark(mark)
        self.path = path
        self.problem = problem

    def to_error(self, source: str) -> PolicyError:
        prefix = f"{format_path(self.path)}: " if self.path else ""
        return PolicyError(source, self.mark.line, self.mark.column, prefix + self.problem)


class _PositionLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors, aliases and deep nesting while composing."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event: Event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in stubs
        if isinstance(event, AliasEvent):
            raise _Refused(
                event.start_mark,
                (),
                f"expected a plain value, got alias *{event.anchor}; anchors and aliases are "
                "not allowed, so that every value reads where it is written",
            )
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise _Refused(
                event.start_mark,
                (),
                f"expected a plain value, got anchor &{event.anchor}; anchors and aliases are "
                "not allowed, so that every value reads where it is written",
            )
        if isinstance(event, CollectionStartEvent):
            self._depth += 1
            if self._depth > MAX_NESTING_DEPTH:
                raise _Refused(
                    event.start_mark,
                    (),
                    f"expected at most {MAX_NESTING_DEPTH} levels of nesting, got more",
                )
        try:
            return super().compose_node(parent, index)
        finally:
            if isinstance(event, CollectionStartEvent):
                self._depth -= 1


def _text_mark(text: str, index: int) -> Mark:
    line_start = text.rfind("\n", 0, index) + 1
    return Mark(text.count("\n", 0, index) + 1, index - line_start + 1)


class _Converter:
    def __init__(self, loader: _PositionLoader) -> None:
        self.loader = loader
        self.nodes: dict[JsonPath, NodeInfo] = {}

    def convert(self, node: Node, path: JsonPath, key_mark: Mark | None) -> JsonValue:
        if isinstance(node, MappingNode) and node.tag == _MAP:
            self.nodes[path] = NodeInfo(_mark(node.start_mark), key_mark, None, None)
            return self._mapping(node, path)
        if isinstance(node, SequenceNode) and node.tag == _SEQ:
            self.nodes[path] = NodeInfo(_mark(node.start_mark), key_mark, None, None)
            return [self.convert(item, (*path, i), None) for i, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            value = self._scalar(node, path)
            yaml_type = _YAML_TYPE_NAMES.get(node.tag)
            self.nodes[path] = NodeInfo(_mark(node.start_mark), key_mark, node.value, yaml_type)
            return value
        raise _Refused(node.start_mark, path, f"expected a mapping or a list, got tag {node.tag}")

    def _scalar(self, node: ScalarNode, path: JsonPath) -> JsonValue:
        tag = node.tag
        if tag == _STR:
            return str(node.value)
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return self.loader.construct_yaml_bool(node)
        if tag == _INT:
            try:
                return self.loader.construct_yaml_int(node)
            except ValueError:  # more digits than Python converts (4,300)
                raise _Refused(
                    node.start_mark,
                    path,
                    f"expected an integer of a sensible size, got one of {len(node.value)} "
                    "characters",
                ) from None
        if tag == _FLOAT:
            return self.loader.construct_yaml_float(node)
        if tag.startswith(_TAG):
            kind = tag.removeprefix(_TAG)
            raise _Refused(
                node.start_mark,
                path,
                f"expected a string, number, boolean or null, got {node.value!r}, which YAML "
                f"reads as a {kind}; quote it to make it a string",
            )
        raise _Refused(node.start_mark, path, f"expected no YAML tag, got tag {tag!r}")

    def _mapping(self, node: MappingNode, path: JsonPath) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {}
        first_seen: dict[str, Mark] = {}
        for key_node, value_node in node.value:
            key_mark = _mark(key_node.start_mark)
            if key_node.tag == _MERGE:
                raise _Refused(
                    key_node.start_mark,
                    path,
                    "expected a key, got a merge key (<<); merge keys are not allowed, so that "
                    "every value reads where it is written",
                )
            if not isinstance(key_node, ScalarNode) or key_node.tag != _STR:
                if isinstance(key_node, ScalarNode):
                    got = f"{key_node.value!r}, which YAML reads as "
                    got += _YAML_TYPE_NAMES.get(key_node.tag, key_node.tag)
                    hint = "; quote it to make it a string"
                else:
                    got, hint = (
                        ("a list" if isinstance(key_node, SequenceNode) else "a mapping"),
                        "",
                    )
                raise _Refused(key_node.start_mark, path, f"expected a string key, got {got}{hint}")
            key = str(key_node.value)
            if key in first_seen:
                first = first_seen[key]
                raise _Refused(
                    key_node.start_mark,
                    path,
                    f"duplicate key {key!r} (first defined at line {first.line}, column "
                    f"{first.column}); expected each key once",
                )
            first_seen[key] = key_mark
            out[key] = self.convert(value_node, (*path, key), key_mark)
        return out


def _read_bytes(path: Path, source: str, max_bytes: int) -> bytes:
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a special file"
            raise PolicyError(source, None, None, f"expected a regular file, got {kind}")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise PolicyError(source, None, None, f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise PolicyError(
            source, None, None, f"expected at most {max_bytes} bytes, got a larger file"
        )
    return data


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise PolicyError(
            source, line, column, f"expected UTF-8 text, got byte 0x{data[exc.start]:02x}"
        ) from exc


def load_yaml_file(path: Path, *, max_bytes: int) -> YamlDocument:
    """Read one YAML document from `path`; every problem is a `PolicyError` with its position.

    An empty document (no content, or only comments) is an error: there is nothing to check.
    """
    source = str(path)
    raw = _read_bytes(path, source, max_bytes)
    text = _decode(raw, source)
    try:
        loader = _PositionLoader(text)
    except ReaderError as exc:
        at = _text_mark(text, int(exc.position))
        raise PolicyError(
            source,
            at.line,
            at.column,
            f"expected printable text, got control character U+{int(exc.character):04X}",
        ) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise PolicyError(source, 1, 1, "expected a YAML document, got an empty file")
        converter = _Converter(loader)
        data = converter.convert(root, (), None)
    except _Refused as exc:
        raise exc.to_error(source) from None
    except yaml.MarkedYAMLError as exc:
        at = _mark(exc.problem_mark or exc.context_mark)
        problem = exc.problem or "cannot parse"
        if exc.context and problem.startswith("but "):
            problem = f"{exc.context}, {problem}"  # "expected a single document, but found ..."
        elif exc.context:
            context = exc.context
            if exc.context_mark is not None and exc.problem_mark is not None:
                start = _mark(exc.context_mark)
                context += f" at line {start.line}, column {start.column}"
            problem += f" ({context})"
        raise PolicyError(source, at.line, at.column, f"invalid YAML: {problem}") from None
    finally:
        loader.dispose()
    sha256 = hashlib.sha256(raw).hexdigest()
    return YamlDocument(source, data, MappingProxyType(converter.nodes), sha256)
