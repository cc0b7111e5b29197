"""Requirement semantics over the model: coverage, binding, components, licences, SPDX."""

from __future__ import annotations

import json
from typing import Any

import pytest

from provenance.decision.requirements.components import ComponentsRequirement
from provenance.decision.requirements.licenses import LicensesRequirement
from provenance.decision.requirements.sbom import SbomRequirement
from provenance.decision.sbom import SbomFacts, measure_coverage, names_artifact
from provenance.decision.sbom.binding import binding_satisfies
from provenance.decision.sbom.components import prefilter
from provenance.errors import EvidenceError
from provenance.evidence.sbom import (
    Component,
    ComponentHash,
    LicenseChoice,
    Sbom,
    dependency_closure,
    parse_sbom,
)
from provenance.evidence.sbom.model import DocumentMetadata
from provenance.evidence.sbom.purl import split_purl
from provenance.policy.requirements import RequirementSpec, read_requirements
from provenance.policy.requirements.component_patterns import compile_pattern
from provenance.policy.requirements.components import ComponentsSpec
from provenance.policy.requirements.licenses import LicensesSpec
from provenance.policy.requirements.sbom import SbomSpec


def sbom(*components: Component, **metadata: Any) -> Sbom:
    return Sbom(
        format="CycloneDX",
        spec_version="1.6",
        encoding="json",
        serial_number=None,
        metadata=DocumentMetadata(**metadata),
        components=components,
        dependencies={"a": ("b",), "b": ("a",)},
    )


def facts(document: Sbom, binding: Any = "named") -> SbomFacts:
    return SbomFacts(document, binding, "sbom.json")


def test_coverage_per_field() -> None:
    document = sbom(
        Component("a", "1", bom_ref="a", supplier="S", purl="pkg:npm/a@1"),
        Component("b", None, bom_ref="b", cpe="cpe:2.3:a:x:b"),
        Component("c", "2", bom_ref="c"),
        Component("d", "3", licenses=(LicenseChoice("id", "MIT"),)),
        authors=("ACME",),
        timestamp="2026-01-01T00:00:00Z",
    )
    ntia = {f.field: round(f.percent, 1) for f in measure_coverage(document, "ntia-2021").fields}
    assert ntia == {
        "supplier": 25.0, "name": 100.0, "version": 75.0, "identifiers": 50.0,
        "dependencies": 50.0, "author": 100.0, "timestamp": 100.0,
    }  # fmt: skip
    cisa = measure_coverage(document, "cisa-2025")
    assert [f.field for f in cisa.below(50)] == [
        "supplier",
        "hash",
        "license",
        "tool",
        "generation_context",
    ]
    finding = SbomRequirement(
        SbomSpec(bound="any", minimum_elements="cisa-2025", min_coverage=50)
    ).check(facts(document))
    assert not finding.passed
    assert finding.reason == (
        "expected cisa-2025 minimum elements in at least 50% of components, got supplier 25.0%, "
        "hash 0.0%, license 25.0%, tool missing, generation_context missing"
    )
    assert finding.evidence["coverage"]["license"] == 25.0


def test_required_and_problem() -> None:
    rule = SbomRequirement()
    assert rule.check(None).reason == "expected an SBOM for the artifact, got none"
    assert SbomRequirement(SbomSpec(required=False)).check(None).passed
    broken = SbomFacts(None, None, "x.json", problem="x.json: duplicate key")
    assert SbomRequirement(SbomSpec(required=False)).check(broken).reason == (
        "expected a valid SBOM, got: x.json: duplicate key"
    )


@pytest.mark.parametrize(
    ("binding", "bound", "ok"),
    [
        ("signed-attestation", "signed", True),
        ("signed-file", "signed", True),
        ("named", "signed", False),
        ("named", "named", True),
        (None, "named", False),
        (None, "any", True),
    ],
)
def test_binding_strength(binding: Any, bound: Any, ok: bool) -> None:
    assert binding_satisfies(binding, bound) is ok
    finding = SbomRequirement(SbomSpec(bound=bound)).check(facts(sbom(), binding))
    assert finding.passed is ok


def test_names_artifact() -> None:
    described = Component("fw", hashes=(ComponentHash("SHA-256", "ab" * 32),))
    assert names_artifact(sbom(component=described), "AB" * 32)
    assert not names_artifact(sbom(component=described), "cd" * 32)
    assert not names_artifact(sbom(), "ab" * 32)


def test_dependency_cycles_end() -> None:
    document = sbom(Component("a", bom_ref="a"), Component("b", bom_ref="b"))
    # a -> b -> a: the walk visits b once and stops.
    assert list(dependency_closure(document, "a")) == ["b"]
    assert list(dependency_closure(document, "b")) == ["a"]


def spec_of(kind: str, entry: Any) -> RequirementSpec:
    """A `require` entry as a policy reads it."""
    return read_requirements({kind: entry})[kind]


def components_rule(entry: Any) -> ComponentsRequirement:
    spec = spec_of("components", entry)
    assert isinstance(spec, ComponentsSpec)
    return ComponentsRequirement(spec)


def licenses_rule(entry: Any) -> LicensesRequirement:
    spec = spec_of("licenses", entry)
    assert isinstance(spec, LicensesSpec)
    return LicensesRequirement(spec)


def npm(name: str, version: str, supplier: str | None = None) -> Component:
    return Component(name, version, purl=f"pkg:npm/{name}@{version}", supplier=supplier)


def test_components_deny_and_allow() -> None:
    rule = components_rule(
        {
            "deny": [
                "pkg:npm/event-stream@3.3.6",
                {"purl": "pkg:npm/left-pad", "versions": "vers:npm/<1.3.0"},
                {"supplier": "Blocked Corp"},
                {"purl": "pkg:pypi/django", "versions": "<4.2"},
            ]
        },
    )
    ok = sbom(npm("event-stream", "3.3.5"), npm("left-pad", "1.3.0"), npm("x", "1"))
    assert rule.check(facts(ok)).passed
    bad = sbom(
        npm("event-stream", "3.3.6"),
        npm("left-pad", "1.2.9"),
        npm("left-pad", "banana"),
        npm("y", "1", supplier="blocked corp"),
        Component("Django", "4.1", purl="pkg:pypi/Django@4.1"),
    )
    finding = rule.check(facts(bad))
    assert not finding.passed
    assert finding.evidence["denied"] == [
        "pkg:npm/event-stream@3.3.6 matches deny purl pkg:npm/event-stream@3.3.6",
        "pkg:npm/left-pad@1.2.9 matches deny purl pkg:npm/left-pad, versions vers:npm/<1.3.0",
        "pkg:npm/left-pad@banana matches deny purl pkg:npm/left-pad, versions vers:npm/<1.3.0 "
        "(version not comparable)",
        "pkg:npm/y@1 matches deny supplier Blocked Corp",
        "pkg:pypi/Django@4.1 matches deny purl pkg:pypi/django, versions <4.2",
    ]
    assert finding.reason.startswith("expected no denied component, got 5: ")
    allow = components_rule({"allow": ["pkg:npm/**", "pkg:generic/acme/*"]})
    mixed = sbom(npm("a", "1"), Component("fw", purl="pkg:generic/acme/fw@1"), Component("raw"))
    finding = allow.check(facts(mixed))
    assert finding.reason == "expected only allowed components, got 1 others: raw@?"


PREFILTER_PATTERNS = [
    "pkg:npm/event-stream@3.3.6",
    {"purl": "pkg:pypi/Jinja2", "versions": "<3.1"},
    {"purl": "pkg:npm/%40scope/left_pad"},
    {"supplier": "Blocked Corp"},
    {"supplier": ""},
]
PREFILTER_PURLS = [
    "pkg:npm/event-stream@3.3.6",
    "pkg:NPM/event-stream@3.3.6",
    "pkg:npm/event%2Dstream@3.3.6",
    "pkg:npm/other@1",
    "pkg:pypi/jinja2@3.0",
    "pkg:pypi/JINJA2@3.0",
    "pkg:pypi/Jinja_2@3.0",
    "pkg:pypi/jinja-2@3.0",
    "pkg:npm/@scope/left_pad@1",
    "pkg:npm/%40scope/left-pad@1",
    "pkg:pypi/jİnja2@3.0",
    "not a purl",
    None,
]


@pytest.mark.parametrize("purl", PREFILTER_PURLS)
@pytest.mark.parametrize("supplier", [None, "", "blocked corp", "Acme"])
def test_deny_prefilter_never_skips_a_match(purl: str | None, supplier: str | None) -> None:
    # The prefilter may let through components no pattern matches, never the reverse.
    patterns = tuple(compile_pattern(entry) for entry in PREFILTER_PATTERNS)
    candidates = prefilter(patterns)
    assert candidates is not None
    component = Component("x", "1", purl=purl, supplier=supplier)
    split = split_purl(purl) if purl else None
    if any(pattern.matches(component, split) is not False for pattern in patterns):
        assert candidates([component]) == [component]


def test_deny_prefilter_skips_unrelated_and_yields_to_globs() -> None:
    exact = prefilter((compile_pattern("pkg:npm/event-stream@3.3.6"),))
    assert exact is not None
    kept = Component("x", purl="pkg:npm/event_stream@1")  # passes; the full test decides
    others = [Component(str(n), purl=f"pkg:npm/lodash@4.17.{n}") for n in range(3)]
    assert exact([others[0], kept, *others[1:], kept]) == [kept, kept]  # in order
    assert prefilter((compile_pattern("pkg:npm/event-*"),)) is None


@pytest.mark.parametrize(
    ("expression", "outcome"),
    [
        ("MIT", "allowed"),
        ("MIT OR AGPL-3.0-only", "allowed"),  # a choice that avoids the denied licence
        ("MIT AND AGPL-3.0-only", "denied"),
        ("AGPL-3.0-only OR GPL-3.0-only", "denied"),  # GPL not in the allow list
        ("GPL-2.0-only WITH Classpath-exception-2.0", "allowed"),
        ("Apache-2.0 WITH LLVM-exception", "allowed"),  # base licence allowed
        ("LicenseRef-acme-eula", "unknown"),
        ("MIT AND Some-Unknown-Licence", "unknown"),
        ("Some-Unknown-Licence OR MIT", "allowed"),
        ("MIT AND (", "invalid"),
    ],
)
def test_licence_outcomes(expression: str, outcome: str) -> None:
    rule = licenses_rule(
        {
            "allow": ["MIT", "Apache-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"],
            "deny": ["AGPL-3.0-only"],
        },
    )
    document = sbom(Component("a", "1", licenses=(LicenseChoice("expression", expression),)))
    finding = rule.check(facts(document))
    assert finding.evidence["outcomes"] == {outcome: 1}
    assert finding.passed is (outcome == "allowed")
    if outcome == "invalid":
        assert "expected an SPDX licence expression, got 'MIT AND (' (Invalid expression)" in (
            finding.reason
        )


def test_unknown_licences_may_be_accepted() -> None:
    rule = licenses_rule({"deny": ["AGPL-3.0-only"], "unknown": "allow"})
    document = sbom(
        Component("a", "1"), Component("b", "1", licenses=(LicenseChoice("name", "Acme EULA"),))
    )
    finding = rule.check(facts(document))
    assert finding.passed
    assert finding.reason == "licences: 2 unknown"
    strict = licenses_rule({"deny": ["AGPL-3.0-only"]})
    assert strict.check(facts(document)).reason == (
        "expected licences the policy allows, got 2 unknown (a@1: no licence stated; "
        "b@1: Acme EULA)"
    )


SPDX: dict[str, Any] = {
    "spdxVersion": "SPDX-2.3",
    "SPDXID": "SPDXRef-DOCUMENT",
    "dataLicense": "CC0-1.0",
    "name": "plc",
    "documentNamespace": "https://acme.example/spdx/plc-4.2.1",
    "creationInfo": {
        "created": "2026-03-01T10:00:00Z",
        "creators": ["Tool: syft-1.0", "Organization: ACME"],
    },
    "documentDescribes": ["SPDXRef-fw"],
    "packages": [
        {
            "SPDXID": "SPDXRef-fw",
            "name": "plc-firmware",
            "versionInfo": "4.2.1",
            "supplier": "Organization: ACME",
            "checksums": [{"algorithm": "SHA256", "checksumValue": "AB" * 32}],
        },
        {
            "SPDXID": "SPDXRef-lib",
            "name": "zlib",
            "versionInfo": "1.3",
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "Zlib",
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": "pkg:generic/zlib@1.3",
                }
            ],
        },
    ],
    "relationships": [
        {
            "spdxElementId": "SPDXRef-fw",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": "SPDXRef-lib",
        },
        {
            "spdxElementId": "SPDXRef-lib",
            "relationshipType": "DEPENDENCY_OF",
            "relatedSpdxElement": "SPDXRef-fw",
        },
    ],
}


def test_spdx_reader() -> None:
    document = parse_sbom(json.dumps(SPDX).encode(), "sbom.spdx.json")
    assert document.label == "SPDX SPDX-2.3 (json)"
    assert document.metadata.authors == ("ACME",)
    assert document.metadata.tools == ("syft-1.0",)
    assert names_artifact(document, "ab" * 32)
    zlib = document.components[1]
    assert (zlib.purl, zlib.licenses) == (
        "pkg:generic/zlib@1.3",
        (LicenseChoice("expression", "Zlib"),),
    )
    assert dict(document.dependencies) == {"SPDXRef-fw": ("SPDXRef-lib",)}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"spdxVersion": "SPDX-2.2"}, "expected spdxVersion one of SPDX-2.3, got 'SPDX-2.2'"),
        ({"packages": [{"SPDXID": "SPDXRef-a"}]}, "packages[0]: expected name, got none"),
        (
            {"packages": [{"SPDXID": "x", "name": "a"}, {"SPDXID": "x", "name": "b"}]},
            "got 'x' twice",
        ),
        (
            {"creationInfo": {"created": "2026", "creators": [7]}},
            "creators[0]: expected 'Kind: name'",
        ),
    ],
)
def test_spdx_refusals(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(EvidenceError) as raised:
        parse_sbom(json.dumps({**SPDX, **change}).encode(), "s.json")
    assert problem in str(raised.value)
