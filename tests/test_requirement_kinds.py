"""The registry of requirement kinds: one list of kinds (the policy schema's `require`), each a
module in the policy stage (typed spec, checks, weakening, help) and one in the decision stage
(rule, explanation); the scales and defaults they share are written once."""

from __future__ import annotations

import dataclasses
import json
import pkgutil
import re
import typing
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

import provenance.decision.requirements as decision_kinds
import provenance.policy.requirements as policy_kinds
from provenance.decision.requirements import RuleKind, compile_requirement
from provenance.errors import PolicyError
from provenance.policy.requirements import (
    RequirementKind,
    Requirements,
    RequirementSpec,
    read_requirements,
    requirement_kinds,
)
from provenance.scales import SEVERITY_ORDER, STRENGTHS

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "provenance"
SCHEMA = json.loads((PACKAGE / "policy/schema/policy-v1.schema.json").read_text("utf-8"))
REQUIRE = SCHEMA["$defs"]["require"]["properties"]

# One entry of every kind, as a policy writes it (a new kind adds its own).
SAMPLES: dict[str, Any] = {
    "signed_by": {"vendors": ["acme", "integrator"], "count": 2},
    "evidence": {"minimum": "signed-identity"},
    "freshness": {"max_age_days": 365, "not_before": "2025-01-01"},
    "provenance": {"source": "https://github.com/acme/fw", "slsa_build_level": 2},
    "attestations": {"types": ["https://example.com/fat-report/v1"]},
    "in_toto": {"inspections": "required"},
    "sbom": {"bound": "named", "minimum_elements": "ntia-2021", "min_coverage": 90},
    "components": {"deny": ["pkg:npm/event-stream@3.3.6"]},
    "licenses": {"deny": ["AGPL-3.0-only"]},
    "vulnerabilities": {"max_severity": "high", "max_db_age_days": 30},
    "version": ">=4.0,<5",
    "rollback": "deny",
    "approvals": {"count": 2, "group": "ot-security"},
}
# The kinds whose `from` says whose evidence counts.
WITH_FROM = ["evidence", "provenance", "attestations", "in_toto"]


def _modules(package: Any) -> set[str]:
    return {info.name for info in pkgutil.iter_modules(package.__path__)}


def _compiled(kind: str, entry: Any, **others: Any) -> Any:
    requirements = read_requirements({**others, kind: entry})
    return compile_requirement(requirements[kind], requirements)


def test_the_schema_and_the_registry_list_the_same_kinds_in_report_order() -> None:
    kinds = requirement_kinds()

    assert list(kinds) == list(REQUIRE) == list(SAMPLES)
    for name, kind in kinds.items():
        assert isinstance(kind, RequirementKind)
        assert REQUIRE[name] == {"$ref": kind.schema}


def test_no_module_declares_a_kind_the_schema_does_not_list() -> None:
    for module in _modules(policy_kinds):
        declared = getattr(import_module(f"{policy_kinds.__name__}.{module}"), "KIND", None)
        assert declared is None or module in REQUIRE, module
    for module in _modules(decision_kinds):
        rule = getattr(import_module(f"{decision_kinds.__name__}.{module}"), "RULE", None)
        assert rule is None or module in REQUIRE, module


def test_every_kind_has_a_rule_for_its_spec_help_and_an_explanation() -> None:
    for name, kind in requirement_kinds().items():
        rule_kind = import_module(f"{decision_kinds.__name__}.{name}").RULE
        assert isinstance(rule_kind, RuleKind)
        assert rule_kind.spec is kind.spec
        assert all(text.strip() for text in dataclasses.astuple(kind.help)), name
        rule = _compiled(name, SAMPLES[name], signed_by=["acme"])
        assert rule.name == name
        assert rule.describe().strip(), name


def _untyped(cls: type) -> list[str]:
    """The public fields of a dataclass whose annotation is, or holds, `Any`."""
    return [
        field.name
        for field in dataclasses.fields(cls)
        if not field.name.startswith("_") and re.search(r"\bAny\b", str(field.type))
    ]


def test_specs_are_typed_and_frozen() -> None:
    for name, kind in requirement_kinds().items():
        spec = kind.spec
        assert issubclass(spec, RequirementSpec), name
        assert dataclasses.is_dataclass(spec), name
        assert spec.__dataclass_params__.frozen, name
        assert _untyped(spec) == [], name


def test_rules_hold_typed_settings_only() -> None:
    # No untyped data reaches a rule: its compile function takes the kind's spec and the
    # segment's typed requirements, and its own settings are typed.
    for name, kind in requirement_kinds().items():
        rule_kind = import_module(f"{decision_kinds.__name__}.{name}").RULE
        module = vars(import_module(rule_kind.compile.__module__))
        hints = typing.get_type_hints(rule_kind.compile, module)
        assert list(hints.values())[:2] == [kind.spec, Requirements], name
        assert _untyped(type(_compiled(name, SAMPLES[name]))) == [], name


@pytest.mark.parametrize("kind", WITH_FROM)
def test_from_defaults_to_the_signed_by_vendors_then_to_any_vendor(kind: str) -> None:
    entry = SAMPLES[kind]
    assert _compiled(kind, entry, signed_by=["acme", "beta"]).vendors == ("acme", "beta")
    assert _compiled(kind, {**entry, "from": ["gamma"]}, signed_by=["acme"]).vendors == ("gamma",)
    assert _compiled(kind, entry).vendors is None


def test_kinds_with_from_are_the_ones_the_schema_gives_a_from() -> None:
    defs = SCHEMA["$defs"]
    with_from = [
        name
        for name, ref in REQUIRE.items()
        if "from" in defs[ref["$ref"].rpartition("/")[2]].get("properties", {})
    ]
    assert with_from == WITH_FROM


def _python_sources() -> list[tuple[Path, str]]:
    return [(path, path.read_text("utf-8")) for path in sorted(PACKAGE.rglob("*.py"))]


def test_the_severity_scale_is_written_once() -> None:
    bands = re.compile(r'"low",\s*"medium",\s*"high",\s*"critical"')
    written = [path.relative_to(ROOT) for path, text in _python_sources() if bands.search(text)]
    assert written == [Path("provenance/scales.py")]
    schema = SCHEMA["$defs"]["vulnerabilities"]["properties"]["max_severity"]["enum"]
    assert schema == list(SEVERITY_ORDER)


def test_the_strength_scale_is_written_once() -> None:
    steps = re.compile(r'"signed-identity",\s*"signed-checksum-list"')
    written = [path.relative_to(ROOT) for path, text in _python_sources() if steps.search(text)]
    assert written == [Path("provenance/scales.py")]
    schema = SCHEMA["$defs"]["evidence"]["properties"]["minimum"]["enum"]
    assert schema == [step for step in STRENGTHS if step != "none"]


def test_the_from_default_is_written_once() -> None:
    # Only `Requirements.vendors_counted` turns "no from" into the vendors of signed_by; the
    # rules of the kinds with a `from` call it, and nothing else looks signed_by up for it.
    sources = _python_sources()
    defined = [path.relative_to(ROOT) for path, text in sources if "def vendors_counted" in text]
    callers = [path.relative_to(ROOT) for path, text in sources if ".vendors_counted(" in text]
    looks_up = [path.relative_to(ROOT) for path, text in sources if "find(SignedBySpec)" in text]
    assert defined == looks_up == [Path("provenance/policy/requirements/_effective.py")]
    assert callers == sorted(Path(f"provenance/decision/requirements/{k}.py") for k in WITH_FROM)


def test_the_policy_stage_does_not_import_the_decision_stage() -> None:
    late = re.compile(r"^\s*(from|import) provenance\.(decision|record|commands|report|_cli)\b")
    for path in sorted((PACKAGE / "policy").rglob("*.py")):
        lines = path.read_text("utf-8").splitlines()
        assert not [line for line in lines if late.match(line)], path


def test_an_entry_read_alone_is_checked_as_in_a_policy() -> None:
    with pytest.raises(PolicyError, match=r"freshness\.not_before: expected a date YYYY-MM-DD"):
        read_requirements({"freshness": {"not_before": "2025-02-30"}})
    with pytest.raises(PolicyError, match=r"signed_by: expected at least 1 entry"):
        read_requirements({"signed_by": []})
