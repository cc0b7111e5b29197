"""`--format junit`: JUnit XML for CI dashboards (Jenkins, GitLab, Azure DevOps, ...).

One `testsuite` per artifact and one `testcase` per requirement of its segment (a failed
requirement is a `failure` whose message is the reason); a `delivery` suite holds the
refusal of an archive and one skipped case per unrecognised file, so they show up too.
Characters XML 1.0 cannot carry (a hostile file name's control characters) are replaced
by `printable`'s escapes rather than producing a file no parser accepts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

from provenance.report.vet_view import ArtifactView, VetView, printable, view

__all__ = ["render_junit"]

# Not allowed anywhere in an XML 1.0 document, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: printable(m.group()), text)


def _element(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, {k: _xml_text(v) for k, v in attrs.items()})
    if text is not None:
        child.text = _xml_text(text)
    return child


def _artifact_suite(root: ET.Element, vet: VetView, artifact: ArtifactView) -> tuple[int, int]:
    failures = len(artifact.failed)
    suite = _element(
        root,
        "testsuite",
        name=artifact.name,
        tests=str(len(artifact.requirements)),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    properties = _element(suite, "properties")
    for name, value in (
        ("decision", artifact.decision),
        ("segment", vet.segment),
        ("sha256", artifact.sha256),
        ("evidence_strength", artifact.evidence_strength),
        ("product", artifact.product or ""),
    ):
        _element(properties, "property", name=name, value=value)
    for requirement in artifact.requirements:
        case = _element(
            suite, "testcase", classname=f"{vet.segment}.{artifact.name}", name=requirement.rule
        )
        if not requirement.passed:
            _element(
                case,
                "failure",
                f"{artifact.name}: {requirement.rule}: {requirement.reason}",
                message=printable(requirement.reason),
                type=requirement.rule,
            )
    if artifact.problems:
        lines = [f"{source}: did not verify: {reason}" for source, reason in artifact.problems]
        _element(suite, "system-out", "\n".join(lines))
    return len(artifact.requirements), failures


def _delivery_suite(root: ET.Element, vet: VetView) -> tuple[int, int]:
    if vet.refused is None and not vet.unrecognised and not vet.refused_files:
        return 0, 0
    tests = len(vet.unrecognised) + len(vet.refused_files) + (1 if vet.refused is not None else 0)
    failures = len(vet.refused_files) + (1 if vet.refused is not None else 0)
    suite = _element(
        root,
        "testsuite",
        name=f"delivery {vet.delivery_path}",
        tests=str(tests),
        failures=str(failures),
        errors="0",
        skipped=str(len(vet.unrecognised)),
    )
    if vet.refused is not None:
        case = _element(suite, "testcase", classname="delivery", name="unpack")
        _element(
            case,
            "failure",
            f"{vet.delivery_path}: refused: {vet.refused}",
            message=printable(vet.refused),
            type="delivery-refused",
        )
    for path, reason in vet.refused_files:
        case = _element(suite, "testcase", classname="delivery.refused", name=path)
        _element(
            case,
            "failure",
            f"{path}: refused: {reason}",
            message=printable(reason),
            type="refused-file",
        )
    for path, reason in vet.unrecognised:
        case = _element(suite, "testcase", classname="delivery.unrecognised", name=path)
        _element(case, "skipped", message=f"{printable(path)}: unrecognised: {printable(reason)}")
    return tests, failures


def render_junit(result: Mapping[str, Any]) -> str:
    vet = view(result)
    root = ET.Element("testsuites", {"name": _xml_text(f"provenance {vet.delivery_path}")})
    tests = failures = 0
    counts = [_delivery_suite(root, vet)]
    counts += [_artifact_suite(root, vet, artifact) for artifact in vet.artifacts]
    for suite_tests, suite_failures in counts:
        tests += suite_tests
        failures += suite_failures
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
