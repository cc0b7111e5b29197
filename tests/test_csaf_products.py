"""CSAF advisories: every CISA ICS advisory and the OASIS examples parse; the OASIS validator
test documents for the checks that decide meaning are refused with the reason."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from provenance.errors import EvidenceError
from provenance.evidence.json_input import load_json
from provenance.vulnerabilities.csaf_products import CsafAdvisory, parse_csaf
from provenance.vulnerabilities.severity import CvssScore, score_vector
from tests.conftest import vulndata

# OASIS mandatory tests (CSAF 2.0 section 6.1) this parser enforces: a document failing one
# is refused; documents the test suite lists as passing them parse.
ENFORCED = (
    "6.1.1", "6.1.2", "6.1.3", "6.1.4", "6.1.5", "6.1.6", "6.1.7", "6.1.13", "6.1.23", "6.1.29",
    "6.1.32",
)  # fmt: skip


def _parse(path: Path, name: str | None = None) -> CsafAdvisory:
    return parse_csaf(load_json(path.read_bytes()), name or path.name)


def test_every_cisa_ics_advisory_parses() -> None:
    folder = vulndata("csaf/cisa-ot")
    paths = sorted(folder.glob("*/*.json"))
    advisories = [_parse(path) for path in paths]
    products = sum(len(a.products) for a in advisories)
    vulnerabilities = [v for a in advisories for v in a.vulnerabilities]
    with_models = sum(1 for a in advisories for p in a.products.values() if p.model_numbers)
    print(
        f"\nCISA ICS CSAF: {len(advisories)} advisories, {products} products "
        f"({with_models} with model numbers), {len(vulnerabilities)} vulnerabilities"
    )
    assert len(advisories) == 1655
    assert all(v.cve for v in vulnerabilities)
    # No purl or CPE anywhere in CISA's ICS advisories (vulndata README).
    assert not any(p.purls or p.cpe for a in advisories for p in a.products.values())
    # Every vector scores, and agrees with the score the advisory states.
    scores = [s for v in vulnerabilities for s in v.scores]
    assert len(scores) == 4714
    for score in scores:
        outcome = score_vector(score.vector)
        assert isinstance(outcome, CvssScore), outcome
        assert outcome.base_score == score.stated_base_score


def test_siemens_advisory_flattened() -> None:
    advisory = _parse(vulndata("csaf/cisa-ot") / "2019/icsa-19-099-06.json")
    assert advisory.tracking_id == "ICSA-19-099-06"
    assert advisory.csaf_version == "2.0"
    assert advisory.initial_release.year == 2019
    product = advisory.products["CSAFPID-0008"]
    assert product.vendor == "Siemens"
    assert product.product_name == "SIMATIC ET 200pro IM154-8 PN/DP CPU (6ES7154-8AB01-0AB0)"
    assert product.version_range == "vers:all/<V3.2.16"
    assert product.version is None
    assert product.model_numbers == ("6ES7154-8AB01-0AB0",)
    assert [category for category, _ in product.branches] == [
        "vendor", "product_name", "product_version_range",
    ]  # fmt: skip
    (vulnerability,) = advisory.vulnerabilities
    assert vulnerability.cve == "CVE-2019-6568"
    assert vulnerability.statuses_of("CSAFPID-0008") == ("known_affected",)
    assert (
        vulnerability.scores[0].vector
        == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H/E:P/RL:O/RC:C"
    )
    assert vulnerability.remediations_for("CSAFPID-0008")


def _oasis_documents(version: str) -> list[Path]:
    root = vulndata(f"csaf/oasis/csaf_{version}")
    return sorted(p for p in root.rglob("*.json") if "schema" not in p.parts[-1])


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_oasis_documents_parse_or_are_refused_cleanly(version: str) -> None:
    parsed = refused = 0
    reasons: list[tuple[str, str]] = []
    for path in _oasis_documents(version):
        document = load_json(path.read_bytes())
        if not isinstance(document, dict) or "document" not in document:
            continue  # schemas, provider metadata, test case lists
        try:
            parse_csaf(document, path.name)
            parsed += 1
        except EvidenceError as exc:
            refused += 1
            reasons.append((path.name, str(exc)))
    print(f"\nOASIS CSAF {version}: {parsed} parsed, {refused} refused")
    # One line each, naming the document.
    assert all(r.startswith(f"{name}: ") and "\n" not in r for name, r in reasons)
    assert parsed > 0


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_oasis_examples_parse(version: str) -> None:
    examples = sorted((vulndata(f"csaf/oasis/csaf_{version}") / "examples/csaf").rglob("*.json"))
    assert examples
    for path in examples:
        advisory = _parse(path)
        assert advisory.tracking_id


def _validator_cases() -> list[tuple[str, str, bool]]:
    base = vulndata("csaf/oasis/csaf_2.0/test/validator/data")
    cases = json.loads((base / "testcases.json").read_text())
    found = []
    for test in cases["tests"]:
        if test["id"] in ENFORCED:
            found += [(test["id"], c["name"], False) for c in test.get("failures", ())]
            found += [(test["id"], c["name"], True) for c in test.get("valid", ())]
    return found


def test_oasis_validator_cases_for_enforced_tests() -> None:
    base = vulndata("csaf/oasis/csaf_2.0/test/validator/data")
    cases = _validator_cases()
    refused_failures = 0
    for test_id, name, valid in cases:
        if valid:
            _parse(base / name, name)
            continue
        with pytest.raises(EvidenceError) as caught:
            _parse(base / name, name)
        # The reason names the mandatory test it failed.
        assert f"({test_id})" in str(caught.value), (name, str(caught.value))
        refused_failures += 1
    print(f"\nOASIS 2.0 validator: {refused_failures} failing documents refused, all valid parse")
    assert refused_failures == 17


# -- a small document, broken one way at a time ------------------------------------------

SMALL: dict[str, Any] = {
    "document": {
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "publisher": {"category": "vendor", "name": "ACME", "namespace": "https://acme.example"},
        "title": "ACME PLC web server",
        "tracking": {
            "id": "ACME-2026-0001",
            "status": "final",
            "version": "1",
            "initial_release_date": "2026-01-10T00:00:00Z",
            "current_release_date": "2026-01-12T00:00:00Z",
            "revision_history": [],
        },
    },
    "product_tree": {
        "branches": [
            {
                "category": "vendor",
                "name": "ACME",
                "branches": [
                    {
                        "category": "product_name",
                        "name": "PLC 5000",
                        "branches": [
                            {
                                "category": "product_version_range",
                                "name": "vers:all/<V2.1",
                                "product": {
                                    "name": "ACME PLC 5000 < V2.1",
                                    "product_id": "P1",
                                    "product_identification_helper": {
                                        "model_numbers": ["5000-A*"],
                                        "purl": "pkg:generic/acme/plc5000",
                                    },
                                },
                            },
                            {
                                "category": "product_version",
                                "name": "V2.1",
                                "product": {"name": "ACME PLC 5000 V2.1", "product_id": "P2"},
                            },
                        ],
                    }
                ],
            }
        ],
        "full_product_names": [{"name": "OpenSSL 1.1.1", "product_id": "P3"}],
        "relationships": [
            {
                "category": "default_component_of",
                "product_reference": "P3",
                "relates_to_product_reference": "P1",
                "full_product_name": {"name": "OpenSSL in PLC 5000", "product_id": "P4"},
            }
        ],
        "product_groups": [{"group_id": "G1", "product_ids": ["P1", "P4"]}],
    },
    "vulnerabilities": [
        {
            "cve": "CVE-2026-1000",
            "ids": [{"system_name": "ACME PSIRT", "text": "ACME-SA-1"}],
            "product_status": {"known_affected": ["P1", "P4"], "fixed": ["P2"]},
            "remediations": [
                {"category": "vendor_fix", "details": "Update to V2.1", "group_ids": ["G1"]}
            ],
            "scores": [
                {
                    "products": ["P1"],
                    "cvss_v3": {
                        "version": "3.1",
                        "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                        "baseScore": 9.8,
                        "baseSeverity": "CRITICAL",
                    },
                }
            ],
            "flags": [{"label": "component_not_present", "product_ids": ["P2"]}],
        }
    ],
}


def test_small_document() -> None:
    advisory = parse_csaf(SMALL, "acme.json")
    assert advisory.publisher == "ACME"
    relation = advisory.products["P4"]
    assert relation.name == "OpenSSL in PLC 5000"
    assert relation.relationship is not None
    assert relation.relationship.relates_to_product_reference == "P1"
    assert advisory.products["P2"].version == "V2.1"
    assert advisory.products["P1"].purls == ("pkg:generic/acme/plc5000",)
    (vulnerability,) = advisory.vulnerabilities
    assert vulnerability.ids == (("ACME PSIRT", "ACME-SA-1"),)
    assert vulnerability.remediations[0].product_ids == ("P1", "P4")  # the group, expanded
    assert vulnerability.statuses_of("P2") == ("fixed",)
    assert list(vulnerability.product_ids()) == ["P1", "P4", "P2"]
    assert vulnerability.flags[0].label == "component_not_present"


def _broken(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(SMALL)
    change(document)
    return document


def _vuln(document: dict[str, Any]) -> dict[str, Any]:
    vulnerability: dict[str, Any] = document["vulnerabilities"][0]
    return vulnerability


def _plc(document: dict[str, Any]) -> dict[str, Any]:
    branch: dict[str, Any] = document["product_tree"]["branches"][0]["branches"][0]
    return branch


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["document"].update(csaf_version="1.2"),
            "document.csaf_version: expected one of 2.0, 2.1, got '1.2'",
        ),
        (
            lambda d: d["document"]["tracking"].pop("id"),
            "document.tracking.id: expected a value, got none (field missing)",
        ),
        (
            lambda d: d["document"]["tracking"].update(initial_release_date="yesterday"),
            "document.tracking.initial_release_date: expected an RFC 3339 date-time, got "
            "'yesterday'",
        ),
        (
            lambda d: _vuln(d)["product_status"].update(known_affected=["P9"]),
            "vulnerabilities[0].product_status.known_affected[0]: expected a defined product "
            "id (6.1.1), got 'P9'",
        ),
        (
            lambda d: d["product_tree"]["full_product_names"].append(
                {"name": "again", "product_id": "P1"}
            ),
            "product_tree.full_product_names[1].product_id: expected each product id defined "
            "once (6.1.2), got 'P1' again (first at product_tree.branches[0].branches[0]."
            "branches[0].product)",
        ),
        (
            lambda d: d["product_tree"]["relationships"][0].update(product_reference="P4"),
            "product_tree.relationships[0].product_reference: expected a product defined "
            "without itself (6.1.3), got a circular definition of 'P4'",
        ),
        (
            lambda d: _vuln(d)["remediations"][0].update(group_ids=["G9"]),
            "vulnerabilities[0].remediations[0].group_ids[0]: expected a defined product group "
            "id (6.1.4), got 'G9'",
        ),
        (
            lambda d: _vuln(d)["product_status"].update(known_not_affected=["P1"]),
            "vulnerabilities[0].product_status: expected one status group per product (6.1.6), "
            "got 'P1' both known_affected and known_not_affected",
        ),
        (
            lambda d: _vuln(d)["scores"].append(copy.deepcopy(_vuln(d)["scores"][0])),
            "vulnerabilities[0].scores[1].products: expected one CVSS v3.1 score per product "
            "(6.1.7), got a second for 'P1'",
        ),
        (
            lambda d: d["vulnerabilities"].append(copy.deepcopy(_vuln(d))),
            "vulnerabilities[1].cve: expected each CVE once (6.1.23), got CVE-2026-1000 again "
            "(also vulnerabilities[0])",
        ),
        (
            lambda d: _vuln(d)["remediations"][0].pop("group_ids"),
            "vulnerabilities[0].remediations[0]: expected product_ids or group_ids (6.1.29), "
            "got neither",
        ),
        (
            lambda d: _vuln(d)["remediations"][0].update(category="pray"),
            "vulnerabilities[0].remediations[0].category: expected a remediation category, got "
            "'pray'",
        ),
        (
            lambda d: _vuln(d)["product_status"].update(maybe=["P1"]),
            "vulnerabilities[0].product_status.maybe: expected a product status, got 'maybe'",
        ),
        (
            lambda d: _plc(d).update(product={"name": "x", "product_id": "P7"}),
            "product_tree.branches[0].branches[0]: expected either branches or a product, got "
            "both or neither",
        ),
        (
            lambda d: _plc(d)["branches"][0]["product"]["product_identification_helper"].update(
                purl="acme plc"
            ),
            "product_tree.branches[0].branches[0].branches[0].product."
            "product_identification_helper.purl: expected a package URL (6.1.13), got "
            "'acme plc'",
        ),
        (
            lambda d: _vuln(d).update(cve="CVE-26-1"),
            "vulnerabilities[0].cve: expected CVE-YYYY-NNNN, got 'CVE-26-1'",
        ),
        (
            lambda d: _vuln(d)["scores"][0]["cvss_v3"].pop("vectorString"),
            "vulnerabilities[0].scores[0].cvss_v3.vectorString: expected a value, got none "
            "(field missing)",
        ),
    ],
)
def test_invalid_documents_are_refused_with_the_reason(change: Any, message: str) -> None:
    with pytest.raises(EvidenceError) as caught:
        parse_csaf(_broken(change), "acme.json")
    assert str(caught.value) == f"acme.json: {message}"
    assert caught.value.check == "csaf"


def test_branches_nested_too_deep_are_refused() -> None:
    branch: dict[str, Any] = {
        "category": "vendor",
        "name": "v",
        "product": {"name": "p", "product_id": "X"},
    }
    for _ in range(40):
        branch = {"category": "product_family", "name": "f", "branches": [branch]}
    document = copy.deepcopy(SMALL)
    document["product_tree"]["branches"].append(branch)
    with pytest.raises(EvidenceError, match=r"expected branches at most 30 deep$"):
        parse_csaf(document, "deep.json")


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for position, child in enumerate(value):
            found += _paths(child, (*path, position))
    return found


def test_any_field_of_any_type_is_parsed_or_refused_never_a_crash() -> None:
    outcomes = {"parsed": 0, "refused": 0}
    for path in _paths(SMALL):
        for wrong in (None, 7, "x", [], {}, ["P1"], {"name": "P1"}):
            document = copy.deepcopy(SMALL)
            parent: Any = document
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = wrong
            try:
                parse_csaf(document, "mutant.json")
                outcomes["parsed"] += 1
            except EvidenceError:
                outcomes["refused"] += 1
    assert outcomes["refused"] > outcomes["parsed"] > 0
