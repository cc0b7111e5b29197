"""JSON Schema validation of a located YAML document, with errors a person can act on.

The schemas ship as package data (`provenance/policy/schema/*.schema.json`, draft 2020-12), so
an editor can validate a policy with the same file the gate uses. jsonschema's own messages
("'x' is a required property", "[] should be non-empty") name neither the position nor the
expectation in policy terms, so each keyword the schemas use is explained here in the house
form "expected X, got Y", at the position of the value (or of the key) at fault.

Why jsonschema and not jsonschema-rs: policies are small (at most `MAX_POLICY_BYTES`) and
validated once per run, so speed does not matter here, while jsonschema exposes each error's
keyword, instance path and subschema, which the explanations below need.

Two refinements of draft 2020-12, both stricter:
- `pattern`'s `$` means end of input, as in ECMA-262 (see `_ecma_end_anchors`).
- "integer" is an `int` only: JSON Schema counts 2.0 as an integer, a policy does not.

A schema may say, in the annotation keyword `x-empty`, why an empty mapping or list is refused
where a person might write one; the explanation is added to the `minProperties`/`minItems`
message.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend

from provenance.errors import PolicyError
from provenance.policy._yaml import JsonPath, JsonValue, YamlDocument, describe_value

__all__ = ["SCHEMA_V1", "load_schema", "malformed_keys", "schema_problems"]

SCHEMA_V1 = "policy-v1.schema.json"

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}
# Keywords about a mapping as a whole: redundant when the same mapping has an unknown key,
# which is usually their cause (a misspelt `identity` is also a missing one).
_WHOLE_MAPPING = frozenset({"required", "oneOf", "anyOf", "minProperties", "maxProperties"})


@functools.cache
def load_schema(name: str) -> Mapping[str, Any]:
    """A schema shipped in `provenance/policy/schema/`.

    It is checked against its meta-schema by the test suite, not here: a meta-schema check
    costs about 0.3 s, on every command that loads a policy, for a file that cannot change
    after release."""
    text = resources.files("provenance.policy").joinpath("schema", name).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _ecma_end_anchors(pattern: str) -> str:
    """Give `$` its JSON Schema (ECMA-262) meaning: end of input.

    Python's `$` also matches just before a final newline, so `^[a-z]+$` would accept
    "acme\\n". Outside character classes, each unescaped `$` becomes `\\Z`.
    """
    out: list[str] = []
    escaped = in_class = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append(r"\Z")
            continue
        out.append(char)
    return "".join(out)


@functools.lru_cache(maxsize=256)
def _compile_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(_ecma_end_anchors(pattern))


def _pattern_keyword(
    validator: Validator, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _compile_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _is_integer(checker: object, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


_PolicyValidator = extend(  # type: ignore[no-untyped-call]  # untyped in types-jsonschema
    Draft202012Validator,
    validators={"pattern": _pattern_keyword},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


@functools.cache
def _validator(name: str, pointer: str | None = None) -> Validator:
    """A validator for the schema `name`, or for the part of it at `pointer` ("#/$defs/x")."""
    schema = load_schema(name)
    if pointer is not None:
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": pointer}
    validator: Validator = _PolicyValidator(schema)
    return validator


# Problems of a mapping as a whole that leave what its keys say as it is.
_KEYS_STILL_MEAN = frozenset(
    {"additionalProperties", "minProperties", "minItems", "uniqueItems", "not"}
)


def malformed_keys(value: JsonValue, schema_name: str, pointer: str) -> frozenset[str] | None:
    """Where `value` fails the part of the schema at `pointer`: the keys (or list indexes, as
    text) whose values fail it, and the required keys it lacks; None if it fails as a whole
    (another type, another form), so that none of it can be read as meant."""
    keys: set[str] = set()
    for error in _validator(schema_name, pointer).iter_errors(value):
        if error.absolute_path:
            keys.add(str(error.absolute_path[0]))
        elif error.validator == "required" and isinstance(value, dict):
            required = cast(list[str], error.validator_value)
            keys.update(key for key in required if key not in value)
        elif error.validator not in _KEYS_STILL_MEAN:
            return None
    return frozenset(keys)


@dataclass(frozen=True)
class _Problem:
    path: JsonPath  # the value the message is about (shown before the message)
    at: JsonPath  # the value whose position is reported
    at_key: bool  # report the position of its key rather than of its value
    message: str


def _names(keys: Sequence[str]) -> str:
    return ", ".join(sorted(keys))


def _plural(count: int, word: str, plural: str) -> str:
    return f"{count} {word if count == 1 else plural}"


def _json_equal_index(items: list[Any]) -> tuple[int, int] | None:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        canonical = json.dumps(item, sort_keys=True)
        if canonical in seen:
            return seen[canonical], index
        seen[canonical] = index
    return None


@dataclass(frozen=True)
class _Failure:
    """One jsonschema error, unpacked."""

    path: JsonPath
    value: Any  # the keyword's value in the schema
    instance: JsonValue
    schema: Mapping[str, Any]  # the subschema holding the keyword
    document: YamlDocument

    @property
    def got(self) -> str:
        return describe_value(self.instance)


def _unknown_keys(f: _Failure) -> list[_Problem]:
    if f.value is not False or not isinstance(f.instance, dict):
        return []  # additionalProperties with a schema: its own errors are reported
    known = f.schema.get("properties", {})
    patterns = f.schema.get("patternProperties", {})
    return [
        _Problem(
            f.path,
            (*f.path, key),
            True,
            f"unknown key {key!r} (expected one of: {_names(list(known))})",
        )
        for key in f.instance
        if key not in known and not any(re.search(p, key) for p in patterns)
    ]


def _required(f: _Failure) -> list[_Problem]:
    present = f.instance if isinstance(f.instance, dict) else {}
    missing = [key for key in f.value if key not in present]
    noun = "key" if len(missing) == 1 else "keys"
    listed = ", ".join(repr(key) for key in missing)
    return [_Problem(f.path, f.path, True, f"missing required {noun} {listed}")]


def _one_of(f: _Failure) -> list[_Problem]:
    if not isinstance(f.instance, dict) or not _only_required(f.value):
        return [
            _Problem(
                f.path, f.path, True, f"expected exactly one of the allowed forms, got {f.got}"
            )
        ]
    keys = [branch["required"][0] for branch in f.value]
    present = [key for key in keys if key in f.instance]
    none = "neither" if len(keys) == 2 else "none of them"
    got = " and ".join(present) if present else none
    return [_Problem(f.path, f.path, True, f"expected exactly one of: {_names(keys)}, got {got}")]


def _kinds(f: _Failure) -> str | None:
    """For a mapping of exactly one of several keys (a signer): those keys."""
    if f.schema.get("maxProperties") == 1 and "properties" in f.schema:
        return f"exactly one of: {_names(list(f.schema['properties']))}"
    return None


def _why_not_empty(f: _Failure) -> str:
    hint = f.schema.get("x-empty")
    return f" ({hint})" if isinstance(hint, str) and not f.instance else ""


def _max_properties(f: _Failure) -> list[_Problem]:
    present = list(f.instance) if isinstance(f.instance, dict) else []
    expected = _kinds(f) or f"at most {_plural(f.value, 'key', 'keys')}"
    got = f"{len(present)}: {_names(present)}"
    return [_Problem(f.path, f.path, True, f"expected {expected}, got {got}")]


def _min_properties(f: _Failure) -> list[_Problem]:
    expected = _kinds(f) or f"at least {_plural(f.value, 'key', 'keys')}"
    message = f"expected {expected}, got {f.got}{_why_not_empty(f)}"
    return [_Problem(f.path, f.path, True, message)]


def _min_items(f: _Failure) -> list[_Problem]:
    expected = f"at least {_plural(f.value, 'entry', 'entries')}"
    message = f"expected {expected}, got {f.got}{_why_not_empty(f)}"
    return [_Problem(f.path, f.path, True, message)]


def _unique_items(f: _Failure) -> list[_Problem]:
    pair = _json_equal_index(f.instance) if isinstance(f.instance, list) else None
    if pair is None:
        return [_Problem(f.path, f.path, True, "expected each entry once, got a repeat")]
    first, again = pair
    at = (*f.path, again)
    return [_Problem(at, at, False, f"expected each entry once, got a repeat of [{first}]")]


def _type(f: _Failure) -> list[_Problem]:
    message = f"expected {_type_names(f.value)}, got {f.got}"
    info = f.document.nodes.get(f.path)
    if info is not None and info.yaml_type is not None and info.text and "string" in str(f.value):
        # YAML 1.1 reads no, on, ~, 0x1F, 12:30 and the like as non-strings.
        if info.text not in (str(f.instance), json.dumps(f.instance)):
            message += f" (written {info.text!r})"
        message += "; quote it to make it a string"
    return [_Problem(f.path, f.path, False, message)]


def _not(f: _Failure) -> list[_Problem]:
    """`not` forbids combinations; the schema says which, in words, under `x-not`."""
    hint = f.schema.get("x-not")
    return [_Problem(f.path, f.path, True, hint if isinstance(hint, str) else "not allowed here")]


_HANDLERS: dict[str, Callable[[_Failure], list[_Problem]]] = {
    "not": _not,
    "additionalProperties": _unknown_keys,
    "required": _required,
    "oneOf": _one_of,
    "maxProperties": _max_properties,
    "minProperties": _min_properties,
    "minItems": _min_items,
    "uniqueItems": _unique_items,
    "type": _type,
}


def _explain(error: ValidationError, document: YamlDocument) -> list[_Problem]:
    keyword = error.validator if isinstance(error.validator, str) else ""
    failure = _Failure(
        path=tuple(error.absolute_path),
        value=error.validator_value,
        instance=cast(JsonValue, error.instance),
        schema=error.schema if isinstance(error.schema, Mapping) else {},
        document=document,
    )
    if "propertyNames" in error.absolute_schema_path and isinstance(failure.instance, str):
        # The instance is a key of the mapping at `path`, not a value.
        name = failure.instance
        expected = _expected_for(keyword, failure.value, failure.schema)
        return [
            _Problem(failure.path, (*failure.path, name), True, f"invalid key {name!r}: {expected}")
        ]
    if keyword == "oneOf":
        branch = _form_of(error)
        if branch:
            return [problem for sub in branch for problem in _explain(sub, document)]
        forms = _forms_expected(error)
        if forms:
            return _type(replace(failure, value=forms))
    handler = _HANDLERS.get(keyword)
    if handler is not None:
        return handler(failure)
    expected = _expected_for(keyword, failure.value, failure.schema)
    return [_Problem(failure.path, failure.path, False, f"{expected}, got {failure.got}")]


def _form_of(error: ValidationError) -> list[ValidationError]:
    """The errors of the one `oneOf` branch whose form (JSON type) the value has: a list
    where a list or a mapping is allowed is explained as a list. Empty if no single branch
    is of the value's form (or several are)."""
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        by_branch.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    branches = error.validator_value if isinstance(error.validator_value, list) else []
    of_form = [
        errors
        for index, errors in by_branch.items()
        if not any(e.validator == "type" and not e.relative_path for e in errors)
    ]
    if len(of_form) != 1 or len(by_branch) != len(branches):
        return []
    return of_form[0]


def _forms_expected(error: ValidationError) -> list[str]:
    """The JSON types of the `oneOf` branches, when every branch refused the value for its
    type (a number where a string or a mapping is allowed); else empty."""
    types: list[Any] = [
        sub.validator_value
        for sub in error.context or ()
        if sub.validator == "type" and not sub.relative_path
    ]
    branches = error.validator_value if isinstance(error.validator_value, list) else []
    if len(types) != len(branches):
        return []
    flat = [kind for value in types for kind in ([value] if isinstance(value, str) else value)]
    return list(dict.fromkeys(flat))


def _only_required(branches: Any) -> bool:
    return isinstance(branches, list) and all(
        isinstance(b, dict) and set(b) == {"required"} and len(b["required"]) == 1 for b in branches
    )


def _expected_pattern(pattern: Any, schema: Mapping[str, Any]) -> str:
    """A regular expression means little to a reader: a schema that has a `pattern` keeps, in
    its `description`, a noun phrase saying what is expected ("a lowercase name: ...")."""
    description = schema.get("description")
    if isinstance(description, str):
        return f"expected {description}"
    return f"expected a string matching {pattern}"


_EXPECTED: dict[str, Callable[[Any, Mapping[str, Any]], str]] = {
    "pattern": _expected_pattern,
    "const": lambda value, _: f"expected {json.dumps(value)}",
    "enum": lambda value, _: f"expected one of: {', '.join(json.dumps(v) for v in value)}",
    "minLength": lambda value, _: (
        "expected a non-empty string" if value == 1 else f"expected at least {value} characters"
    ),
    "maxLength": lambda value, _: f"expected at most {value} characters",
    "minimum": lambda value, _: f"expected at least {value}",
    "maximum": lambda value, _: f"expected at most {value}",
    "type": lambda value, _: f"expected {_type_names(value)}",
}


def _expected_for(keyword: Any, value: Any, schema: Mapping[str, Any]) -> str:
    explain = _EXPECTED.get(keyword) if isinstance(keyword, str) else None
    if explain is None:
        return f"expected a value valid under '{keyword}'"
    return explain(value, schema)


def _type_names(value: Any) -> str:
    kinds = [value] if isinstance(value, str) else list(value)
    return " or ".join(_TYPE_NAMES.get(kind, kind) for kind in kinds)


def schema_problems(
    document: YamlDocument, schema_name: str, pointer: str | None = None
) -> list[PolicyError]:
    """Every schema violation in `document` (under the part of the schema at `pointer`, if
    given), in file order, one error per problem."""
    explained = [
        (error, _explain(error, document))
        for error in _validator(schema_name, pointer).iter_errors(document.data)
    ]
    has_unknown_key = {
        tuple(error.absolute_path)
        for error, _ in explained
        if error.validator == "additionalProperties" and error.validator_value is False
    }
    errors: dict[str, PolicyError] = {}
    for error, problems in explained:
        if error.validator in _WHOLE_MAPPING and tuple(error.absolute_path) in has_unknown_key:
            continue
        for problem in problems:
            err = document.error(
                problem.path, problem.message, at=problem.at, at_key=problem.at_key
            )
            errors.setdefault(str(err), err)
    return sorted(errors.values(), key=lambda e: (e.line or 0, e.column or 0, e.problem))
