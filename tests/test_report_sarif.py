"""--format sarif: SARIF 2.1.0, valid against the OASIS schema, one result per failed
requirement, rules with help text, locations code scanning can place: a path relative to the
repository checkout, with a region."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from provenance.report.render import render
from provenance.report.sarif import sarif_log
from tests.report_support import (
    ACME,
    HOSTILE_PREFIX,
    REPO,
    acme_allowed,
    acme_mixed,
    hostile_delivery,
    northwind_mixed,
    refused_archive,
    single_file,
)

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@cache
def _validator() -> jsonschema_rs.Draft4Validator:
    schema = json.loads(SCHEMA.read_text())
    assert schema["id"].endswith("/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    return jsonschema_rs.Draft4Validator(schema, validate_formats=True)


def _errors(log: Any) -> list[str]:
    return [f"{e.instance_path}: {e.message}" for e in _validator().iter_errors(log)]


def test_the_vendored_schema_rejects_what_it_should() -> None:
    # The validation below is only worth something if the schema bites.
    assert _errors({"version": "2.1.0", "runs": []}) == []
    assert any("version" in e or "2.1.0" in e for e in _errors({"version": "2.0.0", "runs": []}))
    assert _errors({"version": "2.1.0", "runs": [{"tool": {}}]})  # driver is required


@pytest.mark.parametrize(
    "make",
    [acme_mixed, acme_allowed, northwind_mixed, refused_archive],
    ids=["acme", "acme-allowed", "northwind", "refused"],
)
def test_valid_sarif_2_1_0(make: Any) -> None:
    log = json.loads(render("sarif", make(), color=False))
    assert _errors(log) == []
    assert log["version"] == "2.1.0"


def test_valid_for_a_single_file_and_hostile_names(tmp_path: Path) -> None:
    single = sarif_log(single_file(ACME, "plc-firmware-3.9.0.bin", "level3-operations"))
    assert _errors(single) == []
    hostile = sarif_log(hostile_delivery(tmp_path))
    assert _errors(hostile) == []


def test_one_error_result_per_failed_requirement_of_a_denied_artifact() -> None:
    result = acme_mixed()
    run = sarif_log(result)["runs"][0]
    failed = [
        (a["artifact"]["name"], f["rule"])
        for a in result["artifacts"]
        for f in a["findings"]
        if not f["passed"]
    ]
    errors = [r for r in run["results"] if r["level"] == "error"]
    located = [
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"])
        for r in errors
    ]
    assert located == [(f"acme-delivery/{name}", rule) for name, rule in failed]
    assert len(errors) == 5 + 3  # 3.9.0 and the HMI installer; 4.2.1 passed everything
    version = next(r for r in errors if r["ruleId"] == "version")
    assert version["message"]["text"] == (
        "plc-firmware-3.9.0.bin: denied for level1-controllers: version: expected a version "
        "matching >=4.0,<5, got 3.9.0 (signed-identity)"
    )
    assert version["kind"] == "fail"
    assert version["properties"]["artifactSha256"] == result["artifacts"][1]["artifact"]["sha256"]
    assert run["properties"]["decision"] == "deny"


def test_rules_have_descriptions_help_and_correct_indexes() -> None:
    run = sarif_log(acme_mixed())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    # every requirement evaluated is a rule (passing ones too: code scanning closes alerts)
    assert ids[:10] == [
        "vendor_signature", "signed_by", "freshness", "provenance", "in_toto", "sbom",
        "licenses", "version", "rollback", "approvals",
    ]  # fmt: skip
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert "What to do:" in rule["help"]["text"]
        assert "**What to do:**" in rule["help"]["markdown"]
    approvals = rules[ids.index("approvals")]
    assert approvals["shortDescription"]["text"] == (
        "Approved by enough members of the required group"
    )
    assert approvals["name"] == "Approvals"
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_locations_are_relative_to_the_checkout_with_a_region() -> None:
    # The fixture delivery as a checkout holds it: REPO/fixtures/acme-delivery.
    result = acme_mixed()
    result["delivery"]["path"] = str(ACME)
    run = sarif_log(result, root=REPO)["runs"][0]
    assert "originalUriBaseIds" not in run  # code scanning does not resolve them
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "fixtures/acme-delivery/plc-firmware-3.9.0.bin", "index": 1},
        "region": {"startLine": 1},
    }
    assert run["artifacts"][1]["hashes"]["sha-256"] == (
        "7edc80c5631b51e769523d0129ecf61be9946bd7be80371d47428c8e91143586"
    )
    notes = [r for r in run["results"] if r["ruleId"] == "unrecognised-file"]
    assert [r["level"] for r in notes] == ["note"] * 6
    assert notes[-1]["message"]["text"] == (
        "trusted_root.json: not decided about: not an artifact or evidence"
    )
    for result_ in run["results"]:
        for where in result_["locations"]:
            uri = where["physicalLocation"]["artifactLocation"]["uri"]
            assert (REPO / uri).is_file(), uri
            assert where["physicalLocation"]["region"] == {"startLine": 1}


def test_fingerprints_are_stable_across_checkouts(tmp_path: Path) -> None:
    result = acme_mixed()
    here = sarif_log(result, root=Path.cwd())["runs"][0]["results"]
    there = sarif_log(result, root=tmp_path)["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in here] == [r["partialFingerprints"] for r in there]


def test_outside_the_checkout_a_file_uri(tmp_path: Path) -> None:
    result = acme_mixed()
    result["delivery"]["path"] = str(ACME)
    run = sarif_log(result, root=tmp_path)["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == (ACME / "plc-firmware-3.9.0.bin").as_uri()
    assert _errors(sarif_log(result, root=tmp_path)) == []


def test_a_member_of_an_archive_is_located_at_the_archive() -> None:
    result = acme_mixed()
    result["delivery"].update({"path": "deliveries/acme.zip", "kind": "zip"})
    run = sarif_log(result, root=Path.cwd())["runs"][0]  # the path is relative to where it ran
    location = run["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "deliveries/acme.zip"
    assert location["logicalLocations"] == [
        {"fullyQualifiedName": "acme.zip!/plc-firmware-3.9.0.bin", "kind": "member"}
    ]
    assert run["results"][0]["message"]["text"].startswith("plc-firmware-3.9.0.bin: denied")


def test_allowed_delivery_has_no_error_results() -> None:
    run = sarif_log(acme_allowed())["runs"][0]
    assert [r for r in run["results"] if r["level"] == "error"] == []
    assert run["properties"]["decision"] == "allow"


def test_single_file_is_located_where_the_tool_ran(tmp_path: Path) -> None:
    result = single_file(ACME, "plc-firmware-3.9.0.bin", "level3-operations")
    run = sarif_log(result, root=Path.cwd())["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "plc-firmware-3.9.0.bin", "index": 0},
        "region": {"startLine": 1},
    }


def test_refused_archive_is_one_error_naming_the_archive() -> None:
    run = sarif_log(refused_archive(), root=Path.cwd())["runs"][0]
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [("delivery-refused", "error")]
    assert run["results"][0]["message"]["text"] == (
        "acme-delivery.zip: refused: entry '../../etc/cron.d/x' escapes the extraction folder"
    )
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "acme-delivery.zip"},
        "region": {"startLine": 1},
    }


def test_hostile_names_are_percent_encoded_uris(tmp_path: Path) -> None:
    run = sarif_log(hostile_delivery(tmp_path), root=Path.cwd())["runs"][0]
    uri = run["artifacts"][0]["location"]["uri"]
    assert uri == (
        "acme-hostile/"
        "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%22%26%1B%5B31mplc-firmware-4.2.1.bin"
    )
    assert HOSTILE_PREFIX not in json.dumps(run["artifacts"])
